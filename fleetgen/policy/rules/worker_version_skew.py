"""worker-version-skew: worker Kubernetes versions must be within the skew the control plane allows.

The MachineSet preflight checks (feature gate MachineSetPreflightChecks, on by default) hold the
creation of new worker Machines while their version does not fit the control plane's. Nothing
fails loudly — MachineSets just stop creating Machines, so scale-ups, remediation and rollouts
hang. This rule compares each rendered MachineDeployment's `spec.template.spec.version` with the
KubeadmControlPlane `spec.version` of the same cluster (in the working tree; the check needs no
base revision):

* worker minor newer than the control plane's minor — error (KubernetesVersionSkew: a kubelet
  may not be newer than the API server);
* worker minor more than 3 behind the control plane's — error (KubernetesVersionSkew);
* worker minor 1 to 3 behind, bootstrapped by a KubeadmConfigTemplate (as fleetgen renders every
  pool) — warning (KubeadmVersionSkew: kubeadm joins a Machine only at the control plane's minor
  version, so the pool creates no new Machines until it is upgraded too; its running Machines
  keep working).

Checks the MachineDeployment's `machineset.cluster.x-k8s.io/skip-preflight-checks` annotation
skips (`All`, `KubernetesVersionSkew`, `KubeadmVersionSkew`) are not reported.

A ClusterSpec has one `kubernetesVersion`, and fleetgen renders the control plane and every pool
at it: an upgrade changes both in one commit, and the preflight checks hold the new worker
Machines until the control plane runs the new version. So the rule catches output that does not
come from a spec as it is: a MachineDeployment edited by hand under `fleet/` (`validate --base`).

Severity: error (a minor one to three behind: warning).

Source:
    kubernetes-sigs/cluster-api v1.12.11, internal/controllers/machineset/machineset_preflight.go
    (`kubernetesVersionPreflightCheck`, `kubeadmVersionPreflightCheck`: "kubeadm only supports
    joining with the same major+minor version as the control plane");
    docs/book/src/tasks/experimental-features/machineset-preflight-checks.md; FIELD.md §1.23;
    Kubernetes version skew policy (https://kubernetes.io/releases/version-skew-policy/).

Failing example::

    kind: KubeadmControlPlane   # spec.version: v1.33.1
    ---
    kind: MachineDeployment     # spec.template.spec.version: v1.34.0  (newer than the control plane)

Passing example::

    kind: KubeadmControlPlane   # spec.version: v1.34.1
    ---
    kind: MachineDeployment     # spec.template.spec.version: v1.34.0  (an older patch of the same minor)
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.kversion import MAX_KUBELET_SKEW_MINORS, parse_kube_version
from fleetgen.policy.objects import cluster_name_of, get, objects_of_kind
from fleetgen.policy.rules.md_webhook import SKIP_PREFLIGHT_ANNOTATION

CAPI_GROUP = "cluster.x-k8s.io"
KCP_GROUP = "controlplane.cluster.x-k8s.io"
BOOTSTRAP_GROUP = "bootstrap.cluster.x-k8s.io"


class WorkerVersionSkewRule:
    """MachineDeployment versions are not newer than, nor more than 3 minors older than, the control plane;
    kubeadm-bootstrapped pools older at all are a warning."""

    id = "worker-version-skew"
    severity = Severity.ERROR
    summary = ("worker versions must not be newer than the control plane nor more than 3 minors older, and kubeadm joins "
               "new workers only at the control plane's minor (MachineSet preflight checks)")
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per MachineDeployment whose version is outside the control plane's skew window,
        or (a warning) behind the control plane's minor with a kubeadm bootstrap."""
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
            skipped = _skipped(md.manifest)
            if "All" in skipped:
                continue
            if worker.minor > cp.minor and "KubernetesVersionSkew" not in skipped:
                yield object_finding(self, ctx, file, md, "/spec/template/spec/version",
                                     f"{md_text} is newer than the control plane's {cp_text}; kubelets may not be newer than "
                                     "the API server, so MachineSets would never create Machines")
            elif cp.minor - worker.minor > MAX_KUBELET_SKEW_MINORS and "KubernetesVersionSkew" not in skipped:
                yield object_finding(self, ctx, file, md, "/spec/template/spec/version",
                                     f"{md_text} is {cp.minor - worker.minor} minor versions behind the control plane's {cp_text}; "
                                     f"at most {MAX_KUBELET_SKEW_MINORS} are allowed, so MachineSets would never create Machines")
            elif worker.minor != cp.minor and "KubeadmVersionSkew" not in skipped and _kubeadm_bootstrapped(md.manifest):
                yield object_finding(self, ctx, file, md, "/spec/template/spec/version",
                                     f"{md_text} is not the control plane's minor version ({cp_text}); kubeadm joins Machines "
                                     "only at the control plane's minor version, so this pool creates no new Machines "
                                     "(scale-up, remediation, rollout) until it is upgraded",
                                     severity=Severity.WARNING,
                                     hint=f"upgrade the pool to v{cp.major}.{cp.minor}.x, as a spec's kubernetesVersion does")


def _kubeadm_bootstrapped(md: dict) -> bool:
    """True when a MachineDeployment's Machines bootstrap with a KubeadmConfigTemplate (the
    `KubeadmVersionSkew` preflight check applies only then)."""
    ref = get(md, "/spec/template/spec/bootstrap/configRef")
    return (isinstance(ref, dict) and ref.get("kind") == "KubeadmConfigTemplate"
            and ref.get("apiGroup") == BOOTSTRAP_GROUP)


def _skipped(md: dict) -> set[str]:
    """The preflight checks a MachineDeployment's `machineset.cluster.x-k8s.io/skip-preflight-checks`
    annotation skips (MachineDeployment annotations are copied to its MachineSets)."""
    value = get(md, "/metadata/annotations")
    text = value.get(SKIP_PREFLIGHT_ANNOTATION) if isinstance(value, dict) else None
    return {item.strip() for item in text.split(",")} if isinstance(text, str) else set()


RULE = WorkerVersionSkewRule()
