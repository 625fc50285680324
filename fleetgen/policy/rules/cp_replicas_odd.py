"""cp-replicas-odd: the control plane must have an odd number of machines.

Every fleetgen control plane is a KubeadmControlPlane with stacked etcd (one etcd member per
control-plane machine). etcd needs a majority to work, so an even member count buys no extra
failure tolerance and makes a split vote possible; the KubeadmControlPlane webhook therefore
rejects it, and the pull request would merge but never apply.

Severity: error.

Source:
    kubernetes-sigs/cluster-api v1.12.11,
    controlplane/kubeadm/internal/webhooks/kubeadmcontrolplane.go (`validateKubeadmControlPlaneSpec`):
    "cannot be an even number when etcd is stacked"; the scale subresource (`scale.go`) says
    "replicas cannot be an even number when etcd is stacked".

Failing example::

    spec:
      controlPlane:
        replicas: 2        # spec.controlPlane.replicas: must be odd for stacked etcd, got 2

Passing example::

    spec:
      controlPlane:
        replicas: 3
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding


class CpReplicasOddRule:
    """Control-plane replicas must be odd (stacked etcd quorum)."""

    id = "cp-replicas-odd"
    severity = Severity.ERROR
    summary = "control-plane replicas must be odd: the KubeadmControlPlane webhook rejects even counts with stacked etcd"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per cluster whose `spec.controlPlane.replicas` is even."""
        for cluster in ctx.fleet.clusters:
            replicas = cluster.spec.spec.control_plane.replicas
            if replicas % 2 == 0:
                yield spec_finding(self, cluster.source, "/spec/controlPlane/replicas",
                                   f"must be odd for stacked etcd, got {replicas}",
                                   hint=f"use {replicas - 1} or {replicas + 1}; etcd tolerates (n-1)/2 failed members")


RULE = CpReplicasOddRule()
