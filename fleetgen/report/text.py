"""Plain-text report: `path:line:col: severity [rule] message`, then a summary line."""

from __future__ import annotations

from typing import TextIO

from fleetgen.findings import CheckResult, Finding, Severity


def format_finding(f: Finding) -> str:
    """One finding as `path:line:col: severity [rule] message` plus `  ↳` lines for context."""
    lines = [f"{f.position}: {f.severity.value} [{f.rule_id}] {f.message}"]
    if f.object is not None and f.rendered is not None:
        lines.append(f"  ↳ in {f.object} ({f.rendered.file})")
    elif f.object is not None:
        lines.append(f"  ↳ in {f.object}")
    if f.hint:
        lines.append(f"  hint: {f.hint}")
    return "\n".join(lines)


def summary_line(result: CheckResult) -> str:
    """`N objects in M files - errors: E, warnings: W`."""
    return (f"{result.objects_checked} objects in {result.files_checked} files - "
            f"errors: {result.count(Severity.ERROR)}, warnings: {result.count(Severity.WARNING)}")


def write_text(result: CheckResult, stream: TextIO, *, verbose: bool = False) -> None:
    """Write every finding (info only when verbose), then the summary line."""
    for f in result.sorted():
        if f.severity is Severity.INFO and not verbose:
            continue
        stream.write(format_finding(f) + "\n")
    stream.write(summary_line(result) + "\n")
