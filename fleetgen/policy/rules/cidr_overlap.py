"""cidr-overlap: pod, service and node networks of a cluster must not overlap.

Pod IPs and service cluster IPs are routed differently (the CNI routes pods, kube-proxy or the
CNI translates service IPs). If the two ranges overlap, a service IP can equal a pod IP and
traffic to one silently reaches the other; kubeadm does not reject it. For Proxmox clusters the
node subnet (`spec.proxmox.ipv4`: the first address with `prefix`) must not overlap either, or
nodes cannot reach each other once pod routes are installed. Each IP family is compared with
itself (dual-stack lists hold one IPv4 and one IPv6 block).

When `clusterNetwork.pods` or `.services` is omitted, the provider's defaults (what fleetgen
renders: KubeVirt 10.243.0.0/16 and 10.95.0.0/16, Proxmox 192.168.0.0/16 and 10.96.0.0/12) are
checked too, and the finding is reported at what the spec does write (the other block, or the
Proxmox node addresses). When the spec writes both blocks, the overlap is reported at each (on
separate lines), naming the other: either may be the one just edited.

Severity: error.

Source:
    kubernetes-sigs/cluster-api v1.12.11, api/core/v1beta2/cluster_types.go (`ClusterNetwork`:
    `pods.cidrBlocks`, `services.cidrBlocks`); Kubernetes networking model
    (https://kubernetes.io/docs/concepts/cluster-administration/networking/).

Failing example::

    spec:
      clusterNetwork:
        pods: [10.96.0.0/16]       # overlaps spec.clusterNetwork.services[0] 10.96.0.0/12
        services: [10.96.0.0/12]

Passing example::

    spec:
      clusterNetwork:
        pods: [192.168.0.0/16, fd00:10::/56]
        services: [10.96.0.0/12, fd00:20::/108]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.policy.ipnet import IPNetwork, parse_cidr, parse_intervals, pool_network

if TYPE_CHECKING:
    from fleetgen.sourcemap import SourceMap
    from fleetgen.spec.models import ClusterSpec


class CidrOverlapRule:
    """Pod, service and node networks of one cluster are disjoint."""

    id = "cidr-overlap"
    severity = Severity.ERROR
    summary = "pod, service and node networks of a cluster must not overlap"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield, per overlapping (pods, services) pair, a finding at each block the spec writes (one
        when both are on one line), and one per block overlapping the node subnet."""
        for cluster in ctx.fleet.clusters:
            spec = cluster.spec.spec
            blocks = _blocks(cluster.spec)
            pods = [b for b in blocks if b[0] == "pods"]
            services = [b for b in blocks if b[0] == "services"]
            for _, p_ptr, p_net in pods:
                for _, s_ptr, s_net in services:
                    if (p_ptr or s_ptr) and _overlap(p_net, s_net):
                        if p_ptr:
                            yield spec_finding(self, cluster.source, p_ptr,
                                               f"{p_net} overlaps {_name(s_ptr, 'services', s_net)}; choose disjoint ranges")
                        if s_ptr and (not p_ptr or _line(cluster.source, s_ptr) != _line(cluster.source, p_ptr)):
                            yield spec_finding(self, cluster.source, s_ptr,
                                               f"{s_net} overlaps {_name(p_ptr, 'pods', p_net)}; choose disjoint ranges")
            if spec.proxmox is not None:
                node_net = pool_network(parse_intervals(spec.proxmox.ipv4.addresses), spec.proxmox.ipv4.prefix)
                if node_net is None:
                    continue
                for field, ptr, block in blocks:
                    if not _overlap(block, node_net):
                        continue
                    if ptr:
                        yield spec_finding(self, cluster.source, ptr,
                                           f"{block} overlaps the node subnet {node_net} (spec.proxmox.ipv4); "
                                           "choose a range the nodes do not use")
                    else:
                        yield spec_finding(self, cluster.source, "/spec/proxmox/ipv4/addresses",
                                           f"the node subnet {node_net} overlaps {_name(ptr, field, block)}; set "
                                           f"spec.clusterNetwork.{field} to a range the nodes do not use")


def _blocks(spec: ClusterSpec) -> list[tuple[str, str, IPNetwork]]:
    """(field, spec pointer, network) of every pod and service CIDR block the Cluster gets; pointer ""
    for the provider's defaults (`fleetgen.render` renders them when the spec sets none)."""
    from fleetgen.render.cluster import RENDERER_BY_HYPERVISOR

    net = spec.spec.cluster_network
    provider = RENDERER_BY_HYPERVISOR.get(spec.spec.hypervisor)
    out: list[tuple[str, str, IPNetwork]] = []
    for field in ("pods", "services"):
        given = getattr(net, field) if net is not None else None
        if given:
            entries = [(f"/spec/clusterNetwork/{field}/{i}", text) for i, text in enumerate(given)]
        elif provider is not None:
            defaults = provider.default_pod_cidrs if field == "pods" else provider.default_service_cidrs
            entries = [("", text) for text in defaults]
        else:
            entries = []
        for pointer, text in entries:
            parsed = parse_cidr(text)
            if parsed is not None:
                out.append((field, pointer, parsed))
    return out


def _line(source: SourceMap, pointer: str) -> tuple[str, int]:
    """(file, line) a spec pointer is reported at."""
    position = source.lookup(pointer)
    return position.file, position.line


def _name(pointer: str, field: str, block: IPNetwork) -> str:
    """`spec.clusterNetwork.services[0] 10.96.0.0/12`, or for a default (pointer ""):
    `the default services network 10.96.0.0/12 (spec.clusterNetwork.services is not set)`."""
    if not pointer:
        return f"the default {field} network {block} (spec.clusterNetwork.{field} is not set)"
    index = pointer.rsplit("/", 1)[-1]
    return f"spec.clusterNetwork.{field}[{index}] {block}"


def _overlap(a: IPNetwork, b: IPNetwork) -> bool:
    """True if two networks of one family share an address (other families never do)."""
    return a.version == b.version and int(a.network_address) <= int(b.broadcast_address) \
        and int(b.network_address) <= int(a.broadcast_address)


RULE = CidrOverlapRule()
