"""The rule registry and `run_rules`."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from fleetgen.findings import Finding, Severity
from fleetgen.policy import INTERNAL_RULE_ID, RULE_BY_ID, RULES, SUPERSEDES, rule_doc, run_rules
from fleetgen.policy.base import PolicyContext

from .cases import context_from_yaml

KV_EVEN = """\
apiVersion: fleetgen.dev/v1alpha1
kind: ClusterSpec
metadata: {name: kv-a, namespace: clusters}
spec:
  hypervisor: kubevirt
  kubernetesVersion: v1.33.1
  controlPlane:
    replicas: 2
    machine: {cpus: 2, memory: 4Gi}
  kubevirt: {image: "quay.io/capk/ubuntu-2404-container-disk:v1.33.1"}
"""


class _Crashing:
    id = "crashing"
    severity = Severity.ERROR
    summary = "raises after one finding"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        yield from RULE_BY_ID["cp-replicas-odd"].check(ctx)
        raise ZeroDivisionError("boom")


def test_registry_ids_are_unique_kebab_case_and_match_modules() -> None:
    assert len(RULE_BY_ID) == len(RULES) == 44
    for rule_id, rule in RULE_BY_ID.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule_id)
        assert type(rule).__module__ == "fleetgen.policy.rules." + rule_id.replace("-", "_")


def test_registry_excludes_reserved_and_loader_ids() -> None:
    assert not {"parse", "spec", "schema", "schema-missing", "cel", "internal", "unique-cluster-names"} & set(RULE_BY_ID)


@pytest.mark.parametrize("rule_id", sorted(RULE_BY_ID), ids=sorted(RULE_BY_ID))
def test_rule_doc_has_rationale_source_and_both_examples(rule_id: str) -> None:
    rule = RULE_BY_ID[rule_id]
    doc = rule_doc(rule)
    assert doc.startswith(f"{rule_id}: ")
    assert "Source:" in doc and "Severity:" in doc
    assert "Failing example" in doc and "Passing example" in doc
    assert rule.summary and not rule.summary.endswith(".")
    assert isinstance(rule.severity, Severity)


def test_run_rules_crashing_rule_keeps_other_findings_and_reports_internal() -> None:
    ctx = context_from_yaml(KV_EVEN)
    findings = run_rules(ctx, [_Crashing(), "cp-replicas-odd"])
    internal = [f for f in findings if f.rule_id == INTERNAL_RULE_ID]
    assert len(internal) == 1
    assert internal[0].message.startswith("rule crashing failed with ZeroDivisionError: boom")
    assert "test_policy_registry.py" in internal[0].hint
    # the crashing rule's own finding before the crash and the other rule's finding both survive
    assert [f.rule_id for f in findings].count("cp-replicas-odd") == 2


def test_run_rules_accepts_ids_and_sorts_by_position() -> None:
    ctx = context_from_yaml(KV_EVEN)
    findings = run_rules(ctx, ["k8s-version-supported", "cp-replicas-odd"])
    assert [f.rule_id for f in findings] == ["cp-replicas-odd"]
    assert findings == sorted(findings, key=Finding.sort_key)


def test_run_rules_unknown_id_raises_key_error() -> None:
    with pytest.raises(KeyError):
        run_rules(context_from_yaml(KV_EVEN), ["no-such-rule"])


def test_run_rules_spec_rule_supersedes_webhook_mirror_at_same_position() -> None:
    rendered_kcp = """\
---
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KubeadmControlPlane
metadata: {name: kv-a-control-plane, namespace: clusters}
spec:
  replicas: 2
  version: v1.33.1
  machineTemplate: {spec: {infrastructureRef: {apiGroup: a, kind: K, name: n}}}
"""
    ctx = context_from_yaml(KV_EVEN + rendered_kcp)
    both = run_rules(ctx, ["cp-replicas-odd", "kcp-webhook"])
    # different positions here (the KCP is its own document), so both stay
    assert sorted(f.rule_id for f in both) == ["cp-replicas-odd", "kcp-webhook"]
    assert SUPERSEDES["cp-replicas-odd"] == frozenset({"kcp-webhook"})


def test_run_rules_default_runs_every_rule_on_empty_context() -> None:
    assert run_rules(context_from_yaml("")) == []
