"""cidr-overlap: pod, service and node networks of a cluster must not overlap.

Pod IPs and service cluster IPs are routed differently (the CNI routes pods, kube-proxy or the
CNI translates service IPs). If the two ranges overlap, a service IP can equal a pod IP and
traffic to one silently reaches the other; kubeadm does not reject it. For Proxmox clusters the
node subnet (`spec.proxmox.ipv4`: the first address with `prefix`) must not overlap either, or
nodes cannot reach each other once pod routes are installed. Each IP family is compared with
itself (dual-stack lists hold one IPv4 and one IPv6 block).

Only ranges written in the spec are checked; when `clusterNetwork` is omitted the provider's
defaults apply.

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

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.policy.ipnet import IPNetwork, parse_cidr, parse_intervals, pool_network


class CidrOverlapRule:
    """Pod, service and node networks of one cluster are disjoint."""

    id = "cidr-overlap"
    severity = Severity.ERROR
    summary = "pod, service and node networks of a cluster must not overlap"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield a finding per overlapping (pods, services) pair and per block overlapping the node subnet."""
        for cluster in ctx.fleet.clusters:
            spec = cluster.spec.spec
            net = spec.cluster_network
            blocks: list[tuple[str, IPNetwork]] = []
            if net is not None:
                for field, values in (("pods", net.pods), ("services", net.services)):
                    for i, text in enumerate(values or []):
                        parsed = parse_cidr(text)
                        if parsed is not None:
                            blocks.append((f"/spec/clusterNetwork/{field}/{i}", parsed))
            pods = [(p, n) for p, n in blocks if "/pods/" in p]
            services = [(p, n) for p, n in blocks if "/services/" in p]
            for p_ptr, p_net in pods:
                for s_ptr, s_net in services:
                    if _overlap(p_net, s_net):
                        yield spec_finding(self, cluster.source, p_ptr,
                                           f"{p_net} overlaps {_path(s_ptr)} {s_net}; choose disjoint ranges")
            if spec.proxmox is not None:
                node_net = pool_network(parse_intervals(spec.proxmox.ipv4.addresses), spec.proxmox.ipv4.prefix)
                if node_net is None:
                    continue
                for ptr, block in blocks:
                    if _overlap(block, node_net):
                        yield spec_finding(self, cluster.source, ptr,
                                           f"{block} overlaps the node subnet {node_net} (spec.proxmox.ipv4); "
                                           "choose a range the nodes do not use")


def _overlap(a: IPNetwork, b: IPNetwork) -> bool:
    """True if two networks of one family share an address (other families never do)."""
    return a.version == b.version and int(a.network_address) <= int(b.broadcast_address) \
        and int(b.network_address) <= int(a.broadcast_address)


def _path(pointer: str) -> str:
    field, index = pointer.rsplit("/", 2)[-2:]
    return f"spec.clusterNetwork.{field}[{index}]"


RULE = CidrOverlapRule()
