"""`kubectl kustomize` builds every directory where fleetgen emits a kustomization.yaml (Flux agent)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.slow

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def kustomize(directory: Path) -> list[dict[str, Any]]:
    proc = subprocess.run([KUBECTL, "kustomize", str(directory)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"kubectl kustomize {directory} failed:\n{proc.stderr}"
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def key(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = obj.get("metadata", {})
    return (obj["apiVersion"], obj["kind"], meta.get("namespace", ""), meta["name"])


@pytest.fixture
def flux_fleet(fleet_repo: Path, cli) -> Path:
    """The example fleet rendered for Flux, with an autoscaled pool; returns the output directory."""
    if not Path(KUBECTL).is_file():
        pytest.fail(f"kubectl (with built-in kustomize) is required at {KUBECTL}; it is on the CI image")
    edit(fleet_repo / "fleetgen.yaml", "agent: fleet ", "agent: flux  ")
    edit(fleet_repo / "fleetgen.yaml", "namespace: fleet-local", "namespace: flux-system")
    edit(fleet_repo / "clusters" / "kubevirt" / "kv-demo.yaml", "      replicas: 3\n",
         "      autoscaling: {minReplicas: 1, maxReplicas: 6}\n")
    result = cli("--repo", str(fleet_repo), "render")
    assert result.exit_code == 0, result.stdout + result.stderr
    return fleet_repo / "fleet"


def test_kubectl_kustomize_builds_every_emitted_kustomization(flux_fleet: Path) -> None:
    dirs = sorted(p.parent for p in flux_fleet.rglob("kustomization.yaml"))
    assert [d.relative_to(flux_fleet).as_posix() for d in dirs] == [
        "addons/clusters", "clusters/clusters/kv-demo", "clusters/clusters/pve-demo", "gitops", "namespaces"]
    for directory in dirs:
        built = kustomize(directory)
        listed = yaml.safe_load((directory / "kustomization.yaml").read_text())["resources"]
        files = [obj for rel in listed for obj in yaml.safe_load_all((directory / rel).read_text()) if obj]
        # kustomize builds exactly the objects of the listed files, unchanged (it may reorder them)
        assert sorted(map(key, built)) == sorted(map(key, files)), directory
        by_key = {key(o): o for o in files}
        for obj in built:
            assert obj == by_key[key(obj)], key(obj)


def test_every_flux_kustomization_points_at_a_buildable_directory(flux_fleet: Path) -> None:
    kustomizations = [o for o in kustomize(flux_fleet / "gitops") if o["kind"] == "Kustomization"]
    assert len(kustomizations) == 4
    repo_root = flux_fleet.parent
    for ks in kustomizations:
        target = repo_root / ks["spec"]["path"]
        assert (target / "kustomization.yaml").is_file(), ks["metadata"]["name"]
        assert kustomize(target)
