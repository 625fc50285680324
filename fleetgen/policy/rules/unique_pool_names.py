"""unique-pool-names: worker pool names must be unique within a cluster.

Each worker pool becomes one MachineDeployment named `<cluster>-<pool>` (plus its templates and
MachineHealthCheck). Two pools with one name would render two different objects under one name:
the second silently replaces the first in the output, or the GitOps agent fights over it.

Severity: error.

Source:
    fleetgen naming (DESIGN.md "one MachineDeployment per pool"; `fleetgen.render.naming`);
    Kubernetes object names are unique per kind and namespace.

Failing example::

    spec:
      workers:
        - {name: md-0, replicas: 3, machine: {cpus: 2, memory: 4Gi}}
        - {name: md-0, replicas: 1, machine: {cpus: 8, memory: 32Gi}}   # already defined

Passing example::

    spec:
      workers:
        - {name: md-0, replicas: 3, machine: {cpus: 2, memory: 4Gi}}
        - {name: md-large, replicas: 1, machine: {cpus: 8, memory: 32Gi}}
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding


class UniquePoolNamesRule:
    """Worker pool names are unique within a cluster."""

    id = "unique-pool-names"
    severity = Severity.ERROR
    summary = "worker pool names must be unique within a cluster (each becomes a MachineDeployment name)"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per repeated pool name, at the repetition."""
        for cluster in ctx.fleet.clusters:
            first: dict[str, int] = {}
            for i, pool in enumerate(cluster.spec.spec.workers):
                if pool.name in first:
                    yield spec_finding(self, cluster.source, f"/spec/workers/{i}/name",
                                       f"pool {pool.name!r} is already defined at spec.workers[{first[pool.name]}]; "
                                       "pool names must be unique within a cluster")
                else:
                    first[pool.name] = i


RULE = UniquePoolNamesRule()
