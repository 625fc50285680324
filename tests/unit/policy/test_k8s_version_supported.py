"""k8s-version-supported."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetgen.policy import PolicyContext, run_rules
from fleetgen.render.base import RenderResult
from fleetgen.spec.load import load_fleet

from .cases import context_from_yaml, kubevirt_cluster, write_fleet


@pytest.mark.parametrize("version", ["v1.29.0", "v1.36.9", "v1.36.0-rc.1"], ids=["lowest", "highest", "pre-release"])
def test_k8s_version_supported_range_bounds_pass(version: str) -> None:
    assert run_rules(context_from_yaml(kubevirt_cluster(version=version)), ["k8s-version-supported"]) == []


def test_k8s_version_supported_version_from_defaults_points_into_fleetgen_yaml_once_per_cluster(tmp_path: Path) -> None:
    config = ("apiVersion: fleetgen.dev/v1alpha1\nkind: FleetConfig\ngitops: {repo: https://git.example.com/f.git}\n"
              "defaults:\n  spec:\n    kubernetesVersion: v1.27.3\n")
    spec = kubevirt_cluster(image="quay.io/capk/ubuntu-2404-container-disk:v1.27.3").replace("  kubernetesVersion: v1.33.1\n", "")
    fleet, problems = load_fleet(write_fleet(tmp_path, clusters={"a.yaml": spec, "b.yaml": spec.replace("name: kv-a", "name: kv-b")},
                                             config=config))
    assert problems == []
    findings = run_rules(PolicyContext(fleet, RenderResult(())), ["k8s-version-supported"])
    assert [str(f.position) for f in findings] == ["fleetgen.yaml:6:5", "fleetgen.yaml:6:5"]
    assert [f.message for f in findings] == [
        f"spec.kubernetesVersion of clusters/{name}.yaml (from defaults): v1.27.3 is outside the workload cluster "
        "versions Cluster API v1.12.11 supports (v1.29.x to v1.36.x)" for name in ("a", "b")]
