"""k8s-upgrade-skip: the control plane may move up at most one minor version per change.

kubeadm only upgrades one minor version at a time, so the KubeadmControlPlane webhook rejects a
version change that skips a minor ("cannot update Kubernetes version from X to Y": the new version
must be below `<old major>.<old minor + 2>.0`). Downgrades are not supported by kubeadm either.
The KCP webhook lets them through; a minor downgrade then breaks etcd and the API server (stored
objects and etcd data of the newer minor), so fleetgen reports it as an error, its own policy (the
ClusterClass topology webhook rejects it the same way: "version cannot be decreased"). A patch
downgrade within one minor (a rollback of a bad patch release) works in practice and is only a
warning; so is a release moved to its own pre-release (`v1.33.1` to `v1.33.1-rc.1`, which semver
sorts before it).

Compares the KubeadmControlPlane `spec.version` of the base revision and the working tree; skipped
when there is no base revision.

Severity: error (warning for a patch downgrade within the same minor).

Source:
    kubernetes-sigs/cluster-api v1.12.11,
    controlplane/kubeadm/internal/webhooks/kubeadmcontrolplane.go (`validateVersion`);
    internal/webhooks/cluster.go (`validateTopologyVersionUpdate`: "version cannot be decreased").

Failing example::

    spec:
      kubernetesVersion: v1.35.0     # base revision: v1.33.1 (skips v1.34)

Passing example::

    spec:
      kubernetesVersion: v1.34.2     # base revision: v1.33.1
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.kversion import parse_kube_version
from fleetgen.policy.objects import get, transitions

KCP_GROUP = "controlplane.cluster.x-k8s.io"


class K8sUpgradeSkipRule:
    """KubeadmControlPlane version changes go up by at most one minor and never down."""

    id = "k8s-upgrade-skip"
    severity = Severity.ERROR
    summary = "a control-plane Kubernetes upgrade may not skip a minor version, and versions may not decrease"
    scope = "transition"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per KubeadmControlPlane whose version skips a minor or decreases."""
        for t in transitions(ctx, "KubeadmControlPlane", group=KCP_GROUP):
            old_text, new_text = get(t.old.manifest, "/spec/version"), get(t.new.manifest, "/spec/version")
            old, new = parse_kube_version(old_text), parse_kube_version(new_text)
            if old is None or new is None:
                continue  # malformed versions are reported by kcp-webhook
            if old == new and not (_pre_release(new_text) and not _pre_release(old_text)):
                continue  # (the same patch; a release to its own pre-release is a rollback, below)
            if new >= type(new)(old.major, old.minor + 2, 0):
                yield object_finding(self, ctx, t.file, t.new, "/spec/version",
                                     f"cannot update Kubernetes version from {old_text} to {new_text}; "
                                     f"upgrade one minor version per change (v{old.major}.{old.minor + 1}.x next)")
            elif new <= old and (new.major, new.minor) == (old.major, old.minor):
                yield object_finding(self, ctx, t.file, t.new, "/spec/version",
                                     f"version decreased from {old_text} to {new_text} (a patch rollback): the KCP webhook "
                                     "accepts it and every control-plane machine is replaced; kubeadm supports only upgrades, "
                                     "so check the release notes of both patches", severity=Severity.WARNING)
            elif new < old:
                yield object_finding(self, ctx, t.file, t.new, "/spec/version",
                                     f"version cannot be decreased from {old_text} to {new_text}; kubeadm does not support "
                                     "minor downgrades (etcd and the stored objects stay at the newer minor)")


def _pre_release(text: object) -> bool:
    """Whether a version has a semver pre-release part (`v1.33.1-rc.1`), which sorts before its release."""
    return isinstance(text, str) and "-" in text.split("+", 1)[0]


RULE = K8sUpgradeSkipRule()
