"""Plain-text report: `path:line:col: severity [rule] message`, then a summary line."""

from __future__ import annotations

from typing import TextIO

from fleetgen.findings import CheckResult, Finding, Severity

#: Control characters (C0, DEL, C1) as escapes: a value quoted from the input (a file name, a
#: payload path) must not break a finding over two lines, nor start a line a CI runner reads as a
#: command (`::warning ...`) or a terminal as an escape sequence.
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7f, 0xa0))} | {0x09: "\\t", 0x0a: "\\n", 0x0d: "\\r"}


def one_line(text: str) -> str:
    """`text` with its control characters escaped (`\\n`, `\\r`, `\\t`, `\\xNN`): one terminal line."""
    return text.translate(_CONTROL) if not text.isprintable() else text


def format_finding(f: Finding) -> str:
    """One finding as `path:line:col: severity [rule] message` plus `  ↳` lines for context; each
    line holds no control character (`one_line`)."""
    lines = [one_line(f"{f.position}: {f.severity.value} [{f.rule_id}] {f.message}")]
    if f.object is not None and f.rendered is not None:
        lines.append(one_line(f"  ↳ in {f.object} ({f.rendered.file})"))
    elif f.object is not None:
        lines.append(one_line(f"  ↳ in {f.object}"))
    if f.hint:
        lines.append(one_line(f"  hint: {f.hint}"))
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
