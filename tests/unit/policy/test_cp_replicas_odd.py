"""cp-replicas-odd."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetgen.policy import PolicyContext, run_rules
from fleetgen.render.base import RenderResult
from fleetgen.spec.load import load_fleet

from .cases import context_from_yaml, kubevirt_cluster, write_fleet


@pytest.mark.parametrize("replicas", [1, 3, 5], ids=["one", "three", "five"])
def test_cp_replicas_odd_odd_count_passes(replicas: int) -> None:
    assert run_rules(context_from_yaml(kubevirt_cluster(cp_replicas=replicas)), ["cp-replicas-odd"]) == []


def test_cp_replicas_odd_even_count_has_design_message_and_hint() -> None:
    [finding] = run_rules(context_from_yaml(kubevirt_cluster(cp_replicas=4)), ["cp-replicas-odd"])
    assert finding.message == "spec.controlPlane.replicas: must be odd for stacked etcd, got 4"
    assert finding.pointer == "/spec/controlPlane/replicas"
    assert "use 3 or 5" in finding.hint


def test_cp_replicas_odd_replicas_from_defaults_points_into_fleetgen_yaml(tmp_path: Path) -> None:
    config = ("apiVersion: fleetgen.dev/v1alpha1\nkind: FleetConfig\ngitops: {repo: https://git.example.com/f.git}\n"
              "defaults:\n  spec:\n    kubernetesVersion: v1.33.1\n    controlPlane:\n      replicas: 2\n")
    spec = kubevirt_cluster().replace("  controlPlane:\n    replicas: 1\n", "  controlPlane:\n")
    root = write_fleet(tmp_path, clusters={"kv-a.yaml": spec}, config=config)
    fleet, problems = load_fleet(root)
    assert problems == []
    [finding] = run_rules(PolicyContext(fleet, RenderResult(())), ["cp-replicas-odd"])
    assert str(finding.position) == "fleetgen.yaml:8:7"
