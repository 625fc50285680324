"""name-length: cluster names and the names derived from them must be valid label values.

Cluster API uses object names as label values: the Cluster name becomes
`cluster.x-k8s.io/cluster-name` on every object of the cluster, a MachineDeployment name becomes
`cluster.x-k8s.io/deployment-name` on its MachineSets and Machines, and a KubeadmControlPlane name
becomes `cluster.x-k8s.io/control-plane-name`. Label values are at most 63 characters of
alphanumerics, `-`, `_` and `.`, starting and ending alphanumeric, so the Cluster and
MachineDeployment webhooks reject longer names ("must be a valid label value").

fleetgen derives `<cluster>-<pool>` (MachineDeployment, MachineHealthCheck) and
`<cluster>-control-plane` (KubeadmControlPlane). When such a name would exceed 63 characters the
renderer shortens it deterministically (`fleetgen.render.naming.fit_name`: a cut plus a hash of the
full name), which the API server accepts but people reading `kubectl get md` will not recognise;
this rule warns about that, and reports an error if a name the renderer would produce is still not
a valid label value.

Severity: error for invalid names; warning for names that will be shortened.

Source:
    kubernetes-sigs/cluster-api v1.12.11, internal/webhooks/cluster.go and
    internal/webhooks/machinedeployment.go ("must be a valid label value"); label value syntax from
    k8s.io/apimachinery/pkg/util/validation/validation.go (`IsValidLabelValue`).

Failing example (warning: the 67-character `<cluster>-<pool>` becomes a shortened, hashed name)::

    metadata:
      name: payments-production-eu-central-1-proxmox-cluster-blue   # 53 characters
    spec:
      workers:
        - name: gpu-pool-a100      # payments-...-blue-gpu-pool-a100 is 67 characters

Passing example::

    metadata:
      name: payments-prod-blue
    spec:
      workers:
        - name: gpu-a100
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.policy.labels import LABEL_VALUE_MAX, label_value_errors

CONTROL_PLANE_STEM = "control-plane"


def _renderer_naming() -> Callable[[str, str], str] | None:
    """The renderer's `object_name(cluster, stem)`, or None if the renderer does not provide it."""
    try:
        from fleetgen.render.naming import object_name
    except ImportError:  # pragma: no cover - the renderer ships fleetgen.render.naming
        return None
    return lambda cluster, stem: object_name(cluster, stem)


class NameLengthRule:
    """Cluster and derived object names must be valid label values (<= 63 characters)."""

    id = "name-length"
    severity = Severity.ERROR
    summary = "cluster names and derived MachineDeployment/KubeadmControlPlane names must be valid label values (<= 63 characters)"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield findings for invalid cluster names and for derived names that are invalid or shortened."""
        naming = _renderer_naming()
        for cluster in ctx.fleet.clusters:
            name = cluster.name
            for problem in label_value_errors(name):
                yield spec_finding(self, cluster.source, "/metadata/name",
                                   f"cluster name {name!r} must be a valid label value: {problem}")
            derived = [("/metadata/name", CONTROL_PLANE_STEM, "KubeadmControlPlane")]
            derived += [(f"/spec/workers/{i}/name", pool.name, "MachineDeployment")
                        for i, pool in enumerate(cluster.spec.spec.workers)]
            for pointer, stem, kind in derived:
                full = f"{name}-{stem}"
                final = naming(name, stem) if naming else full
                problems = label_value_errors(final)
                if problems:
                    yield spec_finding(self, cluster.source, pointer,
                                       f"{kind} name {final!r} must be a valid label value: {'; '.join(problems)}",
                                       hint="shorten the cluster or pool name")
                elif final != full and len(full) > LABEL_VALUE_MAX:
                    yield spec_finding(self, cluster.source, pointer,
                                       f"{kind} name {full!r} is {len(full)} characters, over the {LABEL_VALUE_MAX} a label value allows; "
                                       f"it will be rendered as {final!r}",
                                       severity=Severity.WARNING,
                                       hint="shorten the cluster or pool name to keep object names readable")


RULE = NameLengthRule()
