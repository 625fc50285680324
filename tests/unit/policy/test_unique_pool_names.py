"""unique-pool-names."""

from __future__ import annotations

from fleetgen.policy import run_rules

from .cases import context_from_yaml, kubevirt_cluster

POOL = {"replicas": 1, "machine": {"cpus": 2, "memory": "4Gi"}}


def test_unique_pool_names_each_repeat_points_at_first_definition() -> None:
    workers = [{"name": "a", **POOL}, {"name": "b", **POOL}, {"name": "a", **POOL}, {"name": "a", **POOL}]
    findings = run_rules(context_from_yaml(kubevirt_cluster(workers=workers)), ["unique-pool-names"])
    assert [f.pointer for f in findings] == ["/spec/workers/2/name", "/spec/workers/3/name"]
    assert all("already defined at spec.workers[0]" in f.message for f in findings)


def test_unique_pool_names_same_pool_name_in_two_clusters_passes() -> None:
    ctx = context_from_yaml(kubevirt_cluster("kv-a") + kubevirt_cluster("kv-b"))
    assert run_rules(ctx, ["unique-pool-names"]) == []
