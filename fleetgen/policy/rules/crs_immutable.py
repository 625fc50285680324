"""crs-immutable: a ClusterResourceSet's strategy and cluster selector cannot change in place.

The ClusterResourceSet webhook rejects any update of `spec.strategy` or `spec.clusterSelector`
("field is immutable"); the CAPI book's advice for switching to Reconcile is to delete the
ClusterResourceSet and create it again. A commit that edits an addon's strategy or selector while
its ClusterResourceSet keeps its name therefore fails to sync. An unset strategy counts as the
default, ApplyOnce.

Compares each rendered ClusterResourceSet with the same object in the base revision; skipped when
there is no base revision.

Severity: error.

Source:
    kubernetes-sigs/cluster-api v1.12.11, internal/webhooks/clusterresourceset.go (`validate`:
    "field is immutable"); docs/book/src/tasks/cluster-resource-set.md; FIELD.md §1.6.

Failing example (crs/calico/addon.yaml; the base revision had `strategy: ApplyOnce`)::

    spec:
      clusterSelector: {matchLabels: {cni: calico}}
      strategy: Reconcile

Passing example (a new addon name, so a new ClusterResourceSet; remove the old addon)::

    metadata: {name: calico-reconcile}
    spec:
      clusterSelector: {matchLabels: {cni: calico}}
      strategy: Reconcile
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.labels import format_selector
from fleetgen.policy.objects import get, transitions

ADDONS_GROUP = "addons.cluster.x-k8s.io"
DEFAULT_STRATEGY = "ApplyOnce"


class CrsImmutableRule:
    """ClusterResourceSet strategy and clusterSelector are unchanged under one name."""

    id = "crs-immutable"
    severity = Severity.ERROR
    summary = "a ClusterResourceSet's strategy and clusterSelector are immutable (webhook: field is immutable)"
    scope = "transition"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per changed strategy or clusterSelector."""
        for t in transitions(ctx, "ClusterResourceSet", group=ADDONS_GROUP):
            old_strategy = get(t.old.manifest, "/spec/strategy") or DEFAULT_STRATEGY
            new_strategy = get(t.new.manifest, "/spec/strategy") or DEFAULT_STRATEGY
            if old_strategy != new_strategy:
                yield object_finding(self, ctx, t.file, t.new, "/spec/strategy",
                                     f"field is immutable: changed from {old_strategy} to {new_strategy}",
                                     hint="give the addon a new name (a new ClusterResourceSet) and remove the old one")
            old_sel = get(t.old.manifest, "/spec/clusterSelector") or {}
            new_sel = get(t.new.manifest, "/spec/clusterSelector") or {}
            if _normal(old_sel) != _normal(new_sel):
                yield object_finding(self, ctx, t.file, t.new, "/spec/clusterSelector",
                                     f"field is immutable: changed from {format_selector(old_sel)!r} to {format_selector(new_sel)!r}",
                                     hint="give the addon a new name (a new ClusterResourceSet) and remove the old one")


def _normal(selector: dict) -> tuple:
    return (dict(selector.get("matchLabels") or {}), list(selector.get("matchExpressions") or []))


RULE = CrsImmutableRule()
