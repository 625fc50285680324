"""Node labels: which a Node gets from Cluster API and which its kubelet may set itself.

Owns: the label domains Cluster API syncs from a Machine to its Node (so pool labels in them go on
the Machines), and the kubelet's allowlist for `--node-labels` (the rest of the `kubernetes.io`
and `k8s.io` namespaces it refuses). `fleetgen.render.capi` routes pool labels with it; the
`kubelet-node-labels` rule reports the ones neither path can set. Must not build objects or
findings.

Example:
    >>> is_machine_synced_label("node-role.kubernetes.io/worker")
    True
    >>> kubelet_refuses("kubernetes.io/role"), kubelet_refuses("node.kubernetes.io/pool")
    (True, False)

Source:
    kubernetes-sigs/cluster-api docs/proposals/20220927-label-sync-between-machine-and-nodes.md
    ("Label domains & prefixes"); kubernetes/kubernetes cmd/kubelet/app/options/options.go
    (`ValidateKubeletFlags`) and staging/src/k8s.io/kubelet/pkg/apis/well_known_labels.go
    (`kubeletLabels`, `kubeletLabelNamespaces`, `IsKubeletLabel`).
"""

from __future__ import annotations

#: Synced by the CAPI Machine controller, in place and without a rollout.
_NODE_ROLE_DOMAIN = "node-role.kubernetes.io"
_SYNCED_LABEL_DOMAINS = ("node-restriction.kubernetes.io", "node.cluster.x-k8s.io")

#: Labels the kubelet may set on its own Node (well_known_labels.go `kubeletLabels`).
KUBELET_LABELS = frozenset({
    "kubernetes.io/hostname",
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
    "node.kubernetes.io/instance-type",
    "beta.kubernetes.io/instance-type",
    "kubernetes.io/os",
    "beta.kubernetes.io/os",
    "kubernetes.io/arch",
    "beta.kubernetes.io/arch",
})
#: Label namespaces, with their subdomains, the kubelet may set (`kubeletLabelNamespaces`).
KUBELET_LABEL_NAMESPACES = ("kubelet.kubernetes.io", "node.kubernetes.io")
_KUBERNETES_NAMESPACES = ("kubernetes.io", "k8s.io")


def _domain(key: str) -> str:
    return key.rpartition("/")[0]


def _within(namespace: str, domain: str) -> bool:
    return namespace == domain or namespace.endswith("." + domain)


def is_machine_synced_label(key: str) -> bool:
    """True if CAPI syncs this label from Machine to Node (so it goes on the Machines, not the kubelet):
    `node-role.kubernetes.io/*`, `[*.]node-restriction.kubernetes.io/*`, `[*.]node.cluster.x-k8s.io/*`."""
    domain = _domain(key)
    if domain == _NODE_ROLE_DOMAIN:
        return True
    return any(_within(domain, d) for d in _SYNCED_LABEL_DOMAINS)


def kubelet_refuses(key: str) -> bool:
    """True if the kubelet refuses to start with `key` in `--node-labels`: a key in the
    `kubernetes.io` or `k8s.io` namespace (or a subdomain) that `IsKubeletLabel` does not allow."""
    namespace = _domain(key)
    if not any(_within(namespace, d) for d in _KUBERNETES_NAMESPACES):
        return False
    return key not in KUBELET_LABELS and not any(_within(namespace, d) for d in KUBELET_LABEL_NAMESPACES)
