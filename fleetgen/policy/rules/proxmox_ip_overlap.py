"""proxmox-ip-overlap: Proxmox clusters on one bridge must not share node addresses or VIPs.

Each Proxmox cluster gets its own IPAM pool for node addresses and a kube-vip control-plane
address. Nothing in CAPMOX or IPAM knows about the other clusters: two clusters whose ranges
overlap on the same bridge hand out the same address twice, and a VIP inside another cluster's
node range is eventually assigned to one of its nodes. The symptoms — duplicate-address ARP
flapping, an API server that answers for the wrong cluster — appear weeks later. This rule looks
across the whole fleet and reports, for every pair of clusters on the same `spec.proxmox.bridge`:

* overlapping `spec.proxmox.ipv4.addresses` entries;
* a control-plane endpoint inside the other cluster's node addresses;
* two clusters with the same control-plane endpoint;
* a control-plane endpoint that is the other cluster's gateway (kube-vip would answer for the
  router of that subnet; a VIP equal to its own cluster's gateway is `proxmox-vip-in-range`'s),
  reported at the endpoint and at the gateway.

Each conflict is reported on both clusters, at each one's own entry (a node range, or the
endpoint), naming the other: either spec may be the one to change, and the one just edited is
always among them. An entry conflicting with several clusters is one finding naming them. A node range or endpoint set in fleetgen.yaml's `defaults` and inherited by
several clusters on one bridge is one finding at that line, naming the clusters.
Clusters are compared by bridge name only: keep bridge names distinct across separate Proxmox
installations that reuse address space, or use different address space.

Severity: error.

Source:
    FIELD.md §1.15 (ionos-cloud/cluster-api-provider-proxmox#412, #305, #304, #425;
    kubernetes-sigs/cluster-api#11313); the per-cluster check CAPMOX itself does is
    internal/webhook/proxmoxcluster_webhook.go ("addresses may not contain the endpoint IP").

Failing example (two files)::

    # clusters/pve-a.yaml
    spec: {proxmox: {bridge: vmbr0, controlPlaneEndpoint: {host: 10.10.10.9},
                     ipv4: {addresses: [10.10.10.10-10.10.10.20], prefix: 24, gateway: 10.10.10.1}}}
    # clusters/pve-b.yaml
    spec: {proxmox: {bridge: vmbr0, controlPlaneEndpoint: {host: 10.10.10.15},   # inside pve-a's range
                     ipv4: {addresses: [10.10.10.18-10.10.10.30], prefix: 24, gateway: 10.10.10.1}}}

Passing example::

    # clusters/pve-b.yaml
    spec: {proxmox: {bridge: vmbr0, controlPlaneEndpoint: {host: 10.10.10.39},
                     ipv4: {addresses: [10.10.10.40-10.10.10.50], prefix: 24, gateway: 10.10.10.1}}}
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.policy.ipnet import IPInterval, parse_interval, parse_ip
from fleetgen.spec.load import LoadedCluster
from fleetgen.spec.models import ProxmoxSpec

_HOST = "/spec/proxmox/controlPlaneEndpoint/host"


def _address(i: int) -> str:
    return f"/spec/proxmox/ipv4/addresses/{i}"


def _px(cluster: LoadedCluster) -> ProxmoxSpec:
    px = cluster.spec.spec.proxmox
    if px is None:  # pragma: no cover - only Proxmox clusters are grouped by bridge
        raise ValueError(f"{cluster.name} is not a Proxmox cluster")
    return px


#: Hints for a node range or endpoint set in fleetgen.yaml's defaults, so shared by the clusters inheriting it.
_OWN_RANGE = "set spec.proxmox.ipv4.addresses in each cluster's own spec, not in fleetgen.yaml's defaults"
_OWN_VIP = "set spec.proxmox.controlPlaneEndpoint.host in each cluster's own spec, not in fleetgen.yaml's defaults"


def _one_default(one: LoadedCluster, pointer: str, other: LoadedCluster, other_pointer: str) -> bool:
    """True when both values are one line of fleetgen.yaml's defaults, inherited by both clusters:
    the conflict is reported once at that line (`merge_defaults_findings` names the clusters),
    not once per pair naming each other."""
    return one.source.lookup(pointer) == other.source.lookup(other_pointer)


#: Other clusters named in one finding before "and N more".
_MAX_NAMED = 3


def _named(items: list[str], separator: str = ",") -> str:
    """`a`, `a and b`, `a, b and c`, `a, b, c and 2 more` (`;` between items that hold commas)."""
    shown = items[:_MAX_NAMED]
    if len(items) > _MAX_NAMED:
        return f"{separator} ".join(shown) + f" and {len(items) - _MAX_NAMED} more"
    return shown[0] if len(shown) == 1 else f"{separator} ".join(shown[:-1]) + f" and {shown[-1]}"


def _where(cluster: LoadedCluster, pointer: str) -> str:
    return f"cluster {cluster.namespace}/{cluster.name} ({cluster.source.lookup(pointer)})"


@dataclass(frozen=True)
class _Entry:
    """One node range (`index` >= 0: addresses[index]) or the VIP (`index` == -1) of cluster `owner`."""

    interval: IPInterval
    owner: int
    index: int

    @property
    def is_vip(self) -> bool:
        return self.index < 0


class ProxmoxIpOverlapRule:
    """Node ranges and VIPs of Proxmox clusters on one bridge are disjoint."""

    id = "proxmox-ip-overlap"
    severity = Severity.ERROR
    summary = "Proxmox clusters on the same bridge must not share node addresses or control-plane endpoints"
    scope = "fleet"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield, on each cluster of every conflicting pair, one finding per conflicting address entry or
        endpoint and kind of conflict, naming the other clusters (the first 3, then `and N more`).

        A sweep over the address intervals of each bridge, sorted by start, so a fleet of thousands
        of clusters costs n log n, not n².
        """
        by_bridge: dict[str, list[LoadedCluster]] = defaultdict(list)
        for cluster in ctx.fleet.clusters:
            if cluster.spec.spec.proxmox is not None:
                by_bridge[cluster.spec.spec.proxmox.bridge].append(cluster)
        for bridge, clusters in by_bridge.items():
            yield from self._bridge(bridge, clusters)

    def _bridge(self, bridge: str, clusters: list[LoadedCluster]) -> Iterator[Finding]:
        entries: list[_Entry] = []
        for owner, cluster in enumerate(clusters):
            px = _px(cluster)
            for i, text in enumerate(px.ipv4.addresses):
                interval = parse_interval(text)
                if interval is not None:
                    entries.append(_Entry(interval, owner, i))
            vip = parse_ip(px.control_plane_endpoint.host)
            if vip is not None:
                entries.append(_Entry(IPInterval(vip.version, int(vip), int(vip), str(vip)), owner, -1))
        ranges: dict[tuple[int, int, int], int] = {}   # (holder, its range, other) -> first overlapping range of other
        holds: set[tuple[int, int, int]] = set()       # (range holder, its range, VIP owner)
        inside: dict[tuple[int, int], int] = {}        # (VIP owner, range holder) -> first range holding the VIP
        same: set[tuple[int, int]] = set()             # (VIP owner, other owner of the same VIP)
        active: list[_Entry] = []
        for entry in sorted(entries, key=lambda e: (e.interval.version, e.interval.first, e.owner, e.index)):
            iv = entry.interval
            active = [a for a in active if a.interval.version == iv.version and a.interval.last >= iv.first]
            for other in active:
                if other.owner == entry.owner:
                    continue
                if not entry.is_vip and not other.is_vip:
                    for x, y in ((entry, other), (other, entry)):
                        key = (x.owner, x.index, y.owner)
                        ranges[key] = min(ranges.get(key, y.index), y.index)
                elif entry.is_vip and other.is_vip:
                    same.update({(entry.owner, other.owner), (other.owner, entry.owner)})
                else:
                    vip, held = (entry, other) if entry.is_vip else (other, entry)
                    holds.add((held.owner, held.index, vip.owner))
                    key2 = (vip.owner, held.owner)
                    inside[key2] = min(inside.get(key2, held.index), held.index)
            active.append(entry)
        # One finding per entry and kind of conflict, naming every cluster it conflicts with; a value
        # from fleetgen.yaml's defaults conflicting with itself in the clusters inheriting it is one
        # problem of the default (`merge_defaults_findings` names those clusters).
        overlapping: dict[tuple[int, int], list[str]] = defaultdict(list)
        for (b, j, a), i in sorted(ranges.items()):
            rb, ra = _px(clusters[b]).ipv4.addresses[j], _px(clusters[a]).ipv4.addresses[i]
            if _one_default(clusters[b], _address(j), clusters[a], _address(i)):
                overlapping[(b, j)].append("")
            else:
                overlapping[(b, j)].append(f"{ra} of {_where(clusters[a], _address(i))}")
        for (b, j), others in overlapping.items():
            rb = _px(clusters[b]).ipv4.addresses[j]
            if "" in others:
                yield spec_finding(self, clusters[b].source, _address(j),
                                   f"{rb} is the node range of each of these clusters on bridge {bridge}; "
                                   "node ranges of clusters sharing a bridge must be disjoint", hint=_OWN_RANGE)
            if any(others):
                yield spec_finding(self, clusters[b].source, _address(j),
                                   f"{rb} overlaps {_named([o for o in others if o])} on bridge {bridge}; "
                                   "node ranges of clusters sharing a bridge must be disjoint")
        holding: dict[tuple[int, int], list[str]] = defaultdict(list)
        for b, j, a in sorted(holds):
            holding[(b, j)].append(f"{_px(clusters[a]).control_plane_endpoint.host} of {_where(clusters[a], _HOST)}")
        for (b, j), others in holding.items():
            noun = "endpoint" if len(others) == 1 else "endpoints"
            yield spec_finding(self, clusters[b].source, _address(j),
                               f"{_px(clusters[b]).ipv4.addresses[j]} contains the control-plane {noun} {_named(others)} "
                               f"on bridge {bridge}; IPAM would hand {'that address' if len(others) == 1 else 'them'} to a node")
        sharing: dict[int, list[str]] = defaultdict(list)
        for b, a in sorted(same):
            sharing[b].append("" if _one_default(clusters[b], _HOST, clusters[a], _HOST) else _where(clusters[a], _HOST))
        for b, others in sharing.items():
            host = _px(clusters[b]).control_plane_endpoint.host
            if "" in others:
                yield spec_finding(self, clusters[b].source, _HOST,
                                   f"{host} is the control-plane endpoint of each of these clusters on bridge "
                                   f"{bridge}; each cluster needs its own VIP", hint=_OWN_VIP)
            if any(others):
                yield spec_finding(self, clusters[b].source, _HOST,
                                   f"{host} is also the control-plane endpoint of {_named([o for o in others if o])} "
                                   f"on bridge {bridge}; each cluster needs its own VIP")
        holders: dict[int, list[str]] = defaultdict(list)
        for (b, a), i in sorted(inside.items()):
            if (b, a) not in same:
                holders[b].append(f"{_px(clusters[a]).ipv4.addresses[i]}, the node addresses of "
                                  f"{_where(clusters[a], _address(i))}")
        for b, others in holders.items():
            yield spec_finding(self, clusters[b].source, _HOST,
                               f"{_px(clusters[b]).control_plane_endpoint.host} is inside {_named(others, ';')} "
                               f"on bridge {bridge}; IPAM would hand the VIP to one of {'its' if len(others) == 1 else 'their'} nodes")
        yield from self._vip_is_gateway(bridge, clusters)

    def _vip_is_gateway(self, bridge: str, clusters: list[LoadedCluster]) -> Iterator[Finding]:
        """A finding per cluster whose VIP is the gateway of another cluster on the bridge (naming the first
        one), and one on each such gateway."""
        gateways: dict[object, list[int]] = defaultdict(list)
        for owner, cluster in enumerate(clusters):
            gateway = parse_ip(_px(cluster).ipv4.gateway)
            if gateway is not None:
                gateways[gateway].append(owner)
        for b, cluster in enumerate(clusters):
            px = _px(cluster)
            vip = parse_ip(px.control_plane_endpoint.host)
            if vip is None or vip == parse_ip(px.ipv4.gateway):
                continue
            others = [a for a in gateways.get(vip, ()) if a != b]
            if others:
                yield spec_finding(self, cluster.source, _HOST,
                                   f"{vip} is the gateway of {_where(clusters[others[0]], '/spec/proxmox/ipv4/gateway')} "
                                   f"on bridge {bridge}; kube-vip would take over the gateway's address")
                for a in others:  # (and on the gateway's side: either spec may be the one to change)
                    yield spec_finding(self, clusters[a].source, "/spec/proxmox/ipv4/gateway",
                                       f"{vip} is also the control-plane endpoint of {_where(cluster, _HOST)} on bridge "
                                       f"{bridge}; kube-vip would take over the gateway's address")


RULE = ProxmoxIpOverlapRule()
