"""autoscaling-bounds."""

from __future__ import annotations

import pytest

from fleetgen.findings import Severity
from fleetgen.policy import run_rules

from .cases import context_from_yaml, kubevirt_cluster

MACHINE = {"cpus": 2, "memory": "4Gi"}


@pytest.mark.parametrize(("low", "high"), [(0, 3), (2, 2)], ids=["scale-from-zero", "equal-bounds"])
def test_autoscaling_bounds_valid_bounds_pass(low: int, high: int) -> None:
    workers = [{"name": "md-0", "machine": MACHINE, "autoscaling": {"minReplicas": low, "maxReplicas": high}}]
    assert run_rules(context_from_yaml(kubevirt_cluster(workers=workers)), ["autoscaling-bounds"]) == []


def test_autoscaling_bounds_fixed_pool_with_replicas_passes() -> None:
    assert run_rules(context_from_yaml(kubevirt_cluster()), ["autoscaling-bounds"]) == []


@pytest.mark.parametrize("replicas", [0, 3])
def test_autoscaling_bounds_replicas_next_to_autoscaling_is_an_info_not_an_error(replicas: int) -> None:
    # DESIGN.md: with autoscaling, "replicas is not rendered"; the spec is valid, the info says why
    workers = [{"name": "md-0", "replicas": replicas, "machine": MACHINE, "autoscaling": {"minReplicas": 1, "maxReplicas": 3}}]
    [finding] = run_rules(context_from_yaml(kubevirt_cluster(workers=workers)), ["autoscaling-bounds"])
    assert (finding.pointer, finding.severity) == ("/spec/workers/0/replicas", Severity.INFO)
    assert finding.message == ("spec.workers[0].replicas: is not rendered because autoscaling is set: "
                               "the cluster-autoscaler owns the replica count")
    assert finding.hint == "remove replicas; a new pool starts at minReplicas"
