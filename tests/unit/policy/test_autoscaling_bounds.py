"""autoscaling-bounds."""

from __future__ import annotations

import pytest

from fleetgen.policy import run_rules

from .cases import context_from_yaml, kubevirt_cluster

MACHINE = {"cpus": 2, "memory": "4Gi"}


@pytest.mark.parametrize(("low", "high"), [(0, 3), (2, 2)], ids=["scale-from-zero", "equal-bounds"])
def test_autoscaling_bounds_valid_bounds_pass(low: int, high: int) -> None:
    workers = [{"name": "md-0", "machine": MACHINE, "autoscaling": {"minReplicas": low, "maxReplicas": high}}]
    assert run_rules(context_from_yaml(kubevirt_cluster(workers=workers)), ["autoscaling-bounds"]) == []


def test_autoscaling_bounds_fixed_pool_with_replicas_passes() -> None:
    assert run_rules(context_from_yaml(kubevirt_cluster()), ["autoscaling-bounds"]) == []


def test_autoscaling_bounds_replicas_zero_with_autoscaling_still_fails() -> None:
    workers = [{"name": "md-0", "replicas": 0, "machine": MACHINE, "autoscaling": {"minReplicas": 1, "maxReplicas": 3}}]
    [finding] = run_rules(context_from_yaml(kubevirt_cluster(workers=workers)), ["autoscaling-bounds"])
    assert finding.pointer == "/spec/workers/0/replicas"
    assert finding.hint == "remove replicas; a new pool starts at minReplicas"
