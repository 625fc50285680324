"""cluster-immutable."""

from __future__ import annotations

from fleetgen.policy import run_rules

from .cases import context_from_yaml

REFS = ("  infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: ProxmoxCluster, name: pve-a}\n"
        "  controlPlaneRef: {apiGroup: controlplane.cluster.x-k8s.io, kind: KubeadmControlPlane, name: pve-a-control-plane}\n")


def cluster(spec: str) -> str:
    return f"apiVersion: cluster.x-k8s.io/v1beta2\nkind: Cluster\nmetadata: {{name: pve-a, namespace: clusters}}\nspec:\n{spec}"


def test_cluster_immutable_removed_infrastructure_ref() -> None:
    head = cluster(REFS.split("\n", 1)[1])
    [finding] = run_rules(context_from_yaml(head, base=cluster(REFS)), ["cluster-immutable"])
    assert finding.pointer == "/spec/infrastructureRef"
    assert finding.message.endswith("cannot be removed")


def test_cluster_immutable_changed_ref_name_is_allowed() -> None:
    head = cluster(REFS.replace("name: pve-a-control-plane", "name: pve-a-cp"))
    assert run_rules(context_from_yaml(head, base=cluster(REFS)), ["cluster-immutable"]) == []


def test_cluster_immutable_machine_set_cluster_name() -> None:
    ms = ("apiVersion: cluster.x-k8s.io/v1beta2\nkind: MachineSet\nmetadata: {name: ms, namespace: clusters}\n"
          "spec: {clusterName: CLUSTER}\n")
    [finding] = run_rules(context_from_yaml(ms.replace("CLUSTER", "b"), base=ms.replace("CLUSTER", "a")), ["cluster-immutable"])
    assert "field is immutable: changed from 'a' to 'b'" in finding.message
