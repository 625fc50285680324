"""`fleetgen render`: specs + addons -> the output directory (`fleet/`), or `--check` it.

Thin: runs the shared pipeline (load, render, validate; `fleetgen.pipeline.run_pipeline`),
prints findings through `fleetgen.report`, then writes the tree with
`fleetgen.render.write.write_tree` or compares it with `diff_tree`. Nothing is written when any
finding is an error. Errors raised as `FleetgenError` (e.g. a refused cluster deletion) go to the
root handler in `fleetgen.cli`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import click

from fleetgen.cli import repo_root
from fleetgen.errors import ExitCode

if TYPE_CHECKING:
    from fleetgen.findings import CheckResult


def _print_report(result: CheckResult, root: Path) -> None:
    """Findings to stdout through `fleetgen.report` (format `auto`), flushed before the summary."""
    from fleetgen.report import write_report

    buffer = io.StringIO()
    write_report(result, "auto", buffer, root=root)
    click.echo(buffer.getvalue(), nl=False)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


@click.command(epilog="""Examples:

  fleetgen render

  fleetgen render --check

  fleetgen render --allow-delete old-cluster

  fleetgen render --no-cache
""")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 and list the stale paths when the output directory is not up to date.")
@click.option("--allow-delete", "allow_delete", multiple=True, metavar="CLUSTER",
              help="Allow removing the output of CLUSTER (name or namespace/name) whose spec is gone (repeatable). "
                   "Its Cluster leaves git: Flux prunes it (Cluster API deletes the workload cluster and its "
                   "machines); Fleet keeps it running, unmanaged (GitRepo keepResources). `fleetgen plan` says which.")
@click.option("--schema-location", "schema_locations", multiple=True,
              type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Extra schema directory searched before schemas/ (repeatable).")
@click.option("--no-cache", "no_cache", is_flag=True,
              help="Neither read nor write the cache of per-cluster results (.fleetgen-cache/); the output is the same.")
@click.pass_context
def render(ctx: click.Context, *, check: bool, allow_delete: tuple[str, ...],
           schema_locations: tuple[Path, ...], no_cache: bool) -> int:
    """Render the cluster specs and addons into the output directory (fleet/), after validating
    them. Deterministic: the same specs give byte-identical files. Only files whose bytes
    change are written, all or nothing on errors (a render killed mid-write is repaired by the
    next one); stale files are removed, but never a cluster's output
    unless named with --allow-delete. Each spec's results are cached by content hash in
    .fleetgen-cache/, so an unchanged spec is not parsed, rendered or validated again.
    """
    from fleetgen.findings import Severity
    from fleetgen.render.write import diff_tree, tree_matches, write_tree

    root = repo_root(ctx)
    inputs = None
    if not no_cache:
        from fleetgen.run_cache import lookup, read_inputs

        inputs = read_inputs(root, schema_locations)
        summary = lookup(root, inputs=inputs)
        if summary is not None and tree_matches(root / summary.output_dir, summary.files):
            # a clean run already rendered these inputs, and the output holds exactly its bytes
            if summary.result.count(Severity.WARNING):
                _print_report(summary.result, root)
            if check:
                click.echo(f"{summary.output_dir}/ is up to date")
            else:
                click.echo(f"rendered {_plural(summary.clusters, 'cluster')}, {_plural(summary.addons, 'addon')}: "
                           f"{_plural(0, 'file')} written, {len(summary.files)} unchanged, 0 removed")
            return ExitCode.OK

    from fleetgen.pipeline import run_pipeline

    outcome = run_pipeline(root, schema_locations=schema_locations, cache=not no_cache, inputs=inputs)
    result = outcome.result
    if result.has_errors or outcome.rendered is None:
        _print_report(result, root)
        what = "not checked" if check else "not written"
        click.echo(f"{outcome.fleet.config.output_dir}/ {what}: fix the errors above", err=True)
        return ExitCode.INVALID
    if result.count(Severity.WARNING):
        _print_report(result, root)

    out_name = outcome.fleet.config.output_dir
    out_dir = outcome.fleet.output_dir
    rendered = outcome.rendered
    if check:
        changes = diff_tree(out_dir, rendered)
        if not changes:
            click.echo(f"{out_name}/ is up to date")
            return ExitCode.OK
        click.echo(f"{out_name}/ is stale: {_plural(len(changes), 'file')} differ from the specs; run `fleetgen render`")
        for c in changes:
            click.echo(f"  {c.kind:<8} {out_name}/{c.path}")
        return ExitCode.INVALID

    report = write_tree(out_dir, rendered, allow_delete=frozenset(allow_delete))
    fleet = outcome.fleet
    click.echo(f"rendered {_plural(len(fleet.clusters), 'cluster')}, {_plural(len(fleet.addons), 'addon')}: "
               f"{_plural(report.written, 'file')} written, {report.unchanged} unchanged, {len(report.removed)} removed"
               + (f", {_plural(len(report.leftovers), 'leftover file')} of an interrupted render deleted"
                  if report.leftovers else ""))
    return ExitCode.OK
