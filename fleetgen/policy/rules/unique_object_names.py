"""unique-object-names: two specs must not render objects of one name, kind and namespace.

Every rendered object's name comes from its cluster's name and, for a worker pool's objects, the
pool's name: `<cluster>-<pool>` for the MachineDeployment and MachineHealthCheck, with a content
hash for its templates. So cluster `kv-a` with pool `b-c` and cluster `kv-a-b` with pool `c`, in
one namespace, both render `MachineDeployment kv-a-b-c`. Neither `unique-cluster-names` nor
`unique-pool-names` sees it. In the output both bundles hold the object: the GitOps agent applies
one and then the other, the second changing `spec.clusterName` (refused: "field is immutable") or
silently replacing the first cluster's pool, and Fleet refuses a bundle whose object another
bundle owns.

Reported at each spec rendering the object: at the pool's `name` for a pool's objects, else at
`metadata.name`, naming the other spec. Objects are compared by API group, kind, namespace and
name, across the clusters, the addons and the GitOps agent's objects.

Severity: error.

Source:
    Kubernetes object names are unique per resource and namespace (kubernetes.io "Object Names and
    IDs"); kubernetes-sigs/cluster-api v1.12.11 internal/webhooks/machinedeployment.go and
    machinehealthcheck.go (`spec.clusterName` is immutable); fleetgen naming
    (`fleetgen.render.naming`).

Failing example (two specs in namespace `clusters`)::

    metadata: {name: kv-a}
    spec:
      workers:
        - {name: b-c, replicas: 1, machine: {cpus: 2, memory: 4Gi}}   # MachineDeployment kv-a-b-c
    ---
    metadata: {name: kv-a-b}
    spec:
      workers:
        - {name: c, replicas: 1, machine: {cpus: 2, memory: 4Gi}}     # MachineDeployment kv-a-b-c

Passing example::

    metadata: {name: kv-a}
    spec:
      workers:
        - {name: bc, replicas: 1, machine: {cpus: 2, memory: 4Gi}}    # MachineDeployment kv-a-bc
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.render.base import ObjectIdentity
from fleetgen.sourcemap import SourceMap

if TYPE_CHECKING:
    from fleetgen.render.base import RenderedObject
    from fleetgen.spec.load import LoadedCluster

#: The spec pointer of a worker pool (its objects are named after the pool).
_POOL = re.compile(r"/spec/workers/(\d+)(?:/|$)")


@dataclass(frozen=True)
class _Occurrence:
    """One object as a spec renders it: `pointer` is where the spec (`source`) chose its name."""

    identity: ObjectIdentity
    source: SourceMap
    pointer: str
    producer: str

    @property
    def owner(self) -> tuple[str, str]:
        """Who renders it: a cluster (namespace, name), else the addon's or fleetgen.yaml's file."""
        if self.identity.cluster:
            return (self.identity.namespace, self.identity.cluster)
        return ("", self.source.file)


class UniqueObjectNamesRule:
    """No two specs render an object of one API group, kind, namespace and name."""

    id = "unique-object-names"
    severity = Severity.ERROR
    summary = ("two specs must not render objects of one kind, namespace and name (e.g. cluster kv-a's pool "
               "b-c and cluster kv-a-b's pool c both make MachineDeployment kv-a-b-c)")
    scope = "fleet"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per spec position rendering objects that another spec renders too. Two
        specs of one cluster name and namespace are `unique-cluster-names`', not reported here."""
        clusters = {(cluster.namespace, cluster.name): cluster for cluster in ctx.fleet.clusters}
        seen: dict[tuple[str, str, str, str], list[_Occurrence]] = {}
        for file in ctx.rendered.files:
            objects = {obj.identity: obj for obj in file.objects}
            for identity in file.identities():
                occurrence = _occurrence(identity, clusters, objects.get(identity))
                if occurrence is not None:
                    seen.setdefault(identity[:4], []).append(occurrence)
        clashes: dict[tuple[str, str, str, str], tuple[_Occurrence, _Occurrence, list[ObjectIdentity]]] = {}
        for occurrences in seen.values():
            for occurrence in occurrences:
                other = next((o for o in occurrences if o.owner != occurrence.owner), None)
                if other is not None:
                    key = (*occurrence.owner, occurrence.pointer, *other.owner, other.pointer)
                    clashes.setdefault(key, (occurrence, other, []))[2].append(occurrence.identity)
        for occurrence, other, identities in clashes.values():
            yield self._finding(occurrence, other, identities)

    def _finding(self, occurrence: _Occurrence, other: _Occurrence, identities: list[ObjectIdentity]) -> Finding:
        """One finding at `occurrence`'s spec position for all the objects it renders that `other` renders too."""
        named = [f"{i.kind} {i.namespace}/{i.name}" if i.namespace else f"{i.kind} {i.name}" for i in identities]
        objects = named[0] if len(named) == 1 else f"{named[0]} (and {', '.join(named[1:])})"
        position = other.source.lookup(other.pointer)
        return spec_finding(
            self, occurrence.source, occurrence.pointer,
            f"renders {objects}, which {other.producer} ({position.file}:{position.line}) renders too: the "
            "GitOps agent would apply two different objects under one name",
            hint="rename the pool or the cluster so that the names differ")


def _occurrence(identity: ObjectIdentity, clusters: dict[tuple[str, str], LoadedCluster],
                obj: RenderedObject | None) -> _Occurrence | None:
    """Where the user chose `identity`'s name: a pool's objects at the pool's `name`, a cluster's
    other objects at its `metadata.name`, an addon's or fleetgen.yaml's at that file's
    `metadata.name`. None when no spec of this run produced it."""
    if not identity.cluster:
        if obj is None:
            return None
        return _Occurrence(identity, obj.source, "/metadata/name", obj.source.file)
    cluster = clusters.get((identity.namespace, identity.cluster))
    if cluster is None:
        return None
    if (pool := _POOL.match(identity.spec_pointer)) is not None:
        index = int(pool[1])
        workers = cluster.spec.spec.workers
        name = workers[index].name if index < len(workers) else "?"
        return _Occurrence(identity, cluster.source, f"/spec/workers/{index}/name",
                           f"cluster {identity.cluster}'s pool {name!r}")
    return _Occurrence(identity, cluster.source, "/metadata/name", f"cluster {identity.cluster}")


RULE = UniqueObjectNamesRule()
