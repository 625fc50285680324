"""proxmox-rollout-capacity: a rollout needs a free node address for its first new Machine.

Cluster API replaces machines by surging: the KubeadmControlPlane (maxSurge 1, fleetgen's and
CAPI's default) and each MachineDeployment (maxSurge 1, maxUnavailable 0) first create a new
Machine and delete an old one only once the new one is ready. On Proxmox every Machine needs an
address from the cluster's IPAM pool; when the pool can allocate exactly as many addresses as the
cluster has Machines (the gateway and the subnet's network and broadcast addresses are never
allocated: `fleetgen.policy.ipnet.allocatable_count`), the first surging Machine never gets one, so a change that rolls machines (a new
Kubernetes version, a changed machine template or bootstrap config) stalls forever, without an
error anywhere. With one spare address the rollout proceeds, one Machine at a time.

Compares the working tree with the base revision: fires only for a change that rolls out the
control plane or a pool of an existing Proxmox cluster. A range with fewer addresses than Machines
is `proxmox-pool-capacity`'s error.

Severity: warning.

Source:
    kubernetes-sigs/cluster-api v1.12.11 (KubeadmControlPlane `rollout.strategy.rollingUpdate.maxSurge`
    default 1; MachineDeployment rolling update maxSurge 1, maxUnavailable 0);
    kubernetes-sigs/cluster-api-ipam-provider-in-cluster (an exhausted pool leaves the
    IPAddressClaim pending); FIELD.md §1.15.

Failing example (2 Machines, 2 addresses; the base revision ran v1.33.1)::

    spec:
      kubernetesVersion: v1.34.2
      proxmox:
        ipv4: {addresses: [10.10.10.10-10.10.10.11], prefix: 24, gateway: 10.10.10.1}

Passing example::

    spec:
      kubernetesVersion: v1.34.2
      proxmox:
        ipv4: {addresses: [10.10.10.10-10.10.10.12], prefix: 24, gateway: 10.10.10.1}
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.ipnet import allocatable_count
from fleetgen.policy.objects import (
    cluster_name_of,
    get,
    identity,
    index_by_identity,
    machine_count,
    objects_of_kind,
)

INFRA_GROUP = "infrastructure.cluster.x-k8s.io"
#: Fields whose change rolls a KubeadmControlPlane's or a MachineDeployment's Machines.
_ROLLING_FIELDS = {
    "KubeadmControlPlane": ("/spec/version", "/spec/machineTemplate/spec/infrastructureRef", "/spec/kubeadmConfigSpec"),
    "MachineDeployment": ("/spec/template/spec/version", "/spec/template/spec/infrastructureRef",
                          "/spec/template/spec/bootstrap"),
}


class ProxmoxRolloutCapacityRule:
    """A change that rolls machines leaves a free address in the node range for the surge Machine."""

    id = "proxmox-rollout-capacity"
    severity = Severity.WARNING
    summary = "a rollout on Proxmox needs one free node address for its surge Machine, or it stalls"
    scope = "transition"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one warning per existing Proxmox cluster whose change rolls machines with no spare address."""
        if ctx.base is None:
            return
        old_index = index_by_identity(ctx.base.rendered)
        for file, pxc in objects_of_kind(ctx.rendered, "ProxmoxCluster", group=INFRA_GROUP):
            if identity(pxc) not in old_index:
                continue  # (a new cluster: nothing rolls)
            entries = get(pxc.manifest, "/spec/ipv4Config/addresses")
            capacity = (allocatable_count(entries, get(pxc.manifest, "/spec/ipv4Config/prefix"),
                                          get(pxc.manifest, "/spec/ipv4Config/gateway"))
                        if isinstance(entries, list) and entries else None)
            if capacity is None:
                continue
            addresses = capacity.allocatable
            namespace, cluster = pxc.ref.namespace, cluster_name_of(pxc) or pxc.ref.name
            machines = machine_count(ctx.rendered, namespace, cluster)
            if addresses != machines:
                continue  # (spare addresses, or fewer than Machines: proxmox-pool-capacity's error)
            rolling = self._rolling(ctx, old_index, namespace, cluster)
            if rolling:
                yield object_finding(self, ctx, file, pxc, "/spec/ipv4Config/addresses",
                                     f"this change rolls out {', '.join(rolling)}, but the "
                                     f"{capacity.describe()} are all held by the {machines} Machines: "
                                     "the first new Machine never gets one and the rollout stalls",
                                     hint="add at least one address to the range (one per Machine surging at once)")

    @staticmethod
    def _rolling(ctx: PolicyContext, old_index: dict, namespace: str, cluster: str) -> list[str]:
        """Names of the cluster's KubeadmControlPlane and MachineDeployments whose Machines this change replaces."""
        out = []
        for kind, pointers in _ROLLING_FIELDS.items():
            for _, obj in objects_of_kind(ctx.rendered, kind):
                if obj.ref.namespace != namespace or cluster_name_of(obj) != cluster:
                    continue
                hit = old_index.get(identity(obj))
                if hit is not None and any(get(hit[1].manifest, p) != get(obj.manifest, p) for p in pointers):
                    out.append(f"{kind} {obj.ref.name}")
        return out


RULE = ProxmoxRolloutCapacityRule()
