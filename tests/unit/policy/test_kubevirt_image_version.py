"""kubevirt-image-version."""

from __future__ import annotations

import pytest

from fleetgen.findings import Severity
from fleetgen.policy import run_rules
from fleetgen.policy.rules.kubevirt_image_version import image_tag

from .cases import context_from_yaml, kubevirt_cluster, proxmox_cluster


@pytest.mark.parametrize(("image", "tag"), [
    ("quay.io/capk/ubuntu:v1.33.1", "v1.33.1"), ("registry:5000/capk/ubuntu", ""),
    ("registry:5000/capk/ubuntu:1.33.1-ubuntu", "1.33.1-ubuntu"), ("quay.io/capk/ubuntu@sha256:abcd", None),
], ids=["tag", "port-no-tag", "port-and-tag", "digest"])
def test_image_tag_parses_registry_ports_and_digests(image: str, tag: str | None) -> None:
    assert image_tag(image) == tag


@pytest.mark.parametrize("image", ["quay.io/capk/ubuntu-2404-container-disk:v1.33.1-20250101",
                                   "registry:5000/disk:1.33.1", "quay.io/capk/disk@sha256:" + "a" * 64],
                         ids=["suffixed", "no-v", "digest-skipped"])
def test_kubevirt_image_version_matching_or_uncheckable_images_pass(image: str) -> None:
    assert run_rules(context_from_yaml(kubevirt_cluster(image=image)), ["kubevirt-image-version"]) == []


def test_kubevirt_image_version_untagged_image_warns() -> None:
    [finding] = run_rules(context_from_yaml(kubevirt_cluster(image="registry:5000/disk")), ["kubevirt-image-version"])
    assert finding.severity is Severity.WARNING
    assert "tag '(none, i.e. latest)' does not name a Kubernetes version" in finding.message


@pytest.mark.parametrize(("image", "severity"), [("registry:5000/disk:latest", Severity.WARNING),
                                                  ("registry:5000/disk:2404-20261201", Severity.INFO)],
                         ids=["latest-warns", "custom-tag-info"])
def test_kubevirt_image_version_tag_without_a_version(image: str, severity: Severity) -> None:
    # a custom tag may be right (an info, shown with -v); `latest` changes under the cluster (a warning)
    [finding] = run_rules(context_from_yaml(kubevirt_cluster(image=image)), ["kubevirt-image-version"])
    assert finding.severity is severity
    assert "does not name a Kubernetes version" in finding.message


def test_kubevirt_image_version_ignores_proxmox_clusters() -> None:
    assert run_rules(context_from_yaml(proxmox_cluster()), ["kubevirt-image-version"]) == []
