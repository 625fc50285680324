"""proxmox-pool-capacity: a Proxmox cluster's node address range must hold all of its Machines.

CAPMOX gives every Machine one address from the in-cluster IPAM pool it builds from
`spec.proxmox.ipv4` (addresses, prefix, gateway). The pool never hands out the gateway, nor its
subnet's network and broadcast addresses (`fleetgen.policy.ipnet.allocatable_count`), so a range
`10.10.10.1-10.10.10.20` with gateway `10.10.10.1` holds 19 addresses for Machines. When the spec
asks for more Machines than the pool can allocate
(control-plane replicas plus every pool's replicas, or its autoscaling minimum), the IPAddressClaims
of the extra Machines are never fulfilled: those Machines stay provisioning forever, and neither
the webhooks nor the API server say so. The count is a floor: a rollout needs one extra address
per surging Machine on top of it. Autoscaled pools whose `maxReplicas` together the range cannot
hold (the other pools at their replicas) are one warning, at the first one's `maxReplicas`: the
autoscaler's Machines past the range stay provisioning.

Severity: error (the autoscaling maximum: warning).

Source:
    kubernetes-sigs/cluster-api-ipam-provider-in-cluster v1.0.3 (an InClusterIPPool allocates
    each address to at most one IPAddressClaim; `internal/poolutil/pool.go` `PoolSpecToIPSet`
    leaves out the gateway and the reserved addresses); ionos-cloud/cluster-api-provider-proxmox v0.9.0
    (one IPAddressClaim per Machine and IP family from the cluster's `ipv4Config`); FIELD.md §1.15.

Failing example::

    spec:
      controlPlane: {replicas: 3, ...}
      workers: [{name: md-0, replicas: 4, ...}]                  # 7 Machines
      proxmox:
        ipv4: {addresses: [10.10.10.10-10.10.10.15], prefix: 24, gateway: 10.10.10.1}   # 6 addresses

Passing example::

    spec:
      controlPlane: {replicas: 3, ...}
      workers: [{name: md-0, replicas: 4, ...}]
      proxmox:
        ipv4: {addresses: [10.10.10.10-10.10.10.20], prefix: 24, gateway: 10.10.10.1}   # 11 addresses
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.policy.ipnet import PoolCapacity, allocatable_count
from fleetgen.policy.objects import proxmox_clusters

if TYPE_CHECKING:
    from fleetgen.spec.load import LoadedCluster


class ProxmoxPoolCapacityRule:
    """The node address range has at least as many addresses as the cluster has Machines."""

    id = "proxmox-pool-capacity"
    severity = Severity.ERROR
    summary = "a Proxmox node address range must have an address for every Machine the spec asks for"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per Proxmox cluster whose addresses are fewer than its Machines."""
        for cluster, px in proxmox_clusters(ctx):
            capacity = allocatable_count(px.ipv4.addresses, px.ipv4.prefix, str(px.ipv4.gateway))
            if capacity is None:
                continue  # (an unparsable entry is the spec's or the webhook rule's finding)
            addresses = capacity.allocatable
            spec = cluster.spec.spec
            parts = [("control plane", spec.control_plane.replicas)]
            for pool in spec.workers:
                scaling = pool.autoscaling  # (then replicas is not rendered)
                count = scaling.min_replicas if scaling else pool.replicas or 0
                parts.append((f"pool {pool.name}" + (" (autoscaling minimum)" if scaling else ""), count))
            machines = sum(count for _, count in parts)
            if machines <= addresses:
                yield from self._autoscaling_ceiling(cluster, capacity, parts)
                continue
            listed = ", ".join(f"{name} {count}" for name, count in parts if count)
            yield spec_finding(self, cluster.source, "/spec/proxmox/ipv4/addresses",
                               f"{capacity.describe()} for {machines} Machines ({listed}); "
                               f"{machines - addresses} Machine{'s' if machines - addresses != 1 else ''} would never get an "
                               "address from the IPAM pool and stay provisioning",
                               hint="add addresses (one more per Machine a rollout surges) or lower the replicas")

    def _autoscaling_ceiling(self, cluster: LoadedCluster, capacity: PoolCapacity,
                             parts: list[tuple[str, int]]) -> Iterator[Finding]:
        """One warning, at the first autoscaled pool's `maxReplicas`, when the autoscaled pools at their
        maxima (the other pools at their replicas) need more addresses than the range holds."""
        spec = cluster.spec.spec
        scaled = [(i, pool, pool.autoscaling) for i, pool in enumerate(spec.workers) if pool.autoscaling is not None]
        peak = sum(count for _, count in parts) + sum(max(0, s.max_replicas - s.min_replicas) for _, _, s in scaled)
        if not scaled or peak <= capacity.allocatable:
            return
        first = scaled[0][0]
        pools = ", ".join(f"{pool.name} up to {s.max_replicas}" for _, pool, s in scaled)
        yield spec_finding(self, cluster.source, f"/spec/workers/{first}/autoscaling/maxReplicas",
                           f"the autoscaler may grow the cluster to {peak} Machines ({pools}), but there are "
                           f"{capacity.describe()}: past {capacity.allocatable} Machines, new ones never get an "
                           "address and stay provisioning",
                           severity=Severity.WARNING, hint="add node addresses or lower maxReplicas")


RULE = ProxmoxPoolCapacityRule()
