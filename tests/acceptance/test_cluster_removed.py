"""`validate --base` on a change that removes a running cluster: a rename or a namespace move (one edited
field that deletes a cluster) is a warning at that field; a deleted spec file is an info (shown with -v)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

Cli = Callable[..., Any]
KV_SPEC = "clusters/kubevirt/kv-demo.yaml"


def _validate(cli: Cli, root: Path, *args: str) -> list[dict[str, Any]]:
    result = cli("--repo", str(root), "validate", "--base", "HEAD", "--format", "json", *args)
    assert result.exit_code == 0, result.stdout + result.stderr
    return [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == "cluster-removed"]


def test_rename_of_a_running_cluster_is_a_warning_at_its_name(rendered_repo: Path, cli: Cli) -> None:
    spec = rendered_repo / KV_SPEC
    spec.write_text(spec.read_text().replace("  name: kv-demo\n", "  name: kv-demo-2\n"))
    assert cli("--repo", str(rendered_repo), "render", "--allow-delete", "kv-demo").exit_code == 0
    [finding] = _validate(cli, rendered_repo)
    assert (finding["file"], finding["line"], finding["severity"]) == (KV_SPEC, 5, "warning")
    assert "renamed from kv-demo" in finding["message"] and "keepResources: true" in finding["message"]


def test_namespace_move_from_defaults_is_a_warning_per_cluster_at_fleetgen_yaml(rendered_repo: Path, cli: Cli) -> None:
    config = rendered_repo / "fleetgen.yaml"
    text = config.read_text()
    assert text.count("namespace: clusters") == 1
    config.write_text(text.replace("namespace: clusters", "namespace: workload"))
    assert cli("--repo", str(rendered_repo), "render", "--allow-delete", "kv-demo",
               "--allow-delete", "pve-demo").exit_code == 0
    found = _validate(cli, rendered_repo)
    moves = [f for f in found if f["file"] == "fleetgen.yaml"]
    assert [f["severity"] for f in moves] == ["warning"] * 2
    assert all("moves from namespace clusters to workload" in f["message"] for f in moves)
    # Fleet keeps clusters/pve-demo running: the moved copy's VIP and node range are still its
    held = [(f["file"], f["line"], f["severity"]) for f in found if f["file"] != "fleetgen.yaml"]
    assert held == [("clusters/proxmox/pve-demo.yaml", 26, "warning"), ("clusters/proxmox/pve-demo.yaml", 28, "warning")]


def test_new_proxmox_cluster_on_the_addresses_of_a_removed_kept_one_is_warned(rendered_repo: Path, cli: Cli) -> None:
    """Fleet keeps a removed cluster running (keepResources): its VIP and node addresses are not free."""
    old = rendered_repo / "clusters/proxmox/pve-demo.yaml"
    (rendered_repo / "clusters/proxmox/pve-new.yaml").write_text(
        old.read_text().replace("  name: pve-demo\n", "  name: pve-new\n").replace("templateID: 100", "templateID: 101"))
    (rendered_repo / "clusters/proxmox/pve-other.yaml").write_text(  # same addresses, other bridge: not held
        old.read_text().replace("  name: pve-demo\n", "  name: pve-other\n").replace("templateID: 100", "templateID: 102")
        .replace("bridge: vmbr0", "bridge: vmbr1"))
    old.unlink()
    assert cli("--repo", str(rendered_repo), "render", "--allow-delete", "pve-demo").exit_code == 0
    found = _validate(cli, rendered_repo, "-v")
    held = [(f["file"], f["line"], f["message"].split(";")[0]) for f in found if f["severity"] == "warning"]
    assert held == [
        ("clusters/proxmox/pve-new.yaml", 26, "spec.proxmox.controlPlaneEndpoint.host: 10.10.10.9 is still the "
         "control-plane endpoint of cluster clusters/pve-demo, which this change removes from git but Fleet keeps "
         "running (GitRepo keepResources)"),
        ("clusters/proxmox/pve-new.yaml", 28, "spec.proxmox.ipv4.addresses[0]: 10.10.10.10-10.10.10.20 holds node or "
         "control-plane addresses still in use by cluster clusters/pve-demo, which this change removes from git but "
         "Fleet keeps running (GitRepo keepResources), on bridge vmbr0"),
    ]
    assert all("kubectl delete cluster -n clusters pve-demo" in f["hint"] for f in found if f["severity"] == "warning")


def test_deleted_spec_is_an_info_shown_with_verbose(rendered_repo: Path, cli: Cli) -> None:
    subprocess.run(["git", "rm", "-q", KV_SPEC], cwd=rendered_repo, check=True)
    assert cli("--repo", str(rendered_repo), "render", "--allow-delete", "kv-demo").exit_code == 0
    assert _validate(cli, rendered_repo) == []
    [finding] = _validate(cli, rendered_repo, "-v")
    assert (finding["file"], finding["severity"]) == (KV_SPEC, "info")
    assert "is removed by this change" in finding["message"]


def test_rename_with_the_file_is_a_warning_at_the_new_name(rendered_repo: Path, cli: Cli) -> None:
    """Regression: `git mv` plus a new name read as a deleted spec (an info at a file that is gone)."""
    subprocess.run(["git", "mv", KV_SPEC, "clusters/kubevirt/kv-prod.yaml"], cwd=rendered_repo, check=True)
    spec = rendered_repo / "clusters/kubevirt/kv-prod.yaml"
    spec.write_text(spec.read_text().replace("  name: kv-demo\n", "  name: kv-prod\n"))
    assert cli("--repo", str(rendered_repo), "render", "--allow-delete", "kv-demo").exit_code == 0
    [finding] = _validate(cli, rendered_repo)
    assert (finding["file"], finding["line"], finding["severity"]) == ("clusters/kubevirt/kv-prod.yaml", 5, "warning")
    assert "renamed from kv-demo" in finding["message"]


def test_deleting_one_of_two_same_name_clusters_is_not_a_move(rendered_repo: Path, cli: Cli) -> None:
    """Regression: removing kv-demo of namespace staging, while kv-demo of namespace clusters stays, read as a move."""
    staging = rendered_repo / "clusters/kubevirt/kv-staging.yaml"
    staging.write_text((rendered_repo / KV_SPEC).read_text().replace("  name: kv-demo\n", "  name: kv-demo\n  namespace: staging\n"))
    assert cli("--repo", str(rendered_repo), "render").exit_code == 0
    subprocess.run(["git", "add", "-A"], cwd=rendered_repo, check=True)
    subprocess.run(["git", "commit", "-qm", "staging copy"], cwd=rendered_repo, check=True)
    staging.unlink()
    assert cli("--repo", str(rendered_repo), "render", "--allow-delete", "staging/kv-demo").exit_code == 0
    assert _validate(cli, rendered_repo) == []
    [finding] = _validate(cli, rendered_repo, "-v")
    assert (finding["file"], finding["severity"]) == ("clusters/kubevirt/kv-staging.yaml", "info")
