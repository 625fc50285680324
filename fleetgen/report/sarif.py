"""SARIF 2.1.0 report for code scanning.

Source: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html (runs[].tool.driver.rules,
results[].locations[].physicalLocation with originalUriBaseIds SRCROOT).
"""

from __future__ import annotations

import json
from typing import Any, TextIO
from urllib.parse import quote

from fleetgen import __version__
from fleetgen.findings import CheckResult, Severity

#: Rule ids emitted outside `fleetgen.policy` (loading, schemas, CEL, rendering, payloads, budgets).
RESERVED_RULES = {
    "parse": "YAML syntax or encoding error in a fleetgen file",
    "spec": "a spec field has the wrong type or value",
    "schema": "a rendered object does not match the pinned upstream CRD schema",
    "schema-missing": "no pinned schema for a rendered object's apiVersion/kind",
    "cel": "a rendered object violates an x-kubernetes-validations CEL rule of its CRD",
    "cel-unsupported": "a CEL rule of a CRD could not be evaluated offline",
    "unique-cluster-names": "two ClusterSpecs declare the same cluster name in the same namespace",
    "internal": "a fleetgen check failed unexpectedly (a bug)",
    "addon-schema": "an object in an addon payload does not match the core Kubernetes schema of its clusters' version",
    "no-inline-secrets": "an addon payload ships a Secret with data; no secret is ever rendered into git",
    "crs-payload-size": ("an addon file the ClusterResourceSet controller cannot apply for its size: a document over "
                         "the 1 MiB ConfigMap limit, or a file under 32 bytes (a warning: a file that ships no object)"),
    "crs-payload-key": "an addon file name is not a valid ConfigMap data key",
    "configmap-size": "a rendered ConfigMap or Secret is over the 1 MiB limit",
    "last-applied-size": "an object is over the 262144-byte last-applied-configuration annotation limit of client-side apply",
    "fleet-bundle-size": "a Fleet bundle is over the size budget (700 KiB warning, 1 MiB error, compressed)",
    "fleet-git-url": "the Fleet GitRepo URL must name a remote repository (a URL with a scheme, or git@host:path)",
    "flux-git-url": "the Flux GitRepository URL must be http(s):// or ssh:// (scp-style git@host:path is rejected)",
    "output-layout": "the output tree would contain a directory Fleet treats specially (templates/)",
    "output-edited": ("an output file differs from what the specs render and from the base ref (`validate --base`): "
                      "edited by hand; the GitOps agent applies it as it is"),
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


def sarif_dict(result: CheckResult, *, folder: str = "") -> dict[str, Any]:
    """The SARIF log as a dict; artifact URIs are relative to the git repository's top level
    (`folder` is the fleet's folder in it, "" at the top level)."""
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
        # a relative URI reference: a space or `#` in a file name must be percent-encoded (RFC 3986)
        file = f"{folder}/{f.position.file}" if folder and f.position.file else f.position.file
        loc: dict[str, Any] = {"artifactLocation": {"uri": quote(file, safe="/", errors="surrogateescape"), "uriBaseId": "SRCROOT"}}
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
            # fleetgen counts columns in characters (code points, as the YAML parser does); SARIF
            # consumers otherwise assume UTF-16 code units (SARIF 2.1.0 §3.14.17 `columnKind`)
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": {"SRCROOT": {"description": {"text": "the top level of the git repository holding the fleet"}}},
            "results": results,
        }],
    }


def write_sarif(result: CheckResult, stream: TextIO, *, folder: str = "") -> None:
    """Write the SARIF log as indented JSON (`folder`: see `sarif_dict`)."""
    json.dump(sarif_dict(result, folder=folder), stream, indent=2)
    stream.write("\n")
