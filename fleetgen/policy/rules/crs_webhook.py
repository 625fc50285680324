"""crs-webhook: rendered ClusterResourceSets must be accepted and able to apply their resources.

Mirrors the ClusterResourceSet webhook and the wiring rules its controller enforces at apply time,
which schemas do not catch:

* `spec.clusterSelector` parses and is not empty ("selector must not be empty"); its matchLabels
  keys and values are `label-values`' (reported at the label);
* every entry of `spec.resources` is a ConfigMap or Secret that is rendered **in the
  ClusterResourceSet's own namespace** (the controller only looks there; a missing resource leaves
  the addon unapplied with a `ResourcesApplied=False` condition nobody reads);
* a referenced Secret has `type: addons.cluster.x-k8s.io/resource-set` (the controller ignores
  other Secret types).

Severity: error.

Source:
    kubernetes-sigs/cluster-api v1.12.11, internal/webhooks/clusterresourceset.go
    ("selector must not be empty"); docs/book/src/tasks/cluster-resource-set.md (Secret type
    `addons.cluster.x-k8s.io/resource-set`, same namespace);
    internal/controllers/clusterresourceset/clusterresourceset_controller.go (resources are read
    from the ClusterResourceSet's namespace; Secrets of another type are rejected); FIELD.md §1.7.

Failing example::

    apiVersion: addons.cluster.x-k8s.io/v1beta2
    kind: ClusterResourceSet
    metadata: {name: calico, namespace: clusters}
    spec:
      clusterSelector: {matchLabels: {cni: calico}}
      resources: [{kind: ConfigMap, name: calico-installation}]   # not rendered in namespace clusters

Passing example::

    apiVersion: v1
    kind: ConfigMap
    metadata: {name: calico-installation, namespace: clusters}
    data: {calico-installation.yaml: "..."}
    ---
    apiVersion: addons.cluster.x-k8s.io/v1beta2
    kind: ClusterResourceSet
    metadata: {name: calico, namespace: clusters}
    spec:
      clusterSelector: {matchLabels: {cni: calico}}
      resources: [{kind: ConfigMap, name: calico-installation}]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.labels import selector_errors, selector_is_empty
from fleetgen.policy.objects import get, objects_of_kind

ADDONS_GROUP = "addons.cluster.x-k8s.io"
RESOURCE_SET_SECRET_TYPE = "addons.cluster.x-k8s.io/resource-set"


class CrsWebhookRule:
    """Rendered ClusterResourceSets have a selector and resolvable, correctly typed resources."""

    id = "crs-webhook"
    severity = Severity.ERROR
    summary = "rendered ClusterResourceSets need a non-empty selector and ConfigMaps/Secrets rendered in their namespace"
    scope = "fleet"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield findings for empty selectors, missing or misplaced resources, and mistyped Secrets."""
        payloads: dict[tuple[str, str], dict[str, dict]] = defaultdict(dict)  # (kind, name) -> namespace -> manifest
        for _, obj in objects_of_kind(ctx.rendered, "ConfigMap", "Secret", group=""):
            payloads[(obj.ref.kind, obj.ref.name)][obj.ref.namespace] = obj.manifest
        for file, obj in objects_of_kind(ctx.rendered, "ClusterResourceSet", group=ADDONS_GROUP):
            m = obj.manifest
            selector = get(m, "/spec/clusterSelector")
            # (matchLabels keys and values: `label-values` reports them, at the label itself)
            errors = selector_errors(selector, match_labels=False)
            if errors:
                yield object_finding(self, ctx, file, obj, "/spec/clusterSelector", "; ".join(errors))
            elif selector_is_empty(selector):
                yield object_finding(self, ctx, file, obj, "/spec/clusterSelector", "selector must not be empty")
            namespace = obj.ref.namespace
            for i, res in enumerate(get(m, "/spec/resources") or []):
                ptr = f"/spec/resources/{i}"
                kind, name = (res.get("kind"), res.get("name")) if isinstance(res, dict) else (None, None)
                if kind not in ("ConfigMap", "Secret") or not isinstance(name, str):
                    if kind not in ("ConfigMap", "Secret"):
                        yield object_finding(self, ctx, file, obj, f"{ptr}/kind", f"must be ConfigMap or Secret, got {kind!r}")
                    continue  # a missing name is a schema finding (CRD: name minLength 1)
                found = payloads.get((kind, name), {})
                if namespace not in found:
                    elsewhere = sorted(ns for ns in found if ns != namespace)
                    problem = (f"{kind} {name!r} is not rendered in the ClusterResourceSet's namespace {namespace!r}; "
                               f"it is rendered in namespace {', '.join(elsewhere)}, and a ClusterResourceSet only "
                               "reads resources from its own namespace" if elsewhere else
                               f"{kind} {name!r} is not rendered in any namespace; the ClusterResourceSet controller "
                               "cannot apply it and reports it missing (ResourcesApplied false) until it exists")
                    yield object_finding(self, ctx, file, obj, ptr, problem)
                    continue
                if kind == "Secret" and found[namespace].get("type") != RESOURCE_SET_SECRET_TYPE:
                    yield object_finding(self, ctx, file, obj, ptr,
                                         f"Secret {name!r} has type {found[namespace].get('type', 'Opaque')!r}; "
                                         f"a ClusterResourceSet only applies Secrets of type {RESOURCE_SET_SECRET_TYPE}")


RULE = CrsWebhookRule()
