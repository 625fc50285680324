"""`fleetgen schemas ...`: manage the pinned upstream CRD schemas (`schemas sync`).

Thin: turns options into `fleetgen.schemas.sync.sync_schemas` parameters and prints a summary.
Errors (`SchemaSyncError` exit 1, `ConfigError` exit 2) propagate to the root handler in
`fleetgen.cli`, which prints `fleetgen: error: ...`. Heavy imports stay inside the command so
`fleetgen --help` starts fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from fleetgen.cli import repo_root
from fleetgen.errors import ExitCode


@click.group(
    epilog="""Examples:

  fleetgen schemas sync

  fleetgen schemas sync --mirror ../shared/upstream
"""
)
def schemas() -> None:
    """Manage the pinned upstream CRD schemas under schemas/."""


@schemas.command(
    epilog="""Examples:

  fleetgen schemas sync

  fleetgen schemas sync --mirror ../shared/upstream

  fleetgen --repo path/to/fleet schemas sync --timeout 60
"""
)
@click.option(
    "--mirror",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Read the pinned files from DIR laid out {org}/{repo}/{version}/{path} instead of downloading.",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=1),
    default=30.0,
    show_default=True,
    help="Network timeout per download, in seconds.",
)
@click.pass_context
def sync(ctx: click.Context, *, mirror: Path | None, timeout_s: float) -> int:
    """Fetch the CRDs pinned in schemas/sources.yaml (the built-in pinned set when that file is
    absent), verify their sha256, and write one strict JSON schema per served version under
    schemas/ (plus core Kubernetes kinds). A failure leaves the existing schemas untouched.
    """
    from fleetgen.schemas.catalog import load_core_schemas, load_sources
    from fleetgen.schemas.registry import default_schema_dir
    from fleetgen.schemas.sync import sync_schemas

    root = repo_root(ctx)
    sources = load_sources(root)
    core = load_core_schemas(root)
    dest = default_schema_dir(root)
    report = sync_schemas(sources, dest, mirror=mirror, core=core, timeout_s=timeout_s)
    for b in report.bundles:
        click.echo(f"{b.label}: {_count(b.schema_count, 'schema')} from {_count(b.file_count, 'file')}")
    try:
        shown = f"{dest.relative_to(root)}/"
    except ValueError:
        shown = f"{dest}/"
    click.echo(f"synced {report.schema_count} schemas from {report.source_count} sources into {shown}")
    return ExitCode.OK


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
