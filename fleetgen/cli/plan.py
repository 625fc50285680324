"""`fleetgen plan`: what the working tree's change does to the fleet, against a git ref.

Thin: builds the plan (`fleetgen.vcs.plan_build.build_plan`) and writes it with
`fleetgen.report.plan.write_plan`. Never touches the checkout, index or HEAD.
"""

from __future__ import annotations

from pathlib import Path

import click

from fleetgen.cli import repo_root
from fleetgen.errors import ExitCode


@click.command(epilog="""Examples:

  fleetgen plan

  fleetgen plan --base origin/main --format markdown > plan.md

  fleetgen plan --base HEAD~1 --format json
""")
@click.option("--base", "base_ref", metavar="REF", default="HEAD", show_default=True,
              help="Git ref to compare against (in CI: the target branch, e.g. origin/main).")
@click.option("--format", "-o", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="Output format; markdown is meant for a pull-request comment.")
@click.option("--schema-location", "schema_locations", multiple=True,
              type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Extra schema directory searched before schemas/ (repeatable).")
@click.pass_context
def plan(ctx: click.Context, *, base_ref: str, fmt: str, schema_locations: tuple[Path, ...]) -> int:
    """Render the fleet as committed at REF and as in the working tree, and classify every
    changed object: create, delete, scale, in-place, rollout (machines replaced) or forbidden
    (the API server would reject it). A deleted cluster is flagged. Exit 1 when anything is
    forbidden or the working tree does not validate.
    """
    from fleetgen.report.plan import format_plan
    from fleetgen.vcs.plan_build import build_plan

    result = build_plan(repo_root(ctx), base_ref=base_ref, schema_locations=schema_locations)
    click.echo(format_plan(result, fmt), nl=False)
    return ExitCode.INVALID if result.failed else ExitCode.OK
