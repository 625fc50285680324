"""`fleetgen validate`: specs, policy rules and every rendered object against the pinned CRD schemas."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import click

from fleetgen.cli import repo_root
from fleetgen.errors import ExitCode

if TYPE_CHECKING:
    from fleetgen.errors import ConfigError
    from fleetgen.findings import Severity


@click.command(epilog="""Examples:

  fleetgen validate

  fleetgen validate --base origin/main --format github

  fleetgen validate --format sarif > fleetgen.sarif
""")
@click.option("--format", "-o", "fmt", type=click.Choice(["auto", "text", "json", "github", "sarif"]),
              default="auto", show_default=True,
              help="Report format; auto is github inside GitHub Actions, text otherwise.")
@click.option("--fail-on", type=click.Choice(["error", "warning"]), default="error", show_default=True,
              help="Lowest severity that makes the exit code 1.")
@click.option("--base", "base_ref", metavar="REF", default=None,
              help="Git ref of the base revision: enables transition checks (immutable fields, upgrades).")
@click.option("--schema-location", "schema_locations", multiple=True,
              type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Extra schema directory searched before schemas/ (repeatable).")
@click.option("--no-cache", "no_cache", is_flag=True,
              help="Neither read nor write the cache of per-cluster results (.fleetgen-cache/); the findings are the same.")
@click.option("-v", "--verbose", is_flag=True, help="Also report info findings (in every --format).")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.pass_context
def validate(ctx: click.Context, *, fmt: str, fail_on: str, base_ref: str | None,
             schema_locations: tuple[Path, ...], no_cache: bool, verbose: bool, files: tuple[Path, ...]) -> int:
    """Validate the whole fleet: spec files, semantic rules, and every rendered object
    (strict JSON schema + CEL rules of the pinned CRDs, webhook rules).

    FILES are accepted for pre-commit and ignored: fleet-wide rules need every spec, so the
    whole fleet is always checked. Exit 1 when a finding reaches --fail-on. Each spec's results
    are cached by content hash in .fleetgen-cache/. With --base, the specs that differ from
    REF are also rendered as committed there, for the transition checks (all of them when
    fleetgen.yaml differs), and the transition checks run again against the output directory
    committed at REF (what the GitOps agent applied), as `fleetgen plan` does; an output file
    edited by hand (it differs from the rendering and from REF) is reported, and its objects as
    edited are checked against REF too.
    """
    from fleetgen.errors import ConfigError
    from fleetgen.findings import Severity

    try:
        return _validate(repo_root(ctx), fmt=fmt, fail_on=Severity(fail_on), base_ref=base_ref,
                         schema_locations=schema_locations, no_cache=no_cache, verbose=verbose)
    except ConfigError as err:
        _report_config_error(err, fmt, repo_root(ctx))
        raise


def _report_config_error(err: ConfigError, fmt: str, root: Path) -> None:
    """In a machine format (json, sarif, github), also write a report holding a configuration error's
    positioned problems, so `validate --format sarif > x.sarif` or a CI annotation still shows
    them; the error itself goes to stderr (exit 2) as for every command."""
    from fleetgen.findings import CheckResult
    from fleetgen.report import resolve_format, write_report

    if not err.findings or resolve_format(fmt) == "text":
        return
    buffer = io.StringIO()
    write_report(CheckResult(list(err.findings)), fmt, buffer, root=root)
    click.echo(buffer.getvalue(), nl=False)


def _validate(root: Path, *, fmt: str, fail_on: Severity, base_ref: str | None, schema_locations: tuple[Path, ...],
              no_cache: bool, verbose: bool) -> int:
    from fleetgen.report import write_report

    summary = inputs = None
    if base_ref is None and not no_cache:
        from fleetgen.run_cache import lookup, read_inputs

        inputs = read_inputs(root, schema_locations)
        summary = lookup(root, inputs=inputs)
    if summary is not None:
        from fleetgen.render.write import files_differ

        if files_differ(root / summary.output_dir, summary.files):  # (output on disk to check as it is)
            summary = None
    if summary is not None:
        result = summary.result  # the same inputs as a clean run already checked
    else:
        from fleetgen.pipeline import run_pipeline

        outcome = run_pipeline(root, base_ref=base_ref, schema_locations=schema_locations, cache=not no_cache,
                               inputs=inputs)
        result = outcome.result
        if base_ref is not None:  # (also against the output the agent applied at the base, and edited output)
            from fleetgen.vcs.edited_output import edited_output_findings
            from fleetgen.vcs.plan_build import committed_base_findings

            result.extend(committed_base_findings(root, base_ref, outcome))
            result.extend(edited_output_findings(root, base_ref, outcome, schema_locations))
        else:  # (the output files as the agent applies them, where they differ from the rendering)
            from fleetgen.vcs.edited_output import output_on_disk_findings

            result.extend(output_on_disk_findings(root, outcome, schema_locations))
    buffer = io.StringIO()
    write_report(result, fmt, buffer, verbose=verbose, root=root)
    click.echo(buffer.getvalue(), nl=False)
    return ExitCode.INVALID if result.fails(fail_on) else ExitCode.OK
