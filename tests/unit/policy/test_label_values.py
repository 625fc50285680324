"""label-values."""

from __future__ import annotations

from fleetgen.policy import run_rules

from .cases import context_from_yaml


def findings(text: str) -> list[tuple[str, str]]:
    return [(f.pointer, f.message.split(": ", 1)[1]) for f in run_rules(context_from_yaml(text), ["label-values"])]


def test_label_values_invalid_key_is_reported() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {'Example.com/x': a}\n"
    [(pointer, message)] = findings(text)
    assert pointer == "/metadata/labels/Example.com~1x"
    assert message.startswith("label key 'Example.com/x': prefix part must be a lowercase RFC 1123 subdomain")


def test_label_values_selector_and_template_labels_are_checked() -> None:
    text = ("apiVersion: cluster.x-k8s.io/v1beta2\nkind: MachineDeployment\nmetadata: {name: md}\nspec:\n"
            "  selector: {matchLabels: {pool: 'a b'}}\n  template: {metadata: {labels: {pool: 'a/b'}}}\n")
    assert [p for p, _ in findings(text)] == ["/spec/selector/matchLabels/pool", "/spec/template/metadata/labels/pool"]


def test_label_values_non_string_value_is_reported() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {replicas: 3}\n"
    assert findings(text) == [("/metadata/labels/replicas", "label value 3: must be a string, got int")]


def test_label_values_empty_value_is_valid() -> None:
    assert findings("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {node-role.kubernetes.io/node: ''}\n") == []
