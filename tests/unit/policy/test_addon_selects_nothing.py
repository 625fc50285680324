"""addon-selects-nothing."""

from __future__ import annotations

from fleetgen.findings import Severity
from fleetgen.policy import run_rules

from .cases import addon, context_from_yaml, kubevirt_cluster


def test_addon_selects_nothing_match_expressions_select() -> None:
    text = kubevirt_cluster(labels={"env": "prod"}) + addon("x", {"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}]})
    assert run_rules(context_from_yaml(text), ["addon-selects-nothing"]) == []


def test_addon_selects_nothing_uses_rendered_cluster_labels() -> None:
    rendered = ("---\napiVersion: cluster.x-k8s.io/v1beta2\nkind: Cluster\n"
                "metadata: {name: kv-a, namespace: clusters, labels: {fleetgen.dev/added-by-renderer: 'yes'}}\n")
    text = kubevirt_cluster() + addon("x", {"matchLabels": {"fleetgen.dev/added-by-renderer": "yes"}})
    assert len(run_rules(context_from_yaml(text), ["addon-selects-nothing"])) == 1
    assert run_rules(context_from_yaml(text + rendered), ["addon-selects-nothing"]) == []


def test_addon_selects_nothing_empty_fleet_warns() -> None:
    [finding] = run_rules(context_from_yaml(addon("x", {"matchLabels": {"a": "b"}})), ["addon-selects-nothing"])
    assert finding.severity is Severity.WARNING
    assert finding.message == "spec.clusterSelector: selects none of the fleet's 0 clusters; addon 'x' is rendered nowhere"
