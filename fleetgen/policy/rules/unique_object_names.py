"""unique-object-names: two specs must not render objects of one name, kind and namespace.

Every rendered object's name comes from its cluster's name and, for a worker pool's objects, the
pool's name: `<cluster>-<pool>` for the MachineDeployment and MachineHealthCheck, with a content
hash for its templates. So cluster `kv-a` with pool `b-c` and cluster `kv-a-b` with pool `c`, in
one namespace, both render `MachineDeployment kv-a-b-c`. Neither `unique-cluster-names` nor
`unique-pool-names` sees it. In the output both bundles hold the object: the GitOps agent applies
one and then the other, the second changing `spec.clusterName` (refused: "field is immutable") or
silently replacing the first cluster's pool; Fleet refuses a bundle whose object another bundle
owns; and deleting either cluster deletes the object the other still uses.

The GitOps agent's own objects count too: a Fleet `Bundle` per cluster and per addon in a
namespace (`fleetgen-cluster-<ns>-<cluster>`, `fleetgen-addon-<ns>-<addon>`), a Flux
`Kustomization` per cluster. Namespace `a-b` with cluster `c` and namespace `a` with cluster `b-c`
give one name: one cluster's bundle would replace the other's.

Reported at each spec rendering the object: at the pool's `name` for a pool's objects, else at
the cluster's or addon's `metadata.name`, naming the other spec. Objects are compared by API
group, kind, namespace and name.

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
    from fleetgen.spec.load import LoadedAddon, LoadedCluster

#: The spec pointer of a worker pool (its objects are named after the pool).
_POOL = re.compile(r"/spec/workers/(\d+)(?:/|$)")


@dataclass(frozen=True)
class _Occurrence:
    """One object as a spec renders it.

    Attributes:
        identity: the object.
        owner: who renders it: ("cluster", namespace, name) or ("addon", namespace, addon).
            (fleetgen.yaml's own objects, the GitRepo or GitRepository, are one per fleet.)
        source: the spec that chose its name; `pointer` is where.
        producer: the owner for a message (`cluster kv-a-b's pool 'c'`).
    """

    identity: ObjectIdentity
    owner: tuple[str, ...]
    source: SourceMap
    pointer: str
    producer: str


#: An object as first seen: its identity, the object when at hand, its occurrence when known already.
_Seen = tuple[ObjectIdentity, "RenderedObject | None", "_Occurrence | None"]


class UniqueObjectNamesRule:
    """No two specs render an object of one API group, kind, namespace and name."""

    id = "unique-object-names"
    severity = Severity.ERROR
    summary = ("two specs must not render objects of one kind, namespace and name (e.g. cluster kv-a's pool "
               "b-c and cluster kv-a-b's pool c both make MachineDeployment kv-a-b-c)")
    scope = "fleet"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per spec position rendering objects that another spec renders too. Two
        specs of one cluster name and namespace are `unique-cluster-names`', not reported here.

        Every object is looked at once, by its identity alone; only identities seen twice are
        traced back to their specs (a fleet of 10,000 clusters has some 90,000 objects)."""
        first: dict[tuple[str, ...], _Seen] = {}
        repeated: dict[tuple[str, ...], list[_Seen]] = {}

        def note(seen: _Seen) -> None:
            key = seen[0][:4]
            earlier = first.get(key)
            if earlier is None:
                first[key] = seen
            else:
                repeated.setdefault(key, [earlier]).append(seen)

        for file in ctx.rendered.files:
            if file.object_ids is not None:  # (restored from the cache: identities only)
                for identity in file.object_ids:
                    note((identity, None, None))
            else:
                for obj in file.objects:
                    note((obj.identity, obj, None))
        for occurrence in _agent_objects(ctx):
            note((occurrence.identity, None, occurrence))
        if not repeated:
            return
        clusters = {(cluster.namespace, cluster.name): cluster for cluster in ctx.fleet.clusters}
        addons = {addon.source.file: addon for addon in ctx.fleet.addons}
        clashes: dict[tuple[object, ...], tuple[_Occurrence, _Occurrence, list[ObjectIdentity]]] = {}
        for items in repeated.values():
            occurrences = [o for o in (occurrence or _occurrence(identity, clusters, addons, obj)
                                       for identity, obj, occurrence in items) if o is not None]
            for occurrence in occurrences:
                other = next((o for o in occurrences if o.owner != occurrence.owner), None)
                if other is not None:
                    key = (occurrence.owner, occurrence.pointer, other.owner, other.pointer)
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
            f"renders {objects}, which {other.producer} ({position.file}:{position.line}) renders too: two "
            "bundles would own one object, the GitOps agent applying one over the other, and removing either "
            "deletes it",
            hint="rename the pool, the cluster, the addon or the namespace so that the names differ")


def _occurrence(identity: ObjectIdentity, clusters: dict[tuple[str, str], LoadedCluster],
                addons: dict[str, LoadedAddon], obj: RenderedObject | None) -> _Occurrence | None:
    """Where the user chose `identity`'s name: a pool's objects at the pool's `name`, a cluster's
    other objects at its `metadata.name`, an addon's at its addon.yaml's `metadata.name`. None when
    no spec of this run produced it, or for fleetgen.yaml's objects (`_agent_objects` has those)."""
    if not identity.cluster:
        addon = addons.get(obj.source.file) if obj is not None else None
        if addon is None:
            return None
        return _Occurrence(identity, ("addon", identity.namespace, addon.name), addon.source, "/metadata/name",
                           f"addon {addon.name}")
    cluster = clusters.get((identity.namespace, identity.cluster))
    if cluster is None:
        return None
    owner = ("cluster", cluster.namespace, cluster.name)
    if (pool := _POOL.match(identity.spec_pointer)) is not None:
        index = int(pool[1])
        workers = cluster.spec.spec.workers
        name = workers[index].name if index < len(workers) else "?"
        return _Occurrence(identity, owner, cluster.source, f"/spec/workers/{index}/name",
                           f"cluster {identity.cluster}'s pool {name!r}")
    return _Occurrence(identity, owner, cluster.source, "/metadata/name", f"cluster {identity.cluster}")


def _agent_objects(ctx: PolicyContext) -> Iterator[_Occurrence]:
    """The object the GitOps agent makes of each bundle directory, named by fleetgen: a Fleet
    `Bundle` per cluster and per addon in a namespace (fleet.yaml `name`), a Flux `Kustomization`
    per cluster (the addons of a namespace share one on purpose). `fleetgen-cluster-<ns>-<cluster>`
    is one name for namespace `a-b` with cluster `c` and namespace `a` with cluster `b-c`."""
    from fleetgen.render.gitops import fleet as fleet_agent
    from fleetgen.render.gitops import flux as flux_agent
    from fleetgen.render.layout import ADDON_FILE, ADDONS_DIR, Bundle, addon_dir, cluster_dir

    gitops = ctx.fleet.config.gitops
    namespace = gitops.resolved_namespace
    if gitops.agent == "fleet":
        group, kind, name_of = "fleet.cattle.io", "Bundle", fleet_agent.bundle_name
    else:
        group, kind, name_of = "kustomize.toolkit.fluxcd.io", "Kustomization", flux_agent.kustomization_name
    for cluster in ctx.fleet.clusters:
        name = name_of(Bundle("cluster", cluster_dir(cluster.namespace, cluster.name), cluster.namespace,
                              cluster.name, ()))
        yield _Occurrence(ObjectIdentity(group, kind, namespace, name, cluster.name, ""),
                          ("cluster", cluster.namespace, cluster.name), cluster.source, "/metadata/name",
                          f"cluster {cluster.namespace}/{cluster.name}")
    if gitops.agent != "fleet":
        return
    addons = {addon.name: addon for addon in ctx.fleet.addons}
    for file in ctx.rendered.files:
        parts = file.path.split("/")
        if len(parts) == 4 and parts[0] == ADDONS_DIR and parts[3] == ADDON_FILE and parts[2] in addons:
            addon = addons[parts[2]]
            name = name_of(Bundle("addon", addon_dir(parts[1], addon.name), parts[1], addon.name, ()))
            yield _Occurrence(ObjectIdentity(group, kind, namespace, name, "", ""), ("addon", parts[1], addon.name),
                              addon.source, "/metadata/name", f"addon {addon.name} in namespace {parts[1]}")


RULE = UniqueObjectNamesRule()
