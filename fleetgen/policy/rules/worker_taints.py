"""worker-taints: worker pool taints must not use the keys Kubernetes and Cluster API keep for themselves.

fleetgen registers a pool's `taints` on its Nodes through kubeadm (`nodeRegistration.taints`,
the kubelet's `--register-with-taints`). Cluster API's Machine validation refuses the same keys
on Machine taints, and for the same reasons:

* `node-role.kubernetes.io/control-plane` on workers ("taint is not allowed for worker Machines"):
  a worker that says it is a control-plane node repels every workload without the control-plane
  toleration;
* `node-role.kubernetes.io/master` ("taint is deprecated since 1.24 and should not be used
  anymore");
* `node.cluster.x-k8s.io/uninitialized` and `node.cluster.x-k8s.io/outdated-revision` (Cluster
  API sets and removes them: "taint key is not allowed");
* `node.kubernetes.io/*` except `node.kubernetes.io/out-of-service` (the kubelet and the node
  lifecycle controller own them: a not-ready or unschedulable taint set by hand is removed, or
  keeps the Node tainted for good);
* `node.cloudprovider.kubernetes.io/*` (the kubelet sets `.../uninitialized` for an external cloud
  provider and the cloud-controller-manager removes it: without one, the Nodes never take
  workloads).

Severity: error.

Source:
    kubernetes-sigs/cluster-api v1.12.11 Machine webhook (`validateMachineTaints`,
    `validateMachineTaintsForWorkers`; `internal/util/taints/validation.go` from v1.14),
    FIELD.md §2.1.2 and §2.1.7; kubernetes/kubernetes pkg/controller/nodelifecycle
    (`TaintNodesByCondition`).

Failing example::

    spec:
      workers:
        - name: md-0
          taints:
            - {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}

Passing example::

    spec:
      workers:
        - name: gpu
          taints:
            - {key: nvidia.com/gpu, value: "true", effect: NoSchedule}
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding

#: Keys Cluster API sets and removes on Nodes itself.
_CAPI_KEYS = frozenset({"node.cluster.x-k8s.io/uninitialized", "node.cluster.x-k8s.io/outdated-revision"})


def reserved_taint_problem(key: str) -> str | None:
    """Why a worker pool may not register a taint with `key`, as CAPI's Machine validation
    says it (in the order of its switch); None when the key is free to use."""
    if key == "node-role.kubernetes.io/control-plane":
        return ("taint is not allowed for worker Machines: the pool's Nodes would repel every workload "
                "without the control-plane toleration")
    if key in _CAPI_KEYS:
        return "taint key is not allowed: Cluster API sets and removes it on the Nodes itself"
    if key.startswith("node.kubernetes.io/") and key != "node.kubernetes.io/out-of-service":
        return ("taint key must not have the prefix node.kubernetes.io/, except for node.kubernetes.io/out-of-service: "
                "the kubelet and the node lifecycle controller own those taints")
    if key.startswith("node.cloudprovider.kubernetes.io/"):
        return ("taint key must not have the prefix node.cloudprovider.kubernetes.io/: the kubelet and the "
                "cloud-controller-manager own it; without one, the Nodes never take workloads")
    if key == "node-role.kubernetes.io/master":
        return "taint is deprecated since 1.24 and should not be used anymore"
    return None


class WorkerTaintsRule:
    """Worker pool taints must not use reserved keys."""

    id = "worker-taints"
    severity = Severity.ERROR
    summary = "worker pool taints must not use keys reserved for Kubernetes, Cluster API or the control plane"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per worker taint with a reserved key, at its `key`."""
        for cluster in ctx.fleet.clusters:
            for i, pool in enumerate(cluster.spec.spec.workers):
                for j, taint in enumerate(pool.taints):
                    problem = reserved_taint_problem(taint.key)
                    if problem is not None:
                        yield spec_finding(self, cluster.source, f"/spec/workers/{i}/taints/{j}/key", problem,
                                           hint="use a taint key of your own domain (example.com/dedicated)")


RULE = WorkerTaintsRule()
