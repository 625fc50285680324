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


class Rule(Protocol):
    """One semantic rule, in its own module under `fleetgen.policy.rules`.

    Attributes:
        id: stable kebab-case rule id; never reused or renamed.
        severity: default severity of its findings.
        summary: one line for `--help` and SARIF rule descriptions.
    """

    id: str
    severity: Severity
    summary: str

    def check(self, ctx: PolicyContext) -> Iterable[Finding]:
        """Yield one Finding per problem, positioned at the spec field to fix."""
        ...
