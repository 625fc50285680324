"""worker-version-skew."""

from __future__ import annotations

from fleetgen.policy import run_rules

from .cases import context_from_yaml


def kcp(version: str, cluster: str = "pve-a") -> str:
    return ("apiVersion: controlplane.cluster.x-k8s.io/v1beta2\nkind: KubeadmControlPlane\n"
            f"metadata: {{name: {cluster}-control-plane, namespace: clusters, labels: {{cluster.x-k8s.io/cluster-name: {cluster}}}}}\n"
            f"spec: {{replicas: 1, version: {version}}}\n---\n")


def md(version: str, cluster: str = "pve-a", name: str = "md") -> str:
    return ("apiVersion: cluster.x-k8s.io/v1beta2\nkind: MachineDeployment\n"
            f"metadata: {{name: {name}, namespace: clusters}}\n"
            f"spec: {{clusterName: {cluster}, template: {{spec: {{clusterName: {cluster}, version: {version}}}}}}}\n---\n")


def test_worker_version_skew_three_minors_behind_passes_without_cluster_object() -> None:
    assert run_rules(context_from_yaml(kcp("v1.33.1") + md("v1.30.9")), ["worker-version-skew"]) == []


def test_worker_version_skew_compares_within_one_cluster_only() -> None:
    text = kcp("v1.33.1") + kcp("v1.36.0", cluster="pve-b") + md("v1.36.0", cluster="pve-b") + md("v1.33.0", name="md-a")
    assert run_rules(context_from_yaml(text), ["worker-version-skew"]) == []


def test_worker_version_skew_newer_worker_fails() -> None:
    [finding] = run_rules(context_from_yaml(kcp("v1.33.1") + md("v1.34.0")), ["worker-version-skew"])
    assert finding.pointer == "/spec/template/spec/version"
    assert "v1.34.0 is newer than the control plane's v1.33.1" in finding.message


def test_worker_version_skew_md_without_version_is_ignored() -> None:
    text = kcp("v1.33.1") + md("v1.34.0").replace(", version: v1.34.0", "")
    assert run_rules(context_from_yaml(text), ["worker-version-skew"]) == []
