"""worker-version-skew."""

from __future__ import annotations

import pytest

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


def kubeadm_md(version: str, annotations: str = "") -> str:
    """A MachineDeployment bootstrapped by a KubeadmConfigTemplate, as fleetgen renders every pool."""
    meta = f", annotations: {{{annotations}}}" if annotations else ""
    return md(version).replace("metadata: {name: md, namespace: clusters}", f"metadata: {{name: md, namespace: clusters{meta}}}").replace(
        f"version: {version}}}", f"version: {version}, bootstrap: {{configRef: {{apiGroup: bootstrap.cluster.x-k8s.io, "
        "kind: KubeadmConfigTemplate, name: md-1}}}")


def test_worker_version_skew_kubeadm_pool_behind_the_control_plane_minor_is_a_warning() -> None:
    """MachineSet preflight check KubeadmVersionSkew: kubeadm joins only at the control plane's minor."""
    [finding] = run_rules(context_from_yaml(kcp("v1.34.0") + kubeadm_md("v1.33.1")), ["worker-version-skew"])
    assert finding.severity.value == "warning"
    assert finding.pointer == "/spec/template/spec/version"
    assert "v1.33.1 is not the control plane's minor version (v1.34.0); kubeadm joins Machines only" in finding.message
    assert finding.hint == "upgrade the pool to v1.34.x, as a spec's kubernetesVersion does"
    # an older patch of the same minor joins
    assert run_rules(context_from_yaml(kcp("v1.34.1") + kubeadm_md("v1.34.0")), ["worker-version-skew"]) == []


@pytest.mark.parametrize(("skip", "reported"), [
    ("KubeadmVersionSkew", []), ("All", []), ("ControlPlaneIsStable, KubeadmVersionSkew", []),
    ("KubernetesVersionSkew", ["warning"]),
])
def test_worker_version_skew_honours_the_skip_preflight_checks_annotation(skip: str, reported: list[str]) -> None:
    text = kcp("v1.34.0") + kubeadm_md("v1.33.1", f"'machineset.cluster.x-k8s.io/skip-preflight-checks': '{skip}'")
    assert [f.severity.value for f in run_rules(context_from_yaml(text), ["worker-version-skew"])] == reported
