"""`fleetgen init [DIR]`: scaffold a fleet repository; never overwrites a file.

Thin: calls `fleetgen.scaffold.scaffold` and prints what was created and what was skipped.
"""

from __future__ import annotations

from pathlib import Path

import click

from fleetgen.cli import repo_root
from fleetgen.errors import ExitCode


@click.command(epilog="""Examples:

  fleetgen init

  fleetgen init my-fleet && cd my-fleet && fleetgen schemas sync && fleetgen render
""")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def init(ctx: click.Context, *, directory: Path | None) -> int:
    """Scaffold a fleet repository in DIRECTORY (default: --repo, i.e. the current directory):
    fleetgen.yaml, clusters/ with an example spec, crs/, schemas/sources.yaml and .gitignore.
    Existing files are never overwritten; they are listed as skipped.
    """
    from fleetgen.scaffold import scaffold

    root = directory if directory is not None else repo_root(ctx)
    report = scaffold(root)
    for rel in report.created:
        click.echo(f"created {rel}")
    for rel in report.skipped:
        click.echo(f"skipped {rel} (exists)")
    where = str(directory) if directory is not None else "."
    if report.created:
        click.echo(f"initialised a fleet repository in {where}: edit fleetgen.yaml and clusters/, "
                   "then run `fleetgen schemas sync` and `fleetgen render`")
    else:
        click.echo(f"nothing to do: every file already exists in {where}")
    return ExitCode.OK
