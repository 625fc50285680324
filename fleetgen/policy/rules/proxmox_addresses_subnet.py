"""proxmox-addresses-subnet: all node address entries must be inside one subnet.

The in-cluster IPAM pool CAPMOX creates from `spec.proxmox.ipv4` has a single subnet: its lowest
address with `prefix`. Every address, range or CIDR in `addresses` must fit inside that subnet, or
the IPAM webhook rejects the pool ("provided address belongs to a different subnet than others")
when CAPMOX creates it — after the pull request has merged and the cluster is half-created.

Severity: error.

Source:
    kubernetes-sigs/cluster-api-ipam-provider-in-cluster, internal/webhooks/inclusterippool.go
    (`validateAddressesAreWithinPrefix`, `validatePrefix`).

Failing example::

    spec:
      proxmox:
        ipv4:
          addresses: [10.10.10.10-10.10.10.20, 10.10.20.10-10.10.20.20]   # [1] is not in 10.10.10.0/24
          prefix: 24
          gateway: 10.10.10.1

Passing example::

    spec:
      proxmox:
        ipv4:
          addresses: [10.10.10.10-10.10.10.20, 10.10.10.40-10.10.10.50]
          prefix: 24
          gateway: 10.10.10.1
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.policy.ipnet import parse_intervals, pool_network
from fleetgen.policy.objects import proxmox_clusters


class ProxmoxAddressesSubnetRule:
    """Every address entry is inside `<lowest address>/<prefix>`."""

    id = "proxmox-addresses-subnet"
    severity = Severity.ERROR
    summary = "all Proxmox node address entries must be inside one subnet (lowest address / prefix; IPAM webhook)"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per IPv4 address entry outside the pool's subnet."""
        for cluster, px in proxmox_clusters(ctx):
            intervals = parse_intervals(px.ipv4.addresses)
            v4 = [iv for iv in intervals if iv is not None and iv.version == 4]
            network = pool_network(v4, px.ipv4.prefix)
            if network is None:
                continue
            for i, interval in enumerate(intervals):
                if interval is None or interval.version != 4 or interval.within(network):
                    continue
                yield spec_finding(self, cluster.source, f"/spec/proxmox/ipv4/addresses/{i}",
                                   f"{interval} is not inside {network} (the lowest address with prefix {px.ipv4.prefix}); "
                                   "provided address belongs to a different subnet than others",
                                   hint="one cluster's node addresses must share one subnet; fix prefix or the ranges")


RULE = ProxmoxAddressesSubnetRule()
