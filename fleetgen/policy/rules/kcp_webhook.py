"""kcp-webhook: rendered KubeadmControlPlanes must pass the KCP admission webhook.

Mirrors the create/update checks of the KubeadmControlPlane validating webhook on every rendered
KubeadmControlPlane, so a bad object fails the pull request instead of the GitOps sync:

* `spec.replicas` is required and > 0 ("is required", "cannot be less than or equal to 0");
* with stacked etcd (no `clusterConfiguration.etcd.external`) `spec.replicas` must be odd
  ("cannot be an even number when etcd is stacked");
* `spec.machineTemplate.spec.infrastructureRef.{apiGroup,kind,name}` are set ("cannot be empty");
* `spec.version` is a semantic version with a leading `v` ("must be a valid semantic version";
  without the `v` the defaulting webhook rewrites it and git never matches the cluster);
* `spec.rollout.strategy.type` is RollingUpdate ("only RollingUpdate is supported"),
  `rollingUpdate.maxSurge` is 0 or 1 ("value must be 1 or 0"), and maxSurge 0 needs at least 3
  replicas ("when KubeadmControlPlane is configured to scale-in, replica count needs to be at
  least 3");
* `spec.machineNaming.template`, when set, contains `{{ .random }}` ("invalid template,
  {{ .random }} is missing").

Severity: error.

Source:
    kubernetes-sigs/cluster-api v1.12.11,
    controlplane/kubeadm/internal/webhooks/kubeadmcontrolplane.go
    (`validateKubeadmControlPlaneSpec`, `validateRolloutAndCertValidityFields`).

Failing example::

    apiVersion: controlplane.cluster.x-k8s.io/v1beta2
    kind: KubeadmControlPlane
    spec:
      replicas: 2
      version: 1.33.1
      rollout: {strategy: {rollingUpdate: {maxSurge: 2}}}

Passing example::

    apiVersion: controlplane.cluster.x-k8s.io/v1beta2
    kind: KubeadmControlPlane
    spec:
      replicas: 3
      version: v1.33.1
      machineTemplate:
        spec:
          infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: ProxmoxMachineTemplate, name: pve-demo-control-plane-1a2b3c4d}
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.kversion import version_format_problem
from fleetgen.policy.objects import get, objects_of_kind
from fleetgen.policy.rules.md_webhook import naming_template_problem

KCP_GROUP = "controlplane.cluster.x-k8s.io"


def int_value(value: object) -> int:
    """Go's `intstr.IntOrString.IntValue()`: ints as is, strings via Atoi, 0 when that fails."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return 0
    return 0


class KcpWebhookRule:
    """Rendered KubeadmControlPlanes pass the KCP webhook's create checks."""

    id = "kcp-webhook"
    severity = Severity.ERROR
    summary = "rendered KubeadmControlPlanes must pass the KCP admission webhook (replicas, version, infrastructureRef, rollout, naming template)"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per webhook rule a rendered KubeadmControlPlane breaks."""
        for file, obj in objects_of_kind(ctx.rendered, "KubeadmControlPlane", group=KCP_GROUP):
            m = obj.manifest

            def finding(pointer: str, problem: str, file=file, obj=obj) -> Finding:
                return object_finding(self, ctx, file, obj, pointer, problem)

            replicas = get(m, "/spec/replicas")
            if replicas is None:
                yield finding("/spec/replicas", "is required")
            elif not isinstance(replicas, int) or isinstance(replicas, bool):
                yield finding("/spec/replicas", f"must be an integer, got {replicas!r}")
                replicas = None
            elif replicas <= 0:
                yield finding("/spec/replicas", f"cannot be less than or equal to 0, got {replicas}")
            external_etcd = get(m, "/spec/kubeadmConfigSpec/clusterConfiguration/etcd/external") is not None
            if isinstance(replicas, int) and replicas > 0 and replicas % 2 == 0 and not external_etcd:
                yield finding("/spec/replicas", f"cannot be an even number when etcd is stacked, got {replicas}")
            for part in ("apiGroup", "kind", "name"):
                ptr = f"/spec/machineTemplate/spec/infrastructureRef/{part}"
                if not get(m, ptr):
                    yield finding(ptr, "cannot be empty")
            problem = version_format_problem(get(m, "/spec/version"))
            if problem:
                yield finding("/spec/version", problem)
            problem = naming_template_problem(get(m, "/spec/machineNaming/template"))
            if problem:
                yield finding("/spec/machineNaming/template", problem)
            strategy = get(m, "/spec/rollout/strategy")
            if isinstance(strategy, dict) and strategy:
                kind = strategy.get("type")
                if kind is not None and kind != "RollingUpdate":
                    yield finding("/spec/rollout/strategy/type", f"only RollingUpdate is supported, got {kind!r}")
                surge = get(strategy, "/rollingUpdate/maxSurge")
                if surge is not None:
                    value = int_value(surge)
                    if value not in (0, 1):
                        yield finding("/spec/rollout/strategy/rollingUpdate/maxSurge", f"value must be 1 or 0, got {surge!r}")
                    elif value == 0 and isinstance(replicas, int) and replicas < 3:
                        yield finding("/spec/rollout/strategy/rollingUpdate",
                                      "when KubeadmControlPlane is configured to scale-in, replica count needs to be at least 3, "
                                      f"got {replicas}")


RULE = KcpWebhookRule()
