"""k8s-version-supported: kubernetesVersion must be one the pinned Cluster API supports.

fleetgen pins Cluster API v1.12.11, which supports workload clusters running Kubernetes v1.29.x
to v1.36.x. Older versions lack APIs the v1beta2 controllers and kubeadm bootstrap rely on;
newer ones were not tested and may use kubeadm config or component flags KCP cannot yet handle.

Severity: error.

Source:
    kubernetes-sigs/cluster-api v1.12.11 release notes ("Kubernetes version support — Workload
    Cluster: v1.29.x -> v1.36.x"); docs/book/src/reference/versions.md; FIELD.md §1.23.

Failing example::

    spec:
      kubernetesVersion: v1.28.9

Passing example::

    spec:
      kubernetesVersion: v1.33.1
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.policy.kversion import (
    CAPI_VERSION,
    SUPPORTED_WORKLOAD_MINORS,
    parse_kube_version,
    supported_range_text,
)


class K8sVersionSupportedRule:
    """kubernetesVersion is within CAPI v1.12's workload support range."""

    id = "k8s-version-supported"
    severity = Severity.ERROR
    summary = f"kubernetesVersion must be a workload version Cluster API {CAPI_VERSION} supports ({supported_range_text()})"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per cluster whose minor version is outside the supported range."""
        lowest, highest = SUPPORTED_WORKLOAD_MINORS
        for cluster in ctx.fleet.clusters:
            version = parse_kube_version(cluster.spec.spec.kubernetes_version)
            if version is None:
                continue  # the spec model rejects malformed versions
            if not lowest <= version.minor_key <= highest:
                yield spec_finding(self, cluster.source, "/spec/kubernetesVersion",
                                   f"{cluster.spec.spec.kubernetes_version} is outside the workload cluster versions "
                                   f"Cluster API {CAPI_VERSION} supports ({supported_range_text()})")


RULE = K8sVersionSupportedRule()
