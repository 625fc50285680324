"""`fleetgen scale` end to end on a real git repository: one spec line, one rendered field."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

KV_SPEC = "clusters/kubevirt/kv-demo.yaml"
PVE_SPEC = "clusters/proxmox/pve-demo.yaml"

Cli = Callable[..., Any]

FLOW_SPEC = """\
# flow-style spec with comments
apiVersion: fleetgen.dev/v1alpha1
kind: ClusterSpec
metadata: {name: kv-demo, labels: {env: demo, "fleetgen.dev/baseline": enabled}}
spec:
  hypervisor: kubevirt
  clusterNetwork: {pods: [10.243.0.0/16], services: [10.95.0.0/16]}
  controlPlane: {replicas: 1, machine: {cpus: 2, memory: 4Gi}}   # one CP
  workers:
    - {name: md-0, replicas: 3, machine: {cpus: 2, memory: 4Gi}}  # the pool
  kubevirt: {image: "quay.io/capk/ubuntu-2404-container-disk:v1.33.1", controlPlaneServiceType: ClusterIP}
"""


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` and return stdout (raises on failure)."""
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def spec_diff_lines(root: Path, path: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines of `git diff` for one file."""
    diff = git(root, "diff", "--unified=0", "--", path).splitlines()
    minus = [d[1:] for d in diff if d.startswith("-") and not d.startswith("---")]
    plus = [d[1:] for d in diff if d.startswith("+") and not d.startswith("+++")]
    return minus, plus


def leaf_diff(old: Any, new: Any, pointer: str = "") -> list[str]:
    """JSON pointers of every differing leaf (lists compared item by item)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            if key not in old or key not in new:
                out.append(f"{pointer}/{key}")
            else:
                out.extend(leaf_diff(old[key], new[key], f"{pointer}/{key}"))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [p for i, (a, b) in enumerate(zip(old, new, strict=True)) for p in leaf_diff(a, b, f"{pointer}/{i}")]
    return [] if old == new else [pointer]


def rendered_objects(texts: dict[str, str]) -> dict[tuple[str, str, str], Any]:
    out = {}
    for text in texts.values():
        for doc in yaml.safe_load_all(text):
            if isinstance(doc, dict) and "kind" in doc:
                out[(doc["kind"], doc["metadata"].get("namespace", ""), doc["metadata"]["name"])] = doc
    return out


def fleet_files_at_head(root: Path) -> dict[str, str]:
    names = git(root, "ls-tree", "-r", "--name-only", "HEAD", "fleet").split()
    return {n: git(root, "show", f"HEAD:{n}") for n in names if n.endswith(".yaml")}


def fleet_files_on_disk(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in (root / "fleet").rglob("*.yaml")}


def test_scale_pool_changes_one_spec_line_and_one_rendered_field(rendered_repo: Path, cli: Cli) -> None:
    result = cli("--repo", str(rendered_repo), "scale", "kv-demo", "md-0", "4")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == "scaled kv-demo/md-0 3 → 4 (clusters/kubevirt/kv-demo.yaml:19)"
    assert spec_diff_lines(rendered_repo, KV_SPEC) == (["      replicas: 3"], ["      replicas: 4"])
    changed = sorted(line.split()[-1] for line in git(rendered_repo, "status", "--porcelain").splitlines())
    assert changed == [KV_SPEC, "fleet/clusters/clusters/kv-demo/cluster.yaml"]
    old, new = rendered_objects(fleet_files_at_head(rendered_repo)), rendered_objects(fleet_files_on_disk(rendered_repo))
    assert old.keys() == new.keys()
    diffs = {key: leaf_diff(old[key], new[key]) for key in old if old[key] != new[key]}
    assert diffs == {("MachineDeployment", "clusters", "kv-demo-md-0"): ["/spec/replicas"]}
    assert new[("MachineDeployment", "clusters", "kv-demo-md-0")]["spec"]["replicas"] == 4


def test_scale_flow_style_spec_keeps_layout_and_comments(rendered_repo: Path, cli: Cli) -> None:
    (rendered_repo / KV_SPEC).write_text(FLOW_SPEC)
    assert cli("--repo", str(rendered_repo), "render").exit_code == 0
    git(rendered_repo, "commit", "-q", "-am", "flow style")
    result = cli("--repo", str(rendered_repo), "scale", "kv-demo", "md-0", "5")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert spec_diff_lines(rendered_repo, KV_SPEC) == (
        ["    - {name: md-0, replicas: 3, machine: {cpus: 2, memory: 4Gi}}  # the pool"],
        ["    - {name: md-0, replicas: 5, machine: {cpus: 2, memory: 4Gi}}  # the pool"])
    result = cli("--repo", str(rendered_repo), "scale", "kv-demo", "--control-plane", "3")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "scaled kv-demo/control-plane 1 → 3 (clusters/kubevirt/kv-demo.yaml:8)" in result.stdout
    minus, plus = spec_diff_lines(rendered_repo, KV_SPEC)
    assert "  controlPlane: {replicas: 3, machine: {cpus: 2, memory: 4Gi}}   # one CP" in plus
    assert len(minus) == len(plus) == 2


def test_scale_keeps_a_byte_order_mark_the_spec_starts_with(rendered_repo: Path, cli: Cli) -> None:
    """render and validate accept a spec saved with a UTF-8 BOM (some Windows editors); so does
    scale, which changes the one line and keeps the mark."""
    path = rendered_repo / KV_SPEC
    original = path.read_bytes()
    path.write_bytes(b"\xef\xbb\xbf" + original)
    git(rendered_repo, "commit", "-q", "-am", "bom")
    for argv in (["scale", "kv-demo", "md-0", "4"], ["scale", "kv-demo", "--control-plane", "3"]):
        result = cli("--repo", str(rendered_repo), *argv)
        assert result.exit_code == 0, result.stdout + result.stderr
    expected = original.replace(b"      replicas: 3\n", b"      replicas: 4\n", 1)
    expected = expected.replace(b"  controlPlane:\n    replicas: 1\n", b"  controlPlane:\n    replicas: 3\n", 1)
    assert path.read_bytes() == b"\xef\xbb\xbf" + expected


def test_scale_control_plane_inherited_from_defaults_inserts_the_key(rendered_repo: Path, cli: Cli) -> None:
    config = rendered_repo / "fleetgen.yaml"
    config.write_text(config.read_text().replace("    kubernetesVersion: v1.33.1\n",
                                                 "    kubernetesVersion: v1.33.1\n    controlPlane:\n      replicas: 1\n"))
    spec = rendered_repo / KV_SPEC
    spec.write_text(spec.read_text().replace("    replicas: 1\n    machine: {cpus: 2, memory: 4Gi}\n",
                                             "    machine: {cpus: 2, memory: 4Gi}\n"))
    git(rendered_repo, "commit", "-q", "-am", "control plane replicas from the defaults")
    result = cli("--repo", str(rendered_repo), "scale", "kv-demo", "--control-plane", "3")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "was inherited from fleetgen.yaml:" in result.stdout
    assert spec_diff_lines(rendered_repo, KV_SPEC) == ([], ["    replicas: 3"])
    assert git(rendered_repo, "diff", "--", "fleetgen.yaml") == ""


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["scale", "nope", "md-0", "4"], 2, "fleetgen: error: unknown cluster 'nope'; known: kv-demo, pve-demo"),
    (["scale", "kv-demo", "md-9", "4"], 2, "fleetgen: error: unknown pool 'md-9' in cluster kv-demo; known: md-0"),
    (["scale", "kv-demo", "md-0", "--", "-1"], 2, "-1 is not in the range 0<=x<=1000"),
    (["scale", "kv-demo", "--control-plane", "-1"], 2, "-1 is not in the range 1<=x<=15"),
    (["scale", "kv-demo", "--control-plane", "2"], 1,
     "fleetgen: error: clusters/kubevirt/kv-demo.yaml:15: spec.controlPlane.replicas: must be odd for stacked etcd, got 2"),
    (["scale", "kv-demo", "md-0"], 2, "missing POOL and REPLICAS (or --control-plane N)"),
    (["scale", "kv-demo", "md-0", "3", "--control-plane", "3"], 2, "give either POOL REPLICAS or --control-plane N"),
], ids=["unknown-cluster", "unknown-pool", "negative-replicas", "negative-control-plane", "even-control-plane",
        "missing-replicas", "both-forms"])
def test_scale_refusals_exit_with_a_message_and_touch_nothing(rendered_repo: Path, cli: Cli, argv: list[str], code: int,
                                                              message: str) -> None:
    result = cli("--repo", str(rendered_repo), *argv)
    assert result.exit_code == code, result.stdout + result.stderr
    assert message in result.stderr
    assert git(rendered_repo, "status", "--porcelain") == ""


def test_scale_autoscaled_pool_is_refused(rendered_repo: Path, cli: Cli) -> None:
    spec = rendered_repo / KV_SPEC
    spec.write_text(spec.read_text().replace("      replicas: 3\n", "      autoscaling: {minReplicas: 1, maxReplicas: 6}\n"))
    assert cli("--repo", str(rendered_repo), "render").exit_code == 0
    git(rendered_repo, "commit", "-q", "-am", "autoscale md-0")
    result = cli("--repo", str(rendered_repo), "scale", "kv-demo", "md-0", "4")
    assert result.exit_code == 1
    assert ("pool md-0 is autoscaled (1..6); change autoscaling.minReplicas/maxReplicas instead") in result.stderr
    assert git(rendered_repo, "status", "--porcelain") == ""


def test_scale_to_the_current_value_writes_nothing(rendered_repo: Path, cli: Cli) -> None:
    before = {p: p.stat().st_mtime_ns for p in (rendered_repo / "fleet").rglob("*.yaml")}
    result = cli("--repo", str(rendered_repo), "scale", "kv-demo", "md-0", "3")
    assert result.exit_code == 0
    assert "kv-demo/md-0 already has 3 replicas" in result.stdout
    assert git(rendered_repo, "status", "--porcelain") == ""
    assert {p: p.stat().st_mtime_ns for p in (rendered_repo / "fleet").rglob("*.yaml")} == before


def test_scale_restores_the_spec_byte_for_byte_when_validation_fails(rendered_repo: Path, cli: Cli) -> None:
    # a problem only the policy rules see (the kube-vip address inside the node range): the specs
    # load, the render does not validate, so the scaled spec must be put back
    pve = rendered_repo / PVE_SPEC
    pve.write_text(pve.read_text().replace("{host: 10.10.10.9, port: 6443}", "{host: 10.10.10.12, port: 6443}"))
    spec = rendered_repo / KV_SPEC
    original = spec.read_bytes()
    result = cli("--repo", str(rendered_repo), "scale", "kv-demo", "md-0", "4")
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "clusters/proxmox/pve-demo.yaml:" in result.stdout
    assert "nothing scaled: clusters/kubevirt/kv-demo.yaml restored" in result.stderr
    assert spec.read_bytes() == original
    assert git(rendered_repo, "status", "--porcelain").split() == ["M", PVE_SPEC]
