"""`validate --base` on an addon whose strategy or cluster selector changes in its spec: fleetgen renders
a new ClusterResourceSet (the name carries a hash of both), so the webhook never sees an update; the
change is a crs-immutable warning at the addon's field, saying what the replacement does."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Cli = Callable[..., Any]


@pytest.mark.parametrize(("path", "old", "new", "line"), [
    ("crs/baseline/addon.yaml", "strategy: ApplyOnce", "strategy: Reconcile", 10),
    ("crs/calico/addon.yaml", "      cni: calico\n", "      cni: calico\n      env: demo\n", 8),
], ids=["strategy", "selector"])
def test_addon_strategy_or_selector_change_is_a_warning_at_the_addon(rendered_repo: Path, cli: Cli, path: str,
                                                                     old: str, new: str, line: int) -> None:
    addon = rendered_repo / path
    assert old in addon.read_text()
    addon.write_text(addon.read_text().replace(old, new, 1))
    assert cli("--repo", str(rendered_repo), "render").exit_code == 0
    result = cli("--repo", str(rendered_repo), "validate", "--base", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    found = [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == "crs-immutable"]
    assert [(f["file"], f["line"], f["severity"]) for f in found] == [(path, line, "warning")]
    assert "applies the payload again" in found[0]["message"]


NAMESPACE_FILE = "crs/baseline/platform-namespace.yaml"  # (the baseline addon is ApplyOnce)


def _payload_findings(repo: Path, cli: Cli) -> list[tuple[str, int, str]]:
    assert cli("--repo", str(repo), "render").exit_code == 0
    result = cli("--repo", str(repo), "validate", "--base", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    return [(f["file"], f["line"], f["message"]) for f in json.loads(result.stdout)["findings"]
            if f["rule_id"] == "crs-payload-change"]


def test_apply_once_payload_change_is_reported_at_the_changed_line_of_the_payload(rendered_repo: Path, cli: Cli) -> None:
    path = rendered_repo / NAMESPACE_FILE
    text = path.read_text()
    path.write_text(text.replace("        cpu: 500m\n", "        cpu: 750m\n", 1))
    line = text.splitlines().index("        cpu: 500m") + 1
    ((file, at, message),) = _payload_findings(rendered_repo, cli)
    assert (file, at) == (NAMESPACE_FILE, line)
    assert "changed (LimitRange default-limits), but the addon's strategy is ApplyOnce" in message


def test_apply_once_payload_file_added_is_reported_at_the_new_file(rendered_repo: Path, cli: Cli) -> None:
    """The ConfigMap keeps its name, and ApplyOnce never applies a resource again: the clusters
    the addon already reached never get the new file's objects."""
    (rendered_repo / "crs/baseline/quota.yaml").write_text(
        "# a quota for platform tooling\napiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: q\n"
        "  namespace: platform-system\nspec:\n  hard:\n    pods: \"10\"\n")
    addon = rendered_repo / "crs/baseline/addon.yaml"
    addon.write_text(addon.read_text().replace("    - platform-rbac.yaml\n", "    - platform-rbac.yaml\n    - quota.yaml\n"))
    ((file, at, message),) = _payload_findings(rendered_repo, cli)
    assert (file, at) == ("crs/baseline/quota.yaml", 2)
    assert "quota.yaml was added" in message and "never get its objects (ResourceQuota q)" in message


@pytest.mark.parametrize("edit", ["comment", "document order", "object moved to a new file"])
def test_apply_once_payload_edits_that_ship_the_same_objects_pass(rendered_repo: Path, cli: Cli, edit: str) -> None:
    path = rendered_repo / NAMESPACE_FILE
    text = path.read_text()
    docs = text.split("---\n")
    if edit == "comment":
        path.write_text(text.replace("# Written for", "# Edited: written for", 1))
    elif edit == "document order":
        path.write_text("---\n".join([docs[0], docs[2], docs[1].rstrip("\n") + "\n"]))
    else:
        path.write_text("---\n".join(docs[:2]))
        (rendered_repo / "crs/baseline/netpol.yaml").write_text("# moved\n" + docs[2])
        addon = rendered_repo / "crs/baseline/addon.yaml"
        addon.write_text(addon.read_text().replace("    - platform-rbac.yaml\n", "    - platform-rbac.yaml\n    - netpol.yaml\n"))
    assert _payload_findings(rendered_repo, cli) == []


def _add_team2_cluster(repo: Path, cli: Cli) -> None:
    """Commit a second opted-in cluster in namespace team2: the baseline addon is rendered into two namespaces."""
    spec = repo / "clusters/kubevirt/kv-demo.yaml"
    (repo / "clusters/kubevirt/kv-team2.yaml").write_text(
        spec.read_text().replace("  name: kv-demo\n", "  name: kv-team2\n  namespace: team2\n"))
    assert cli("--repo", str(repo), "render").exit_code == 0
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "team2"], cwd=repo, check=True)


def test_apply_once_payload_change_rendered_into_two_namespaces_is_reported_once(rendered_repo: Path, cli: Cli) -> None:
    _add_team2_cluster(rendered_repo, cli)
    path = rendered_repo / NAMESPACE_FILE
    text = path.read_text()
    path.write_text(text.replace("        cpu: 500m\n", "        cpu: 750m\n", 1))
    line = text.splitlines().index("        cpu: 500m") + 1
    assert [(file, at) for file, at, _ in _payload_findings(rendered_repo, cli)] == [(NAMESPACE_FILE, line)]


@pytest.mark.parametrize("removal", ["payload file", "object of a payload file"])
def test_payload_removal_rendered_into_two_namespaces_is_reported_once(rendered_repo: Path, cli: Cli,
                                                                       removal: str) -> None:
    """One warning for the line removed, not one per namespace the addon's ConfigMap is rendered into."""
    _add_team2_cluster(rendered_repo, cli)
    addon = rendered_repo / "crs/baseline/addon.yaml"
    lines = addon.read_text().splitlines()
    if removal == "payload file":
        addon.write_text(addon.read_text().replace("    - platform-rbac.yaml\n", ""))
        where = ("crs/baseline/addon.yaml", lines.index("  resources:") + 1)
    else:
        path = rendered_repo / NAMESPACE_FILE
        path.write_text("---\n".join(path.read_text().split("---\n")[:2]))  # (drops the NetworkPolicy)
        where = ("crs/baseline/addon.yaml", lines.index("    - platform-namespace.yaml") + 1)
    found = _payload_findings(rendered_repo, cli)
    assert [f[:2] for f in found] == [where], found
    assert "stay in every workload cluster it reached" in found[0][2]
