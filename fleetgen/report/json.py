"""JSON report, versioned and stable: `{"version": 1, "summary": {...}, "findings": [...]}`.

The field set is part of the contract: keys are snake_case, new keys may be added, none removed.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from fleetgen.findings import CheckResult, Finding, Severity

SCHEMA_VERSION = 1


def finding_to_dict(f: Finding) -> dict[str, Any]:
    """A finding as a JSON-ready dict (stable keys)."""
    return {
        "rule_id": f.rule_id,
        "severity": f.severity.value,
        "message": f.message,
        "file": f.position.file,
        "line": f.position.line,
        "col": f.position.col,
        "pointer": f.pointer,
        "object": None if f.object is None else {
            "api_version": f.object.api_version, "kind": f.object.kind,
            "namespace": f.object.namespace, "name": f.object.name,
        },
        "rendered_file": f.rendered.file if f.rendered else None,
        "hint": f.hint or None,
    }


def report_dict(result: CheckResult) -> dict[str, Any]:
    """The whole report as a dict."""
    return {
        "version": SCHEMA_VERSION,
        "summary": {
            "objects": result.objects_checked,
            "files": result.files_checked,
            "errors": result.count(Severity.ERROR),
            "warnings": result.count(Severity.WARNING),
            "infos": result.count(Severity.INFO),
        },
        "findings": [finding_to_dict(f) for f in result.sorted()],
    }


def write_json(result: CheckResult, stream: TextIO) -> None:
    """Write the JSON report (indented, sorted findings, trailing newline)."""
    json.dump(report_dict(result), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
