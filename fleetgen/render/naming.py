"""Names of rendered Cluster API objects: fixed names and content-hash names.

Owns: the naming rule of every object `fleetgen.render.cluster` emits, the content hash that
suffixes template names, and the deterministic shortening that keeps derived names within the
Kubernetes limits. Must not look at the spec models (callers pass plain strings and dicts) and
must not do I/O.

Why content-hash names: infrastructure machine templates are immutable (CAPK rejects any spec
update with "KubevirtMachineTemplateSpec is immutable", CAPMOX with "ProxmoxMachineTemplate is
immutable") and KubeadmConfigTemplate changes do not roll out to existing Machines. The CAPI way
to change what machines are built from is a *new* template under a new name, and a reference
change in the MachineDeployment or KubeadmControlPlane, which then rolls the machines. Hashing the
template's `spec.template.spec` into its name does exactly that on every relevant change, and
nothing else: replicas, MachineHealthCheck settings, labels and annotations live outside that
subtree, so changing them keeps every template name (FIELD.md §1.2, §1.3).

Rules:
    Cluster, KubevirtCluster, ProxmoxCluster   `<cluster>`
    KubeadmControlPlane                        `<cluster>-control-plane`
    control-plane machine template             `<cluster>-control-plane-<hash8>`
    MachineDeployment, MachineHealthCheck      `<cluster>-<pool>`
    pool machine template, KubeadmConfigTemplate  `<cluster>-<pool>-<hash8>`

    hash8 = first 8 hex digits of sha256 over the canonical JSON of the template's
    `spec.template.spec`: `json.dumps(value, sort_keys=True, separators=(",", ":"),
    ensure_ascii=True)` encoded as UTF-8.

Length: every derived name is at most 63 characters, because MachineDeployment and
KubeadmControlPlane names become label values (`cluster.x-k8s.io/deployment-name`,
`cluster.x-k8s.io/control-plane-name`) and a single limit keeps the rule simple. When
`<base>-<suffix>` would be longer, the base (`<cluster>-<pool>`) is cut and a hash of the *full*
base is inserted: `<base[:n]>-<sha256(base)[:8]>-<suffix>`, with n chosen so the result is exactly
63 characters (trailing `-` of the cut removed). The result stays unique per full base, stays a
DNS-1123 label (and so a subdomain and a label value), and keeps the content hash as its last
segment.

Example:
    >>> spec_hash({"numCores": 2})
    '992e04d6'
    >>> object_name("kv-demo", "md-0", suffix="992e04d6")
    'kv-demo-md-0-992e04d6'
    >>> object_name("c" * 63, "pool", suffix="992e04d6")  # cut, hash of the full base, content hash
    'ccccccccccccccccccccccccccccccccccccccccccccc-130f3dd7-992e04d6'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

#: Longest derived name: a label value / DNS-1123 label (63).
MAX_NAME_LEN = 63
#: Hex digits of a content hash or a shortening hash.
HASH_LEN = 8
#: Stem of the control plane's names (`<cluster>-control-plane...`).
CONTROL_PLANE_STEM = "control-plane"


def canonical_json(value: Any) -> bytes:
    """The canonical JSON encoding hashed into template names.

    Args:
        value: plain data (dict/list/str/int/bool); never None.

    Returns:
        UTF-8 bytes of `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)`:
        key order and whitespace do not matter, so equal data always gives equal bytes.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("utf-8")


def spec_hash(value: Any) -> str:
    """First `HASH_LEN` hex digits of sha256 over `canonical_json(value)`.

    Args:
        value: what machines are built from: a template's `spec.template.spec`.

    Returns:
        8 lower-case hex characters, e.g. `'992e04d6'`.
    """
    return hashlib.sha256(canonical_json(value)).hexdigest()[:HASH_LEN]


def fit_name(base: str, suffix: str = "", *, max_len: int = MAX_NAME_LEN) -> str:
    """`<base>-<suffix>` (or `<base>` without suffix), shortened deterministically to `max_len`.

    Args:
        base: the readable part, e.g. `kv-demo-md-0`; a DNS-1123 label made of `-`-joined labels.
        suffix: an optional last segment kept verbatim (a content hash), without the leading `-`.
        max_len: the length limit (63 by default).

    Returns:
        The name unchanged when it fits; else `<base[:n]>-<sha256(base)[:8]>[-<suffix>]` of exactly
        `max_len` characters, where the cut drops trailing `-` and `.` so that the name stays a
        valid DNS-1123 label.

    Raises:
        ValueError: if `max_len` leaves no room for at least one character of the base.
    """
    tail = f"-{suffix}" if suffix else ""
    name = base + tail
    if len(name) <= max_len:
        return name
    keep = max_len - len(tail) - 1 - HASH_LEN
    if keep < 1:
        raise ValueError(f"cannot fit {name!r} into {max_len} characters")
    digest = hashlib.sha256(base.encode("utf-8")).hexdigest()[:HASH_LEN]
    cut = base[:keep].rstrip("-.")
    return f"{cut}-{digest}{tail}"


def object_name(cluster: str, stem: str = "", *, suffix: str = "") -> str:
    """The name of an object derived from a cluster name.

    Args:
        cluster: the cluster name (`metadata.name` of the ClusterSpec).
        stem: `"control-plane"`, a worker pool name, or `""` for the cluster-level objects.
        suffix: a content hash for templates (`spec_hash(...)`), or `""`.

    Returns:
        `<cluster>[-<stem>][-<suffix>]`, at most 63 characters (see `fit_name`).
    """
    base = f"{cluster}-{stem}" if stem else cluster
    return fit_name(base, suffix)


def template_name(cluster: str, stem: str, template_spec: Mapping[str, Any]) -> str:
    """The content-hash name of a machine template or KubeadmConfigTemplate.

    Args:
        cluster: the cluster name.
        stem: `"control-plane"` or the worker pool name.
        template_spec: the template's `spec.template.spec` dict (what machines are built from).

    Returns:
        `<cluster>-<stem>-<hash8>`, at most 63 characters; the same for equal `template_spec`
        whatever the key order.
    """
    return object_name(cluster, stem, suffix=spec_hash(dict(template_spec)))
