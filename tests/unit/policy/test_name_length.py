"""name-length."""

from __future__ import annotations

from fleetgen.findings import Severity
from fleetgen.policy import run_rules

from .cases import context_from_yaml, kubevirt_cluster, proxmox_cluster

POOL = {"replicas": 1, "machine": {"cpus": 2, "memory": "4Gi"}}


def test_name_length_exactly_63_characters_passes() -> None:
    cluster = "c" * 40
    pool = "p" * (63 - 41)
    assert len(f"{cluster}-{pool}") == 63
    ctx = context_from_yaml(kubevirt_cluster(cluster, workers=[{"name": pool, **POOL}]))
    assert run_rules(ctx, ["name-length"]) == []


def test_name_length_64_characters_is_an_info_with_rendered_name() -> None:
    # the API server accepts the shortened name: an info (shown with -v), not a warning on a valid fleet
    cluster, pool = "c" * 40, "p" * 23
    ctx = context_from_yaml(kubevirt_cluster(cluster, workers=[{"name": pool, **POOL}]))
    [finding] = run_rules(ctx, ["name-length"])
    assert finding.severity is Severity.INFO
    assert finding.pointer == "/spec/workers/0/name"
    assert "is 64 characters" in finding.message and "it will be rendered as 'cccc" in finding.message


def test_name_length_control_plane_name_is_checked_too() -> None:
    ctx = context_from_yaml(kubevirt_cluster("k" * 50, workers=[]))
    [finding] = run_rules(ctx, ["name-length"])
    assert finding.pointer == "/metadata/name"
    assert finding.message.startswith("metadata.name: KubeadmControlPlane name 'kkkk")


def test_name_length_kubevirt_lb_service_name_over_63_is_an_error() -> None:
    """CAPK creates `<cluster>-lb`; a 61-character KubeVirt cluster name makes a 64-character Service name."""
    ctx = context_from_yaml(kubevirt_cluster("k" * 61, workers=[]))
    lb = [f for f in run_rules(ctx, ["name-length"]) if "load-balancer Service" in f.message]
    [finding] = lb
    assert finding.severity is Severity.ERROR and finding.pointer == "/metadata/name"
    assert f"Service '{'k' * 61}-lb', which is 64 characters" in finding.message


def test_name_length_kubevirt_60_characters_has_no_service_error_and_proxmox_61_has_none() -> None:
    for ctx in (context_from_yaml(kubevirt_cluster("k" * 60, workers=[])),
                context_from_yaml(proxmox_cluster("p" * 61))):
        assert [f for f in run_rules(ctx, ["name-length"]) if "load-balancer Service" in f.message] == []


def test_name_length_kubevirt_name_starting_with_a_digit_cannot_name_the_service() -> None:
    [finding] = run_rules(context_from_yaml(kubevirt_cluster("1kv", workers=[])), ["name-length"])
    assert "must start with a lower-case letter" in finding.message
