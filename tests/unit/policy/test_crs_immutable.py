"""crs-immutable."""

from __future__ import annotations

from fleetgen.policy import run_rules

from .cases import context_from_yaml


def crs(spec: str) -> str:
    return ("apiVersion: addons.cluster.x-k8s.io/v1beta2\nkind: ClusterResourceSet\n"
            f"metadata: {{name: calico, namespace: clusters}}\nspec: {spec}\n")


def test_crs_immutable_unset_strategy_equals_apply_once() -> None:
    head = crs("{clusterSelector: {matchLabels: {cni: calico}}, strategy: ApplyOnce}")
    base = crs("{clusterSelector: {matchLabels: {cni: calico}}}")
    assert run_rules(context_from_yaml(head, base=base), ["crs-immutable"]) == []


def test_crs_immutable_match_labels_order_does_not_matter() -> None:
    head = crs("{clusterSelector: {matchLabels: {b: '2', a: '1'}}}")
    base = crs("{clusterSelector: {matchLabels: {a: '1', b: '2'}}}")
    assert run_rules(context_from_yaml(head, base=base), ["crs-immutable"]) == []


def test_crs_immutable_added_expression_is_a_change() -> None:
    head = crs("{clusterSelector: {matchLabels: {cni: calico}, matchExpressions: [{key: env, operator: Exists}]}}")
    base = crs("{clusterSelector: {matchLabels: {cni: calico}}}")
    [finding] = run_rules(context_from_yaml(head, base=base), ["crs-immutable"])
    assert finding.message.endswith("field is immutable: changed from 'cni=calico' to 'cni=calico,env'")
