"""cluster-removed: a change that removes a running cluster, or moves it to another namespace, says so.

The management cluster knows a workload cluster by its CAPI Cluster's namespace and name. A spec
deleted, renamed, or moved to another namespace (its own `metadata.namespace`, or the
`defaults.metadata.namespace` of fleetgen.yaml for every spec that inherits it) removes that
Cluster's files from git. Then the GitOps agent either prunes them, and Cluster API deletes the
workload cluster and its machines, or (Fleet with `GitRepo.spec.keepResources: true`) keeps them,
and the cluster keeps running unmanaged by git. A namespace move also creates a second cluster
from scratch, with the same name and, on Proxmox, the same node addresses and VIP as the one that
keeps running or is being deleted. `render` refuses to remove cluster output without
`--allow-delete` and `plan` shows a DELETE; this rule says it where CI runs `validate --base`.

Compares the (namespace, name) of every cluster with the base revision's; skipped without a base.

When Fleet keeps a removed Proxmox cluster running, its VIP and node addresses stay taken: a
cluster of the change on the same bridge that reuses them (the renamed or moved cluster itself,
or a new one given the freed addresses) would share them with the running one (duplicate
addresses, a VIP answered by two clusters). That is a warning at the reused entry of the spec (not
an error: deleting the old cluster by hand before the merge is the way out, and the base revision
still lists it).

Severity: warning for a rename or a namespace move (an edit of one field that deletes a running
cluster); info for a deleted spec file (a deliberate removal, which `render --allow-delete` and
`plan` already gate; shown with `-v`).

Source:
    kubernetes-sigs/cluster-api v1.12.11, docs/book/src/user/concepts.md (a Cluster is identified by
    namespace and name; deleting it deletes its machines); rancher/fleet v0.16.1 `keepResources`
    (`internal/helmdeployer/delete.go`); FIELD.md §4.5.

Failing example (base revision: `metadata: {name: kv-demo, namespace: clusters}`)::

    metadata: {name: kv-demo, namespace: workload}

Passing example (the same spec, only scaled)::

    metadata: {name: kv-demo, namespace: clusters}
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.policy.ipnet import IPAddress, IPInterval, parse_interval, parse_ip
from fleetgen.policy.objects import get, objects_of_kind

if TYPE_CHECKING:
    from fleetgen.spec.load import LoadedCluster
    from fleetgen.spec.models import ProxmoxSpec

FLEET_GROUP = "fleet.cattle.io"


def _kept(ctx: PolicyContext) -> bool:
    """True when the base's GitOps agent keeps what a removed bundle deployed (Fleet keepResources)."""
    assert ctx.base is not None
    return any(get(repo.manifest, "/spec/keepResources") is True
               for _, repo in objects_of_kind(ctx.base.rendered, "GitRepo", group=FLEET_GROUP))


def _fate(ctx: PolicyContext, namespace: str, name: str) -> str:
    """What happens to the removed Cluster on the management cluster, by the base's GitOps agent settings."""
    if _kept(ctx):
        return ("Fleet keeps what a removed bundle deployed (GitRepo keepResources: true), so it keeps running, "
                f"no longer managed from git; delete it with `kubectl delete cluster -n {namespace} {name}` if it must go")
    return "the GitOps agent prunes its objects, and Cluster API deletes the workload cluster and its machines"


def _body(cluster: LoadedCluster) -> object:
    """What a spec asks for besides its name: its `spec` and labels (a renamed file with the same body
    is the same cluster under a new name)."""
    return (cluster.spec.spec.model_dump(mode="json"), dict(cluster.spec.metadata.labels))


class ClusterRemovedRule:
    """Clusters of the base revision that the change removes or moves to another namespace."""

    id = "cluster-removed"
    severity = Severity.WARNING
    summary = "a change that removes a running cluster (deleted, renamed or moved to another namespace) is reported"
    scope = "transition"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per base cluster missing from the working tree: a warning at the new spec that
        replaced it (same name in another namespace; same file, or same spec body, under another name),
        else an info at the base spec's `metadata.name`; and, when Fleet keeps removed clusters, a
        warning per Proxmox node range or VIP of the working tree that a removed cluster still holds."""
        if ctx.base is None:
            return
        now = {(c.namespace, c.name): c for c in ctx.fleet.clusters}
        before = {(c.namespace, c.name) for c in ctx.base.fleet.clusters}
        new = [c for c in ctx.fleet.clusters if (c.namespace, c.name) not in before]  # (what may have replaced one)
        for old in ctx.base.fleet.clusters:
            if (old.namespace, old.name) in now:
                continue
            fate = _fate(ctx, old.namespace, old.name)
            moved = next((c for c in new if c.name == old.name), None)
            if moved is not None:
                yield spec_finding(self, moved.source, "/metadata/namespace",
                                   f"cluster {old.name} moves from namespace {old.namespace} to {moved.namespace}: the "
                                   f"management cluster sees a new cluster; the one in {old.namespace} loses its "
                                   f"files: {fate}",
                                   hint="keep the namespace of a running cluster")
                continue
            renamed = next((c for c in new if c.path == old.path), None) or next(
                (c for c in new if c.namespace == old.namespace and _body(c) == _body(old)), None)
            if renamed is not None:
                yield spec_finding(self, renamed.source, "/metadata/name",
                                   f"renamed from {old.name}: cluster {old.name} (namespace {old.namespace}) is removed "
                                   f"and {renamed.name} created from scratch; {fate}",
                                   hint="keep the name of a running cluster")
                continue
            yield spec_finding(self, old.source, "/metadata/name",
                               f"cluster {old.name} (namespace {old.namespace}) is removed by this change (its spec "
                               f"{old.path} is gone): {fate}", severity=Severity.INFO,
                               hint="restore the spec if the cluster must stay")
        removed = [old for old in ctx.base.fleet.clusters if (old.namespace, old.name) not in now]
        if removed and _kept(ctx):
            yield from self._addresses_still_held(ctx, removed)

    def _addresses_still_held(self, ctx: PolicyContext, removed: list[LoadedCluster]) -> Iterator[Finding]:
        """A warning per node range or VIP of a working-tree Proxmox cluster that a removed, kept
        cluster on the same bridge still holds. Costs removed x current clusters on the bridge: a
        change removes few clusters."""
        on_bridge: dict[str, list[tuple[LoadedCluster, ProxmoxSpec, IPAddress | None,
                                        list[tuple[int, str, IPInterval | None]]]]] = defaultdict(list)
        for cluster in ctx.fleet.clusters:
            if (px := cluster.spec.spec.proxmox) is not None:
                on_bridge[px.bridge].append((cluster, px, parse_ip(px.control_plane_endpoint.host),
                                             [(i, text, parse_interval(text)) for i, text in enumerate(px.ipv4.addresses)]))
        for old in removed:
            held = old.spec.spec.proxmox
            if held is None:
                continue
            old_vip = parse_ip(held.control_plane_endpoint.host)
            old_ranges = [iv for iv in (parse_interval(a) for a in held.ipv4.addresses) if iv is not None]
            kept = (f"cluster {old.namespace}/{old.name}, which this change removes from git but Fleet keeps running "
                    "(GitRepo keepResources)")
            hint = (f"delete the old cluster first (`kubectl delete cluster -n {old.namespace} {old.name}`), "
                    "or give this cluster addresses of its own")
            for cluster, px, vip, entries in on_bridge.get(held.bridge, ()):
                if vip is not None and (vip == old_vip or any(iv.contains(vip) for iv in old_ranges)):
                    what = "the control-plane endpoint" if vip == old_vip else "a node address"
                    yield spec_finding(self, cluster.source, "/spec/proxmox/controlPlaneEndpoint/host",
                                       f"{vip} is still {what} of {kept}; both clusters would answer on it on "
                                       f"bridge {px.bridge}", hint=hint)
                for i, text, interval in entries:
                    if interval is None:
                        continue
                    if any(interval.overlaps(iv) for iv in old_ranges) or interval.contains(old_vip):
                        yield spec_finding(self, cluster.source, f"/spec/proxmox/ipv4/addresses/{i}",
                                           f"{text} holds node or control-plane addresses still in use by {kept}, on "
                                           f"bridge {px.bridge}; IPAM would hand them out a second time", hint=hint)


RULE = ClusterRemovedRule()
