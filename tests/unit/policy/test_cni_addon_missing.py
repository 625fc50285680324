"""cni-addon-missing."""

from __future__ import annotations

from fleetgen.policy import run_rules

from .cases import addon, context_from_yaml, kubevirt_cluster


def test_cni_addon_missing_expression_selector_counts() -> None:
    text = kubevirt_cluster(labels={"cni": "cilium"}) + addon(
        "cni", {"matchExpressions": [{"key": "cni", "operator": "In", "values": ["calico", "cilium"]}]})
    assert run_rules(context_from_yaml(text), ["cni-addon-missing"]) == []


def test_cni_addon_missing_unlabelled_cluster_is_ignored() -> None:
    assert run_rules(context_from_yaml(kubevirt_cluster()), ["cni-addon-missing"]) == []


def test_cni_addon_missing_other_cni_value_names_known_addons() -> None:
    text = kubevirt_cluster(labels={"cni": "cilium"}) + addon("calico", {"matchLabels": {"cni": "calico"}})
    [finding] = run_rules(context_from_yaml(text), ["cni-addon-missing"])
    assert finding.pointer == "/metadata/labels/cni"
    assert finding.hint == "CNI addons: calico"


def test_cni_addon_missing_cni_addon_with_extra_requirement_must_match() -> None:
    text = kubevirt_cluster(labels={"cni": "calico"}) + addon("calico", {"matchLabels": {"cni": "calico", "env": "prod"}})
    assert len(run_rules(context_from_yaml(text), ["cni-addon-missing"])) == 1
