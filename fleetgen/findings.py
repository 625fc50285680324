"""Findings: problems in the user's input, as data with locations.

Owns: `Position`, `Severity`, `ObjectRef`, `Finding` and `CheckResult`. Shared by spec loading,
schema validation, policy rules and reporters. Must not print or know about output formats.

Example:
    >>> result = CheckResult()
    >>> result.add(Finding("spec", Severity.ERROR, "must be odd", Position("clusters/a.yaml", 12, 5)))
    >>> result.has_errors
    True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """How bad a finding is; `--fail-on` compares against this order."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """2 for error, 1 for warning, 0 for info."""
        return {"error": 2, "warning": 1, "info": 0}[self.value]


@dataclass(frozen=True, order=True)
class Position:
    """A place in a file: 1-based line and column (0 means "unknown", only for whole-file problems).

    Raises:
        ValueError: if line or column is negative.
    """

    file: str
    line: int = 0
    col: int = 0

    def __post_init__(self) -> None:
        if self.line < 0 or self.col < 0:
            raise ValueError(f"positions are 1-based, got {self.line}:{self.col}")

    def __str__(self) -> str:
        if self.line and self.col:
            return f"{self.file}:{self.line}:{self.col}"
        if self.line:
            return f"{self.file}:{self.line}"
        return self.file


@dataclass(frozen=True)
class ObjectRef:
    """Identity of a rendered Kubernetes object."""

    api_version: str
    kind: str
    name: str
    namespace: str = ""

    def __str__(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {ns}{self.name}"


@dataclass(frozen=True)
class Finding:
    """One problem, reported at the spec position that caused it.

    Attributes:
        rule_id: stable id: reserved `parse`, `spec`, `schema`, `schema-missing`, `cel`, or a
            kebab-case policy rule id (see `fleetgen.policy.RULE_BY_ID`).
        severity: error, warning or info.
        message: lower-case sentence naming the field, what is wrong and what to do.
        position: where the user fixes it (a spec file for rendered objects, via the origin map).
        pointer: JSON pointer of the field in the document the finding is about ("" if none).
        object: the rendered object concerned, if any.
        rendered: position in the rendered output, when the finding is about a rendered object.
        hint: optional extra advice.
        also: the other rendered objects one finding stands for, when the same problem of several
            objects comes from one default of fleetgen.yaml and is reported once
            (`fleetgen.policy.emit.merge_defaults_findings`); `plan` marks each of them.
    """

    rule_id: str
    severity: Severity
    message: str
    position: Position
    pointer: str = ""
    object: ObjectRef | None = None
    rendered: Position | None = None
    hint: str = ""
    also: tuple[ObjectRef, ...] = ()

    def sort_key(self) -> tuple:
        """Sort by file, line, column, rule id, message (STYLE.md §4)."""
        p = self.position
        return (p.file, p.line, p.col, self.rule_id, self.message)

    def replace(self, **changes: object) -> Finding:
        """Return a copy with some fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


@dataclass
class CheckResult:
    """Accumulates findings and counts of what was checked."""

    findings: list[Finding] = field(default_factory=list)
    objects_checked: int = 0
    files_checked: int = 0

    def add(self, finding: Finding) -> None:
        """Add one finding."""
        self.findings.append(finding)

    def extend(self, findings: Iterable[Finding]) -> None:
        """Add several findings."""
        self.findings.extend(findings)

    def sorted(self) -> list[Finding]:
        """Findings sorted by position and rule id, duplicates removed."""
        seen: set[tuple] = set()
        out = []
        for f in sorted(self.findings, key=Finding.sort_key):
            key = (f.sort_key(), f.severity, f.pointer)
            if key not in seen:
                seen.add(key)
                out.append(f)
        return out

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.sorted())

    def count(self, severity: Severity) -> int:
        """Number of findings with exactly this severity."""
        return sum(1 for f in self.sorted() if f.severity is severity)

    @property
    def has_errors(self) -> bool:
        """True if any finding is an error."""
        return any(f.severity is Severity.ERROR for f in self.findings)

    def fails(self, fail_on: Severity) -> bool:
        """True if any finding is at or above `fail_on`."""
        return any(f.severity.rank >= fail_on.rank for f in self.findings)
