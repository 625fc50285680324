"""The pipeline every command shares: load the fleet, render it, check it.

Owns: the order of those steps and the rule that nothing is rendered from invalid specs; loading
the base revision for transition checks. Commands in `fleetgen.cli` call `run_pipeline` and then
decide what to write or print. Must not write files or print.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fleetgen.errors import ConfigError
from fleetgen.findings import CheckResult

if TYPE_CHECKING:
    from fleetgen.policy.base import PolicyContext
    from fleetgen.render.base import RenderResult
    from fleetgen.schemas.registry import SchemaRegistry
    from fleetgen.spec.load import Fleet


@dataclass
class PipelineOutcome:
    """What one pipeline run produced.

    Attributes:
        fleet: the loaded fleet (only the specs and addons that loaded cleanly).
        rendered: the rendered tree, or None when loading found errors (nothing is rendered then).
        result: every finding (load, render, schema, CEL, policy, payload, budget).
    """

    fleet: Fleet
    rendered: RenderResult | None
    result: CheckResult = field(default_factory=CheckResult)


def open_registry(root: Path, schema_locations: Sequence[Path] = ()) -> SchemaRegistry:
    """The schema registry: `--schema-location` dirs first, then the repository's `schemas/`.

    Raises:
        ConfigError: no synced schemas anywhere (exit 2), with the command that fixes it.
    """
    from fleetgen.schemas.registry import SchemaRegistry, default_schema_dir

    locations = [Path(p) for p in schema_locations] + [default_schema_dir(root)]
    if not any(p.is_dir() and any(p.iterdir()) for p in locations if p.exists()):
        raise ConfigError(f"no JSON schemas in {default_schema_dir(root)}; run `fleetgen schemas sync` "
                          "(or `fleetgen schemas sync --mirror DIR` offline)")
    return SchemaRegistry(locations)


def load_and_render(root: Path) -> PipelineOutcome:
    """Load the fleet at `root` and render it when the specs are valid (no schema checks).

    Raises:
        ConfigError: fleetgen.yaml is missing or invalid.
    """
    from fleetgen.render import render_fleet
    from fleetgen.spec.load import load_fleet

    fleet, findings = load_fleet(root)
    outcome = PipelineOutcome(fleet, None)
    outcome.result.extend(findings)
    outcome.result.files_checked = len(fleet.clusters) + len(fleet.addons)
    if outcome.result.has_errors:
        return outcome
    outcome.rendered = render_fleet(fleet)
    return outcome


def base_context(root: Path, ref: str) -> PolicyContext | None:
    """Load and render the fleet as committed at git `ref`, for transition checks.

    Returns:
        The base PolicyContext, or None when the ref has no fleet or its specs do not load
        (then there is nothing to compare against, as on create).

    Raises:
        VcsError: not a git repository, or `ref` does not exist.
    """
    from fleetgen.policy.base import PolicyContext
    from fleetgen.vcs.repo import checkout_tree

    with checkout_tree(root, ref) as base_root:
        if not (base_root / "fleetgen.yaml").is_file():
            return None
        try:
            base = load_and_render(base_root)
        except ConfigError:
            return None
    if base.rendered is None:
        return None
    return PolicyContext(base.fleet, base.rendered)


def run_pipeline(root: Path, *, registry: SchemaRegistry | None = None, base_ref: str | None = None,
                 schema_locations: Sequence[Path] = ()) -> PipelineOutcome:
    """Load, render and check the fleet at `root`.

    Args:
        root: the fleet repository root.
        registry: schemas to validate against (default: `open_registry(root, schema_locations)`).
        base_ref: a git ref whose rendered fleet provides the "old" objects for transition rules.
        schema_locations: extra schema directories searched before `schemas/`.

    Returns:
        The outcome; `outcome.result.has_errors` tells whether anything may be written.

    Raises:
        ConfigError: fleetgen.yaml invalid or no schemas synced (exit 2).
        VcsError: `base_ref` cannot be read.
    """
    from fleetgen.validate.engine import check_fleet

    outcome = load_and_render(root)
    if outcome.rendered is None:
        return outcome
    if registry is None:
        registry = open_registry(root, schema_locations)
    base = base_context(root, base_ref) if base_ref else None
    checked = check_fleet(outcome.fleet, outcome.rendered, registry=registry, base=base)
    outcome.result.extend(checked.findings)
    outcome.result.objects_checked = checked.objects_checked
    outcome.result.files_checked = checked.files_checked
    return outcome
