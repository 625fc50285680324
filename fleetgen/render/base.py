"""Shared shapes of rendering: a rendered object with its origin in the spec, and a render result.

Owns: `RenderedObject` (a Kubernetes object as a plain dict plus the map back to the spec field
that produced each part of it) and `RenderResult` (files of the output tree plus the objects in
them). Renderers in this package build these; validation and policy read them. Must not do I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from fleetgen.findings import Finding, ObjectRef, Position
from fleetgen.sourcemap import SourceMap


class ObjectIdentity(NamedTuple):
    """Who a rendered object is on the management cluster, and what produced it.

    Attributes:
        group: its API group ("" for the core group), e.g. `cluster.x-k8s.io`.
        kind: its kind.
        namespace: `metadata.namespace` ("" for cluster-scoped objects).
        name: `metadata.name`.
        cluster: the cluster it belongs to ("" for addons and GitOps objects).
        spec_pointer: the spec pointer that produced the whole object (its origin for ""), e.g.
            `/spec/workers/0` for a pool's MachineDeployment.
    """

    group: str
    kind: str
    namespace: str
    name: str
    cluster: str
    spec_pointer: str


@dataclass(frozen=True)
class RenderedObject:
    """One rendered Kubernetes object.

    Attributes:
        manifest: the object as plain data (dict/list/str/int/bool; never None), keys in output order.
        source: positions of the spec (ClusterSpec, Addon or fleetgen.yaml) that produced it.
        origin: rendered JSON-pointer prefix -> spec JSON pointer. The longest matching prefix
            wins; the entry for "" (the whole object) must exist.
        cluster: the cluster name this object belongs to ("" for addons and GitOps objects).
    """

    manifest: dict[str, Any]
    source: SourceMap
    origin: Mapping[str, str] = field(default_factory=lambda: {"": ""})
    cluster: str = ""

    @property
    def identity(self) -> ObjectIdentity:
        """Its API group, kind, namespace and name, with its cluster and origin (`ObjectIdentity`)."""
        manifest = self.manifest
        meta = manifest.get("metadata") or {}
        return ObjectIdentity(manifest.get("apiVersion", "").rpartition("/")[0], manifest.get("kind", ""),
                              meta.get("namespace") or "", meta.get("name", ""), self.cluster,
                              self.origin.get("", ""))

    @property
    def ref(self) -> ObjectRef:
        """apiVersion, kind, namespace and name of the object."""
        meta = self.manifest.get("metadata", {})
        return ObjectRef(self.manifest.get("apiVersion", ""), self.manifest.get("kind", ""),
                         meta.get("name", ""), meta.get("namespace", ""))

    def spec_pointer(self, pointer: str) -> str:
        """The spec pointer that produced the rendered field at `pointer` (longest prefix match)."""
        p = pointer
        while True:
            hit = self.origin.get(p)
            if hit is not None:
                return hit
            if not p:
                return ""
            p = p.rsplit("/", 1)[0]

    def spec_position(self, pointer: str) -> Position:
        """Position in the spec file of the field that produced the rendered field at `pointer`."""
        return self.source.lookup(self.spec_pointer(pointer))


@dataclass(frozen=True)
class OutputFile:
    """One file of the rendered output tree.

    Attributes:
        path: posix path relative to the output directory (e.g. `clusters/clusters/kv-demo/cluster.yaml`).
        content: the exact bytes to write.
        objects: the Kubernetes objects in this file, in document order (empty for non-object
            files such as Fleet's fleet.yaml).
        object_ids: the identity of every object in the file, when `objects` holds only some of
            them (a cluster's file restored from the cache keeps the kinds fleet-level code reads);
            None when `objects` is complete. Read it through `identities()`.
    """

    path: str
    content: bytes
    objects: tuple[RenderedObject, ...] = ()
    object_ids: tuple[ObjectIdentity, ...] | None = None

    def identities(self) -> tuple[ObjectIdentity, ...]:
        """The identity of every object in the file, in document order, complete or restored."""
        if self.object_ids is not None:
            return self.object_ids
        return tuple(obj.identity for obj in self.objects)


@dataclass(frozen=True)
class RenderResult:
    """The whole rendered output tree.

    Attributes:
        files: every output file, sorted by path.
        clusters: names of the clusters rendered (for deletion checks), sorted.
        findings: problems found while rendering (e.g. `crs-payload-size`, `no-inline-secrets`,
            `flux-git-url`), as data: rendering never raises for bad input, the caller reports
            these and must not write the tree when any is an error.
    """

    files: tuple[OutputFile, ...]
    clusters: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()

    def objects(self) -> list[tuple[OutputFile, RenderedObject]]:
        """Every (file, object) pair, in file then document order."""
        return [(f, o) for f in self.files for o in f.objects]

    def by_path(self) -> dict[str, OutputFile]:
        """path -> OutputFile."""
        return {f.path: f for f in self.files}
