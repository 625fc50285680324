"""proxmox-endpoint-in-subnet: the control-plane VIP should be in the node subnet.

kube-vip announces the control-plane endpoint with ARP from the control-plane node that holds the
lease, so the VIP has to be on the same layer-2 subnet as the node addresses; otherwise nothing
answers for it and the cluster never initialises. CAPMOX's usage guide says the endpoint "must be
on the same subnet as the control plane machines". This is a warning, not an error, because a
setup with BGP or an external load balancer may legitimately use another subnet.

Severity: warning.

Source:
    ionos-cloud/cluster-api-provider-proxmox v0.9.0, docs/Usage.md (CONTROL_PLANE_ENDPOINT_IP
    "must be on the same subnet as the control plane machines"); the subnet is the pool's first
    address with `prefix`, as the in-cluster IPAM webhook computes it
    (kubernetes-sigs/cluster-api-ipam-provider-in-cluster, internal/webhooks/inclusterippool.go).

Failing example::

    spec:
      proxmox:
        controlPlaneEndpoint: {host: 10.20.0.9, port: 6443}      # not in 10.10.10.0/24
        ipv4: {addresses: [10.10.10.10-10.10.10.20], prefix: 24, gateway: 10.10.10.1}

Passing example::

    spec:
      proxmox:
        controlPlaneEndpoint: {host: 10.10.10.9, port: 6443}
        ipv4: {addresses: [10.10.10.10-10.10.10.20], prefix: 24, gateway: 10.10.10.1}
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.policy.ipnet import parse_intervals, parse_ip, pool_network
from fleetgen.policy.objects import proxmox_clusters


class ProxmoxEndpointInSubnetRule:
    """The control-plane VIP is inside `<first address>/<prefix>`."""

    id = "proxmox-endpoint-in-subnet"
    severity = Severity.WARNING
    summary = "the Proxmox control-plane endpoint should be on the node subnet (kube-vip ARP)"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one warning per cluster whose endpoint IP is outside its node subnet (same family only)."""
        for cluster, px in proxmox_clusters(ctx):
            network = pool_network(parse_intervals(px.ipv4.addresses), px.ipv4.prefix)
            host = parse_ip(px.control_plane_endpoint.host)
            if network is None or host is None or host.version != network.version:
                continue  # mixed families are reported by proxmox-address-family
            if host not in network:
                yield spec_finding(self, cluster.source, "/spec/proxmox/controlPlaneEndpoint/host",
                                   f"{host} is outside the node subnet {network}; kube-vip can only announce a VIP "
                                   "on the control-plane machines' subnet",
                                   hint="pick a free address in the node subnet, outside spec.proxmox.ipv4.addresses")


RULE = ProxmoxEndpointInSubnetRule()
