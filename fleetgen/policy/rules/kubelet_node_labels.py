"""kubelet-node-labels: worker pool labels the kubelet refuses to set on its own Node.

fleetgen passes a pool's `labels` to the kubelet as `--node-labels` (through kubeadm's
`nodeRegistration.kubeletExtraArgs`), except the label domains Cluster API syncs from the Machine
to the Node (`node-role.kubernetes.io/*`, `[*.]node-restriction.kubernetes.io/*`,
`[*.]node.cluster.x-k8s.io/*`), which go on the Machines instead. The kubelet refuses to start
when `--node-labels` holds a key in the `kubernetes.io` or `k8s.io` namespaces (or a subdomain of
them) that is not one it may self-set ("unknown 'kubernetes.io' or 'k8s.io' labels specified with
--node-labels"): the allowed prefixes `[*.]kubelet.kubernetes.io/` and `[*.]node.kubernetes.io/`,
and the well-known set (`kubernetes.io/arch`, `kubernetes.io/hostname`, `kubernetes.io/os`,
`topology.kubernetes.io/region`, `topology.kubernetes.io/zone`, `node.kubernetes.io/instance-type`
and their beta forms). Every machine of the pool then fails to join, one after the other, while
the manifests apply cleanly.

Severity: error.

Source:
    kubernetes/kubernetes cmd/kubelet/app/options/options.go (`ValidateKubeletFlags`, "unknown
    'kubernetes.io' or 'k8s.io' labels specified with --node-labels"); staging/src/k8s.io/kubelet/
    pkg/apis/well_known_labels.go (`kubeletLabels`, `kubeletLabelNamespaces`, `IsKubeletLabel`);
    kubernetes-sigs/cluster-api docs/proposals/20220927-label-sync-between-machine-and-nodes.md.

Failing example::

    spec:
      workers:
        - name: md-0
          labels:
            kubernetes.io/role: worker       # not a label the kubelet may set

Passing example::

    spec:
      workers:
        - name: md-0
          labels:
            node-role.kubernetes.io/worker: ""   # synced by CAPI from the Machine
            node.kubernetes.io/pool: md-0        # an allowed kubelet prefix
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.node_labels import is_machine_synced_label, kubelet_refuses
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.sourcemap import escape_token


class KubeletNodeLabelsRule:
    """Pool labels passed to the kubelet must be ones it may self-set."""

    id = "kubelet-node-labels"
    severity = Severity.ERROR
    summary = "worker pool labels in the kubernetes.io/k8s.io namespaces must be ones the kubelet may set (or synced by CAPI)"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per pool label the kubelet would refuse."""
        for cluster in ctx.fleet.clusters:
            for i, pool in enumerate(cluster.spec.spec.workers):
                for key in pool.labels:
                    if is_machine_synced_label(key) or not kubelet_refuses(key):
                        continue
                    yield spec_finding(
                        self, cluster.source, f"/spec/workers/{i}/labels/{escape_token(key)}",
                        f"the kubelet refuses {key!r} in --node-labels (a kubernetes.io/k8s.io label it may not set "
                        "on its own Node), so no machine of the pool would join",
                        hint="use a label under node-role.kubernetes.io/ or node.cluster.x-k8s.io/ (CAPI syncs those "
                             "from the Machine), under node.kubernetes.io/, or outside kubernetes.io")


RULE = KubeletNodeLabelsRule()
