"""crs-payload-change: what a changed addon payload does not do to running workload clusters.

A ClusterResourceSet applies its ConfigMaps' and Secrets' objects to the workload clusters it
selects, but never deletes anything it applied, and with `strategy: ApplyOnce` (the default) never
applies a resource again once it reached a cluster. So, compared with the base revision:

* a payload file whose objects changed, or a file added, under ApplyOnce reaches only clusters
  the addon selects from now on; the clusters it already reached keep the old objects and never
  get the new ones (a warning: switch the addon to `Reconcile`, or roll the change out by other
  means). Objects are compared parsed, so a comment, the order of documents, or an object moved to
  another file of the same clusters' payloads changes nothing. The warning points at the first
  new or changed object in the addon's payload file (at a changed field), when the payload file
  holds it;
* a payload file removed from an addon (either strategy) leaves its objects in every cluster it
  reached (a warning: delete them in the workload clusters if they must go); so does an object
  removed from a payload file (either strategy). An object still shipped, to the same clusters (the same namespace and cluster
  selector), by another file or addon is not removed: a renamed or split file passes. Objects are
  compared by API group, kind, namespace (`default` when unset) and name.

Each warning is reported once per line, not once for every namespace the addon is rendered into
(it names the addon's ConfigMap in the first of them).

Compares the addon ConfigMaps and Secrets that keep their name (a strategy or selector change
renames them with their ClusterResourceSet, which then applies everything again); skipped when
there is no base revision.

Severity: warning.

Source:
    kubernetes-sigs/cluster-api v1.12.11, docs/book/src/tasks/cluster-resource-set.md
    (ApplyOnce / Reconcile; "resources will not be deleted"), exp/addons/internal/controllers
    (`ClusterResourceSetBinding` records each applied resource with its hash); FIELD.md §1.6.

Failing example (base revision: `cpu: 500m` in crs/baseline/platform-namespace.yaml, ApplyOnce;
reported at the `cpu:` line)::

    # crs/baseline/platform-namespace.yaml
    default: {cpu: 750m}

Passing example (the same change with `strategy: Reconcile`: re-applied on every cluster)::

    spec: {strategy: Reconcile, resources: [platform-namespace.yaml]}
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from functools import lru_cache
from typing import Any, NamedTuple

from fleetgen.findings import Finding, Position, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.objects import first_difference, get, objects_of_kind, transitions
from fleetgen.sourcemap import SourceMap, escape_token
from fleetgen.yamlio import YamlLoadError, load_yaml

ADDONS_GROUP = "addons.cluster.x-k8s.io"
#: The strategy a ClusterResourceSet without `spec.strategy` gets (the CRD default).
DEFAULT_STRATEGY = "ApplyOnce"


class CrsPayloadChangeRule:
    """Changed and removed addon payloads, as the ClusterResourceSet controller treats them."""

    id = "crs-payload-change"
    severity = Severity.WARNING
    summary = ("an ApplyOnce addon's changed payload never reaches the clusters it already reached, and a removed "
               "payload's objects stay in every cluster (ClusterResourceSets never delete)")
    scope = "transition"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield, for the kept ConfigMaps and Secrets of ClusterResourceSets: a warning per payload
        file removed or losing objects (either strategy), and per ApplyOnce payload file added or
        with new or changed objects (once per payload line)."""
        crs_of: dict[tuple[str, str, str], tuple[str, str]] = {}  # payload -> (strategy, its CRS's selector)
        for _, crs in objects_of_kind(ctx.rendered, "ClusterResourceSet", group=ADDONS_GROUP):
            strategy = str(get(crs.manifest, "/spec/strategy") or DEFAULT_STRATEGY)
            selector = json.dumps(get(crs.manifest, "/spec/clusterSelector"), sort_keys=True)
            for ref in get(crs.manifest, "/spec/resources") or []:
                if isinstance(ref, dict):
                    crs_of[(str(ref.get("kind", "")), crs.ref.namespace, str(ref.get("name", "")))] = (strategy, selector)
        # What every payload ships now, per (namespace, cluster selector): an object moved to another
        # file, or to another addon selecting the same clusters, still reaches them.
        shipped_keys: set[tuple[str, str]] = set()  # (namespace, payload key)
        shipped_texts: dict[tuple[str, str], list[str]] = {}
        for _, obj in objects_of_kind(ctx.rendered, "ConfigMap", "Secret", group=""):
            owner = crs_of.get((obj.ref.kind, obj.ref.namespace, obj.ref.name))
            if owner is None:
                continue
            for field in ("data", "stringData"):
                values = get(obj.manifest, f"/{field}")
                if isinstance(values, dict):
                    shipped_keys.update((obj.ref.namespace, str(k)) for k in values)
                    shipped_texts.setdefault((obj.ref.namespace, owner[1]), []).extend(
                        v for v in values.values() if isinstance(v, str))
        objects_now: dict[tuple[str, str], set[tuple[str, str, str, str]]] = {}
        applied: dict[tuple[str, str], _Shipped] | None = None  # (read when an ApplyOnce payload changed)
        reported: set[tuple[Position, str]] = set()

        def first_report(where: Position, problem: str) -> bool:
            """True the first time a problem is reported at a line: an addon rendered into several
            namespaces has one payload line and one addon.yaml line for all of them."""
            if (where, problem) in reported:
                return False
            reported.add((where, problem))
            return True
        positions: dict[tuple[str, str], Position | None] = {}  # (addon file, canonical object) -> where

        def gone(text: str, namespace: str, selector: str) -> list[tuple[str, str, str, str]] | None:
            """The objects of a payload that no payload for the same clusters ships now; None if it does not parse."""
            objects = _identities(text)
            if not objects:
                return None
            key = (namespace, selector)
            if key not in objects_now:
                objects_now[key] = {o for t in shipped_texts.get(key, []) for o in _identities(t)}
            return [o for o in objects if o not in objects_now[key]]

        for t in transitions(ctx, "ConfigMap", "Secret", group=""):
            owner = crs_of.get((t.new.ref.kind, t.new.ref.namespace, t.new.ref.name))
            if owner is None:
                continue  # (not a ClusterResourceSet payload)
            strategy, selector = owner
            namespace = t.new.ref.namespace
            field = "stringData" if t.new.ref.kind == "Secret" and "stringData" in t.new.manifest else "data"
            old, new = get(t.old.manifest, f"/{field}") or {}, get(t.new.manifest, f"/{field}") or {}
            if not isinstance(old, dict) or not isinstance(new, dict):
                continue
            for key in sorted(set(old) - set(new)):
                lost = gone(old[key], namespace, selector) if isinstance(old[key], str) else None
                if lost == [] or (lost is None and (namespace, str(key)) in shipped_keys):
                    continue  # (every object still shipped: a renamed or split file)
                listed = f" ({_listing(lost)})" if lost else ""
                problem = (f"{key} was removed from the addon; a ClusterResourceSet never deletes what it "
                           f"applied, so its objects{listed} stay in every workload cluster it reached")
                finding = object_finding(self, ctx, t.file, t.new, f"/{field}", problem,
                                         hint="delete those objects in the workload clusters if they must go")
                if first_report(finding.position, problem):
                    yield finding
            for key in sorted(k for k in set(old) & set(new) if old[k] != new[k]):
                lost = gone(old[key], namespace, selector) if isinstance(old[key], str) else None
                if lost:
                    problem = (f"{_listing(lost)} removed from {key}; a ClusterResourceSet never deletes "
                               "what it applied, so those objects stay in every workload cluster it reached")
                    finding = object_finding(self, ctx, t.file, t.new, f"/{field}/{escape_token(key)}", problem,
                                             hint="delete those objects in the workload clusters if they must go")
                    if first_report(finding.position, problem):
                        yield finding
            if strategy != "ApplyOnce":
                continue
            if applied is None:
                applied = _applied_objects(ctx)
            before = applied.get((namespace, selector), _Shipped({}, {}))
            for key in sorted(k for k in new if k not in old or old[k] != new[k]):
                docs = _documents(new[key]) if isinstance(new[key], str) else None
                fresh = None if docs is None else [d for d in docs if d.canonical not in before.objects]
                if fresh == []:
                    continue  # (every object already applied as it is: a comment, the order, a moved object)
                # (fresh is None: it does not parse; its bytes changed, so did what it ships)
                listed = f" ({_listing([d.identity for d in fresh])})" if fresh else ""
                problem = (f"{key} was added, but the addon's strategy is ApplyOnce: the clusters it already reached never "
                           f"get its objects{listed}, only clusters it selects from now on" if key not in old else
                           f"{key} changed{listed}, but the addon's strategy is ApplyOnce: the clusters it already "
                           "reached keep the old objects, only clusters it selects from now on get the new ones")
                finding = object_finding(self, ctx, t.file, t.new, f"/{field}/{escape_token(key)}", problem,
                                         hint="set `strategy: Reconcile` on the addon to re-apply changed payloads")
                where = None
                if fresh:
                    at = (t.new.spec_position(f"/{field}").file, fresh[0].canonical)
                    if at not in positions:
                        positions[at] = _payload_position(ctx, at[0], fresh[0], before)
                    where = positions[at]
                if where is None:
                    yield finding
                elif first_report(where, problem):
                    yield replace(finding, position=where)


def _listing(objects: list[tuple[str, str, str, str]]) -> str:
    """`ConfigMap extra2, Service x` (at most 5, then `and N more`)."""
    listed = ", ".join(f"{kind} {name}" for _, kind, _, name in objects[:5])
    return listed + (f" and {len(objects) - 5} more" if len(objects) > 5 else "")


class _Doc(NamedTuple):
    """One object of a payload, read once (`_documents`)."""

    data: dict[str, Any]
    source: SourceMap
    prefix: str
    """Pointer of the object inside its YAML document: "" or, for a JSON list's third item, `/2`."""
    identity: tuple[str, str, str, str]
    """(API group, kind, namespace, name). The group, not the apiVersion: an object moved to another
    version of its API is the same object."""
    canonical: str
    """The object as canonical JSON (sorted keys): equal for equal objects, whatever the YAML."""


@lru_cache(maxsize=512)
def _documents(text: str) -> tuple[_Doc, ...] | None:
    """The objects of a payload (YAML documents or a JSON list), in order; None when it does not
    parse (the payload checks report that). Read as the payload checks read it
    (`fleetgen.yamlio.load_yaml`, merge keys resolved), once per text: an addon's payload is in
    every namespace the addon is rendered into, and is its payload file's text. Positions are in
    a file named `payload`."""
    try:
        docs = load_yaml(text.encode("utf-8"), "payload", allow_empty=True, merge_keys=True)
    except YamlLoadError:
        return None
    if len(docs) == 1 and isinstance(docs[0].data, list):
        items = [(item, docs[0].source, f"/{i}") for i, item in enumerate(docs[0].data)]
    else:
        items = [(d.data, d.source, "") for d in docs]
    return tuple(_Doc(data, source, prefix, _identity(data), json.dumps(data, sort_keys=True, default=str))
                 for data, source, prefix in items if _is_object(data))


def _is_object(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("metadata"), dict)


def _identity(data: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = data["metadata"]
    group = str(data.get("apiVersion", "")).rpartition("/")[0]
    namespace = str(meta.get("namespace") or "default")  # (where an object without one is created)
    return group, str(data.get("kind", "")), namespace, str(meta.get("name", ""))


def _identities(text: str) -> list[tuple[str, str, str, str]]:
    """The identity of each object in a payload, in order; [] when it does not parse."""
    return [d.identity for d in _documents(text) or ()]


class _Shipped(NamedTuple):
    """What the base revision's payloads ship to one set of clusters (one namespace and selector)."""

    objects: dict[str, _Doc]
    """canonical JSON -> the object."""
    by_identity: dict[tuple[str, str, str, str], _Doc]


def _applied_objects(ctx: PolicyContext) -> dict[tuple[str, str], _Shipped]:
    """What the base revision's ClusterResourceSet payloads ship, per (namespace, cluster selector);
    a payload that does not parse ships nothing here."""
    out: dict[tuple[str, str], _Shipped] = {}
    if ctx.base is None:
        return out
    owners: dict[tuple[str, str, str], str] = {}
    for _, crs in objects_of_kind(ctx.base.rendered, "ClusterResourceSet", group=ADDONS_GROUP):
        selector = json.dumps(get(crs.manifest, "/spec/clusterSelector"), sort_keys=True)
        for ref in get(crs.manifest, "/spec/resources") or []:
            if isinstance(ref, dict):
                owners[(str(ref.get("kind", "")), crs.ref.namespace, str(ref.get("name", "")))] = selector
    for _, obj in objects_of_kind(ctx.base.rendered, "ConfigMap", "Secret", group=""):
        selector = owners.get((obj.ref.kind, obj.ref.namespace, obj.ref.name))
        if selector is None:
            continue
        shipped = out.setdefault((obj.ref.namespace, selector), _Shipped({}, {}))
        for field in ("data", "stringData"):
            values = get(obj.manifest, f"/{field}")
            for value in values.values() if isinstance(values, dict) else ():
                for doc in (_documents(value) if isinstance(value, str) else None) or ():
                    shipped.objects[doc.canonical] = doc
                    shipped.by_identity.setdefault(doc.identity, doc)
    return out


def _payload_position(ctx: PolicyContext, addon_file: str, doc: _Doc, before: _Shipped) -> Position | None:
    """Where a new or changed payload object is in its addon's payload file: at a field that differs
    from the base object of the same identity (the first in key order), else at its start. None when
    the payload comes from no addon of the fleet (objects read from an output file) or no payload
    file holds it."""
    from fleetgen.validate.payload import payload_path

    addon = next((a for a in ctx.fleet.addons if a.path == addon_file), None)
    if addon is None:
        return None
    old = before.by_identity.get(doc.identity)
    for name, raw in addon.files.items():
        # (the file's text is the ConfigMap's, already read, unless the file was split into parts)
        for item in _documents(raw.decode("utf-8", "replace")) or ():
            if item.canonical == doc.canonical:
                diff = first_difference(old.data, item.data) if old is not None else None
                return replace(item.source.lookup(item.prefix + (diff[0] if diff else "")), file=payload_path(addon, name))
    return None


RULE = CrsPayloadChangeRule()
