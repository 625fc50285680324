"""Kubernetes version parsing and the version matrix of the pinned Cluster API release.

Owns: the `KubeSemver` pattern the CAPI webhooks use, `KubeVersion` (major.minor.patch), and the
workload-cluster Kubernetes range that CAPI v1.12 supports. Must not build findings.

Example:
    >>> parse_kube_version("v1.33.1")
    KubeVersion(major=1, minor=33, patch=1)
    >>> parse_kube_version("1.33") is None
    True

Source:
    kubernetes-sigs/cluster-api v1.12.11 `util/version/version.go` (`KubeSemver`,
    `ParseMajorMinorPatch`); supported workload versions from the v1.12.11 release notes
    ("Workload Cluster: v1.29.x -> v1.36.x") and `docs/book/src/reference/versions.md`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: `version.KubeSemver`: the optional leading v is accepted here; "must start with v" is checked apart.
KUBE_SEMVER = re.compile(r"^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)([-0-9a-zA-Z_\.+]*)?$")

#: The pinned Cluster API release (DESIGN.md "Pinned upstream versions").
CAPI_VERSION = "v1.12.11"
#: Oldest and newest workload-cluster minor versions CAPI v1.12.11 supports (inclusive).
SUPPORTED_WORKLOAD_MINORS = ((1, 29), (1, 36))

#: MachineSet preflight check KubernetesVersionSkew: kubelets may be at most this many minors older.
MAX_KUBELET_SKEW_MINORS = 3


@dataclass(frozen=True, order=True)
class KubeVersion:
    """major.minor.patch of a Kubernetes version (pre-release and build parts dropped)."""

    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        return f"v{self.major}.{self.minor}.{self.patch}"

    @property
    def minor_key(self) -> tuple[int, int]:
        """(major, minor), for minor-level comparisons."""
        return (self.major, self.minor)


def parse_kube_version(text: object) -> KubeVersion | None:
    """Parse `vX.Y.Z[-pre][+build]` (the v optional); None if it is not such a version."""
    if not isinstance(text, str):
        return None
    m = KUBE_SEMVER.match(text)
    if not m:
        return None
    return KubeVersion(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def version_format_problem(text: object) -> str | None:
    """What the CAPI webhooks say about a version string, or None if it is fine.

    Returns:
        "must start with v" or "must be a valid semantic version, got ..." or None.
    """
    if not isinstance(text, str) or not KUBE_SEMVER.match(text):
        return f"must be a valid semantic version, got {text!r}"
    if not text.startswith("v"):
        return f"must start with v, got {text!r} (the defaulting webhook would rewrite it, so git and the cluster would differ forever)"
    return None


def supported_range_text() -> str:
    """e.g. `v1.29.x to v1.36.x`."""
    (lo_major, lo_minor), (hi_major, hi_minor) = SUPPORTED_WORKLOAD_MINORS
    return f"v{lo_major}.{lo_minor}.x to v{hi_major}.{hi_minor}.x"
