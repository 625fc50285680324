"""Node labels: CAPI's synced domains and the kubelet's --node-labels allowlist."""

from __future__ import annotations

import pytest

from fleetgen.node_labels import is_machine_synced_label, kubelet_refuses


@pytest.mark.parametrize(("key", "synced"), [
    ("node-role.kubernetes.io/worker", True),
    ("node-restriction.kubernetes.io/fips", True),
    ("example.node-restriction.kubernetes.io/fips", True),
    ("node.cluster.x-k8s.io/pool", True),
    ("a.node.cluster.x-k8s.io/pool", True),
    ("sub.node-role.kubernetes.io/x", False),
    ("zone", False),
    ("topology.kubernetes.io/zone", False),
], ids=lambda v: str(v))
def test_is_machine_synced_label_capi_domains_only(key: str, synced: bool) -> None:
    assert is_machine_synced_label(key) is synced


@pytest.mark.parametrize(("key", "refused"), [
    ("kubernetes.io/role", True),
    ("k8s.io/team", True),
    ("example.kubernetes.io/x", True),
    ("sub.k8s.io/x", True),
    ("node-role.kubernetes.io/worker", True),  # refused by the kubelet: CAPI must set it (synced)
    ("kubernetes.io/hostname", False),
    ("topology.kubernetes.io/zone", False),
    ("beta.kubernetes.io/arch", False),
    ("node.kubernetes.io/pool", False),
    ("x.node.kubernetes.io/pool", False),
    ("kubelet.kubernetes.io/a", False),
    ("mykubernetes.io/x", False),
    ("example.com/team", False),
    ("team", False),
], ids=lambda v: str(v))
def test_kubelet_refuses_kubernetes_namespaces_outside_its_allowlist(key: str, refused: bool) -> None:
    assert kubelet_refuses(key) is refused
