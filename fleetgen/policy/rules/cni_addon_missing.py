"""cni-addon-missing: a cluster that asks for a CNI by label must get one from an addon.

fleetgen installs CNIs as addons selected by a `cni` label (`metadata.labels.cni: calico` selected
by an addon with `clusterSelector: {matchLabels: {cni: calico}}`). A cluster labelled `cni: <x>`
that no addon selecting on the `cni` label matches comes up without a pod network: every node
stays NotReady, the control plane never becomes healthy and KubeadmControlPlane scale-ups and
MachineHealthChecks start remediating healthy machines. Only addons whose selector uses the
`cni` key count, so a baseline addon selecting every cluster does not hide a missing CNI.

Severity: error.

Source:
    fleetgen addon convention (DESIGN.md "Addon"; crs/calico/addon.yaml in the example fleet);
    kubernetes-sigs/cluster-api v1.12.11, docs/book/src/tasks/cluster-resource-set.md.

Failing example (no addon selects cni=cilium)::

    metadata:
      name: kv-demo
      labels: {cni: cilium}

Passing example (crs/cilium/addon.yaml exists)::

    spec:
      clusterSelector: {matchLabels: {cni: cilium}}
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.policy.objects import cluster_labels
from fleetgen.spec.load import LoadedAddon

CNI_LABEL = "cni"


def selects_on_cni(addon: LoadedAddon) -> bool:
    """True if the addon's selector uses the `cni` label key."""
    selector = addon.addon.spec.cluster_selector
    return CNI_LABEL in selector.match_labels or any(r.key == CNI_LABEL for r in selector.match_expressions)


class CniAddonMissingRule:
    """Every `cni`-labelled cluster is selected by an addon that selects on `cni`."""

    id = "cni-addon-missing"
    severity = Severity.ERROR
    summary = "a cluster labelled cni=<x> must be selected by an addon selecting on the cni label"
    scope = "fleet"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per cni-labelled cluster no cni addon selects."""
        labels = cluster_labels(ctx)
        cni_addons = [a for a in ctx.fleet.addons if selects_on_cni(a)]
        for cluster in ctx.fleet.clusters:
            value = cluster.spec.metadata.labels.get(CNI_LABEL)
            if value is None:
                continue
            effective = labels.get((cluster.namespace, cluster.name), dict(cluster.spec.metadata.labels))
            if not any(a.addon.spec.cluster_selector.matches(effective) for a in cni_addons):
                known = sorted({a.name for a in cni_addons})
                yield spec_finding(self, cluster.source, f"/metadata/labels/{CNI_LABEL}",
                                   f"cluster is labelled {CNI_LABEL}={value} but no addon in crs/ selects it; "
                                   "the cluster would come up without a pod network (nodes stay NotReady)",
                                   hint=(f"CNI addons: {', '.join(known)}" if known else "add crs/<cni>/addon.yaml selecting "
                                         f"{CNI_LABEL}: {value}"))


RULE = CniAddonMissingRule()
