"""SARIF 2.1.0 report for code scanning.

Source: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html (runs[].tool.driver.rules,
results[].locations[].physicalLocation with originalUriBaseIds SRCROOT).
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from fleetgen import __version__
from fleetgen.findings import CheckResult, Severity

#: Rule ids that are not policy rules (STYLE.md §3), with their descriptions.
RESERVED_RULES = {
    "parse": "YAML syntax or encoding error in a fleetgen file",
    "spec": "a spec field has the wrong type or value",
    "schema": "a rendered object does not match the pinned upstream CRD schema",
    "schema-missing": "no pinned schema for a rendered object's apiVersion/kind",
    "cel": "a rendered object violates an x-kubernetes-validations CEL rule of its CRD",
    "cel-unsupported": "a CEL rule of a CRD could not be evaluated offline",
    "unique-cluster-names": "two ClusterSpecs declare the same cluster name",
    "internal": "a fleetgen check failed unexpectedly (a bug)",
}
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rules() -> dict[str, str]:
    rules = dict(RESERVED_RULES)
    try:
        from fleetgen.policy import RULE_BY_ID
    except ImportError:  # pragma: no cover - the policy package always exists in a release
        RULE_BY_ID = {}
    for rule_id, rule in RULE_BY_ID.items():
        rules[rule_id] = rule.summary
    return dict(sorted(rules.items()))


def sarif_dict(result: CheckResult) -> dict[str, Any]:
    """The SARIF log as a dict."""
    rules = _rules()
    for f in result.findings:
        rules.setdefault(f.rule_id, f.rule_id)
    ids = list(rules)
    results = []
    for f in result.sorted():
        region: dict[str, int] = {}
        if f.position.line:
            region["startLine"] = f.position.line
        if f.position.col:
            region["startColumn"] = f.position.col
        loc: dict[str, Any] = {"artifactLocation": {"uri": f.position.file, "uriBaseId": "SRCROOT"}}
        if region:
            loc["region"] = region
        results.append({
            "ruleId": f.rule_id,
            "ruleIndex": ids.index(f.rule_id),
            "level": _LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [{"physicalLocation": loc}],
        })
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "fleetgen",
                "version": __version__,
                "informationUri": "https://github.com/fleetgen/fleetgen",
                "rules": [{"id": rid, "shortDescription": {"text": text}} for rid, text in rules.items()],
            }},
            "originalUriBaseIds": {"SRCROOT": {"description": {"text": "the fleet repository root"}}},
            "results": results,
        }],
    }


def write_sarif(result: CheckResult, stream: TextIO) -> None:
    """Write the SARIF log as indented JSON."""
    json.dump(sarif_dict(result), stream, indent=2)
    stream.write("\n")
