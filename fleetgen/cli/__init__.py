"""The `fleetgen` command line: a thin click shell over the library.

Owns: the root group, global options (`--repo`, `--traceback`), lazy loading of subcommands
(so `fleetgen --help` stays fast for pre-commit), and the one place that maps exceptions to exit
codes and messages. Subcommands live one per module in this package.
"""

from __future__ import annotations

import gc
import importlib
import io
import os
import signal
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from fleetgen.errors import ExitCode, FleetgenError, Interrupted

#: subcommand name -> (module, attribute, one-line help). Imported only when the command runs.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("fleetgen.cli.init", "init", "Scaffold a fleet repository; never overwrites a file."),
    "render": ("fleetgen.cli.render", "render", "Render specs and addons into the output directory (fleet/)."),
    "validate": ("fleetgen.cli.validate", "validate", "Validate specs, policy rules and rendered objects against the pinned CRD schemas."),
    "schemas": ("fleetgen.cli.schemas", "schemas", "Sync the pinned upstream CRDs into JSON schemas."),
    "scale": ("fleetgen.cli.scale", "scale", "Change a pool's replicas in its spec (comments kept) and re-render."),
    "plan": ("fleetgen.cli.plan", "plan", "Show what the change does to fleet/ against a git ref."),
    "commit": ("fleetgen.cli.commit", "commit", "Stage specs, addons and fleet/, and commit with a plan summary."),
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when that subcommand runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every subcommand name, sorted (no import needed)."""
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import the subcommand's module and return its click command; None for an unknown name."""
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(entry[0])
        command: click.Command = getattr(module, entry[1])
        commands = [command, *(command.commands.values() if isinstance(command, click.Group) else ())]
        for each in commands:  # `fleetgen schemas --repo DIR sync` and `fleetgen schemas sync --repo DIR`
            if not any(param.name == "subcommand_repo" for param in each.params):
                each.params.append(_subcommand_repo_option())
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the subcommands in `--help` from COMMANDS, without importing them."""
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="Examples:\n\n  fleetgen render && fleetgen validate\n\n  fleetgen scale kv-demo md-0 4\n\n  fleetgen plan --base origin/main --format markdown")
@click.version_option(package_name="fleetgen", prog_name="fleetgen")
@click.option("--repo", "repo", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="Fleet repository root (where fleetgen.yaml is).")
@click.option("--traceback", is_flag=True, help="Show the full traceback of errors (for bug reports).")
@click.pass_context
def cli(ctx: click.Context, repo: Path, traceback: bool) -> None:
    """fleetgen renders per-cluster specs into Cluster API, ClusterResourceSet and GitOps manifests,
    validates them against the pinned upstream CRDs, and commits them for Fleet or Flux."""
    ctx.ensure_object(dict)
    ctx.obj["repo"] = repo.resolve()
    ctx.obj["traceback"] = traceback


def _set_repo(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    """Callback of a subcommand's `--repo`: it replaces the global one for this run."""
    if value is not None:
        ctx.find_root().obj["repo"] = value.resolve()


def _subcommand_repo_option() -> click.Option:
    """`--repo DIR` after the subcommand (`fleetgen validate --repo DIR`), same as before it.

    pre-commit appends a hook's `args` after its fixed `entry` (`fleetgen validate`) and lets a
    config override `args` but not `entry`, so this is how a fleet that lives in a subdirectory of
    its git repository points the hooks at it. Given both, the subcommand's value wins.
    """
    return click.Option(["--repo", "subcommand_repo"], type=click.Path(file_okay=False, path_type=Path),
                        default=None, expose_value=False, is_eager=True, callback=_set_repo,
                        help="Fleet repository root (where fleetgen.yaml is); same as the global --repo.")


def error(message: str) -> None:
    """Print `fleetgen: error: <message>` to stderr (one line per message line)."""
    for line in message.splitlines() or [""]:
        click.echo(f"fleetgen: error: {line}", err=True)


def _raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted(signum)


#: False in the console script (`run`): the process ends after `main`, so the handlers `main`
#: set stay (a signal while exiting is ignored, not fatal); True for tests and library callers.
_RESTORE_SIGNALS = True


def _terminate_like_ctrl_c() -> dict[int, Any]:
    """SIGTERM raises `Interrupted` as Ctrl-C raises KeyboardInterrupt, so a terminated run cleans
    up (an interrupted write of the output tree is rolled back) and exits 143 with a message,
    instead of dying mid-write. Left alone when SIGTERM is ignored or handled already, or off the
    main thread. Returns the SIGINT and SIGTERM handlers to restore afterwards ({} off the main
    thread)."""
    try:
        saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
        if saved[signal.SIGTERM] is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _raise_interrupted)
    except ValueError:  # (not the main thread: an embedding program owns the signals)
        return {}
    return saved


def _ignore_signals() -> None:
    """The run is ending: a further Ctrl-C or SIGTERM must not print a traceback (e.g. from a
    destructor that it interrupts) or kill the process before it exits with its code."""
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)
    except ValueError:  # (not the main thread)
        pass


def _exit_interrupted(exc: BaseException | None) -> NoReturn:
    """`fleetgen: terminated` and exit 143 for SIGTERM; `fleetgen: interrupted` and 130 for Ctrl-C;
    with `(the output was written in full)` when the signal came once the new output tree was whole."""
    _ignore_signals()
    done = " (the output was written in full)" if isinstance(exc, Interrupted) and exc.after_write else ""
    if isinstance(exc, Interrupted) and exc.signum == signal.SIGTERM:
        click.echo(f"fleetgen: terminated{done}", err=True)
        sys.exit(ExitCode.TERMINATED)
    click.echo(f"fleetgen: interrupted{done}", err=True)
    sys.exit(ExitCode.INTERRUPTED)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with the code DESIGN.md fixes; never shows a traceback for bad input.

    Args:
        argv: arguments without the program name (default: sys.argv[1:]).
    """
    args = sys.argv[1:] if argv is None else argv
    show_traceback = "--traceback" in args
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 is printed as its bytes
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="surrogateescape")
    # One command is one short process that builds a large, long-lived heap (specs, rendered
    # objects, cache entries) and little cyclic garbage: the cyclic collector would walk that heap
    # again and again (seconds for 10,000 clusters). Reference counting still frees everything else.
    collecting = gc.isenabled()
    gc.disable()
    saved_signals = _terminate_like_ctrl_c()
    try:
        rv: Any = cli.main(args=args, prog_name="fleetgen", standalone_mode=False)
    except click.exceptions.Abort as exc:  # (click's form of a KeyboardInterrupt)
        _exit_interrupted(exc.__context__)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.USAGE if exc.exit_code == 2 else exc.exit_code)
    except KeyboardInterrupt as exc:
        _exit_interrupted(exc)
    except FleetgenError as exc:
        if show_traceback:
            import traceback

            traceback.print_exc()
        error(str(exc))
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(ExitCode.OK)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a bug
        import traceback

        if show_traceback:
            traceback.print_exc()
        else:
            tb = traceback.extract_tb(exc.__traceback__)
            where = f" at {tb[-1].filename}:{tb[-1].lineno}" if tb else ""
            error(f"internal error, please report: {type(exc).__name__}: {exc}{where} (rerun with --traceback)")
        sys.exit(ExitCode.INTERNAL)
    finally:
        if collecting:
            gc.enable()
        if _RESTORE_SIGNALS:
            for signum, handler in saved_signals.items():
                signal.signal(signum, handler)
    sys.exit(int(rv) if isinstance(rv, int) else ExitCode.OK)


def run() -> NoReturn:
    """The `fleetgen` console script and `python -m fleetgen`: `main`, then a fast process exit.

    The exit code is `main`'s. stdout and stderr are flushed and the atexit handlers run, then
    the process ends with `os._exit`, skipping the interpreter's teardown of the heap a run built
    (about 40 ms of a 0.5 s `validate` over 1,000 clusters). Tests and library callers use `main`,
    which raises SystemExit as usual.
    """
    import atexit

    global _RESTORE_SIGNALS
    _RESTORE_SIGNALS = False
    code = int(ExitCode.OK)
    try:
        try:
            main()
        finally:  # (the run is over: a second Ctrl-C or SIGTERM must not print a traceback now)
            _ignore_signals()
    except SystemExit as exc:  # how `main` always ends, with one of DESIGN.md's (int) exit codes
        code = int(exc.code or 0)
    except KeyboardInterrupt as exc:  # (a second signal while `main` reported the first)
        code = int(ExitCode.TERMINATED if isinstance(exc, Interrupted) and exc.signum == signal.SIGTERM
                   else ExitCode.INTERRUPTED)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # reader gone (`fleetgen plan | head`), or closed
            pass
    atexit._run_exitfuncs()
    os._exit(code)


def repo_root(ctx: click.Context) -> Path:
    """The fleet repository root given by the global `--repo` option."""
    root: Path = ctx.find_root().obj["repo"]
    return root
