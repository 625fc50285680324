"""kcp-webhook."""

from __future__ import annotations

import pytest

from fleetgen.policy import run_rules
from fleetgen.policy.rules.kcp_webhook import int_value

from .cases import context_from_yaml

REF = "  machineTemplate: {spec: {infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: KubevirtMachineTemplate, name: t}}}\n"


def kcp(body: str) -> str:
    return ("apiVersion: controlplane.cluster.x-k8s.io/v1beta2\nkind: KubeadmControlPlane\n"
            "metadata: {name: kv-a-control-plane, namespace: clusters}\nspec:\n" + body)


def messages(text: str) -> list[str]:
    return [f.message.split(": ", 1)[1] for f in run_rules(context_from_yaml(text), ["kcp-webhook"])]


def test_kcp_webhook_external_etcd_allows_even_replicas() -> None:
    body = ("  replicas: 2\n  version: v1.33.1\n" + REF +
            "  kubeadmConfigSpec: {clusterConfiguration: {etcd: {external: {endpoints: [https://e:2379]}}}}\n")
    assert messages(kcp(body)) == []


def test_kcp_webhook_missing_and_zero_replicas() -> None:
    assert messages(kcp("  version: v1.33.1\n" + REF)) == ["is required"]
    assert messages(kcp("  replicas: 0\n  version: v1.33.1\n" + REF)) == ["cannot be less than or equal to 0, got 0"]


def test_kcp_webhook_percent_max_surge_counts_as_zero_like_intvalue() -> None:
    body = "  replicas: 1\n  version: v1.33.1\n" + REF + "  rollout: {strategy: {rollingUpdate: {maxSurge: '50%'}}}\n"
    assert messages(kcp(body)) == ["when KubeadmControlPlane is configured to scale-in, replica count needs to be at least 3, got 1"]


def test_kcp_webhook_only_rolling_update_strategy() -> None:
    body = "  replicas: 3\n  version: v1.33.1\n" + REF + "  rollout: {strategy: {type: OnDelete}}\n"
    assert messages(kcp(body)) == ["only RollingUpdate is supported, got 'OnDelete'"]


def test_kcp_webhook_ignores_other_groups() -> None:
    other = kcp("  replicas: 2\n").replace("controlplane.cluster.x-k8s.io", "controlplane.example.com")
    assert messages(other) == []


@pytest.mark.parametrize(("value", "expected"), [(1, 1), ("1", 1), ("50%", 0), (True, 0), (None, 0)],
                         ids=["int", "numeric-string", "percent", "bool", "none"])
def test_int_value_mirrors_intstr(value: object, expected: int) -> None:
    assert int_value(value) == expected
