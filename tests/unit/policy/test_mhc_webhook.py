"""mhc-webhook."""

from __future__ import annotations

import pytest

from fleetgen.policy import run_rules

from .cases import context_from_yaml


def mhc(spec: str) -> str:
    return ("apiVersion: cluster.x-k8s.io/v1beta2\nkind: MachineHealthCheck\n"
            "metadata: {name: pve-a-md-0, namespace: clusters}\nspec:\n  clusterName: pve-a\n" + spec)


def messages(text: str) -> list[str]:
    return [f.message.split(": ", 1)[1] for f in run_rules(context_from_yaml(text), ["mhc-webhook"])]


def test_mhc_webhook_expressions_only_selector_is_not_empty() -> None:
    assert messages(mhc("  selector: {matchExpressions: [{key: pool, operator: Exists}]}\n")) == []


def test_mhc_webhook_missing_selector_is_empty() -> None:
    assert messages(mhc("  checks: {nodeStartupTimeoutSeconds: 600}\n")) == ["selector must not be empty"]


def test_mhc_webhook_own_cluster_label_in_selector_passes() -> None:
    assert messages(mhc("  selector: {matchLabels: {cluster.x-k8s.io/cluster-name: pve-a}}\n")) == []


@pytest.mark.parametrize(("timeout", "ok"), [(0, True), (30, True), (29, False), (1, False)],
                         ids=["disabled", "minimum", "just-below", "one"])
def test_mhc_webhook_node_startup_timeout(timeout: int, ok: bool) -> None:
    text = mhc(f"  selector: {{matchLabels: {{a: b}}}}\n  checks: {{nodeStartupTimeoutSeconds: {timeout}}}\n")
    assert (messages(text) == []) is ok
