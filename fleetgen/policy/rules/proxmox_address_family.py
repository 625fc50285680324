"""proxmox-address-family: node addresses, gateway and endpoint must all be IPv4 in `ipv4`.

`spec.proxmox.ipv4` becomes the ProxmoxCluster's `ipv4Config` and, through CAPMOX, an in-cluster
IPAM pool. The IPAM webhook rejects pools whose addresses mix IPv4 and IPv6 ("provided addresses
are of mixed IP families") or whose gateway is of the other family ("provided gateway and
addresses are of mixed IP families"), and an IPv6 value in the IPv4 config would be written into
the nodes' IPv4 network settings. The control-plane endpoint is announced on that network, so it
has to be IPv4 as well.

Severity: error.

Source:
    kubernetes-sigs/cluster-api-ipam-provider-in-cluster, internal/webhooks/inclusterippool.go
    (`validateAddresses`); ionos-cloud/cluster-api-provider-proxmox v0.9.0,
    api/v1alpha2/proxmoxcluster_types.go (`IPv4Config`).

Failing example::

    spec:
      proxmox:
        controlPlaneEndpoint: {host: 10.10.10.9}
        ipv4: {addresses: [10.10.10.10-10.10.10.20, 2001:db8::10], prefix: 24, gateway: 10.10.10.1}

Passing example::

    spec:
      proxmox:
        controlPlaneEndpoint: {host: 10.10.10.9}
        ipv4: {addresses: [10.10.10.10-10.10.10.20, 10.10.10.30], prefix: 24, gateway: 10.10.10.1}
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.policy.ipnet import parse_interval, parse_ip
from fleetgen.policy.objects import proxmox_clusters


class ProxmoxAddressFamilyRule:
    """Every address in `spec.proxmox.ipv4` and the endpoint are IPv4."""

    id = "proxmox-address-family"
    severity = Severity.ERROR
    summary = "Proxmox ipv4 addresses, gateway and control-plane endpoint must all be IPv4 (IPAM: mixed IP families)"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per IPv6 value among the ipv4 addresses, the gateway and the endpoint."""
        for cluster, px in proxmox_clusters(ctx):
            for i, text in enumerate(px.ipv4.addresses):
                interval = parse_interval(text)
                if interval is not None and interval.version != 4:
                    yield spec_finding(self, cluster.source, f"/spec/proxmox/ipv4/addresses/{i}",
                                       f"{text} is IPv6; provided addresses are of mixed IP families, "
                                       "and spec.proxmox.ipv4 takes IPv4 only")
            gateway = parse_ip(px.ipv4.gateway)
            if gateway is not None and gateway.version != 4:
                yield spec_finding(self, cluster.source, "/spec/proxmox/ipv4/gateway",
                                   f"{gateway} is IPv6; provided gateway and addresses are of mixed IP families")
            host = parse_ip(px.control_plane_endpoint.host)
            if host is not None and host.version != 4:
                yield spec_finding(self, cluster.source, "/spec/proxmox/controlPlaneEndpoint/host",
                                   f"{host} is IPv6 but the node network (spec.proxmox.ipv4) is IPv4; "
                                   "the endpoint must be announced on the nodes' network")


RULE = ProxmoxAddressFamilyRule()
