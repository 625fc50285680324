"""cluster-webhook."""

from __future__ import annotations

from fleetgen.policy import run_rules

from .cases import context_from_yaml

REFS = ("  infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: KubevirtCluster, name: kv-a}\n"
        "  controlPlaneRef: {apiGroup: controlplane.cluster.x-k8s.io, kind: KubeadmControlPlane, name: kv-a-control-plane}\n")


def cluster(name: str = "kv-a", spec: str = REFS) -> str:
    return f"apiVersion: cluster.x-k8s.io/v1beta2\nkind: Cluster\nmetadata: {{name: {name}, namespace: clusters}}\nspec:\n{spec}"


def findings(text: str) -> list[tuple[str, str]]:
    return [(f.pointer, f.message.split(": ", 1)[1]) for f in run_rules(context_from_yaml(text), ["cluster-webhook"])]


def test_cluster_webhook_long_name_is_not_a_label_value() -> None:
    assert findings(cluster("c" * 64)) == [("/metadata/name", "must be a valid label value: must be no more than 63 characters")]


def test_cluster_webhook_ref_without_kind() -> None:
    spec = REFS.replace("kind: KubevirtCluster, ", "")
    assert findings(cluster(spec=spec)) == [("/spec/infrastructureRef/kind", "cannot be empty")]


def test_cluster_webhook_cidr_with_host_bits_parses_like_go() -> None:
    spec = REFS + "  clusterNetwork: {services: {cidrBlocks: [10.96.0.1/12, fd00::/108]}}\n"
    assert findings(cluster(spec=spec)) == []


def test_cluster_webhook_bare_ip_is_not_a_cidr() -> None:
    spec = REFS + "  clusterNetwork: {services: {cidrBlocks: [10.96.0.1]}}\n"
    assert findings(cluster(spec=spec)) == [("/spec/clusterNetwork/services/cidrBlocks/0", "invalid CIDR address: 10.96.0.1")]
