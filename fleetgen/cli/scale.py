"""`fleetgen scale`: change a pool's (or the control plane's) replicas in its spec, then re-render.

Thin: turns the arguments into a prepared spec edit (`fleetgen.spec.edit`), writes it, runs the
same pipeline as `fleetgen render` (load, render, validate) and writes the output tree. When the
edited spec does not validate, or writing fails, the spec file is restored byte for byte.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from fleetgen.cli import repo_root
from fleetgen.errors import ExitCode


@click.command(epilog="""Examples:

  fleetgen scale kv-demo md-0 4

  fleetgen scale pve-demo --control-plane 3

  fleetgen scale kv-demo md-0 0        # scale a pool to zero workers
""")
@click.argument("cluster")
@click.argument("pool", required=False)
@click.argument("replicas", required=False, type=click.IntRange(min=0, max=1000))
@click.option("--control-plane", "control_plane", type=click.IntRange(min=1, max=15), metavar="N",
              help="Set the control plane's replica count instead of a pool's (odd: stacked etcd).")
@click.option("--schema-location", "schema_locations", multiple=True,
              type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Extra schema directory searched before schemas/ (repeatable).")
@click.pass_context
def scale(ctx: click.Context, *, cluster: str, pool: str | None, replicas: int | None, control_plane: int | None,
          schema_locations: tuple[Path, ...]) -> int:
    """Set the replicas of worker pool POOL of CLUSTER (its name, or NAMESPACE/NAME when the
    name is used in several namespaces) to REPLICAS (or the control plane's with
    --control-plane N) by editing the one line in the cluster's spec file, keeping its comments
    and layout, then re-render and validate like `fleetgen render`. Nothing changes when the
    value is already in effect; the spec is restored when validation fails.
    """
    from fleetgen.findings import CheckResult, Severity
    from fleetgen.pipeline import run_pipeline
    from fleetgen.render.write import write_tree
    from fleetgen.report import write_report
    from fleetgen.spec.edit import prepare_control_plane_scale, prepare_pool_scale
    from fleetgen.spec.load import load_fleet

    if control_plane is not None and (pool is not None or replicas is not None):
        raise click.UsageError("give either POOL REPLICAS or --control-plane N, not both")
    if control_plane is None and (pool is None or replicas is None):
        raise click.UsageError("missing POOL and REPLICAS (or --control-plane N)")

    root = repo_root(ctx)
    fleet, findings = load_fleet(root)
    if any(f.severity is Severity.ERROR for f in findings):
        result = CheckResult()
        result.extend(findings)
        write_report(result, "auto", sys.stdout, root=root)
        sys.stdout.flush()
        click.echo("nothing scaled: fix the spec errors above first", err=True)
        return ExitCode.INVALID
    if control_plane is not None:
        edit = prepare_control_plane_scale(fleet, cluster, control_plane)
    else:
        assert pool is not None and replicas is not None
        edit = prepare_pool_scale(fleet, cluster, pool, replicas)
    if edit.noop:
        click.echo(f"{edit.target} already has {edit.new_value} replicas ({edit.rel}:{edit.line}); nothing to do")
        return ExitCode.OK

    edit.apply()
    try:
        outcome = run_pipeline(root, schema_locations=schema_locations)
        if outcome.result.has_errors or outcome.rendered is None:
            edit.restore()
            write_report(outcome.result, "auto", sys.stdout, root=root)
            sys.stdout.flush()
            click.echo(f"nothing scaled: {edit.rel} restored; fix the errors above", err=True)
            return ExitCode.INVALID
        report = write_tree(outcome.fleet.output_dir, outcome.rendered, allow_delete=frozenset())
    except BaseException:
        edit.restore()
        raise
    if outcome.result.count(Severity.WARNING):
        write_report(outcome.result, "auto", sys.stdout, root=root)
        sys.stdout.flush()
    click.echo(edit.describe())
    click.echo(f"rendered {outcome.fleet.config.output_dir}/: {report.written} file(s) written, "
               f"{report.unchanged} unchanged, {len(report.removed)} removed")
    return ExitCode.OK
