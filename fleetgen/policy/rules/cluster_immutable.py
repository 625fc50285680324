"""cluster-immutable: objects cannot move to another cluster, and Cluster references cannot go.

`spec.clusterName` of a MachineDeployment, MachineSet or MachineHealthCheck is immutable ("field is
immutable"): an object cannot be moved from one cluster to another, only deleted and created
again. A Cluster's `spec.infrastructureRef` and `spec.controlPlaneRef` cannot be removed once set
("cannot be removed"). Both would make the GitOps sync fail after merge — typically after renaming
a cluster while keeping its pool objects' names, or hand-editing rendered output.

Compares each rendered object with the same object in the base revision; skipped when there is no
base revision.

Severity: error.

Source:
    kubernetes-sigs/cluster-api v1.12.11, internal/webhooks/machinedeployment.go,
    internal/webhooks/machineset.go, internal/webhooks/machinehealthcheck.go ("field is
    immutable"); internal/webhooks/cluster.go ("cannot be removed").

Failing example (base revision: `clusterName: pve-demo`)::

    kind: MachineDeployment
    metadata: {name: pve-demo-md-0}
    spec: {clusterName: pve-demo-2}

Passing example::

    kind: MachineDeployment
    metadata: {name: pve-demo-2-md-0}       # a new object for the new cluster
    spec: {clusterName: pve-demo-2}
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.objects import get, transitions

CAPI_GROUP = "cluster.x-k8s.io"


class ClusterImmutableRule:
    """clusterName of MachineDeployments, MachineSets and MachineHealthChecks, and Cluster refs, are kept."""

    id = "cluster-immutable"
    severity = Severity.ERROR
    summary = "spec.clusterName of MachineDeployments/MachineHealthChecks is immutable; Cluster refs cannot be removed"
    scope = "transition"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per changed clusterName and per removed Cluster reference."""
        for t in transitions(ctx, "MachineDeployment", "MachineSet", "MachineHealthCheck", group=CAPI_GROUP):
            old, new = get(t.old.manifest, "/spec/clusterName"), get(t.new.manifest, "/spec/clusterName")
            if old != new:
                yield object_finding(self, ctx, t.file, t.new, "/spec/clusterName",
                                     f"field is immutable: changed from {old!r} to {new!r}",
                                     hint="objects cannot move between clusters; render them under a new name")
        for t in transitions(ctx, "Cluster", group=CAPI_GROUP):
            for ref in ("infrastructureRef", "controlPlaneRef"):
                if get(t.old.manifest, f"/spec/{ref}") and not get(t.new.manifest, f"/spec/{ref}"):
                    yield object_finding(self, ctx, t.file, t.new, f"/spec/{ref}", "cannot be removed")


RULE = ClusterImmutableRule()
