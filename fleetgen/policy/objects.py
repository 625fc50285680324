"""Reading rendered objects: lookup by kind and identity, field access by pointer, and diffs.

Owns: the small helpers every rendered-object and transition rule needs — walking a
`RenderResult` by kind, indexing it by `(apiVersion, kind, namespace, name)`, pairing base and
working-tree objects, resolving JSON pointers in plain dicts, the owning cluster of an object, and
the JSON-merge-patch diff paths the KubeadmControlPlane webhook computes. Must not build findings.

Example:
    >>> get({"spec": {"replicas": 3}}, "/spec/replicas")
    3
    >>> merge_patch_paths({"spec": {"a": 1, "b": [1]}}, {"spec": {"a": 2, "b": [1]}})
    [('spec', 'a')]
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fleetgen.policy.labels import CLUSTER_NAME_LABEL
from fleetgen.sourcemap import join_pointer

if TYPE_CHECKING:
    from fleetgen.policy.base import PolicyContext
    from fleetgen.render.base import OutputFile, RenderedObject, RenderResult
    from fleetgen.spec.load import LoadedCluster
    from fleetgen.spec.models import ProxmoxSpec

Identity = tuple[str, str, str, str]
"""(apiVersion, kind, namespace, name) of a rendered object."""

_MISSING = object()


def group_of(api_version: object) -> str:
    """The API group of an apiVersion (`""` for the core group): `cluster.x-k8s.io/v1beta2` -> `cluster.x-k8s.io`."""
    if not isinstance(api_version, str) or "/" not in api_version:
        return ""
    return api_version.split("/", 1)[0]


def get(data: Any, pointer: str, default: Any = None) -> Any:
    """The value at a JSON pointer in plain data, or `default` if any step is missing."""
    node = data
    for token in pointer.split("/")[1:]:
        if "~" in token:
            token = token.replace("~1", "/").replace("~0", "~")
        if type(node) is dict or isinstance(node, Mapping):
            if token not in node:
                return default
            node = node[token]
        elif type(node) is list and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return default
    return node


def identity(obj: RenderedObject) -> Identity:
    """(apiVersion, kind, namespace, name) of a rendered object."""
    ref = obj.ref
    return (ref.api_version, ref.kind, ref.namespace, ref.name)


@dataclass
class _Index:
    """Lookups over one RenderResult, built once per result (rules run many lookups on large fleets)."""

    by_kind: dict[str, list[tuple[OutputFile, RenderedObject]]] = field(default_factory=dict)
    by_identity: dict[Identity, tuple[OutputFile, RenderedObject]] = field(default_factory=dict)


_INDEXES: dict[int, tuple[weakref.ref[RenderResult], _Index]] = {}


def _index(rendered: RenderResult) -> _Index:
    hit = _INDEXES.get(id(rendered))
    if hit is not None and hit[0]() is rendered:
        return hit[1]
    index = _Index()
    for file in rendered.files:
        for obj in file.objects:
            m = obj.manifest
            index.by_kind.setdefault(str(m.get("kind", "")), []).append((file, obj))
            meta = m.get("metadata") or {}
            key = (str(m.get("apiVersion", "")), str(m.get("kind", "")), str(meta.get("namespace", "")), str(meta.get("name", "")))
            index.by_identity.setdefault(key, (file, obj))
    _INDEXES[id(rendered)] = (weakref.ref(rendered), index)
    weakref.finalize(rendered, _INDEXES.pop, id(rendered), None)  # the index lives as long as its result
    return index


def objects_of_kind(rendered: RenderResult, *kinds: str, group: str | None = None) -> list[tuple[OutputFile, RenderedObject]]:
    """(file, object) pairs whose kind is one of `kinds` (and whose API group is `group`, if given).

    In output order per kind, kinds in the order given.
    """
    index = _index(rendered)
    out = []
    for kind in kinds:
        for file, obj in index.by_kind.get(kind, ()):
            if group is None or group_of(obj.manifest.get("apiVersion")) == group:
                out.append((file, obj))
    return out


def index_by_identity(rendered: RenderResult) -> dict[Identity, tuple[OutputFile, RenderedObject]]:
    """identity -> (file, object); the first occurrence wins if an identity repeats. Do not modify."""
    return _index(rendered).by_identity


@dataclass(frozen=True)
class Transition:
    """One object present in both the base revision and the working tree.

    Attributes:
        old: the base revision's object.
        file: the working tree's output file holding `new`.
        new: the working tree's object (findings are positioned on it).
    """

    old: RenderedObject
    file: OutputFile
    new: RenderedObject


def transitions(ctx: PolicyContext, *kinds: str, group: str | None = None) -> Iterator[Transition]:
    """Objects of the given kinds present in both `ctx.base.rendered` and `ctx.rendered`.

    Yields nothing when `ctx.base` is None, and skips objects whose manifest did not change.
    Objects are matched by identity `(apiVersion, kind, namespace, name)`, in working-tree output
    order.
    """
    if ctx.base is None:
        return
    old_index = index_by_identity(ctx.base.rendered)
    for file, new in objects_of_kind(ctx.rendered, *kinds, group=group):
        hit = old_index.get(identity(new))
        if hit is not None and hit[1].manifest != new.manifest:
            yield Transition(hit[1], file, new)


def cluster_name_of(obj: RenderedObject) -> str:
    """The CAPI cluster an object belongs to: the renderer's `cluster`, else the cluster-name label, else `spec.clusterName`."""
    if obj.cluster:
        return obj.cluster
    label = get(obj.manifest, "/metadata/labels/" + CLUSTER_NAME_LABEL.replace("/", "~1"))
    if isinstance(label, str) and label:
        return label
    name = get(obj.manifest, "/spec/clusterName")
    return name if isinstance(name, str) else ""


#: Annotation of an autoscaled MachineDeployment: the autoscaler's minimum (FIELD.md §1.1).
AUTOSCALER_MIN_ANNOTATION = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"


def replicas_of(manifest: Mapping[str, Any]) -> int:
    """The Machines a KubeadmControlPlane or MachineDeployment asks for, at least.

    `spec.replicas`; when unset, the autoscaler's min-size annotation (an autoscaled pool), else 1
    (CAPI's default).
    """
    value = get(manifest, "/spec/replicas")
    if isinstance(value, int) and not isinstance(value, bool):
        return max(value, 0)
    text = get(manifest, "/metadata/annotations/" + AUTOSCALER_MIN_ANNOTATION.replace("/", "~1"))
    if isinstance(text, str) and text.isdigit():
        return int(text)
    return 1


def machine_count(rendered: RenderResult, namespace: str, cluster: str) -> int:
    """How many Machines a rendered cluster asks for: control plane plus every pool (`replicas_of`).

    Args:
        rendered: a rendering (the working tree's or the base revision's).
        namespace: the cluster's namespace.
        cluster: the CAPI cluster name.

    Returns:
        The sum over the cluster's KubeadmControlPlane and MachineDeployments (0 when it has none).
    """
    return sum(replicas_of(obj.manifest) for _, obj in objects_of_kind(rendered, "KubeadmControlPlane", "MachineDeployment")
               if obj.ref.namespace == namespace and cluster_name_of(obj) == cluster)


def merge_patch_paths(old: Any, new: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths of the fields a JSON merge patch from `old` to `new` would set, sorted.

    Mirrors `jsonpatch.CreateMergePatch` + `paths()` in the KCP webhook: maps are recursed into,
    anything else (scalars and whole lists) is one leaf; a removed key is a leaf (patched to null);
    a key added with a map value contributes the leaves of that map.
    """
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return [prefix] if old != new and prefix else []
    out: list[tuple[str, ...]] = []
    for key in sorted(set(old) | set(new), key=str):
        path = prefix + (str(key),)
        if key not in new:
            out.append(path)
        elif key not in old:
            value = new[key]
            out.extend(merge_patch_paths({}, value, path) if isinstance(value, Mapping) else [path])
        elif old[key] != new[key]:
            if isinstance(old[key], Mapping) and isinstance(new[key], Mapping):
                out.extend(merge_patch_paths(old[key], new[key], path))
            else:
                out.append(path)
    return out


def first_difference(old: Any, new: Any, pointer: str = "") -> tuple[str, Any, Any] | None:
    """The first place two values differ, descending into maps and equal-length lists.

    Returns:
        (JSON pointer, old value, new value) — a missing side is `None` — or None if equal.
    """
    if old == new:
        return None
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new), key=str):
            a, b = old.get(key, _MISSING), new.get(key, _MISSING)
            if a is _MISSING or b is _MISSING:
                return (f"{pointer}/{_esc(key)}", None if a is _MISSING else a, None if b is _MISSING else b)
            hit = first_difference(a, b, f"{pointer}/{_esc(key)}")
            if hit:
                return hit
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            hit = first_difference(a, b, f"{pointer}/{i}")
            if hit:
                return hit
    return (pointer, old, new)


def _esc(key: object) -> str:
    return join_pointer([str(key)])[1:]


def short(value: Any, limit: int = 60) -> str:
    """A value for a message: repr, cut to `limit` characters; maps and lists summarised."""
    if value is None:
        return "(unset)"
    if isinstance(value, Mapping):
        return f"a map of {len(value)} keys"
    if isinstance(value, list) and len(repr(value)) > limit:
        return f"a list of {len(value)} items"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def iter_label_maps(data: Any, pointer: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every `labels` map under a `metadata` key, and every `matchLabels` map, with its pointer.

    Walks plain data (dicts and lists, as rendered manifests are); in pointer order.
    """
    found: list[tuple[tuple[str, ...], dict[str, Any]]] = []
    path: list[str] = []

    def walk_dict(node: dict[str, Any]) -> None:
        for key, value in node.items():
            kind = type(value)
            if kind is dict:
                if key == "metadata":
                    labels = value.get("labels")
                    if type(labels) is dict:
                        found.append(((*path, key, "labels"), labels))
                elif key == "matchLabels":
                    found.append(((*path, key), value))
                path.append(key)
                walk_dict(value)
                path.pop()
            elif kind is list:
                path.append(key)
                walk_list(value)
                path.pop()

    def walk_list(node: list[Any]) -> None:
        for i, item in enumerate(node):
            kind = type(item)
            if kind is dict or kind is list:
                path.append(str(i))
                walk_dict(item) if kind is dict else walk_list(item)
                path.pop()

    if type(data) is dict:
        walk_dict(data)
    elif type(data) is list:
        walk_list(data)
    for parts, labels in sorted(found, key=lambda hit: hit[0]):
        yield (pointer + join_pointer(parts), labels)


def cluster_labels(ctx: PolicyContext) -> dict[tuple[str, str], dict[str, str]]:
    """(namespace, name) -> the labels ClusterResourceSets see on each spec'd cluster.

    The labels of the rendered CAPI Cluster when there is one (the renderer may add labels of its
    own), else the ClusterSpec's `metadata.labels`.
    """
    rendered = {}
    for _, obj in objects_of_kind(ctx.rendered, "Cluster", group="cluster.x-k8s.io"):
        meta = obj.manifest.get("metadata") or {}
        rendered[(str(meta.get("namespace", "")), str(meta.get("name", "")))] = dict(meta.get("labels") or {})
    out = {}
    for cluster in ctx.fleet.clusters:
        key = (cluster.namespace, cluster.name)
        out[key] = rendered.get(key, dict(cluster.spec.metadata.labels))
    return out


def proxmox_clusters(ctx: PolicyContext) -> Iterator[tuple[LoadedCluster, ProxmoxSpec]]:
    """Every (cluster, its `spec.proxmox` block) of the fleet whose hypervisor is Proxmox, in fleet order."""
    for cluster in ctx.fleet.clusters:
        px = cluster.spec.spec.proxmox
        if px is not None:
            yield cluster, px
