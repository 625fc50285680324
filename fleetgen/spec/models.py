"""Typed models of the fleet spec (DESIGN.md): FleetConfig, ClusterSpec and Addon.

Owns: field names, types, units, defaults and the per-field checks that need no other spec.
Cross-field and fleet-wide rules (odd control plane, CIDR overlap, VIP outside the node range...)
are policy rules in `fleetgen.policy`, so all problems are reported together with rule ids.
Must not read files (see `fleetgen.spec.load`).

Units: `cpus` is a count of cores; `memory` and `diskSize` are Kubernetes quantities of bytes
(see `fleetgen.spec.quantity`); each provider converts them (KubeVirt keeps the quantity,
Proxmox takes whole MiB for memory and whole GiB for disks, rounded up).

All models are frozen and forbid unknown fields: a typo is an error, never silently ignored.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)
from pydantic.alias_generators import to_camel

from fleetgen.spec.quantity import GIB, MIB, ceil_div, parse_bytes

API_VERSION = "fleetgen.dev/v1alpha1"

_RFC1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
#: `vX.Y.Z[-pre][+build]` as semver 2.0 has it: no empty pre-release or build identifiers, no
#: leading zeros in numeric ones. Stricter than the webhooks' `KubeSemver` pattern
#: (`fleetgen.policy.kversion.KUBE_SEMVER`) on purpose: a spec's version should be one every
#: semver parser reads (CAPI's util/version builds on blang/semver), not only one admission lets by.
_SEMVER_PRE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_K8S_VERSION = re.compile(r"^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
                          rf"(-{_SEMVER_PRE_ID}(?:\.{_SEMVER_PRE_ID})*)?(\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

#: Largest memory or disk size accepted: far above any machine, and it keeps Proxmox `memoryMiB`
#: and `sizeGb` (int32 in the CAPMOX CRD) in range.
MAX_QUANTITY_BYTES = 2**50  # 1Pi


def _show(value: object, limit: int = 60) -> str:
    """repr() of a user value for a message, cut to `limit` characters (a message never dumps a whole value)."""
    text = repr(value) if not isinstance(value, str) or len(value) <= limit else repr(value[:limit])
    return text if len(text) <= limit else text[: limit - 3] + "..."


# OCI image reference (github.com/distribution/reference, regexp.go), written without ambiguous
# repetition so that a long non-matching string cannot make the regex backtrack exponentially.
_DOMAIN_PART = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE_REF = re.compile(
    rf"^(?P<name>(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*(?::[0-9]+)?/)?{_PATH_PART}(?:/{_PATH_PART})*)"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$"
)
_HOSTNAME = re.compile(r"^[A-Za-z0-9](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?$")
_IFNAME = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")


def _cut(text: str, limit: int = 60) -> str:
    """User text for a message, unquoted, cut to `limit` characters."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _rfc1123_label(value: str) -> str:
    if len(value) > 63:
        raise ValueError(f"must be at most 63 characters (RFC 1123 label), got {len(value)}")
    if not _RFC1123_LABEL.match(value):
        raise ValueError(
            f"{_show(value)} is not an RFC 1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit"
        )
    return value


def _k8s_version(value: str) -> str:
    if not _K8S_VERSION.match(value):
        raise ValueError(f"{_show(value)} is not a Kubernetes version; write it as semver with a leading v, e.g. v1.33.1")
    return value


def _not_a_number(what: str, example: str) -> Any:
    """A before-validator: a YAML number where text is expected gets a message saying what to write."""

    def check(value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(f"{value!r} is a number, not {what}; write it as text, e.g. {example}")
        return value

    return BeforeValidator(check)


def _quantity(value: str) -> str:
    parse_bytes(value)
    return value


def _at_least(minimum: int, text: str, why: str) -> Any:
    """An after-validator on a quantity: at least `minimum` bytes (reported at the field itself)."""

    def check(value: str) -> str:
        if parse_bytes(value) < minimum:
            raise ValueError(f"{value} is below {text}{why}")
        if parse_bytes(value) > MAX_QUANTITY_BYTES:
            raise ValueError(f"{_cut(value)} is above 1Pi, the most fleetgen accepts; check the unit")
        return value

    return AfterValidator(check)


def _label_key(key: str, what: str = "label key") -> None:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        raise ValueError(f"{what} {_show(key)}: prefix must be a DNS subdomain of at most 253 characters")
    if not name or len(name) > 63 or not _LABEL_NAME.match(name):
        raise ValueError(f"{what} {_show(key)}: name must be 1-63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric")


#: Labels fleetgen sets itself; a spec must not set them.
RESERVED_LABELS = ("cluster.x-k8s.io/cluster-name",)


def _image(value: str) -> str:
    m = _IMAGE_REF.match(value) if len(value) <= 512 else None
    if m is None or len(m["name"]) > 255:
        raise ValueError(f"{_show(value)} is not an image reference; write e.g. quay.io/capk/ubuntu-2404-container-disk:v1.33.1")
    return value


def _hostname(value: str) -> str:
    if not _HOSTNAME.match(value):
        raise ValueError(f"{_show(value)} is not a node name: 1-63 letters, digits and '-', starting and ending with a letter or digit")
    return value


def _ifname(value: str) -> str:
    if not _IFNAME.match(value):
        raise ValueError(f"{_show(value)} is not a network interface name: 1-15 letters, digits, '_', '.' or '-'")
    return value


def _label_key_valid(key: str) -> str:
    if key in RESERVED_LABELS:
        raise ValueError(f"label {key} is set by fleetgen from metadata.name; remove it")
    _label_key(key)
    return key


def _selector_key(key: str) -> str:
    _label_key(key)  # (fleetgen's own labels, e.g. cluster-name, may be selected on)
    return key


def _label_value(value: str) -> str:
    if len(value) > 63 or not _LABEL_VALUE.match(value):
        raise ValueError(f"{_show(value)}: a label value must be at most 63 alphanumerics, '-', '_' or '.', "
                         "starting and ending alphanumeric")
    return value


def _dns_subdomain(value: str) -> str:
    if not value or len(value) > 253 or not _DNS_SUBDOMAIN.match(value):
        raise ValueError(f"{_show(value)} is not a DNS subdomain (lower-case labels separated by dots, at most 253 characters)")
    return value


def _cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as err:
        raise ValueError(f"{_show(value)} is not a CIDR block ({_cut(str(err), 100)})") from None
    return value


def _ip(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{_show(value)} is not an IP address") from None
    return value


def _ip_range(value: str) -> str:
    """An IP, an `a-b` range or a CIDR, as CAPMOX/in-cluster IPAM accept them; a range's two ends
    are one family, in order."""
    if re.search(r"\s", value):
        raise ValueError(f"{_show(value)} holds spaces, which CAPMOX and in-cluster IPAM refuse "
                         "(netipx.ParseIPRange); write e.g. 10.10.10.10-10.10.10.20")
    try:
        if "-" in value:
            start, end = (ipaddress.ip_address(p) for p in value.split("-", 1))
        elif "/" in value:
            ipaddress.ip_network(value, strict=False)
            return value
        else:
            ipaddress.ip_address(value)
            return value
    except ValueError:
        raise ValueError(f"{_show(value)} is not an IP address, an a-b range or a CIDR") from None
    if start.version != end.version:
        raise ValueError(f"{_show(value)}: the range mixes IPv{start.version} and IPv{end.version}")
    if int(end) < int(start):
        raise ValueError(f"{_show(value)}: the range ends before it starts; write {end}-{start}")
    return value


Name = Annotated[str, AfterValidator(_rfc1123_label)]
KubernetesVersion = Annotated[str, _not_a_number("a Kubernetes version", "v1.33.1"), AfterValidator(_k8s_version)]
Quantity = Annotated[str, _not_a_number("a Kubernetes quantity", "4Gi"), AfterValidator(_quantity)]
#: Kubernetes labels (apimachinery validation.IsQualifiedName keys, IsValidLabelValue values), each
#: checked on its own so that a problem is reported at its key's line.
Labels = dict[Annotated[str, AfterValidator(_label_key_valid)], Annotated[str, AfterValidator(_label_value)]]
#: The `matchLabels` of a selector: like `Labels`, but fleetgen's own labels may be selected on
#: (the rendered Cluster carries `cluster.x-k8s.io/cluster-name`).
SelectorLabels = dict[Annotated[str, AfterValidator(_selector_key)], Annotated[str, AfterValidator(_label_value)]]
#: A name the API server validates as a DNS-1123 subdomain (apimachinery `IsDNS1123Subdomain`:
#: Secrets, StorageClasses), e.g. `pve.credentials.prod`.
DnsSubdomain = Annotated[str, AfterValidator(_dns_subdomain)]
Cidr = Annotated[str, AfterValidator(_cidr)]
IPAddress = Annotated[str, AfterValidator(_ip)]
IPRange = Annotated[str, AfterValidator(_ip_range)]


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        strict=True,  # "2" is not 2, and true is not "true": YAML types must match
        defer_build=True,  # validators are built on first validation: a cached run never needs them
    )


class ObjectMeta(_Model):
    """`metadata` of a fleetgen document."""

    name: Name
    """Object name; for a ClusterSpec it becomes the CAPI Cluster name (RFC 1123 label, <= 63)."""
    namespace: Name = "default"
    """Management-cluster namespace; defaults from fleetgen.yaml `defaults.metadata.namespace`, else "default"."""
    labels: Labels = Field(default_factory=dict)
    """Copied onto the CAPI Cluster; ClusterResourceSets select on them."""


class Machine(_Model):
    """Size of one machine, hypervisor-neutral.

    Units:
        cpus: cores (int). KubeVirt -> `domain.cpu.cores`; Proxmox -> `numSockets: 1`, `numCores`.
        memory: quantity of bytes. KubeVirt -> `domain.memory.guest` (as written);
            Proxmox -> `memoryMiB` (whole MiB, rounded up).
        diskSize: quantity of bytes, optional. Proxmox -> `disks.bootVolume.sizeGb` (whole GiB,
            rounded up); KubeVirt -> a DataVolume root disk of that size instead of a containerDisk.
    """

    cpus: int = Field(ge=1, le=512)
    memory_quantity: Annotated[Quantity, _at_least(512 * MIB, "the 512Mi", " a Kubernetes node needs")] = Field(alias="memory")
    disk_size_quantity: Annotated[Quantity, _at_least(GIB, "1Gi", "")] | None = Field(default=None, alias="diskSize")

    @property
    def memory_bytes(self) -> int:
        """Memory in bytes."""
        return parse_bytes(self.memory_quantity)

    @property
    def memory_mib(self) -> int:
        """Memory in MiB for Proxmox `memoryMiB`: rounded up to a multiple of 8 MiB, which the CAPMOX
        v0.9.0 ProxmoxMachineTemplate CRD requires (`multipleOf: 8`): 4Gi -> 4096, 4G -> 3816."""
        return ceil_div(self.memory_bytes, 8 * MIB) * 8

    @property
    def disk_gib(self) -> int | None:
        """Disk size in whole GiB, rounded up (Proxmox `sizeGb`), or None when unset."""
        if self.disk_size_quantity is None:
            return None
        return ceil_div(parse_bytes(self.disk_size_quantity), GIB)


class ClusterNetwork(_Model):
    """Pod and service CIDR blocks (CAPI `Cluster.spec.clusterNetwork`)."""

    pods: list[Cidr] | None = Field(default=None, min_length=1, max_length=2)
    services: list[Cidr] | None = Field(default=None, min_length=1, max_length=2)
    service_domain: Annotated[str, AfterValidator(_dns_subdomain)] | None = None
    """DNS domain of Services (`Cluster.spec.clusterNetwork.serviceDomain`), e.g. cluster.local."""


class ControlPlane(_Model):
    """The control plane (a KubeadmControlPlane with stacked etcd)."""

    replicas: int = Field(ge=1, le=15)
    """Number of control-plane machines; must be odd (stacked etcd quorum, checked by rule cp-replicas-odd)."""
    machine: Machine


def _taint_key(key: str) -> str:
    _label_key(key, "taint key")
    return key


class Taint(_Model):
    """A node taint (kubeadm `nodeRegistration.taints`).

    Key and value follow label syntax, as the API server's `ValidateTaints` requires when the
    kubelet registers the Node (k8s.io/kubernetes pkg/apis/core/validation: `IsQualifiedName`
    for the key, `IsValidLabelValue` for the value); a bad one keeps every machine of the pool
    from joining.
    """

    key: Annotated[str, AfterValidator(_taint_key)]
    value: Annotated[str, AfterValidator(_label_value)] | None = None
    """Optional; an empty value is valid (a label value may be empty)."""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class Autoscaling(_Model):
    """cluster-autoscaler bounds; rendered as the node-group min/max size annotations."""

    min_replicas: int = Field(ge=0, le=1000)
    max_replicas: int = Field(ge=1, le=1000)


class WorkerPool(_Model):
    """One MachineDeployment."""

    name: Name
    replicas: int | None = Field(default=None, ge=0, le=1000)
    """Worker count; must be absent when `autoscaling` is set (the autoscaler owns it)."""
    machine: Machine
    labels: Labels = Field(default_factory=dict)
    """Node labels, passed to the kubelet as `node-labels`."""
    taints: list[Taint] = Field(default_factory=list)
    """Node taints; unique by key and effect (checked with positions by `fleetgen.spec.load`)."""
    autoscaling: Autoscaling | None = None

    @model_validator(mode="after")
    def _replicas_or_autoscaling(self) -> WorkerPool:
        if self.replicas is None and self.autoscaling is None:
            raise ValueError("replicas is required unless autoscaling is set (without both, CAPI defaults the pool to 1 machine)")
        if self.name == "control-plane":
            raise ValueError("pool name 'control-plane' is reserved for the control plane's objects")
        return self


class KubevirtSpec(_Model):
    """KubeVirt (CAPK) settings."""

    image: Annotated[str, AfterValidator(_image)]
    """containerDisk image booted by every machine, e.g. quay.io/capk/ubuntu-2404-container-disk:v1.33.1."""
    control_plane_service_type: Literal["ClusterIP", "LoadBalancer"] = "ClusterIP"
    storage_class: DnsSubdomain | None = None
    """StorageClass (a DNS subdomain, e.g. csi.ceph.rbd) of root disks when a machine sets diskSize (DataVolume from the image)."""


class Endpoint(_Model):
    """The control-plane endpoint (kube-vip virtual IP)."""

    host: IPAddress
    port: int = Field(default=6443, ge=1, le=65535)


class IPv4Config(_Model):
    """Node addresses handed out by the in-cluster IPAM pool that CAPMOX creates."""

    addresses: list[IPRange] = Field(min_length=1)
    prefix: int = Field(ge=1, le=32)
    gateway: IPAddress


class ObjectReference(_Model):
    """A reference to a Secret by name (and namespace) — never inline secret values."""

    name: DnsSubdomain
    """The Secret's name: a DNS subdomain, as for every Secret (e.g. pve.credentials.prod)."""
    namespace: Name | None = None


class ProxmoxSpec(_Model):
    """Proxmox VE (CAPMOX) settings."""

    source_node: Annotated[str, AfterValidator(_hostname)]
    template_id: int = Field(alias="templateID", ge=100, le=999_999_999)
    control_plane_endpoint: Endpoint
    ipv4: IPv4Config
    dns_servers: list[IPAddress] = Field(min_length=1)
    bridge: Annotated[str, AfterValidator(_ifname)]
    allowed_nodes: list[Annotated[str, AfterValidator(_hostname)]] = Field(default_factory=list)
    credentials_ref: ObjectReference | None = None
    vip_interface: Annotated[str, AfterValidator(_ifname)] | None = None
    """Network interface kube-vip binds the control-plane address to; auto-detected when unset."""
    full: bool = True
    """Full clone (true, upstream default) or linked clone of the VM template (CAPMOX `full`)."""
    format: Literal["raw", "qcow2", "vmdk"] | None = None
    """Disk format of a full clone (CAPMOX `format`); upstream rejects it on linked clones."""
    storage: str | None = Field(default=None, min_length=1)
    """Proxmox storage for a full clone's disks (CAPMOX `storage`); upstream rejects it on linked clones."""


class MachineHealthCheckSpec(_Model):
    """Whether to render a MachineHealthCheck per MachineDeployment."""

    enabled: bool = False


class ClusterSpecBody(_Model):
    """`spec` of a ClusterSpec."""

    hypervisor: Literal["kubevirt", "proxmox"]
    kubernetes_version: KubernetesVersion
    cluster_network: ClusterNetwork | None = None
    control_plane: ControlPlane
    workers: list[WorkerPool] = Field(default_factory=list)
    kubevirt: KubevirtSpec | None = None
    proxmox: ProxmoxSpec | None = None
    machine_health_check: MachineHealthCheckSpec | None = None

    @model_validator(mode="after")
    def _hypervisor_block(self) -> ClusterSpecBody:
        block = getattr(self, self.hypervisor)
        if block is None:
            raise ValueError(f"hypervisor is {self.hypervisor!r} but the spec.{self.hypervisor} block is missing")
        other = "proxmox" if self.hypervisor == "kubevirt" else "kubevirt"
        if getattr(self, other) is not None:
            raise ValueError(f"hypervisor is {self.hypervisor!r}; remove the spec.{other} block")
        return self


class ClusterSpec(_Model):
    """One workload cluster (clusters/**/*.yaml)."""

    api_version: Literal["fleetgen.dev/v1alpha1"]
    kind: Literal["ClusterSpec"]
    metadata: ObjectMeta
    spec: ClusterSpecBody


class LabelSelectorRequirement(_Model):
    """One `matchExpressions` entry of a label selector.

    The key must be a label key and every value a label value; In/NotIn need values,
    Exists/DoesNotExist take none. Otherwise `metav1.LabelSelectorAsSelector` fails and CAPI's
    ClusterResourceSet webhook rejects the object.

    Raises:
        ValueError: (as a spec finding at the key, value or entry) one of those is broken.

    Source:
        k8s.io/apimachinery/pkg/labels/selector.go (`NewRequirement`: validateLabelKey,
        validateLabelValue, the operator's value count).
    """

    key: Annotated[str, AfterValidator(_selector_key)] = Field(min_length=1)
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: list[Annotated[str, AfterValidator(_label_value)]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _values_fit_operator(self) -> LabelSelectorRequirement:
        if self.operator in ("In", "NotIn") and not self.values:
            raise ValueError(f"operator {self.operator} needs at least one value "
                             "(for 'in', 'notin' operators, values set can't be empty)")
        if self.operator in ("Exists", "DoesNotExist") and self.values:
            raise ValueError(f"operator {self.operator} takes no values "
                             "(values set must be empty for exists and does not exist)")
        return self


class LabelSelector(_Model):
    """A Kubernetes label selector (CRS `spec.clusterSelector`); must not be empty."""

    match_labels: SelectorLabels = Field(default_factory=dict)
    match_expressions: list[LabelSelectorRequirement] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> LabelSelector:
        if not self.match_labels and not self.match_expressions:
            raise ValueError("selector must not be empty (a ClusterResourceSet with an empty selector is rejected)")
        return self

    def matches(self, labels: dict[str, str]) -> bool:
        """True if `labels` satisfy every matchLabels entry and matchExpressions requirement."""
        if any(labels.get(k) != v for k, v in self.match_labels.items()):
            return False
        for req in self.match_expressions:
            present = req.key in labels
            if req.operator == "In" and (not present or labels[req.key] not in req.values):
                return False
            if req.operator == "NotIn" and present and labels[req.key] in req.values:
                return False
            if req.operator == "Exists" and not present:
                return False
            if req.operator == "DoesNotExist" and present:
                return False
        return True


class AddonBody(_Model):
    """`spec` of an Addon."""

    cluster_selector: LabelSelector
    strategy: Literal["ApplyOnce", "Reconcile"] = "ApplyOnce"
    """CRS strategy; upstream's default is ApplyOnce. Immutable upstream, so fleetgen encodes it in the CRS name."""
    resources: list[str] = Field(min_length=1, max_length=100)
    """Manifest files in the addon's folder, shipped intact as ConfigMap payloads."""


class Addon(_Model):
    """One addon (crs/<addon>/addon.yaml)."""

    api_version: Literal["fleetgen.dev/v1alpha1"]
    kind: Literal["Addon"]
    metadata: ObjectMeta
    spec: AddonBody


_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)")
_DURATION_NS = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
#: The longest Go `time.Duration` (int64 nanoseconds, about 2562047h): Flux and Fleet decode
#: intervals into one.
_MAX_GO_DURATION_NS = 2**63 - 1
#: The units each agent's CRD accepts in an interval: Flux's GitRepository/Kustomization `interval`
#: pattern `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`; Fleet's GitRepo `pollingInterval` CEL rule
#: `self == '0' || self.matches('^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$') && ...`.
_INTERVAL_UNITS = {"flux": ("ms", "s", "m", "h"), "fleet": ("ns", "us", "µs", "ms", "s", "m", "h")}
#: Fleet's GitRepo `pollingInterval` maxLength, and its CEL bound `duration('2562047h')`.
_FLEET_INTERVAL_MAX_LENGTH = 32
_FLEET_INTERVAL_MAX_NS = 2562047 * 3600 * 10**9


def _number_as_text(value: Any) -> Any:
    """An unquoted YAML integer (`interval: 0`, `interval: 30`) as the text it was written as, so
    that `0` is Fleet's zero and `30` is told it lacks a unit."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _interval(value: str, info: ValidationInfo) -> str:
    """`value` unchanged if the fleet's GitOps agent reads it as a polling interval: a Go duration
    (`30s`, `1h30m`) in the units that agent's CRD accepts (Flux: ms, s, m, h; Fleet also ns, us,
    µs, and `0`), that fits a Go `time.Duration` (int64 nanoseconds, about 2562047h48m); for Fleet
    at most 32 characters and 2562047h.

    Raises:
        ValueError: the message names the agent and the units it accepts, or the bound passed.
    """
    from decimal import Decimal

    agent = info.data.get("agent")  # (None when `agent` itself is invalid: then either agent's form)
    if agent != "flux" and value == "0":
        return value
    units = _INTERVAL_UNITS.get(agent or "fleet", _INTERVAL_UNITS["fleet"])
    if not re.fullmatch(rf"([0-9]+(\.[0-9]+)?({'|'.join(units)}))+", value):
        whose = {"flux": "Flux's", "fleet": "Fleet's"}.get(agent or "", "the GitOps agent's")
        zero = "" if agent == "flux" else ", or 0"
        raise ValueError(f"{value!r} is not a duration {whose} interval accepts: digits and units "
                         f"{', '.join(units)} (e.g. 30s, 5m, 1h30m){zero}; d (days) and w (weeks) are not units")
    if agent == "fleet" and len(value) > _FLEET_INTERVAL_MAX_LENGTH:
        raise ValueError(f"{value!r} is longer than {_FLEET_INTERVAL_MAX_LENGTH} characters (Fleet's GitRepo "
                         "pollingInterval maxLength)")
    total = sum(Decimal(number) * _DURATION_NS[unit] for number, unit in _DURATION_PART.findall(value))
    if agent == "fleet" and _MAX_GO_DURATION_NS >= total > _FLEET_INTERVAL_MAX_NS:
        raise ValueError(f"{value!r} is longer than Fleet's limit of 2562047h (GitRepo pollingInterval: "
                         "duration(self) <= duration('2562047h'))")
    if total > _MAX_GO_DURATION_NS:
        raise ValueError(f"{value!r} is longer than a Go duration can hold (about 2562047h); "
                         "the GitOps agent could not read it")
    return value


#: Characters a `gitops.path` segment may not hold: control characters, the backslash, and the glob
#: characters of Fleet's `paths` (Go `filepath.Match`: `*`, `?`, `[`, `]`).
_REPO_FOLDER_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\\*?\[\]]")


def check_repo_folder(value: str) -> str:
    """`value` unchanged if it is a relative folder of a git repository as the agents read it: posix
    segments separated by `/`, none empty, `.` or `..`, no leading or trailing `/`; spaces, dots and
    non-ASCII letters are fine (`.infra/fleet`, `Plattform Team/fleet`).

    Raises:
        ValueError: the folder cannot be named so (the message says why), e.g. `team[1]`: Fleet's
            `paths` are Go `filepath.Match` globs.
    """
    if not value:
        return value
    if value.startswith("/") or value.endswith("/"):
        raise ValueError(f"{value!r} must be relative to the git repository's top level, without a leading "
                         "or trailing '/'")
    for segment in value.split("/"):
        if segment in ("", ".", ".."):
            raise ValueError(f"{value!r} must name a folder, without empty, '.' or '..' segments")
        if (bad := _REPO_FOLDER_FORBIDDEN.search(segment)) is not None:
            raise ValueError(f"{value!r} holds {bad.group()!r}: a control character, a backslash or a glob "
                             "character (Fleet's paths are glob patterns)")
    return value


class GitOpsConfig(_Model):
    """How the GitOps agent on the management cluster reaches this repository."""

    agent: Literal["fleet", "flux"] = "fleet"
    repo: str = Field(min_length=1)
    branch: str = Field(default="main", min_length=1)
    namespace: Name | None = None
    """Namespace of the GitRepo (Fleet, default fleet-local) or the Flux objects (default flux-system)."""
    interval: Annotated[str, BeforeValidator(_number_as_text), AfterValidator(_interval)] = "1m"
    """Polling interval (a Go duration without d/w: Flux's units ms, s, m, h; Fleet also ns, us, µs
    and `0`), used by Flux `interval` and Fleet `pollingInterval`."""
    secret_ref: DnsSubdomain | None = None
    """Name of an existing Secret with git credentials (Fleet clientSecretName, Flux secretRef)."""
    path: Annotated[str, AfterValidator(check_repo_folder)] = ""
    """The folder of the git repository that holds fleetgen.yaml, e.g. `platform/fleet` for a fleet
    in a monorepo ("" when it is the repository's top level). The agent reads the output at
    `<path>/<outputDir>`: Fleet's `paths` and Flux's `path` are relative to the git root."""

    @property
    def resolved_namespace(self) -> str:
        """The configured namespace, or the agent's conventional one."""
        return self.namespace or ("fleet-local" if self.agent == "fleet" else "flux-system")


class FleetConfig(_Model):
    """Fleet-wide settings (fleetgen.yaml)."""

    api_version: Literal["fleetgen.dev/v1alpha1"]
    kind: Literal["FleetConfig"]
    gitops: GitOpsConfig
    defaults: dict[str, Any] = Field(default_factory=dict)
    """A partial ClusterSpec deep-merged under every spec (the spec wins)."""
    output_dir: str = Field(default="fleet", pattern=r"^[A-Za-z0-9_.-]+$")
    """Rendered output directory, relative to the repository root."""

    @property
    def git_output_dir(self) -> str:
        """The output directory relative to the git repository's top level (`gitops.path` / `outputDir`),
        as the GitOps agent finds it."""
        return f"{self.gitops.path}/{self.output_dir}" if self.gitops.path else self.output_dir
