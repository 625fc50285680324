"""md-webhook."""

from __future__ import annotations

import pytest

from fleetgen.policy import run_rules
from fleetgen.policy.rules.md_webhook import int_or_percent_problem

from .cases import context_from_yaml

BOOT = "bootstrap: {configRef: {apiGroup: bootstrap.cluster.x-k8s.io, kind: KubeadmConfigTemplate, name: b}}"


def md(selector: str = "{}", labels: str = "{}", extra: str = "") -> str:
    return ("apiVersion: cluster.x-k8s.io/v1beta2\nkind: MachineDeployment\n"
            "metadata: {name: kv-a-md-0, namespace: clusters}\n"
            f"spec:\n  clusterName: kv-a\n  selector: {selector}\n"
            f"  template:\n    metadata: {{labels: {labels}}}\n    spec: {{clusterName: kv-a, {BOOT}}}\n" + extra)


def messages(text: str) -> list[str]:
    return [f.message.split(": ", 1)[1] for f in run_rules(context_from_yaml(text), ["md-webhook"])]


def test_md_webhook_empty_selector_is_defaulted_to_deployment_name() -> None:
    assert messages(md()) == []


def test_md_webhook_selector_expressions_are_evaluated() -> None:
    selector = "{matchExpressions: [{key: pool, operator: NotIn, values: [md-0]}]}"
    assert messages(md(selector=selector, labels="{pool: md-0}")) == [
        "must match spec.selector 'cluster.x-k8s.io/cluster-name=kv-a,pool notin (md-0)'"]


def test_md_webhook_unparsable_selector_is_reported_not_matched() -> None:
    selector = "{matchExpressions: [{key: pool, operator: In}]}"
    assert messages(md(selector=selector)) == ["matchExpressions[0]: for 'in', 'notin' operators, values set can't be empty"]


def test_md_webhook_percentages_and_missing_max_surge() -> None:
    ok = "  rollout: {strategy: {rollingUpdate: {maxSurge: '25%', maxUnavailable: 0}}}\n"
    assert messages(md(extra=ok)) == []
    only_unavailable = "  rollout: {strategy: {rollingUpdate: {maxUnavailable: 0}}}\n"
    assert messages(md(extra=only_unavailable)) == []  # maxSurge defaults to 1


def test_md_webhook_remediation_max_in_flight_must_be_int_or_percent() -> None:
    assert messages(md(extra="  remediation: {maxInFlight: lots}\n")) == ["must be either an int or a percentage, got 'lots'"]


@pytest.mark.parametrize(("value", "ok"), [(0, True), ("10%", True), ("10", False), (1.5, False), (True, False)],
                         ids=["int", "percent", "numeric-string", "float", "bool"])
def test_int_or_percent_problem(value: object, ok: bool) -> None:
    assert (int_or_percent_problem(value) is None) is ok
