"""The policy-rule protocol.

Owns: `Rule` (what every rule module provides) and `PolicyContext` (what a rule may look at).
A rule is a pure function of the context that yields `Finding`s; it never raises for bad input,
never prints and never touches files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from fleetgen.findings import Finding, Severity

if TYPE_CHECKING:
    from fleetgen.render.base import RenderResult
    from fleetgen.spec.load import Fleet


@dataclass(frozen=True)
class PolicyContext:
    """What a policy rule checks.

    Attributes:
        fleet: the loaded specs and addons (working tree).
        rendered: the rendered output of `fleet`.
        base: the same for the git base ref (`validate --base REF`, `plan`), or None. Transition
            rules (immutability, +1 minor upgrades) only run when it is set.
    """

    fleet: Fleet
    rendered: RenderResult
    base: PolicyContext | None = None


#: What a rule's findings depend on (`Rule.scope`); decides how the incremental pipeline runs it.
SCOPES = ("cluster", "fleet", "transition")


class Rule(Protocol):
    """One semantic rule, in its own module under `fleetgen.policy.rules`.

    Attributes:
        id: stable kebab-case rule id; never reused or renamed.
        severity: default severity of its findings.
        summary: one line for `--help` and SARIF rule descriptions.
        scope: what its findings depend on, which decides how `fleetgen.pipeline` runs it:

            * `cluster`: each finding depends on one cluster (its spec and rendered objects) or on
              one object outside the clusters' directories, never on two clusters. Its findings on a
              whole fleet are the findings on each cluster alone (a context whose fleet holds that
              cluster and no addons, whose rendered output holds that cluster's files) plus those on
              the rest (no clusters, every addon, every other file). Run per cluster and cached with
              the cluster's results.
            * `fleet`: compares clusters or addons with each other (IP overlaps, addon selection).
              Runs on the whole fleet every time; in the rendered output it sees, a cluster's
              objects file may hold only the kinds in `fleetgen.cache.FLEET_LEVEL_KINDS`.
            * `transition`: needs `ctx.base` (yields nothing without it); a run with a base ref is
              never cached.

            A rule without the attribute is treated as `fleet`.
    """

    id: str
    severity: Severity
    summary: str
    scope: str

    def check(self, ctx: PolicyContext) -> Iterable[Finding]:
        """Yield one Finding per problem, positioned at the spec field to fix."""
        ...
