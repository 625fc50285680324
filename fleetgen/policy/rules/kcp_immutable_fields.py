"""kcp-immutable-fields: only the KubeadmControlPlane fields the webhook allows may change.

The KubeadmControlPlane webhook computes a JSON merge patch between the stored object and the
update and rejects every changed path outside an allow-list ("cannot be modified"). Allowed are
`metadata.*`, most of `kubeadmConfigSpec.clusterConfiguration` (etcd, dns, imageRepository,
featureGates, apiServer, controllerManager, scheduler, certificateValidityPeriodDays,
encryptionAlgorithm), parts of `initConfiguration` and `joinConfiguration` (nodeRegistration,
patches, skipPhases, bootstrapTokens, localAPIEndpoint, caCertPath, controlPlane, discovery,
timeouts), the kubeadmConfigSpec lists (bootCommands, preKubeadmCommands, postKubeadmCommands,
files, users, mounts, ...), `machineTemplate.{metadata,spec}`, `replicas`, `version`,
`remediation`, `machineNaming` and `rollout`. Everything else — e.g.
`clusterConfiguration.caCertificateValidityPeriodDays`, `clusterConfiguration.certificatesDir`,
`clusterConfiguration.controlPlaneEndpoint` — is fixed at creation. Switching between local and
external etcd is rejected too ("cannot change between external and local etcd").

Compares each rendered KubeadmControlPlane with the same object in the base revision; skipped
when there is no base revision.

Severity: error.

Source:
    kubernetes-sigs/cluster-api v1.12.11,
    controlplane/kubeadm/internal/webhooks/kubeadmcontrolplane.go (`ValidateUpdate`: `allowedPaths`,
    `paths`, `pathsMatch`; `validateClusterConfiguration`); FIELD.md §2.1.6.

Failing example (base revision had no certificatesDir)::

    kind: KubeadmControlPlane
    spec:
      kubeadmConfigSpec:
        clusterConfiguration:
          certificatesDir: /etc/kubernetes/pki-new

Passing example::

    kind: KubeadmControlPlane
    spec:
      replicas: 3          # was 1
      version: v1.34.2     # was v1.33.1
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.objects import get, merge_patch_paths, transitions
from fleetgen.sourcemap import join_pointer

KCP_GROUP = "controlplane.cluster.x-k8s.io"
_KCS = ("spec", "kubeadmConfigSpec")
_CC = _KCS + ("clusterConfiguration",)
_IC = _KCS + ("initConfiguration",)
_JC = _KCS + ("joinConfiguration",)

#: The webhook's `allowedPaths`, verbatim: "*" allows everything beneath.
ALLOWED_PATHS: tuple[tuple[str, ...], ...] = (
    ("metadata", "*"),
    _CC + ("etcd",), _CC + ("etcd", "*"), _CC + ("etcd", "local"), _CC + ("etcd", "local", "*"),
    _CC + ("etcd", "external", "*"),
    _CC + ("dns",), _CC + ("dns", "*"),
    _CC + ("imageRepository",),
    _CC + ("featureGates",), _CC + ("featureGates", "*"),
    _CC + ("apiServer",), _CC + ("apiServer", "*"),
    _CC + ("controllerManager",), _CC + ("controllerManager", "*"),
    _CC + ("scheduler",), _CC + ("scheduler", "*"),
    _CC + ("certificateValidityPeriodDays",),
    _CC + ("encryptionAlgorithm",),
    _IC + ("nodeRegistration",), _IC + ("nodeRegistration", "*"),
    _IC + ("patches", "directory"), _IC + ("patches",),
    _IC + ("skipPhases",), _IC + ("bootstrapTokens",),
    _IC + ("localAPIEndpoint",), _IC + ("localAPIEndpoint", "*"),
    _IC + ("timeouts",), _IC + ("timeouts", "*"),
    _JC + ("nodeRegistration",), _JC + ("nodeRegistration", "*"),
    _JC + ("patches", "directory"), _JC + ("patches",),
    _JC + ("skipPhases",), _JC + ("caCertPath",),
    _JC + ("controlPlane",), _JC + ("controlPlane", "*"),
    _JC + ("discovery",), _JC + ("discovery", "*"),
    _JC + ("timeouts",), _JC + ("timeouts", "*"),
    _KCS + ("bootCommands",), _KCS + ("preKubeadmCommands",), _KCS + ("postKubeadmCommands",),
    _KCS + ("files",), _KCS + ("verbosity",), _KCS + ("users",),
    _KCS + ("ntp",), _KCS + ("ntp", "*"),
    _KCS + ("ignition",), _KCS + ("ignition", "*"),
    _KCS + ("diskSetup",), _KCS + ("diskSetup", "*"),
    _KCS + ("format",), _KCS + ("mounts",),
    ("spec", "machineTemplate", "metadata"), ("spec", "machineTemplate", "metadata", "*"),
    ("spec", "machineTemplate", "spec"), ("spec", "machineTemplate", "spec", "*"),
    ("spec", "replicas"), ("spec", "version"),
    ("spec", "remediation"), ("spec", "remediation", "*"),
    ("spec", "machineNaming"), ("spec", "machineNaming", "*"),
    ("spec", "rollout"), ("spec", "rollout", "*"),
)


def paths_match(allowed: tuple[str, ...], path: tuple[str, ...]) -> bool:
    """The webhook's `pathsMatch`: a prefix match where "*" allows anything beneath."""
    if not allowed or not path:
        return False
    i = 0
    for i in range(len(path)):
        if i > len(allowed) - 1:
            return False
        if allowed[i] == "*":
            return True
        if path[i] != allowed[i]:
            return False
    return i >= len(allowed) - 1


def is_allowed(path: tuple[str, ...]) -> bool:
    """True if the KCP webhook lets `path` change."""
    return any(paths_match(a, path) for a in ALLOWED_PATHS)


class KcpImmutableFieldsRule:
    """KubeadmControlPlane updates only touch allow-listed fields."""

    id = "kcp-immutable-fields"
    severity = Severity.ERROR
    summary = "a KubeadmControlPlane update may only change the fields the KCP webhook allows (others 'cannot be modified')"
    scope = "transition"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per changed path outside the allow-list, and for an etcd local/external switch."""
        for t in transitions(ctx, "KubeadmControlPlane", group=KCP_GROUP):
            for path in merge_patch_paths(t.old.manifest, t.new.manifest):
                if not is_allowed(path):
                    yield object_finding(self, ctx, t.file, t.new, join_pointer(path),
                                         "cannot be modified (KubeadmControlPlane webhook); the change needs a new control plane",
                                         hint="revert the field, or create the cluster anew")
            ext = "/spec/kubeadmConfigSpec/clusterConfiguration/etcd/external"
            if (get(t.old.manifest, ext) is None) != (get(t.new.manifest, ext) is None):
                yield object_finding(self, ctx, t.file, t.new, ext, "cannot change between external and local etcd")


RULE = KcpImmutableFieldsRule()
