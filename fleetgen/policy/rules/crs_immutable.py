"""crs-immutable: a ClusterResourceSet's strategy and cluster selector cannot change in place.

The ClusterResourceSet webhook rejects any update of `spec.strategy` or `spec.clusterSelector`
("field is immutable"); the CAPI book's advice for switching to Reconcile is to delete the
ClusterResourceSet and create it again. A commit that edits an addon's strategy or selector while
its ClusterResourceSet keeps its name therefore fails to sync. An unset strategy counts as the
default, ApplyOnce.

Compares each rendered ClusterResourceSet with the same object in the base revision; skipped when
there is no base revision. fleetgen itself never renders such an update: the name of an addon's
ClusterResourceSet carries a hash of its strategy and selector, so an addon whose strategy or
selector changes gets a new ClusterResourceSet and the old one is deleted. That is a warning at the
addon's `strategy` or `clusterSelector`: the new ClusterResourceSet applies the payload again to
every cluster it selects, and the clusters it no longer selects keep what the old one applied
(a ClusterResourceSet never deletes). The error is for a ClusterResourceSet edited by hand in
`fleet/` (checked with `output-edited`).

Severity: error (an addon's strategy or selector changed in its spec: warning).

Source:
    kubernetes-sigs/cluster-api v1.12.11, internal/webhooks/clusterresourceset.go (`validate`:
    "field is immutable"); docs/book/src/tasks/cluster-resource-set.md; FIELD.md §1.6.

Failing example (fleet/addons/clusters/calico/addon.yaml edited by hand; the base revision had
`strategy: ApplyOnce`; the same change in crs/calico/addon.yaml is the warning)::

    kind: ClusterResourceSet
    metadata: {name: calico-84d3fe64}
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
from fleetgen.policy.emit import object_finding, spec_finding
from fleetgen.policy.labels import format_selector
from fleetgen.policy.objects import get, transitions

ADDONS_GROUP = "addons.cluster.x-k8s.io"
DEFAULT_STRATEGY = "ApplyOnce"
#: What an addon's changed strategy or selector does, as fleetgen renders it.
_REPLACED = ("fleetgen renders a new ClusterResourceSet (its name carries a hash of strategy and selector) and "
             "deletes the old one: the new one applies the payload again to every cluster it selects, and "
             "clusters it no longer selects keep what the old one applied")


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
        yield from self._addon_changes(ctx)

    def _addon_changes(self, ctx: PolicyContext) -> Iterator[Finding]:
        """A warning per addon of the base whose strategy or cluster selector changed in its spec."""
        if ctx.base is None:
            return
        before = {a.name: a for a in ctx.base.fleet.addons}
        for addon in ctx.fleet.addons:
            old = before.get(addon.name)
            if old is None:
                continue
            then, now = old.addon.spec, addon.addon.spec
            fate = _REPLACED
            if then.strategy != now.strategy:
                yield spec_finding(self, addon.source, "/spec/strategy",
                                   f"changed from {then.strategy} to {now.strategy}; {fate}",
                                   severity=Severity.WARNING, hint="check what the payload does when applied again")
            old_sel = then.cluster_selector.model_dump(by_alias=True, exclude_defaults=True, mode="json")
            new_sel = now.cluster_selector.model_dump(by_alias=True, exclude_defaults=True, mode="json")
            if _normal(old_sel) != _normal(new_sel):
                yield spec_finding(self, addon.source, "/spec/clusterSelector",
                                   f"changed from {format_selector(old_sel)!r} to {format_selector(new_sel)!r}; {fate}",
                                   severity=Severity.WARNING,
                                   hint="delete what the addon applied in clusters it no longer selects, if it must go")


def _normal(selector: dict) -> tuple:
    return (dict(selector.get("matchLabels") or {}), list(selector.get("matchExpressions") or []))


RULE = CrsImmutableRule()
