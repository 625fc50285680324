"""immutable-template."""

from __future__ import annotations

from fleetgen.findings import Severity
from fleetgen.policy import run_rules

from .cases import context_from_yaml


def kvmt(cores: int, labels: str = "{}") -> str:
    return ("apiVersion: infrastructure.cluster.x-k8s.io/v1alpha1\nkind: KubevirtMachineTemplate\n"
            f"metadata: {{name: kv-a-md-0-36ad28d0, namespace: clusters, labels: {labels}}}\n"
            "spec:\n  template:\n    spec:\n      virtualMachineTemplate:\n        spec:\n          template:\n"
            f"            spec: {{domain: {{cpu: {{cores: {cores}}}}}}}\n")


def test_immutable_template_kubevirt_change_names_capk_message() -> None:
    [finding] = run_rules(context_from_yaml(kvmt(4), base=kvmt(2)), ["immutable-template"])
    assert finding.severity is Severity.ERROR
    assert finding.pointer == "/spec/template/spec/virtualMachineTemplate/spec/template/spec/domain/cpu/cores"
    assert finding.message.endswith("changed from 2 to 4, but KubevirtMachineTemplateSpec is immutable (CAPK webhook)")


def test_immutable_template_metadata_only_change_passes() -> None:
    assert run_rules(context_from_yaml(kvmt(2, labels="{team: a}"), base=kvmt(2)), ["immutable-template"]) == []


def test_immutable_template_same_name_other_namespace_is_another_object() -> None:
    moved = kvmt(4).replace("namespace: clusters", "namespace: other")
    assert run_rules(context_from_yaml(moved, base=kvmt(2)), ["immutable-template"]) == []
