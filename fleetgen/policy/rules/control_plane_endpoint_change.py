"""control-plane-endpoint-change: a running cluster's control-plane endpoint cannot move.

Cluster API copies `controlPlaneEndpoint` from the infrastructure cluster (the ProxmoxCluster)
into `Cluster.spec.controlPlaneEndpoint` once, while the Cluster has none, and never again. Every
webhook accepts a new kube-vip address or port on the ProxmoxCluster, and the KubeadmControlPlane
then rolls out machines that announce the new VIP, but the Cluster, the kubeconfig Secret, the API
server certificates (issued for the endpoint kubeadm was given) and every joined kubelet keep the
old one: once the last old control-plane machine is gone, nothing reaches the API server.

Compares each ProxmoxCluster's `spec.controlPlaneEndpoint` with the base revision's; skipped when
there is no base revision (a new cluster may use any endpoint).

Severity: error.

Source:
    kubernetes-sigs/cluster-api v1.12.11, internal/controllers/cluster/cluster_controller_phases.go
    (`reconcileInfrastructure`: the endpoint is read from the infrastructure cluster only
    `if !cluster.Spec.ControlPlaneEndpoint.IsValid()`); ionos-cloud/cluster-api-provider-proxmox
    v0.9.0 (kube-vip announces `controlPlaneEndpoint.host`).

Failing example (base revision: `host: 10.10.10.9`)::

    spec:
      proxmox:
        controlPlaneEndpoint: {host: 10.10.10.8, port: 6443}

Passing example::

    spec:
      proxmox:
        controlPlaneEndpoint: {host: 10.10.10.9, port: 6443}
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.objects import get, transitions

INFRA_GROUP = "infrastructure.cluster.x-k8s.io"


def _endpoint(manifest: dict) -> str:
    host, port = get(manifest, "/spec/controlPlaneEndpoint/host"), get(manifest, "/spec/controlPlaneEndpoint/port")
    return f"{host}:{port}"


class ControlPlaneEndpointChangeRule:
    """A ProxmoxCluster keeps the control-plane endpoint of the base revision."""

    id = "control-plane-endpoint-change"
    severity = Severity.ERROR
    summary = ("the control-plane endpoint of an existing Proxmox cluster must not change (CAPI copies it into the "
               "Cluster once; certificates and kubeconfigs keep the old address)")
    scope = "transition"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per ProxmoxCluster whose endpoint host or port changed."""
        for t in transitions(ctx, "ProxmoxCluster", group=INFRA_GROUP):
            old, new = get(t.old.manifest, "/spec/controlPlaneEndpoint"), get(t.new.manifest, "/spec/controlPlaneEndpoint")
            if not isinstance(old, dict) or not old.get("host") or old == new:
                continue
            field = "host" if isinstance(new, dict) and new.get("host") != old.get("host") else "port"
            yield object_finding(self, ctx, t.file, t.new, f"/spec/controlPlaneEndpoint/{field}",
                                 f"changed from {_endpoint(t.old.manifest)} to {_endpoint(t.new.manifest)}; Cluster API keeps "
                                 "the endpoint it copied into the Cluster, and the API server certificates, kubeconfigs "
                                 "and kubelets keep the old address, so the cluster loses its API server",
                                 hint="keep the endpoint of a running cluster; a new endpoint means a new cluster")


RULE = ControlPlaneEndpointChangeRule()
