"""infrastructure-provider-change: a running cluster cannot move to another hypervisor.

Changing `spec.hypervisor` of an existing cluster (KubeVirt to Proxmox or back) renders the same
Cluster with a `spec.infrastructureRef` of another kind. No webhook refuses it (CAPI only refuses
removing the reference), but nothing migrates a running cluster between infrastructure providers:
the old infrastructure cluster (KubevirtCluster or ProxmoxCluster) and its machine templates are
pruned from git, so the old provider deletes the load balancer or VIP and the machines behind the
control-plane endpoint, while Cluster API keeps the endpoint it copied into the Cluster once and the
new control-plane machines join with certificates and kubeconfigs for that old address. The
cluster loses its API server and its workers.

Compares each Cluster's `spec.infrastructureRef` API group and kind with the base revision's;
skipped when there is no base revision (a new cluster may use any hypervisor).

Severity: error.

Source:
    kubernetes-sigs/cluster-api v1.12.11, internal/webhooks/cluster.go (`validate`: only a
    removed `infrastructureRef` is refused, "cannot be removed") and
    internal/controllers/cluster/cluster_controller_phases.go (`reconcileInfrastructure`: the
    endpoint is copied from the infrastructure cluster only while the Cluster has none).

Failing example (base revision: `hypervisor: kubevirt`)::

    metadata: {name: kv-demo}
    spec:
      hypervisor: proxmox

Passing example (a new cluster on the new hypervisor; the old one is removed once its workloads moved)::

    metadata: {name: kv-demo-pve}
    spec:
      hypervisor: proxmox
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.objects import get, transitions

CAPI_GROUP = "cluster.x-k8s.io"


def _provider(manifest: dict) -> tuple[object, object]:
    return get(manifest, "/spec/infrastructureRef/apiGroup"), get(manifest, "/spec/infrastructureRef/kind")


class InfrastructureProviderChangeRule:
    """A Cluster keeps the infrastructure provider (infrastructureRef apiGroup and kind) of the base revision."""

    id = "infrastructure-provider-change"
    severity = Severity.ERROR
    summary = ("an existing cluster must not change hypervisor (its infrastructureRef kind): nothing migrates a "
               "running cluster between infrastructure providers")
    scope = "transition"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per Cluster whose infrastructureRef apiGroup or kind changed (a removed ref is cluster-immutable's)."""
        for t in transitions(ctx, "Cluster", group=CAPI_GROUP):
            old_group, old_kind = _provider(t.old.manifest)
            new_group, new_kind = _provider(t.new.manifest)
            if not old_kind or not new_kind or (old_group, old_kind) == (new_group, new_kind):
                continue
            yield object_finding(self, ctx, t.file, t.new, "/spec/infrastructureRef/kind",
                                 f"changed from {old_kind} to {new_kind}: nothing migrates a running cluster to another "
                                 f"infrastructure provider; the {old_kind} and its machines are pruned while the "
                                 "Cluster keeps the old control-plane endpoint, so the cluster is lost",
                                 hint="keep the hypervisor of a running cluster; render a new cluster under another "
                                      "name on the new hypervisor, move the workloads, then remove the old spec")


RULE = InfrastructureProviderChangeRule()
