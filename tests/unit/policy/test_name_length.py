"""name-length."""

from __future__ import annotations

from fleetgen.findings import Severity
from fleetgen.policy import run_rules

from .cases import context_from_yaml, kubevirt_cluster

POOL = {"replicas": 1, "machine": {"cpus": 2, "memory": "4Gi"}}


def test_name_length_exactly_63_characters_passes() -> None:
    cluster = "c" * 40
    pool = "p" * (63 - 41)
    assert len(f"{cluster}-{pool}") == 63
    ctx = context_from_yaml(kubevirt_cluster(cluster, workers=[{"name": pool, **POOL}]))
    assert run_rules(ctx, ["name-length"]) == []


def test_name_length_64_characters_warns_with_rendered_name() -> None:
    cluster, pool = "c" * 40, "p" * 23
    ctx = context_from_yaml(kubevirt_cluster(cluster, workers=[{"name": pool, **POOL}]))
    [finding] = run_rules(ctx, ["name-length"])
    assert finding.severity is Severity.WARNING
    assert finding.pointer == "/spec/workers/0/name"
    assert "is 64 characters" in finding.message and "it will be rendered as 'cccc" in finding.message


def test_name_length_control_plane_name_is_checked_too() -> None:
    ctx = context_from_yaml(kubevirt_cluster("k" * 50, workers=[]))
    [finding] = run_rules(ctx, ["name-length"])
    assert finding.pointer == "/metadata/name"
    assert finding.message.startswith("metadata.name: KubeadmControlPlane name 'kkkk")
