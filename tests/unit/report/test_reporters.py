"""Report formats: text lines, stable JSON, GitHub annotations, SARIF 2.1.0."""

from __future__ import annotations

import io
import json

from fleetgen.findings import CheckResult, Finding, ObjectRef, Position, Severity
from fleetgen.report import write_report


def _result() -> CheckResult:
    r = CheckResult(objects_checked=14, files_checked=6)
    r.add(Finding("cp-replicas-odd", Severity.ERROR, "spec.controlPlane.replicas: must be odd for stacked etcd, got 2",
                  Position("clusters/b.yaml", 12, 5), pointer="/spec/controlPlane/replicas"))
    r.add(Finding("schema", Severity.WARNING, "KubevirtMachineTemplate x: spec: bad, really",
                  Position("clusters/a.yaml", 3, 1), object=ObjectRef("infrastructure.cluster.x-k8s.io/v1alpha1", "KubevirtMachineTemplate", "x", "clusters"),
                  rendered=Position("fleet/clusters/clusters/a/cluster.yaml")))
    return r


def _render(fmt: str) -> str:
    out = io.StringIO()
    write_report(_result(), fmt, out)
    return out.getvalue()


def test_text_report_sorted_lines_and_summary() -> None:
    assert _render("text").splitlines() == [
        "clusters/a.yaml:3:1: warning [schema] KubevirtMachineTemplate x: spec: bad, really",
        "  ↳ in KubevirtMachineTemplate clusters/x (fleet/clusters/clusters/a/cluster.yaml)",
        "clusters/b.yaml:12:5: error [cp-replicas-odd] spec.controlPlane.replicas: must be odd for stacked etcd, got 2",
        "14 objects in 6 files - errors: 1, warnings: 1",
    ]


def test_json_report_versioned_with_stable_keys() -> None:
    data = json.loads(_render("json"))
    assert data["version"] == 1
    assert data["summary"] == {"objects": 14, "files": 6, "errors": 1, "warnings": 1, "infos": 0}
    first = data["findings"][0]
    assert sorted(first) == ["col", "file", "hint", "line", "message", "object", "pointer", "rendered_file", "rule_id", "severity"]
    assert (first["file"], first["line"], first["rule_id"]) == ("clusters/a.yaml", 3, "schema")


def test_github_report_escapes_properties_and_groups_by_file() -> None:
    lines = _render("github").splitlines()
    assert lines[0] == "::group::clusters/a.yaml"
    assert lines[1] == "::warning file=clusters/a.yaml,line=3,col=1,title=schema::KubevirtMachineTemplate x: spec: bad, really"
    assert "::error file=clusters/b.yaml,line=12,col=5,title=cp-replicas-odd::" in lines[4]


def test_github_format_chosen_automatically_in_actions(monkeypatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert _render("auto").startswith("::group::")


def test_sarif_report_results_reference_declared_rules() -> None:
    log = json.loads(_render("sarif"))
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert "schema" in rule_ids and "cel" in rule_ids
    for res in run["results"]:
        assert rule_ids[res["ruleIndex"]] == res["ruleId"]
    region = run["results"][1]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 12, "startColumn": 5}


def test_sarif_uri_is_percent_encoded() -> None:
    # a space or '#' in a file name must not turn into a broken URI (code scanning reads '#1' as a fragment)
    result = CheckResult()
    result.add(Finding("cp-replicas-odd", Severity.ERROR, "x", Position("clusters/kv demo#1.yaml", 2, 3)))
    out = io.StringIO()
    write_report(result, "sarif", out)
    location = json.loads(out.getvalue())["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "clusters/kv%20demo%231.yaml"


def test_info_findings_only_with_verbose_in_every_format() -> None:
    """Regression: json, github and sarif listed info findings without -v (a notice on every PR)."""
    result = _result()
    result.add(Finding("schema-unknown-kind", Severity.INFO, "Installation default: no schema, not checked",
                       Position("crs/calico/calico-installation.yaml", 1, 1)))
    for fmt in ("text", "json", "github", "sarif"):
        quiet, loud = io.StringIO(), io.StringIO()
        write_report(result, fmt, quiet)
        write_report(result, fmt, loud, verbose=True)
        assert "no schema, not checked" not in quiet.getvalue(), fmt
        assert "no schema, not checked" in loud.getvalue(), fmt
    summary = io.StringIO()
    write_report(result, "json", summary)
    assert json.loads(summary.getvalue())["summary"]["infos"] == 0


def test_values_from_the_input_cannot_break_a_finding_over_lines_or_inject_a_workflow_command() -> None:
    """A file name or quoted value holding a line break must not start a line of its own: in CI,
    a line `::warning ...` is a workflow command, and a terminal runs escape sequences."""
    result = CheckResult()
    result.add(Finding("spec", Severity.ERROR, "spec.resources[0]: file crs/nl/x\n::warning file=README.md::injected does not exist",
                       Position("crs/nl/addon.yaml", 7, 15), hint="fix \x1b[31mit"))
    result.add(Finding("cp-replicas-odd", Severity.ERROR, "x", Position("clusters/x\n::notice::pwn%25.yaml", 1, 1)))
    text = _render_result(result, "text").splitlines()
    assert text[0] == "clusters/x\\n::notice::pwn%25.yaml:1:1: error [cp-replicas-odd] x"
    assert text[1] == ("crs/nl/addon.yaml:7:15: error [spec] spec.resources[0]: file crs/nl/x\\n::warning "
                       "file=README.md::injected does not exist")
    assert text[2] == "  hint: fix \\x1b[31mit"
    github = _render_result(result, "github").splitlines()
    assert github[0] == "::group::clusters/x%0A::notice::pwn%2525.yaml"
    assert not [line for line in github if line.startswith(("::notice", "::warning"))]
    assert all(line.startswith(("::group::", "::endgroup::", "::error ")) for line in github[:-1])


def test_sarif_declares_that_columns_count_code_points() -> None:
    """fleetgen's columns count characters; SARIF consumers assume UTF-16 code units unless told."""
    assert json.loads(_render("sarif"))["runs"][0]["columnKind"] == "unicodeCodePoints"


def _render_result(result: CheckResult, fmt: str) -> str:
    out = io.StringIO()
    write_report(result, fmt, out)
    return out.getvalue()
