"""kubevirt-image-version: the containerDisk image should match the Kubernetes version.

CAPK boots every machine from `spec.kubevirt.image`; kubeadm, kubelet and the container images
baked into it decide which Kubernetes version the node really runs. If the image was built for
another version, kubeadm either refuses to join ("kubelet version is higher than the control
plane") or the node silently runs a different version than the KubeadmControlPlane says, which
breaks the MachineSet version-skew checks and upgrades. The CAPK images encode the version in the
tag (`quay.io/capk/ubuntu-2404-container-disk:v1.33.1`), so the tag is compared with
`spec.kubernetesVersion`. A digest-pinned image (`@sha256:...`) cannot be checked and is skipped.

Severity: warning (a tag naming another version, `latest` or no tag); info for a custom tag that
names no version (`2404-20261201`: it may be right, fleetgen cannot tell; shown with `-v`).

Source:
    kubernetes-sigs/cluster-api v1.12.11, docs/book/src/user/quick-start.md (KubeVirt:
    `NODE_VM_IMAGE_TEMPLATE="quay.io/capk/ubuntu-2404-container-disk:v1.32.1"`,
    `CAPK_GUEST_K8S_VERSION="${NODE_VM_IMAGE_TEMPLATE/*:/}"`); FIELD.md §1.23.

Failing example::

    spec:
      kubernetesVersion: v1.33.1
      kubevirt:
        image: quay.io/capk/ubuntu-2404-container-disk:v1.32.1

Passing example::

    spec:
      kubernetesVersion: v1.33.1
      kubevirt:
        image: quay.io/capk/ubuntu-2404-container-disk:v1.33.1
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.policy.kversion import parse_kube_version

_VERSION_IN_TAG = re.compile(r"(?<![0-9.])v?([0-9]+)\.([0-9]+)\.([0-9]+)")


def image_tag(image: str) -> str | None:
    """The tag of an image reference, "" if it has none, None if it is pinned by digest."""
    if "@" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


class KubevirtImageVersionRule:
    """The containerDisk image tag names the cluster's Kubernetes version."""

    id = "kubevirt-image-version"
    severity = Severity.WARNING
    summary = "the KubeVirt containerDisk image tag should match spec.kubernetesVersion"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one warning per KubeVirt cluster whose image tag names another version or none."""
        for cluster in ctx.fleet.clusters:
            kv = cluster.spec.spec.kubevirt
            if kv is None:
                continue
            want = parse_kube_version(cluster.spec.spec.kubernetes_version)
            tag = image_tag(kv.image)
            if tag is None or want is None:
                continue
            m = _VERSION_IN_TAG.search(tag)
            if m is None:
                # `latest` (or no tag) changes under the cluster's feet: a warning; a custom tag
                # (`2404-20261201`) may well be right, fleetgen just cannot tell: an info
                floating = tag in ("", "latest")
                yield spec_finding(self, cluster.source, "/spec/kubevirt/image",
                                   f"tag {tag or '(none, i.e. latest)'!r} does not name a Kubernetes version; "
                                   f"cannot tell whether the image matches spec.kubernetesVersion {want}",
                                   severity=Severity.WARNING if floating else Severity.INFO,
                                   hint=f"use an image built for {want}, tagged with it")
                continue
            got = tuple(int(g) for g in m.groups())
            if got != (want.major, want.minor, want.patch):
                yield spec_finding(self, cluster.source, "/spec/kubevirt/image",
                                   f"tag {tag!r} is for Kubernetes v{'.'.join(map(str, got))} but spec.kubernetesVersion is {want}",
                                   hint=f"use an image built for {want}")


RULE = KubevirtImageVersionRule()
