"""proxmox-pool-capacity: a Proxmox cluster's node address range must hold all of its Machines.

CAPMOX gives every Machine one address from the in-cluster IPAM pool it builds from
`spec.proxmox.ipv4` (addresses, prefix, gateway). The pool never hands out the gateway, nor its
subnet's network and broadcast addresses (`fleetgen.policy.ipnet.allocatable_count`), so a range
`10.10.10.1-10.10.10.20` with gateway `10.10.10.1` holds 19 addresses for Machines. When the spec
asks for more Machines than the pool can allocate
(control-plane replicas plus every pool's replicas, or its autoscaling minimum), the IPAddressClaims
of the extra Machines are never fulfilled: those Machines stay provisioning forever, and neither
the webhooks nor the API server say so. The count is a floor: a rollout needs one extra address
per surging Machine on top of it. An autoscaled pool whose `maxReplicas` the range cannot hold
(the other Machines counted at their replicas or autoscaling minimum) is a warning at
`maxReplicas`: the autoscaler's Machines past the range stay provisioning.

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
from fleetgen.policy.ipnet import allocatable_count, describe_capacity
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
            counted = allocatable_count(px.ipv4.addresses, px.ipv4.prefix, str(px.ipv4.gateway))
            if counted is None:
                continue  # (an unparsable entry is the spec's or the webhook rule's finding)
            addresses, written = counted
            spec = cluster.spec.spec
            parts = [("control plane", spec.control_plane.replicas)]
            for pool in spec.workers:
                scaling = pool.autoscaling  # (then replicas is not rendered)
                count = scaling.min_replicas if scaling else pool.replicas or 0
                parts.append((f"pool {pool.name}" + (" (autoscaling minimum)" if scaling else ""), count))
            machines = sum(count for _, count in parts)
            if machines <= addresses:
                yield from self._autoscaling_ceiling(cluster, addresses, written, parts)
                continue
            listed = ", ".join(f"{name} {count}" for name, count in parts if count)
            yield spec_finding(self, cluster.source, "/spec/proxmox/ipv4/addresses",
                               f"{describe_capacity(addresses, written)} for {machines} Machines ({listed}); "
                               f"{machines - addresses} Machine{'s' if machines - addresses != 1 else ''} would never get an "
                               "address from the IPAM pool and stay provisioning",
                               hint="add addresses (one more per Machine a rollout surges) or lower the replicas")

    def _autoscaling_ceiling(self, cluster: LoadedCluster, addresses: int, written: int,
                             parts: list[tuple[str, int]]) -> Iterator[Finding]:
        """A warning at the first autoscaled pool whose maximum the range cannot hold, the other
        Machines counted at their fixed size or autoscaling minimum."""
        spec = cluster.spec.spec
        fixed = sum(count for _, count in parts)
        for i, pool in enumerate(spec.workers):
            scaling = pool.autoscaling
            if scaling is None:
                continue
            peak = fixed - scaling.min_replicas + scaling.max_replicas
            if peak > addresses:
                yield spec_finding(self, cluster.source, f"/spec/workers/{i}/autoscaling/maxReplicas",
                                   f"the autoscaler may grow pool {pool.name} to {scaling.max_replicas} Machines "
                                   f"({peak} in the cluster), but there are {describe_capacity(addresses, written)}: "
                                   f"past {scaling.max_replicas - (peak - addresses)} in this pool, new Machines never "
                                   "get an address and stay provisioning",
                                   severity=Severity.WARNING,
                                   hint="add node addresses or lower maxReplicas")
                return


RULE = ProxmoxPoolCapacityRule()
