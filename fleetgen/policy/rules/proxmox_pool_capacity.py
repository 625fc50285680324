"""proxmox-pool-capacity: a Proxmox cluster's node address range must hold all of its Machines.

CAPMOX gives every Machine one address from the in-cluster IPAM pool it builds from
`spec.proxmox.ipv4.addresses`. When the spec asks for more Machines than the pool has addresses
(control-plane replicas plus every pool's replicas, or its autoscaling minimum), the IPAddressClaims
of the extra Machines are never fulfilled: those Machines stay provisioning forever, and neither
the webhooks nor the API server say so. The count is a floor: a rollout needs one extra address
per surging Machine on top of it.

Severity: error.

Source:
    kubernetes-sigs/cluster-api-ipam-provider-in-cluster v1.0.3 (an InClusterIPPool allocates
    each address to at most one IPAddressClaim); ionos-cloud/cluster-api-provider-proxmox v0.9.0
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

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.policy.ipnet import address_count
from fleetgen.policy.objects import proxmox_clusters


class ProxmoxPoolCapacityRule:
    """The node address range has at least as many addresses as the cluster has Machines."""

    id = "proxmox-pool-capacity"
    severity = Severity.ERROR
    summary = "a Proxmox node address range must have an address for every Machine the spec asks for"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per Proxmox cluster whose addresses are fewer than its Machines."""
        for cluster, px in proxmox_clusters(ctx):
            addresses = address_count(px.ipv4.addresses)
            if addresses is None:
                continue  # (an unparsable entry is the spec's or the webhook rule's finding)
            spec = cluster.spec.spec
            parts = [("control plane", spec.control_plane.replicas)]
            for pool in spec.workers:
                scaling = pool.autoscaling  # (then replicas is not rendered)
                count = scaling.min_replicas if scaling else pool.replicas or 0
                parts.append((f"pool {pool.name}" + (" (autoscaling minimum)" if scaling else ""), count))
            machines = sum(count for _, count in parts)
            if machines <= addresses:
                continue
            listed = ", ".join(f"{name} {count}" for name, count in parts if count)
            yield spec_finding(self, cluster.source, "/spec/proxmox/ipv4/addresses",
                               f"{addresses} node address{'es' if addresses != 1 else ''} for {machines} Machines ({listed}); "
                               f"{machines - addresses} Machine{'s' if machines - addresses != 1 else ''} would never get an "
                               "address from the IPAM pool and stay provisioning",
                               hint="add addresses (one more per Machine a rollout surges) or lower the replicas")


RULE = ProxmoxPoolCapacityRule()
