"""proxmox-gateway-in-prefix: the node gateway must be inside the node subnet.

CAPMOX writes `spec.proxmox.ipv4.gateway` into every node's network configuration as the default
route, and the nodes' subnet is the pool's first address with `prefix` (the in-cluster IPAM
provider derives it the same way). A gateway outside that subnet is not on-link: cloud-init
writes a default route the kernel cannot use, nodes never reach the API server or the image
registry, and machines hang in provisioning.

Severity: error.

Source:
    kubernetes-sigs/cluster-api-ipam-provider-in-cluster, internal/webhooks/inclusterippool.go
    (`validatePrefix`: the subnet is `<first address>/<prefix>`; "provided address belongs to a
    different subnet than others"); ionos-cloud/cluster-api-provider-proxmox v0.9.0,
    api/v1alpha2/proxmoxcluster_types.go (`IPConfigSpec.Gateway`).

Failing example::

    spec:
      proxmox:
        ipv4: {addresses: [10.10.10.10-10.10.10.20], prefix: 24, gateway: 10.10.11.1}

Passing example::

    spec:
      proxmox:
        ipv4: {addresses: [10.10.10.10-10.10.10.20], prefix: 24, gateway: 10.10.10.1}
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.policy.ipnet import parse_intervals, parse_ip, pool_network
from fleetgen.policy.objects import proxmox_clusters


class ProxmoxGatewayInPrefixRule:
    """The gateway is inside `<first address>/<prefix>`."""

    id = "proxmox-gateway-in-prefix"
    severity = Severity.ERROR
    summary = "the Proxmox node gateway must be inside the node subnet (first address / prefix)"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per cluster whose gateway is outside its node subnet (same family only)."""
        for cluster, px in proxmox_clusters(ctx):
            network = pool_network(parse_intervals(px.ipv4.addresses), px.ipv4.prefix)
            gateway = parse_ip(px.ipv4.gateway)
            if network is None or gateway is None or gateway.version != network.version:
                continue  # mixed families are reported by proxmox-address-family
            if gateway not in network:
                yield spec_finding(self, cluster.source, "/spec/proxmox/ipv4/gateway",
                                   f"{gateway} is outside the node subnet {network} (first address with prefix {px.ipv4.prefix}); "
                                   "nodes could not reach it",
                                   hint="use the router address of the nodes' subnet, or fix prefix")


RULE = ProxmoxGatewayInPrefixRule()
