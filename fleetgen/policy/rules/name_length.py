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
this rule tells (an info, shown with `-v`: nothing is wrong), and reports an error if a name the
renderer would produce is still not a valid label value.

On KubeVirt, CAPK creates the control plane's load-balancer Service itself, named
`<KubevirtCluster name>-lb` (fleetgen names the KubevirtCluster after the cluster). A Service name
is a DNS-1035 label: at most 63 characters, starting with a letter. A cluster name of 61-63
characters, or one starting with a digit, passes every webhook but the Service can never be
created, so the control plane never gets an endpoint: an error.

Severity: error for invalid names; info for names that will be shortened.

Source:
    kubernetes-sigs/cluster-api v1.12.11, internal/webhooks/cluster.go and
    internal/webhooks/machinedeployment.go ("must be a valid label value"); label value syntax from
    k8s.io/apimachinery/pkg/util/validation/validation.go (`IsValidLabelValue`, `IsDNS1035Label`);
    kubernetes-sigs/cluster-api-provider-kubevirt pkg/loadbalancer/loadbalancer.go
    (`NewLoadBalancer`: `name := ctx.KubevirtCluster.Name + "-lb"`).

Failing example (info: the 67-character `<cluster>-<pool>` becomes a shortened, hashed name)::

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

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.policy.labels import LABEL_VALUE_MAX, label_value_errors

if TYPE_CHECKING:
    from fleetgen.spec.load import LoadedCluster

CONTROL_PLANE_STEM = "control-plane"

#: CAPK's suffix for the control plane's load-balancer Service (`<KubevirtCluster name>-lb`).
KUBEVIRT_LB_SUFFIX = "-lb"
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS1035_MAX = 63


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
            if cluster.spec.spec.hypervisor == "kubevirt":
                yield from self._kubevirt_service_name(cluster)
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
                                       severity=Severity.INFO,
                                       hint="shorten the cluster or pool name to keep object names readable")

    def _kubevirt_service_name(self, cluster: LoadedCluster) -> Iterator[Finding]:
        """An error when CAPK's `<cluster>-lb` Service name is not a DNS-1035 label."""
        service = f"{cluster.name}{KUBEVIRT_LB_SUFFIX}"
        if len(service) > _DNS1035_MAX:
            problem = f"is {len(service)} characters, over the {_DNS1035_MAX} a Service name allows"
        elif not _DNS1035_LABEL.match(service):
            problem = "must start with a lower-case letter (a Service name is a DNS-1035 label)"
        else:
            return
        yield spec_finding(self, cluster.source, "/metadata/name",
                           f"CAPK names the control plane's load-balancer Service {service!r}, which {problem}; "
                           "the Service cannot be created and the control plane never gets an endpoint",
                           hint=f"use a KubeVirt cluster name of at most {_DNS1035_MAX - len(KUBEVIRT_LB_SUFFIX)} "
                                "characters that starts with a letter")


RULE = NameLengthRule()
