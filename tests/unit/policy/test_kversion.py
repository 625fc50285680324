"""Kubernetes version parsing and the support matrix."""

from __future__ import annotations

import pytest

from fleetgen.policy.kversion import (
    KubeVersion,
    parse_kube_version,
    supported_range_text,
    version_format_problem,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("v1.33.1", KubeVersion(1, 33, 1)), ("1.33.1", KubeVersion(1, 33, 1)),
    ("v1.34.0-rc.1", KubeVersion(1, 34, 0)), ("v1.33.1+vmware.1", KubeVersion(1, 33, 1)),
    ("v1.33", None), ("v01.33.1", None), ("latest", None), (None, None),
], ids=["v", "no-v", "pre", "build", "no-patch", "leading-zero", "word", "none"])
def test_parse_kube_version(text: object, expected: KubeVersion | None) -> None:
    assert parse_kube_version(text) == expected


def test_version_format_problem_messages() -> None:
    assert version_format_problem("v1.33.1") is None
    assert (version_format_problem("1.33.1") or "").startswith("must start with v")
    assert version_format_problem("v1.33") == "must be a valid semantic version, got 'v1.33'"


def test_kube_version_orders_and_prints() -> None:
    assert KubeVersion(1, 33, 9) < KubeVersion(1, 34, 0)
    assert str(KubeVersion(1, 33, 1)) == "v1.33.1"
    assert supported_range_text() == "v1.29.x to v1.36.x"
