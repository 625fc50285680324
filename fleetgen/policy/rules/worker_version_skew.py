"""worker-version-skew: worker Kubernetes versions must be within the skew the control plane allows.

The MachineSet preflight checks (feature gate MachineSetPreflightChecks, on by default) hold the
creation of new worker Machines while their version does not fit the control plane's: a kubelet
newer than the control plane, or more than three minor versions older, is refused
(KubernetesVersionSkew). Nothing fails loudly — MachineSets just stop creating Machines, so
scale-ups and rollouts hang. This rule compares each rendered MachineDeployment's
`spec.template.spec.version` with the KubeadmControlPlane `spec.version` of the same cluster (in
the working tree; the check needs no base revision):

* worker minor newer than the control plane's minor — error;
* worker minor more than 3 behind the control plane's — error.

A ClusterSpec has one `kubernetesVersion`, and fleetgen renders the control plane and every pool
at it: an upgrade changes both in one commit, and the preflight checks hold the new worker
Machines until the control plane runs the new version. So the rule catches output that does not
come from a spec as it is: a MachineDeployment edited by hand under `fleet/` (`validate --base`).

Severity: error.

Source:
    kubernetes-sigs/cluster-api v1.12.11, internal/controllers/machineset/machineset_preflight.go
    (`checkKubernetesVersion`); docs/book/src/tasks/experimental-features/machineset-preflight-checks.md;
    Kubernetes version skew policy (https://kubernetes.io/releases/version-skew-policy/).

Failing example::

    kind: KubeadmControlPlane   # spec.version: v1.33.1
    ---
    kind: MachineDeployment     # spec.template.spec.version: v1.34.0  (newer than the control plane)

Passing example::

    kind: KubeadmControlPlane   # spec.version: v1.34.0
    ---
    kind: MachineDeployment     # spec.template.spec.version: v1.33.1  (one minor behind, rolls next)
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.kversion import MAX_KUBELET_SKEW_MINORS, parse_kube_version
from fleetgen.policy.objects import cluster_name_of, get, objects_of_kind

CAPI_GROUP = "cluster.x-k8s.io"
KCP_GROUP = "controlplane.cluster.x-k8s.io"


class WorkerVersionSkewRule:
    """MachineDeployment versions are not newer than, nor more than 3 minors older than, the control plane."""

    id = "worker-version-skew"
    severity = Severity.ERROR
    summary = "worker versions must not be newer than the control plane nor more than 3 minors older (MachineSet preflight checks)"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per MachineDeployment whose version is outside the control plane's skew window."""
        kcp_by_name = {(obj.ref.namespace, obj.ref.name): obj
                       for _, obj in objects_of_kind(ctx.rendered, "KubeadmControlPlane", group=KCP_GROUP)}
        control_plane: dict[tuple[str, str], str] = {}  # (namespace, cluster) -> KCP version
        for _, cluster in objects_of_kind(ctx.rendered, "Cluster", group=CAPI_GROUP):
            ref = get(cluster.manifest, "/spec/controlPlaneRef/name")
            kcp = kcp_by_name.get((cluster.ref.namespace, ref)) if isinstance(ref, str) else None
            if kcp is not None and isinstance(get(kcp.manifest, "/spec/version"), str):
                control_plane[(cluster.ref.namespace, cluster.ref.name)] = get(kcp.manifest, "/spec/version")
        for (namespace, _), kcp in kcp_by_name.items():
            owner = cluster_name_of(kcp)
            version = get(kcp.manifest, "/spec/version")
            if owner and isinstance(version, str):
                control_plane.setdefault((namespace, owner), version)
        for file, md in objects_of_kind(ctx.rendered, "MachineDeployment", group=CAPI_GROUP):
            cp_text = control_plane.get((md.ref.namespace, cluster_name_of(md)))
            md_text = get(md.manifest, "/spec/template/spec/version")
            cp, worker = parse_kube_version(cp_text), parse_kube_version(md_text)
            if cp is None or worker is None or cp.major != worker.major:
                continue
            if worker.minor > cp.minor:
                yield object_finding(self, ctx, file, md, "/spec/template/spec/version",
                                     f"{md_text} is newer than the control plane's {cp_text}; kubelets may not be newer than "
                                     "the API server, so MachineSets would never create Machines")
            elif cp.minor - worker.minor > MAX_KUBELET_SKEW_MINORS:
                yield object_finding(self, ctx, file, md, "/spec/template/spec/version",
                                     f"{md_text} is {cp.minor - worker.minor} minor versions behind the control plane's {cp_text}; "
                                     f"at most {MAX_KUBELET_SKEW_MINORS} are allowed, so MachineSets would never create Machines")


RULE = WorkerVersionSkewRule()
