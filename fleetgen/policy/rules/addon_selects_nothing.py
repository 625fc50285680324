"""addon-selects-nothing: warn about an addon whose selector matches no cluster of the fleet.

An addon is rendered into a ClusterResourceSet in every namespace that holds a matching cluster.
If its `spec.clusterSelector` matches no cluster at all, nothing is rendered and nothing is
applied — almost always a typo in a label key or value (`cni: calcio`), or a cluster that lost its
label. It is only a warning because an addon can be staged before the clusters that will use it.

Clusters are matched on the labels of their rendered CAPI Cluster (what the ClusterResourceSet
sees), or their spec labels when nothing was rendered.

Severity: warning.

Source:
    kubernetes-sigs/cluster-api v1.12.11, docs/book/src/tasks/cluster-resource-set.md
    (ClusterResourceSets select Clusters by label, in their own namespace); FIELD.md §1.7.

Failing example (crs/cilium/addon.yaml; no cluster is labelled cni=cilium)::

    spec:
      clusterSelector: {matchLabels: {cni: cilium}}

Passing example (clusters/kv-demo.yaml carries the label)::

    metadata:
      labels: {cni: cilium}
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.policy.objects import cluster_labels


class AddonSelectsNothingRule:
    """Every addon selects at least one cluster."""

    id = "addon-selects-nothing"
    severity = Severity.WARNING
    summary = "an addon whose clusterSelector matches no cluster is rendered nowhere"
    scope = "fleet"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one warning per addon that matches no cluster."""
        labels = cluster_labels(ctx)
        for addon in ctx.fleet.addons:
            selector = addon.addon.spec.cluster_selector
            if not any(selector.matches(lbls) for lbls in labels.values()):
                yield spec_finding(self, addon.source, "/spec/clusterSelector",
                                   f"selects none of the fleet's {len(labels)} cluster{'s' if len(labels) != 1 else ''}; "
                                   f"addon {addon.name!r} is rendered nowhere",
                                   hint="check the label keys and values against the clusters' metadata.labels")


RULE = AddonSelectsNothingRule()
