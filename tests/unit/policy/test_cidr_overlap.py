"""cidr-overlap."""

from __future__ import annotations

from fleetgen.policy import run_rules

from .cases import context_from_yaml, kubevirt_cluster, proxmox_cluster


def test_cidr_overlap_without_cluster_network_passes() -> None:
    assert run_rules(context_from_yaml(kubevirt_cluster()), ["cidr-overlap"]) == []


def test_cidr_overlap_other_family_never_overlaps() -> None:
    network = {"pods": ["10.0.0.0/8"], "services": ["fd00::/8"]}
    assert run_rules(context_from_yaml(kubevirt_cluster(network=network)), ["cidr-overlap"]) == []


def test_cidr_overlap_reports_every_overlapping_pair() -> None:
    network = {"pods": ["10.0.0.0/8", "fd00:1::/64"], "services": ["10.96.0.0/12", "fd00:1::/112"]}
    findings = run_rules(context_from_yaml(kubevirt_cluster(network=network)), ["cidr-overlap"])
    assert [f.pointer for f in findings] == ["/spec/clusterNetwork/pods/0", "/spec/clusterNetwork/pods/1",
                                             "/spec/clusterNetwork/services/0", "/spec/clusterNetwork/services/1"]
    assert findings[1].message == ("spec.clusterNetwork.pods[1]: fd00:1::/64 overlaps spec.clusterNetwork.services[1] "
                                   "fd00:1::/112; choose disjoint ranges")
    assert findings[3].message == ("spec.clusterNetwork.services[1]: fd00:1::/112 overlaps spec.clusterNetwork.pods[1] "
                                   "fd00:1::/64; choose disjoint ranges")


def test_cidr_overlap_written_on_one_line_is_one_finding() -> None:
    """`clusterNetwork: {pods: [...], services: [...]}`: one line, one finding."""
    text = kubevirt_cluster().replace("spec:\n", "spec:\n  clusterNetwork: {pods: [10.96.0.0/16], services: [10.96.0.0/12]}\n", 1)
    [finding] = run_rules(context_from_yaml(text), ["cidr-overlap"])
    assert finding.pointer == "/spec/clusterNetwork/pods/0"


def test_cidr_overlap_pods_on_proxmox_node_subnet() -> None:
    ctx = context_from_yaml(proxmox_cluster(network={"pods": ["10.10.0.0/16"], "services": ["10.96.0.0/12"]}))
    [finding] = run_rules(ctx, ["cidr-overlap"])
    assert finding.pointer == "/spec/clusterNetwork/pods/0"
    assert "overlaps the node subnet 10.10.10.0/24" in finding.message
