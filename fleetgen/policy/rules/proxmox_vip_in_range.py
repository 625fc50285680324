"""proxmox-vip-in-range: the control-plane endpoint must not be inside the node address range, nor be the gateway.

On Proxmox the control-plane endpoint is a kube-vip virtual IP that floats between
control-plane nodes, while node addresses are handed out by the in-cluster IPAM pool CAPMOX builds
from `spec.proxmox.ipv4.addresses`. If the VIP is inside that range, IPAM will sooner or later give
it to a node as well, and the API server becomes unreachable. CAPMOX's ProxmoxCluster webhook
rejects such a cluster outright. A VIP equal to `spec.proxmox.ipv4.gateway` passes that webhook,
but kube-vip then answers ARP for the subnet's router: every node loses its default route.

Severity: error.

Source:
    ionos-cloud/cluster-api-provider-proxmox v0.9.0, internal/webhook/proxmoxcluster_webhook.go
    (`validateControlPlaneEndpoint`): "addresses may not contain the endpoint IP". The gateway
    check is fleetgen's own (FIELD.md §1.15: no overlap of node ranges, VIPs and gateways).

Failing example::

    spec:
      proxmox:
        controlPlaneEndpoint: {host: 10.10.10.15, port: 6443}   # inside addresses[0]
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
from fleetgen.policy.ipnet import parse_interval, parse_ip
from fleetgen.policy.objects import proxmox_clusters


class ProxmoxVipInRangeRule:
    """The control-plane VIP is outside the node address range."""

    id = "proxmox-vip-in-range"
    severity = Severity.ERROR
    summary = ("the Proxmox control-plane endpoint must not be inside spec.proxmox.ipv4.addresses (CAPMOX webhook) "
               "nor be the gateway")
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per cluster whose endpoint IP is inside one of its address entries or is its gateway."""
        for cluster, px in proxmox_clusters(ctx):
            host = parse_ip(px.control_plane_endpoint.host)
            if host is not None and host == parse_ip(px.ipv4.gateway):
                yield spec_finding(self, cluster.source, "/spec/proxmox/controlPlaneEndpoint/host",
                                   f"{host} is spec.proxmox.ipv4.gateway; kube-vip would take over the gateway's address",
                                   hint="pick a VIP in the node subnet but outside the node address ranges")
                continue
            for i, text in enumerate(px.ipv4.addresses):
                interval = parse_interval(text)
                if interval is not None and interval.contains(host):
                    yield spec_finding(self, cluster.source, "/spec/proxmox/controlPlaneEndpoint/host",
                                       f"{host} is inside spec.proxmox.ipv4.addresses[{i}] {text}; "
                                       "addresses may not contain the endpoint IP (CAPMOX)",
                                       hint="pick a VIP in the node subnet but outside the node address ranges")
                    break


RULE = ProxmoxVipInRangeRule()
