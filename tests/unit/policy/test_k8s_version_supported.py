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


def test_k8s_version_supported_version_from_defaults_is_one_finding_in_fleetgen_yaml(tmp_path: Path) -> None:
    """One problem, one message: the default every cluster inherits, naming the clusters."""
    config = ("apiVersion: fleetgen.dev/v1alpha1\nkind: FleetConfig\ngitops: {repo: https://git.example.com/f.git}\n"
              "defaults:\n  spec:\n    kubernetesVersion: v1.27.3\n")
    spec = kubevirt_cluster(image="quay.io/capk/ubuntu-2404-container-disk:v1.27.3").replace("  kubernetesVersion: v1.33.1\n", "")
    fleet, problems = load_fleet(write_fleet(tmp_path, clusters={"a.yaml": spec, "b.yaml": spec.replace("name: kv-a", "name: kv-b")},
                                             config=config))
    assert problems == []
    findings = run_rules(PolicyContext(fleet, RenderResult(())), ["k8s-version-supported"])
    assert [str(f.position) for f in findings] == ["fleetgen.yaml:6:5"]
    assert [f.message for f in findings] == [
        "spec.kubernetesVersion (from defaults, in 2 clusters: clusters/a.yaml, clusters/b.yaml): v1.27.3 is outside the "
        "workload cluster versions Cluster API v1.12.11 supports (v1.29.x to v1.36.x)"]
    # one cluster inheriting it: the spec is named as before
    one, _ = load_fleet(write_fleet(tmp_path / "one", clusters={"a.yaml": spec}, config=config))
    findings = run_rules(PolicyContext(one, RenderResult(())), ["k8s-version-supported"])
    assert [f.message.split(":")[0] for f in findings] == ["spec.kubernetesVersion of clusters/a.yaml (from defaults)"]
