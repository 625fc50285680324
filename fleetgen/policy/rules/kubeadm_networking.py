"""kubeadm-networking: pod and service CIDRs that kubeadm init accepts.

Cluster API passes `Cluster.spec.clusterNetwork` to kubeadm as `networking.podSubnet` and
`networking.serviceSubnet` (the blocks joined with `,`). The CAPI Cluster webhook only parses each
block, so a fleet whose networks kubeadm refuses is admitted, and the first control-plane machine
then fails `kubeadm init` ("networking.podSubnet: Invalid value"): the cluster never comes up.
kubeadm's rules, with the kube-controller-manager's default node CIDR masks (/24 for IPv4, /64
for IPv6; fleetgen does not change them):

* pods and services each hold one block, or two of different IP families (dual-stack);
* a pod block is at least as large as one node's (/24 or /64) and at most 16 bits larger
  (IPv4 /8 to /24, IPv6 /48 to /64);
* a service block has at most 20 host bits (IPv4 /12 or smaller, IPv6 /108 or smaller) and at
  least 10 addresses (IPv4 /28 or larger).

Severity: error.

Source:
    kubernetes/kubernetes v1.33 cmd/kubeadm/app/apis/kubeadm/validation/validation.go
    (`ValidateIPNetFromString`: "expected one (IPv4 or IPv6) CIDR or two CIDRs from each family for
    dual-stack networking"; `ValidatePodSubnetNodeMask`; `ValidateServiceSubnetSize`: "specified
    service subnet is too large"), cmd/kubeadm/app/constants (`PodSubnetNodeMaskMaxDiff` 16,
    `MaximumBitsForServiceSubnet` 20, `MinimumAddressesInServiceSubnet` 10);
    kubernetes-sigs/cluster-api v1.12.11 controlplane/kubeadm (podSubnet/serviceSubnet from the
    Cluster's clusterNetwork).

Failing example::

    spec:
      clusterNetwork:
        pods: [10.243.0.0/16, 10.244.0.0/16]   # two IPv4 blocks: not dual-stack
        services: [10.0.0.0/8]                 # more than 20 host bits

Passing example::

    spec:
      clusterNetwork:
        pods: [10.243.0.0/16, fd00:243::/56]
        services: [10.95.0.0/16, fd00:95::/112]
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.policy.ipnet import IPNetwork, parse_cidr

#: kube-controller-manager `--node-cidr-mask-size-ipv4` / `-ipv6` defaults, by IP version.
NODE_MASK = {4: 24, 6: 64}
#: kubeadm `PodSubnetNodeMaskMaxDiff`: a pod block at most this many bits larger than a node's.
POD_NODE_MASK_MAX_DIFF = 16
#: kubeadm `MaximumBitsForServiceSubnet`: host bits of a service block.
SERVICE_MAX_HOST_BITS = 20
#: kubeadm `MinimumAddressesInServiceSubnet`.
SERVICE_MIN_ADDRESSES = 10

_DUAL_STACK = "expected one (IPv4 or IPv6) CIDR or two CIDRs from each family for dual-stack networking"


class KubeadmNetworkingRule:
    """Pod and service CIDR blocks pass kubeadm's networking validation."""

    id = "kubeadm-networking"
    severity = Severity.ERROR
    summary = ("pod and service CIDRs must be one block or a dual-stack pair, pod blocks /8-/24 (IPv6 /48-/64), "
               "service blocks /12-/28 (IPv6 /108 or smaller), as kubeadm init requires")
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per block kubeadm would refuse (at that block)."""
        for cluster in ctx.fleet.clusters:
            net = cluster.spec.spec.cluster_network
            if net is None:
                continue
            for field, values in (("pods", net.pods), ("services", net.services)):
                blocks = [(i, parse_cidr(text)) for i, text in enumerate(values or [])]
                seen: set[int] = set()
                for i, block in blocks:
                    if block is None:
                        continue  # (an unparsable block is the spec's finding)
                    pointer = f"/spec/clusterNetwork/{field}/{i}"
                    if block.version in seen:
                        yield spec_finding(self, cluster.source, pointer,
                                           f"a second IPv{block.version} block ({block}); {_DUAL_STACK} (kubeadm)")
                        continue
                    seen.add(block.version)
                    problem = _pod_problem(block) if field == "pods" else _service_problem(block)
                    if problem:
                        yield spec_finding(self, cluster.source, pointer, f"{block}: {problem} (kubeadm)")


def _pod_problem(block: IPNetwork) -> str:
    mask, version = block.prefixlen, block.version
    node = NODE_MASK[version]
    if mask > node:
        return f"the size of pod subnet with mask {mask} is smaller than the size of node subnet with mask {node}"
    if node - mask > POD_NODE_MASK_MAX_DIFF:
        return (f"pod subnet mask ({mask}) and node-mask ({node}) difference is greater than {POD_NODE_MASK_MAX_DIFF}; "
                f"use /{node - POD_NODE_MASK_MAX_DIFF} or smaller")
    return ""


def _service_problem(block: IPNetwork) -> str:
    bits, mask = block.max_prefixlen, block.prefixlen
    if bits - mask > SERVICE_MAX_HOST_BITS:
        return f"specified service subnet is too large; for {bits}-bit addresses, the mask must be >= {bits - SERVICE_MAX_HOST_BITS}"
    size = block.num_addresses
    if size < SERVICE_MIN_ADDRESSES:
        return f"subnet with {size} address(es) is too small, the minimum is {SERVICE_MIN_ADDRESSES}"
    return ""


RULE = KubeadmNetworkingRule()
