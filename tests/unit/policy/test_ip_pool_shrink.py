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
    base = pxc(V4.format(addresses="[10.0.0.2, 10.0.0.4, 10.0.0.6, 10.0.0.8, 10.0.0.9]"))
    head = pxc(V4.format(addresses="[10.0.0.9]"))
    [finding] = run_rules(context_from_yaml(head, base=base), ["ip-pool-shrink"])
    assert "4 node addresses removed since the base revision (10.0.0.2, 10.0.0.4, 10.0.0.6, ...)" in finding.message


def test_ip_pool_shrink_moving_to_cidr_covering_range_passes() -> None:
    base = pxc(V4.format(addresses="[10.0.0.10-10.0.0.20]"))
    assert run_rules(context_from_yaml(pxc(V4.format(addresses="[10.0.0.0/27]")), base=base), ["ip-pool-shrink"]) == []


def machines(cp: int, md: str) -> str:
    """The base revision's control plane (cp replicas) and one MachineDeployment (`md`: its spec fields)."""
    return ("---\napiVersion: controlplane.cluster.x-k8s.io/v1beta2\nkind: KubeadmControlPlane\n"
            "metadata: {name: pve-a-control-plane, namespace: clusters, labels: {cluster.x-k8s.io/cluster-name: pve-a}}\n"
            f"spec: {{replicas: {cp}, version: v1.33.1}}\n"
            "---\napiVersion: cluster.x-k8s.io/v1beta2\nkind: MachineDeployment\n"
            "metadata: {name: pve-a-md-0, namespace: clusters, labels: {cluster.x-k8s.io/cluster-name: pve-a}" + md + "\n")


def test_ip_pool_shrink_below_the_base_machine_count_is_an_error() -> None:
    # 3 control-plane + 2 worker Machines hold 5 of the 11 addresses; only 4 remain after the change
    base = pxc(V4.format(addresses="[10.0.0.10-10.0.0.20]")) + machines(3, "}\nspec: {clusterName: pve-a, replicas: 2}")
    head = pxc(V4.format(addresses="[10.0.0.10-10.0.0.13]"))
    [finding] = run_rules(context_from_yaml(head, base=base), ["ip-pool-shrink"])
    assert finding.severity is Severity.ERROR
    assert "the base revision runs 5 Machines, each holding one of its addresses, and only 4 of them remain" in finding.message
    # a disjoint new range keeps none of them
    moved = pxc(V4.format(addresses="[10.0.0.30-10.0.0.40]"))
    [finding] = run_rules(context_from_yaml(moved, base=base), ["ip-pool-shrink"])
    assert finding.severity is Severity.ERROR and "only 0 of them remain" in finding.message


def test_ip_pool_shrink_that_leaves_room_for_the_base_machines_stays_a_warning() -> None:
    # an autoscaled pool counts its minimum: 1 + 3 = 4 Machines, 5 addresses remain
    autoscaled = (", annotations: {cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size: '3', "
                  "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size: '6'}}\nspec: {clusterName: pve-a}")
    base = pxc(V4.format(addresses="[10.0.0.10-10.0.0.20]")) + machines(1, autoscaled)
    head = pxc(V4.format(addresses="[10.0.0.10-10.0.0.14]"))
    [finding] = run_rules(context_from_yaml(head, base=base), ["ip-pool-shrink"])
    assert finding.severity is Severity.WARNING
    head = pxc(V4.format(addresses="[10.0.0.10-10.0.0.12]"))
    [finding] = run_rules(context_from_yaml(head, base=base), ["ip-pool-shrink"])
    assert finding.severity is Severity.ERROR and "runs 4 Machines" in finding.message


def test_ip_pool_shrink_points_at_the_entry_edited_in_place() -> None:
    base = pxc(V4.format(addresses="[10.0.0.2, 10.0.0.10-10.0.0.20, 10.0.0.30]"))
    head = pxc(V4.format(addresses="[10.0.0.2, 10.0.0.10-10.0.0.15, 10.0.0.30]"))
    [finding] = run_rules(context_from_yaml(head, base=base), ["ip-pool-shrink"])
    assert finding.pointer == "/spec/ipv4Config/addresses/1"
    # an entry dropped (the list got shorter): the list itself
    [finding] = run_rules(context_from_yaml(pxc(V4.format(addresses="[10.0.0.2, 10.0.0.30]")), base=base), ["ip-pool-shrink"])
    assert finding.pointer == "/spec/ipv4Config/addresses"
    # entries reordered: only the one that lost addresses counts
    head = pxc(V4.format(addresses="[10.0.0.30, 10.0.0.10-10.0.0.19, 10.0.0.2]"))
    [finding] = run_rules(context_from_yaml(head, base=base), ["ip-pool-shrink"])
    assert finding.pointer == "/spec/ipv4Config/addresses/1"


def test_ip_pool_shrink_does_not_count_the_gateway_as_a_remaining_address() -> None:
    """IPAM never hands out the gateway (nor the subnet's network address): with .1 the gateway,
    .0-.2 keeps one address a Machine could hold, for the base revision's 2 Machines."""
    base = pxc(V4.format(addresses="[10.0.0.0-10.0.0.20]")) + machines(1, "}\nspec: {clusterName: pve-a, replicas: 1}")
    head = pxc(V4.format(addresses="[10.0.0.0-10.0.0.2, 10.0.0.30-10.0.0.40]"))
    [finding] = run_rules(context_from_yaml(head, base=base), ["ip-pool-shrink"])
    assert finding.severity is Severity.ERROR
    assert "the base revision runs 2 Machines, each holding one of its addresses, and only 1 of them remain" in finding.message
    head = pxc(V4.format(addresses="[10.0.0.0-10.0.0.3, 10.0.0.30-10.0.0.40]"))
    [finding] = run_rules(context_from_yaml(head, base=base), ["ip-pool-shrink"])
    assert finding.severity is Severity.WARNING


def test_ip_pool_shrink_removing_only_addresses_ipam_never_hands_out_passes() -> None:
    """The network address (10.0.0.0) and the gateway (10.0.0.1) are never allocated: no Machine holds them."""
    base = pxc(V4.format(addresses="[10.0.0.0-10.0.0.20]"))
    for head in ("[10.0.0.2-10.0.0.20]", "[10.0.0.0, 10.0.0.2-10.0.0.20]"):
        assert run_rules(context_from_yaml(pxc(V4.format(addresses=head)), base=base), ["ip-pool-shrink"]) == [], head
    [finding] = run_rules(context_from_yaml(pxc(V4.format(addresses="[10.0.0.3-10.0.0.20]")), base=base), ["ip-pool-shrink"])
    assert "1 node address removed since the base revision (10.0.0.2)" in finding.message
