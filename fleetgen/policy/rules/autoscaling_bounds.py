"""autoscaling-bounds: autoscaled pools need min <= max; their `replicas` is not rendered.

With `autoscaling`, fleetgen renders the cluster-autoscaler node-group annotations
(`cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size` / `-max-size`) and leaves
`spec.replicas` out (DESIGN.md: "then replicas is not rendered"), so the autoscaler owns the count
and GitOps does not reset it on every sync (the autoscaler README warns that a fought-over count
"may enter a broken state where replicas become unpredictable"). `minReplicas > maxReplicas` makes
the node group unusable: the autoscaler refuses it and CAPI cannot default replicas inside it.
A `replicas` written next to `autoscaling` is accepted and ignored; an info says so (a new pool
starts at minReplicas, CAPI's default for an autoscaled MachineDeployment).

Severity: error (inverted bounds); info (replicas next to autoscaling).

Source:
    FIELD.md §1.1; kubernetes-sigs/cluster-api v1.12.11, internal/webhooks/machinedeployment.go
    (`calculateMachineDeploymentReplicas`), docs/book/src/tasks/automated-machine-management/autoscaling.md;
    kubernetes-sigs/cluster-api#7683.

Failing example::

    spec:
      workers:
        - name: md-0
          autoscaling: {minReplicas: 5, maxReplicas: 2}  # min > max

Passing example::

    spec:
      workers:
        - name: md-0
          autoscaling: {minReplicas: 2, maxReplicas: 5}
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding


class AutoscalingBoundsRule:
    """Autoscaled pools: minReplicas <= maxReplicas; a `replicas` next to autoscaling is ignored (info)."""

    id = "autoscaling-bounds"
    severity = Severity.ERROR
    summary = "autoscaled pools need minReplicas <= maxReplicas (their replicas, if written, is not rendered)"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield an error for inverted bounds and an info for replicas set next to autoscaling."""
        for cluster in ctx.fleet.clusters:
            for i, pool in enumerate(cluster.spec.spec.workers):
                scaling = pool.autoscaling
                if scaling is None:
                    continue
                base = f"/spec/workers/{i}"
                if scaling.min_replicas > scaling.max_replicas:
                    yield spec_finding(self, cluster.source, f"{base}/autoscaling/minReplicas",
                                       f"must not exceed maxReplicas, got {scaling.min_replicas} > {scaling.max_replicas}")
                if pool.replicas is not None:
                    yield spec_finding(self, cluster.source, f"{base}/replicas",
                                       "is not rendered because autoscaling is set: the cluster-autoscaler owns the "
                                       "replica count", severity=Severity.INFO,
                                       hint="remove replicas; a new pool starts at minReplicas")


RULE = AutoscalingBoundsRule()
