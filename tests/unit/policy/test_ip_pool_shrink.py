"""ip-pool-shrink."""

from __future__ import annotations

from fleetgen.findings import Severity
from fleetgen.policy import run_rules

from .cases import context_from_yaml


def pxc(config: str) -> str:
    return ("apiVersion: infrastructure.cluster.x-k8s.io/v1alpha2\nkind: ProxmoxCluster\n"
            f"metadata: {{name: pve-a, namespace: clusters}}\nspec:\n  controlPlaneEndpoint: {{host: 10.0.0.9, port: 6443}}\n{config}")


V4 = "  ipv4Config: {{addresses: {addresses}, prefix: 24, gateway: 10.0.0.1}}\n"


def test_ip_pool_shrink_removed_config_warns_at_config() -> None:
    base = pxc(V4.format(addresses="[10.0.0.10-10.0.0.20]") + "  ipv6Config: {addresses: ['fd00::10-fd00::1f'], prefix: 64}\n")
    [finding] = run_rules(context_from_yaml(pxc(V4.format(addresses="[10.0.0.10-10.0.0.20]")), base=base), ["ip-pool-shrink"])
    assert finding.severity is Severity.WARNING
    assert finding.pointer == "/spec/ipv6Config"
    assert "16 node addresses removed since the base revision (fd00::10-fd00::1f)" in finding.message


def test_ip_pool_shrink_many_removed_ranges_are_elided() -> None:
    base = pxc(V4.format(addresses="[10.0.0.1, 10.0.0.3, 10.0.0.5, 10.0.0.7, 10.0.0.9]"))
    head = pxc(V4.format(addresses="[10.0.0.9]"))
    [finding] = run_rules(context_from_yaml(head, base=base), ["ip-pool-shrink"])
    assert "4 node addresses removed since the base revision (10.0.0.1, 10.0.0.3, 10.0.0.5, ...)" in finding.message


def test_ip_pool_shrink_moving_to_cidr_covering_range_passes() -> None:
    base = pxc(V4.format(addresses="[10.0.0.10-10.0.0.20]"))
    assert run_rules(context_from_yaml(pxc(V4.format(addresses="[10.0.0.0/27]")), base=base), ["ip-pool-shrink"]) == []
