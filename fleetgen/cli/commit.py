"""`fleetgen commit`: check the fleet, stage only fleetgen's paths, commit with a plan summary.

Thin: calls `fleetgen.vcs.commit.commit_fleet` and prints its outcome. Refusals (invalid specs,
a stale output directory, a forbidden change, a cluster deletion without `--allow-delete`) exit 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from fleetgen.cli import error, repo_root
from fleetgen.errors import ExitCode


@click.command(epilog="""Examples:

  fleetgen commit

  fleetgen commit -m "scale kv-demo for the load test"

  fleetgen commit --allow-delete pve-demo
""")
@click.option("-m", "--message", default=None, help="Commit message (default: a summary of the plan against HEAD).")
@click.option("--allow-delete", "allow_delete", multiple=True, metavar="CLUSTER",
              help="Allow committing the deletion of CLUSTER (name or namespace/name; repeatable). "
                   "Its Cluster leaves git: Flux prunes it (Cluster API deletes the workload cluster and its "
                   "machines); Fleet keeps it running, unmanaged (GitRepo keepResources). `fleetgen plan` says which.")
@click.option("--schema-location", "schema_locations", multiple=True,
              type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Extra schema directory searched before schemas/ (repeatable).")
@click.pass_context
def commit(ctx: click.Context, *, message: str | None, allow_delete: tuple[str, ...],
           schema_locations: tuple[Path, ...]) -> int:
    """Validate the specs, check that the output directory is up to date, then stage only the
    specs (clusters/), addons (crs/), fleetgen.yaml, schemas/sources.yaml and the output
    directory, and commit them. Other modified files are left alone, and so are new files under
    clusters/ and crs/ that are neither a spec nor a file an addon lists (a credentials file
    dropped beside a spec is never committed).
    """
    from fleetgen.report import write_report
    from fleetgen.vcs.commit import commit_fleet

    if message is not None and not message.strip():
        error("the commit message is blank; give one with -m, or leave -m out for a summary of the plan")
        return ExitCode.USAGE

    root = repo_root(ctx)
    outcome = commit_fleet(root, message=message, allow_delete=allow_delete,
                           schema_locations=schema_locations)
    if outcome.refused:
        plan = outcome.plan
        if plan is not None and (plan.result.has_errors or not plan.valid):
            write_report(plan.result, "auto", sys.stdout, root=root)
            sys.stdout.flush()
        for path in outcome.stale:
            click.echo(f"  stale: {path}", err=True)
        error(f"nothing committed: {outcome.refused}")
        return ExitCode.INVALID
    for path in outcome.left_out:
        click.echo(f"left out: {path} (neither a cluster spec nor a file an addon lists; add it with git if it belongs)",
                   err=True)
    if outcome.commit is None:
        click.echo("nothing to commit: the specs, addons and output directory match HEAD")
        return ExitCode.OK
    click.echo(f"[{outcome.commit.short_sha}] {outcome.commit.subject}")
    return ExitCode.OK
