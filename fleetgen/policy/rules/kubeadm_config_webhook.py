"""kubeadm-config-webhook: rendered kubeadm bootstrap configs must pass the KubeadmConfig webhook.

The KubeadmConfig and KubeadmConfigTemplate webhooks, and the KubeadmControlPlane webhook for its
`spec.kubeadmConfigSpec`, run one validation of the kubeadm config spec. Mirrored here on every
rendered KubeadmConfigTemplate (`spec.template.spec`), KubeadmConfig (`spec`) and
KubeadmControlPlane (`spec.kubeadmConfigSpec`):

* a file sets `content` or `contentFrom`, not both ("only one of content or contentFrom may be
  specified for a single file");
* every file `path` is unique ("path property must be unique among all files": cloud-init would
  write one over the other);
* a user sets `passwd` or `passwdFrom`, not both ("only one of passwd or passwdFrom may be
  specified for a single user");
* neither `format: ignition` nor `ignition` is set: they need the KubeadmBootstrapFormatIgnition
  feature gate (alpha, off by default) ("can be set only if the KubeadmBootstrapFormatIgnition
  feature gate is enabled");
* on a KubeadmControlPlane, `initConfiguration.timeouts.controlPlaneComponentHealthCheckSeconds`
  equals `joinConfiguration`'s ("controlPlaneComponentHealthCheckSeconds must be set to the same
  value both in initConfiguration.timeouts and in joinConfiguration.timeouts").

fleetgen renders none of these fields from a spec in a way that breaks them, so the rule catches
objects edited by hand under `fleet/` (`validate --base`).

Severity: error.

Source:
    kubernetes-sigs/cluster-api v1.12.11, internal/apis/bootstrap/kubeadm/validation (`Validate`,
    `validateFiles`, `validateUsers`, `validateIgnition`), called by the
    KubeadmConfig, KubeadmConfigTemplate and KubeadmControlPlane webhooks; FIELD.md §2.1.8, §1.24.

Failing example::

    apiVersion: bootstrap.cluster.x-k8s.io/v1beta2
    kind: KubeadmConfigTemplate
    spec:
      template:
        spec:
          files:
            - {path: /etc/kube-vip.yaml, content: a}
            - {path: /etc/kube-vip.yaml, content: b}   # the same path twice

Passing example::

    apiVersion: bootstrap.cluster.x-k8s.io/v1beta2
    kind: KubeadmConfigTemplate
    spec:
      template:
        spec:
          files:
            - {path: /etc/kube-vip.yaml, content: a}
            - {path: /etc/kube-vip-prepare.sh, content: b}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.objects import get, objects_of_kind

BOOTSTRAP_GROUP = "bootstrap.cluster.x-k8s.io"
KCP_GROUP = "controlplane.cluster.x-k8s.io"
#: (kind, API group, pointer of the kubeadm config spec in the object).
_CONFIG_SPECS = (
    ("KubeadmConfigTemplate", BOOTSTRAP_GROUP, "/spec/template/spec"),
    ("KubeadmConfig", BOOTSTRAP_GROUP, "/spec"),
    ("KubeadmControlPlane", KCP_GROUP, "/spec/kubeadmConfigSpec"),
)
_IGNITION_GATE = "can be set only if the KubeadmBootstrapFormatIgnition feature gate is enabled (alpha, off by default)"
_HEALTH_CHECK = "timeouts/controlPlaneComponentHealthCheckSeconds"


def _items(value: Any) -> list[tuple[int, dict[str, Any]]]:
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)] if isinstance(value, list) else []


def config_spec_problems(spec: dict[str, Any], *, control_plane: bool) -> Iterator[tuple[str, str]]:
    """(pointer inside the kubeadm config spec, problem) for each webhook rule `spec` breaks.

    Args:
        spec: a KubeadmConfigSpec as plain data.
        control_plane: True for a KubeadmControlPlane's spec (the timeouts rule applies only there).
    """
    paths: set[str] = set()
    for i, file in _items(spec.get("files")):
        if file.get("content") and file.get("contentFrom"):
            yield f"/files/{i}", "only one of content or contentFrom may be specified for a single file"
        path = file.get("path")
        if not isinstance(path, str):
            continue  # (a path that is no string is the schema's finding)
        if path in paths:
            yield f"/files/{i}/path", f"path property must be unique among all files, {path!r} is set twice"
        paths.add(path)
    for i, user in _items(spec.get("users")):
        if user.get("passwd") and user.get("passwdFrom"):
            yield f"/users/{i}", "only one of passwd or passwdFrom may be specified for a single user"
    if spec.get("format") == "ignition":
        yield "/format", _IGNITION_GATE
    if spec.get("ignition"):
        yield "/ignition", _IGNITION_GATE
    if control_plane:
        init, join = get(spec, f"/initConfiguration/{_HEALTH_CHECK}"), get(spec, f"/joinConfiguration/{_HEALTH_CHECK}")
        if init != join:
            shown = ["unset" if v is None else str(v) for v in (init, join)]
            where = f"/initConfiguration/{_HEALTH_CHECK}" if init is not None else f"/joinConfiguration/{_HEALTH_CHECK}"
            yield where, ("controlPlaneComponentHealthCheckSeconds must be set to the same value both in "
                          f"initConfiguration.timeouts ({shown[0]}) and in joinConfiguration.timeouts ({shown[1]})")


class KubeadmConfigWebhookRule:
    """Rendered kubeadm config specs pass the KubeadmConfig webhook's validation."""

    id = "kubeadm-config-webhook"
    severity = Severity.ERROR
    summary = ("rendered KubeadmConfigTemplates and KubeadmControlPlane kubeadm configs must pass the KubeadmConfig "
               "webhook (unique file paths, one content source, no ignition without its feature gate)")
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per webhook rule a rendered kubeadm config spec breaks."""
        for kind, group, at in _CONFIG_SPECS:
            for file, obj in objects_of_kind(ctx.rendered, kind, group=group):
                spec = get(obj.manifest, at)
                if not isinstance(spec, dict):
                    continue
                for pointer, problem in config_spec_problems(spec, control_plane=kind == "KubeadmControlPlane"):
                    yield object_finding(self, ctx, file, obj, at + pointer, problem)


RULE = KubeadmConfigWebhookRule()
