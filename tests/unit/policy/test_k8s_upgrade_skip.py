"""k8s-upgrade-skip."""

from __future__ import annotations

import pytest

from fleetgen.policy import run_rules

from .cases import context_from_yaml


def kcp(version: str) -> str:
    return ("apiVersion: controlplane.cluster.x-k8s.io/v1beta2\nkind: KubeadmControlPlane\n"
            f"metadata: {{name: cp, namespace: clusters}}\nspec: {{replicas: 1, version: '{version}'}}\n")


@pytest.mark.parametrize(("old", "new", "problem", "severity"), [
    ("v1.33.9", "v1.34.0", None, None),
    ("v1.33.1", "v1.34.99", None, None),
    ("v1.33.1", "v1.35.0-rc.1", "cannot update Kubernetes version from v1.33.1 to v1.35.0-rc.1", "error"),
    # the KCP webhook accepts a patch rollback: a warning, not a refusal
    ("v1.33.5", "v1.33.1", "version decreased from v1.33.5 to v1.33.1 (a patch rollback)", "warning"),
    ("v1.34.2", "v1.33.9", "version cannot be decreased from v1.34.2 to v1.33.9", "error"),
    ("v1.33.1", "1.34", None, None),
    ("v1.33.1", "v2.0.0", "cannot update Kubernetes version from v1.33.1 to v2.0.0", "error"),
    # semver sorts a pre-release before its release: back to it is a rollback too
    ("v1.33.1", "v1.33.1-rc.1", "version decreased from v1.33.1 to v1.33.1-rc.1 (a patch rollback)", "warning"),
    ("v1.33.1-rc.1", "v1.33.1", None, None),
], ids=["next-minor", "next-minor-high-patch", "skip-pre-release", "patch-downgrade", "minor-downgrade",
        "malformed-skipped", "major", "release-to-its-pre-release", "pre-release-to-its-release"])
def test_k8s_upgrade_skip_transitions(old: str, new: str, problem: str | None, severity: str | None) -> None:
    findings = run_rules(context_from_yaml(kcp(new), base=kcp(old)), ["k8s-upgrade-skip"])
    if problem is None:
        assert findings == []
    else:
        [finding] = findings
        assert finding.message.split(": ", 1)[1].startswith(problem)
        assert finding.severity.value == severity


def test_k8s_upgrade_skip_new_control_plane_has_no_base_object() -> None:
    ctx = context_from_yaml(kcp("v1.36.0"), base=kcp("v1.33.0").replace("name: cp", "name: other"))
    assert run_rules(ctx, ["k8s-upgrade-skip"]) == []
