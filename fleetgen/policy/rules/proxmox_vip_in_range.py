"""proxmox-vip-in-range: the control-plane endpoint must not be inside the node address range, nor be the gateway,
a DNS server, or the node subnet's network or broadcast address.

On Proxmox the control-plane endpoint is a kube-vip virtual IP that floats between
control-plane nodes, while node addresses are handed out by the in-cluster IPAM pool CAPMOX builds
from `spec.proxmox.ipv4.addresses`. If the VIP is inside that range, IPAM will sooner or later give
it to a node as well, and the API server becomes unreachable. CAPMOX's ProxmoxCluster webhook
rejects such a cluster outright. A VIP equal to `spec.proxmox.ipv4.gateway` passes that webhook,
but kube-vip then answers ARP for the subnet's router: every node loses its default route; the
same for a DNS server of `spec.proxmox.dnsServers` (name resolution). The network address and
(IPv4) the broadcast address of the node subnet (the gateway's, with `ipv4.prefix`) cannot be a
host's address at all.

Severity: error.

Source:
    ionos-cloud/cluster-api-provider-proxmox v0.9.0, internal/webhook/proxmoxcluster_webhook.go
    (`validateControlPlaneEndpoint`): "addresses may not contain the endpoint IP". The gateway,
    DNS server and network/broadcast address checks are fleetgen's own (FIELD.md §1.15: no overlap of node ranges, VIPs and gateways).

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

import ipaddress
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.policy.ipnet import IPAddress, parse_interval, parse_ip
from fleetgen.policy.objects import proxmox_clusters

if TYPE_CHECKING:
    from fleetgen.spec.models import ProxmoxSpec


class ProxmoxVipInRangeRule:
    """The control-plane VIP is outside the node address range."""

    id = "proxmox-vip-in-range"
    severity = Severity.ERROR
    summary = ("the Proxmox control-plane endpoint must not be inside spec.proxmox.ipv4.addresses (CAPMOX webhook), "
               "nor be the gateway, a DNS server or the subnet's network or broadcast address")
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per cluster whose endpoint IP is inside one of its address entries, or is its gateway,
        a DNS server or the node subnet's network or broadcast address."""
        for cluster, px in proxmox_clusters(ctx):
            host = parse_ip(px.control_plane_endpoint.host)
            taken = self._taken(host, px)
            if taken is not None:
                yield spec_finding(self, cluster.source, "/spec/proxmox/controlPlaneEndpoint/host", f"{host} is {taken}",
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

    @staticmethod
    def _taken(host: IPAddress | None, px: ProxmoxSpec) -> str | None:
        """What else `host` already is on the node subnet (the problem's wording), or None."""
        if host is None:
            return None
        gateway = parse_ip(px.ipv4.gateway)
        if host == gateway:
            return "spec.proxmox.ipv4.gateway; kube-vip would take over the gateway's address"
        for i, server in enumerate(px.dns_servers):
            if host == parse_ip(server):
                return (f"spec.proxmox.dnsServers[{i}]; kube-vip would take over the DNS server's address and the "
                        "nodes could no longer resolve names")
        if gateway is not None and gateway.version == host.version:
            subnet = ipaddress.ip_network((gateway, px.ipv4.prefix), strict=False)
            if subnet.prefixlen < subnet.max_prefixlen - 1:  # (/31 and /32 have no network or broadcast address)
                if host == subnet.network_address:
                    return f"the network address of the node subnet {subnet}; no host can hold it"
                if host.version == 4 and host == subnet.broadcast_address:
                    return f"the broadcast address of the node subnet {subnet}; no host can hold it"
        return None


RULE = ProxmoxVipInRangeRule()
