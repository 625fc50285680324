"""kcp-immutable-fields."""

from __future__ import annotations

import pytest

from fleetgen.policy import run_rules
from fleetgen.policy.rules.kcp_immutable_fields import is_allowed, paths_match

from .cases import context_from_yaml


def kcp(config: str, metadata: str = "{name: kv-a-control-plane, namespace: clusters}") -> str:
    return ("apiVersion: controlplane.cluster.x-k8s.io/v1beta2\nkind: KubeadmControlPlane\n"
            f"metadata: {metadata}\nspec:\n  replicas: 1\n  version: v1.33.1\n"
            f"  kubeadmConfigSpec: {{clusterConfiguration: {config}}}\n")


@pytest.mark.parametrize(("allowed", "path", "ok"), [
    (("metadata", "*"), ("metadata", "labels", "a"), True),
    (("spec", "version"), ("spec", "version"), True),
    (("spec", "a", "b"), ("spec", "a"), False),
    (("spec", "a"), ("spec", "a", "b"), False),
    (("spec", "a", "*"), ("spec", "a"), False),
], ids=["star", "exact", "shorter-path", "longer-path", "star-needs-child"])
def test_paths_match_mirrors_webhook(allowed: tuple[str, ...], path: tuple[str, ...], ok: bool) -> None:
    assert paths_match(allowed, path) is ok


def test_is_allowed_examples_from_allow_list() -> None:
    assert is_allowed(("spec", "kubeadmConfigSpec", "files"))
    assert is_allowed(("spec", "machineTemplate", "spec", "infrastructureRef", "name"))
    assert not is_allowed(("spec", "kubeadmConfigSpec", "clusterConfiguration", "caCertificateValidityPeriodDays"))
    assert not is_allowed(("spec", "kubeadmConfigSpec", "clusterConfiguration", "controlPlaneEndpoint"))


def test_kcp_immutable_fields_metadata_and_removed_allowed_field_pass() -> None:
    head = kcp("{}", metadata="{name: kv-a-control-plane, namespace: clusters, annotations: {a: b}}")
    assert run_rules(context_from_yaml(head, base=kcp("{apiServer: {certSANs: [x]}}")), ["kcp-immutable-fields"]) == []


def test_kcp_immutable_fields_ca_validity_is_fixed() -> None:
    [finding] = run_rules(context_from_yaml(kcp("{caCertificateValidityPeriodDays: 7300}"), base=kcp("{}")),
                          ["kcp-immutable-fields"])
    assert finding.pointer == "/spec/kubeadmConfigSpec/clusterConfiguration/caCertificateValidityPeriodDays"
    assert "cannot be modified" in finding.message


def test_kcp_immutable_fields_external_to_local_etcd() -> None:
    base = kcp("{etcd: {external: {endpoints: [https://e:2379]}}}")
    [finding] = run_rules(context_from_yaml(kcp("{etcd: {local: {dataDir: /var/lib/etcd}}}"), base=base), ["kcp-immutable-fields"])
    assert finding.message.endswith("cannot change between external and local etcd")
