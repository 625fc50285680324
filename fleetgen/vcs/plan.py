"""Plans: what a change of the fleet does to the management cluster, object by object.

Owns: the plan's data (`Plan`, `ClusterPlan`, `ObjectChange`, ...), matching two object sets
by identity (API group, kind, namespace, name), and classifying every difference into
`create`, `delete`, `scale`, `in-place`, `rollout` or `forbidden`, grouped per cluster, with one
human-level line per change ("rollout kv-demo/md-0: 3 machines replaced (machine template a → b)").
Must not read the repository, print or write files: `fleetgen.vcs.plan_build` reads both sides
(the base revision at a git ref, as the GitOps agent applies it today, and the working tree
rendered now) and calls `diff_objects` and `group_changes`.

Classification rules (per object; a changed field is a JSON merge-patch path, lists are leaves):

    create      the object is only in the working tree
    delete      the object is only in the base (a deleted Cluster is flagged loudly)
    forbidden   an update the API server's webhooks reject:
                  infrastructure *MachineTemplate: any change under `spec` (same name);
                  ClusterResourceSet: `spec.strategy` or `spec.clusterSelector`;
                  MachineDeployment / MachineHealthCheck: `spec.clusterName`;
                  KubeadmControlPlane: a path outside the webhook's allow-list, or
                  `spec.version` raised by two or more minors;
                  plus any object an error of a transition policy rule names
                  (`immutable-template`, `crs-immutable`, `k8s-upgrade-skip`,
                  `kcp-immutable-fields`, `cluster-immutable`, `ip-pool-shrink`; e.g. a KCP
                  downgrade), a moved control-plane endpoint (`control-plane-endpoint-change`)
                  and a changed hypervisor (`infrastructure-provider-change`): both accepted,
                  but the cluster loses its API server.
    rollout     MachineDeployment: a change under `spec.template.spec` other than the in-place
                  fields, or `spec.rollout.after`; KubeadmControlPlane: `spec.version`,
                  `spec.machineTemplate.spec.infrastructureRef`, `spec.kubeadmConfigSpec`,
                  `spec.rollout.after` or another `spec.machineTemplate.spec` field.
                  Machines replaced = the base object's `spec.replicas`.
    scale       MachineDeployment / KubeadmControlPlane: only `spec.replicas` changed
    in-place    everything else (metadata, template metadata, deletion timeouts, MHC, CRS
                  resources, ConfigMaps, Cluster, infrastructure cluster, GitOps objects,
                  KubeadmConfigTemplate spec, which the webhook allows but existing machines
                  do not pick up)

A cluster's action is the strongest of its objects': forbidden > delete (its Cluster object, or
its infrastructure cluster replaced by one of another kind: "replace the infrastructure of X") >
create (its Cluster object) > rollout > scale (including an added or removed pool) > in-place.

Source:
    kubernetes-sigs/cluster-api v1.12.11 `docs/book/src/developer/core/controllers/machine-deployment.md`
    ("In-place propagation"), `docs/book/src/tasks/control-plane/kubeadm-control-plane.md`,
    `internal/webhooks/clusterresourceset.go`, `internal/webhooks/machinedeployment.go`,
    `internal/webhooks/machinehealthcheck.go`, `controlplane/kubeadm/internal/webhooks/kubeadmcontrolplane.go`
    (allow-list and `validateVersion`); kubernetes-sigs/cluster-api-provider-kubevirt v0.11.2
    `pkg/webhookhandler/validator.go`; ionos-cloud/cluster-api-provider-proxmox v0.9.0
    `internal/webhook/proxmoxmachinetemplate_webhook.go` (FIELD.md §1.2-1.4, §1.6, §2.1).

Example:
    >>> from fleetgen.vcs.plan_build import build_plan
    >>> plan = build_plan(Path("."), base_ref="origin/main")     # doctest: +SKIP
    >>> plan.summary_line()                                        # doctest: +SKIP
    '2 clusters changed: 1 scale, 1 rollout'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fleetgen.findings import CheckResult, Finding, Severity

if TYPE_CHECKING:
    from fleetgen.pipeline import PipelineOutcome

CREATE = "create"
DELETE = "delete"
SCALE = "scale"
IN_PLACE = "in-place"
ROLLOUT = "rollout"
FORBIDDEN = "forbidden"

#: Every action, in the order summaries list them.
ACTIONS: tuple[str, ...] = (CREATE, DELETE, SCALE, ROLLOUT, IN_PLACE, FORBIDDEN)

#: Strength of an action when one is picked for a whole cluster.
_CLUSTER_RANK = {FORBIDDEN: 6, DELETE: 5, CREATE: 4, ROLLOUT: 3, SCALE: 2, IN_PLACE: 1}

#: Policy rules whose errors mean "the API server would reject this update" (or, for
#: `control-plane-endpoint-change` and `infrastructure-provider-change`, accept it and lose the
#: cluster's API server).
TRANSITION_RULES = frozenset({"immutable-template", "crs-immutable", "k8s-upgrade-skip", "kcp-immutable-fields",
                              "cluster-immutable", "ip-pool-shrink", "control-plane-endpoint-change",
                              "infrastructure-provider-change"})

FLEET_WIDE = ""
"""Cluster name of objects that belong to no single cluster (addons, namespaces, GitOps objects)."""

CAPI_GROUP = "cluster.x-k8s.io"
"""API group of the CAPI core objects (Cluster, MachineDeployment, ...)."""
_CONTROL_PLANE = "controlplane.cluster.x-k8s.io"
_BOOTSTRAP = "bootstrap.cluster.x-k8s.io"
_INFRA = "infrastructure.cluster.x-k8s.io"
_ADDONS = "addons.cluster.x-k8s.io"
CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"
"""The label CAPI puts on every object of a cluster."""
_AUTOSCALER_MIN = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"
_AUTOSCALER_MAX = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"

Path_ = tuple[str, ...]

#: MachineDeployment fields that propagate to existing machines without replacing them (v1beta2).
_MD_IN_PLACE: tuple[Path_, ...] = (
    ("metadata",),
    ("spec", "template", "metadata"),
    ("spec", "template", "spec", "minReadySeconds"),
    ("spec", "template", "spec", "deletion"),
    ("spec", "deletion"),
    ("spec", "remediation"),
    ("spec", "machineNaming"),
    ("spec", "rollout", "strategy"),
)
_MD_ROLLOUT: tuple[Path_, ...] = (("spec", "template", "spec"), ("spec", "rollout", "after"))

#: KubeadmControlPlane fields that change nothing on existing machines.
_KCP_IN_PLACE: tuple[Path_, ...] = (
    ("metadata",),
    ("spec", "machineTemplate", "metadata"),
    ("spec", "machineTemplate", "spec", "deletion"),
    ("spec", "remediation"),
    ("spec", "machineNaming"),
    ("spec", "rollout", "strategy"),
    ("spec", "rollout", "before"),
)
_KCP_ROLLOUT: tuple[Path_, ...] = (
    ("spec", "version"),
    ("spec", "machineTemplate", "spec"),
    ("spec", "kubeadmConfigSpec"),
    ("spec", "rollout", "after"),
)

_KCS = ("spec", "kubeadmConfigSpec")
#: The KubeadmControlPlane update webhook's allow-list; any other changed path is rejected with
#: "cannot be modified" (controlplane/kubeadm/internal/webhooks/kubeadmcontrolplane.go, FIELD.md §2.1.6).
_KCP_MUTABLE: tuple[Path_, ...] = (
    ("metadata",),
    ("spec", "replicas"), ("spec", "version"), ("spec", "remediation"), ("spec", "machineNaming"),
    ("spec", "rollout"), ("spec", "machineTemplate"),
    *((*_KCS, "clusterConfiguration", k) for k in (
        "etcd", "dns", "imageRepository", "featureGates", "apiServer", "controllerManager", "scheduler",
        "certificateValidityPeriodDays", "encryptionAlgorithm")),
    *((*_KCS, "initConfiguration", k) for k in (
        "nodeRegistration", "patches", "skipPhases", "bootstrapTokens", "localAPIEndpoint", "timeouts")),
    *((*_KCS, "joinConfiguration", k) for k in (
        "nodeRegistration", "patches", "skipPhases", "caCertPath", "controlPlane", "discovery", "timeouts")),
    *((*_KCS, k) for k in (
        "bootCommands", "preKubeadmCommands", "postKubeadmCommands", "files", "verbosity", "users", "ntp",
        "ignition", "diskSetup", "format", "mounts")),
)

#: Upstream rejection messages of infrastructure machine template updates.
_TEMPLATE_IMMUTABLE = {
    "KubevirtMachineTemplate": ('CAPK rejects it ("KubevirtMachineTemplateSpec is immutable", '
                                "cluster-api-provider-kubevirt v0.11.2 pkg/webhookhandler/validator.go)"),
    "ProxmoxMachineTemplate": ('CAPMOX rejects it ("ProxmoxMachineTemplate is immutable", '
                               "cluster-api-provider-proxmox v0.9.0 internal/webhook/proxmoxmachinetemplate_webhook.go)"),
}


# --------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class PlanObject:
    """One object of either side, reduced to what matching and classification need.

    Attributes:
        manifest: the object as plain JSON-compatible data.
        cluster: the cluster it belongs to, or FLEET_WIDE.
        file: the output file holding it, relative to the repository root (`fleet/...`).
    """

    manifest: dict[str, Any]
    cluster: str
    file: str

    @property
    def api_version(self) -> str:
        """apiVersion."""
        return str(self.manifest.get("apiVersion", ""))

    @property
    def group(self) -> str:
        """API group ("" for the core group)."""
        return self.api_version.split("/", 1)[0] if "/" in self.api_version else ""

    @property
    def kind(self) -> str:
        """kind."""
        return str(self.manifest.get("kind", ""))

    @property
    def name(self) -> str:
        """metadata.name."""
        return str(get_in(self.manifest, ("metadata", "name")) or "")

    @property
    def namespace(self) -> str:
        """metadata.namespace ("" when cluster-scoped)."""
        return str(get_in(self.manifest, ("metadata", "namespace")) or "")

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Identity used to match base and head: (group, kind, namespace, name)."""
        return (self.group, self.kind, self.namespace, self.name)


@dataclass(frozen=True)
class FieldChange:
    """One changed field of an object (a JSON merge-patch path; lists are compared whole).

    Attributes:
        path: keys from the object root, e.g. `("spec", "replicas")`.
        old: the base value (None when the field is added).
        new: the working-tree value (None when the field is removed).
    """

    path: Path_
    old: Any
    new: Any

    @property
    def dotted(self) -> str:
        """`spec.template.spec.infrastructureRef.name`."""
        return ".".join(self.path)


@dataclass(frozen=True)
class ObjectChange:
    """What happens to one object.

    Attributes:
        action: one of ACTIONS.
        api_version, kind, namespace, name: identity (the working tree's apiVersion if both exist).
        cluster: owning cluster, or FLEET_WIDE.
        file: output file, relative to the repository root.
        fields: changed fields (empty for create and delete), sorted by path.
        message: why this action, for people ("machine template a → b", the webhook's message).
        machines: machines replaced (rollout), added or removed (pool create/delete), else None.
    """

    action: str
    api_version: str
    kind: str
    namespace: str
    name: str
    cluster: str
    file: str
    fields: tuple[FieldChange, ...] = ()
    message: str = ""
    machines: int | None = None


@dataclass(frozen=True)
class Change:
    """A change at the level people review: one line of the plan and of the commit message.

    Attributes:
        action: one of ACTIONS.
        target: `cluster/pool`, `cluster/control-plane`, `cluster` or `fleet-wide`.
        text: the plan line, e.g. `scale kv-demo/md-0 3 → 4`.
        subject: the commit-message form, e.g. `scale kv-demo/md-0 3→4`.
        machines: machines replaced, added or deleted, when known.
    """

    action: str
    target: str
    text: str
    subject: str
    machines: int | None = None


@dataclass(frozen=True)
class ClusterPlan:
    """Every change of one cluster (or of the fleet-wide objects when `name` is FLEET_WIDE).

    Attributes:
        name: cluster name, or FLEET_WIDE.
        namespace: its management-cluster namespace ("" for fleet-wide).
        action: the strongest action of its objects (see the module docstring).
        changes: human-level changes, in a stable order.
        objects: per-object changes, sorted by (kind, namespace, name).
    """

    name: str
    namespace: str
    action: str
    changes: tuple[Change, ...]
    objects: tuple[ObjectChange, ...]


@dataclass
class Plan:
    """A classified diff of the fleet between a git ref and the working tree.

    Attributes:
        base_ref: the ref as given (`HEAD`, `origin/main`).
        base_commit: its commit sha, or None (a repository without commits).
        base_source: "committed" (the ref's output directory), "rendered" (the ref's specs,
            rendered now) or "empty" (the ref holds no fleet).
        clusters: one ClusterPlan per changed cluster, sorted by (namespace, name).
        fleet_wide: changes of objects that belong to no cluster, or None.
        result: findings of the working tree (load, render, schema, policy with the base ref).
        valid: False when the working tree's specs do not load (nothing was rendered).
        notes: remarks for the reader (a stale working-tree output directory, an invalid base).
        outcome: the working tree's pipeline outcome (for callers such as `commit`).
    """

    base_ref: str
    base_commit: str | None
    base_source: str
    clusters: tuple[ClusterPlan, ...] = ()
    fleet_wide: ClusterPlan | None = None
    result: CheckResult = field(default_factory=CheckResult)
    valid: bool = True
    notes: tuple[str, ...] = ()
    outcome: PipelineOutcome | None = field(default=None, repr=False, compare=False)

    @property
    def groups(self) -> tuple[ClusterPlan, ...]:
        """Changed clusters, then the fleet-wide group if any."""
        return self.clusters + ((self.fleet_wide,) if self.fleet_wide else ())

    @property
    def has_changes(self) -> bool:
        """True if any object changes."""
        return bool(self.groups)

    @property
    def forbidden(self) -> list[ObjectChange]:
        """Object changes the API server would reject."""
        return [o for g in self.groups for o in g.objects if o.action == FORBIDDEN]

    @property
    def deleted_clusters(self) -> list[str]:
        """Names of clusters whose CAPI Cluster object is deleted, sorted."""
        return sorted(c.name for c in self.clusters
                      if any(o.kind == "Cluster" and o.api_version.startswith(CAPI_GROUP + "/") and o.action == DELETE
                             for o in c.objects))

    @property
    def failed(self) -> bool:
        """True if the plan must fail (exit 1): something forbidden, or working-tree errors."""
        return bool(self.forbidden) or not self.valid or self.result.has_errors

    def counts(self) -> dict[str, int]:
        """Changed clusters per action (each cluster counted once, under its own action)."""
        out = dict.fromkeys(ACTIONS, 0)
        for c in self.clusters:
            out[c.action] += 1
        return out

    def object_counts(self) -> dict[str, int]:
        """Changed objects per action, fleet-wide objects included."""
        out = dict.fromkeys(ACTIONS, 0)
        for g in self.groups:
            for o in g.objects:
                out[o.action] += 1
        return out

    def summary_line(self) -> str:
        """`2 clusters changed: 1 scale, 1 rollout`, plus `; fleet-wide: N objects changed[, K forbidden]`
        when objects outside clusters change, or `no changes`."""
        parts = []
        if self.clusters:
            n = len(self.clusters)
            detail = ", ".join(f"{v} {k}" for k, v in self.counts().items() if v)
            parts.append(f"{n} cluster{'s' if n != 1 else ''} changed: {detail}")
        if self.fleet_wide:
            m = len(self.fleet_wide.objects)
            k = sum(1 for o in self.fleet_wide.objects if o.action == FORBIDDEN)
            parts.append(f"fleet-wide: {m} object{'s' if m != 1 else ''} changed" + (f", {k} forbidden" if k else ""))
        return "; ".join(parts) if parts else "no changes"

    def changes(self) -> list[Change]:
        """Every human-level change, cluster by cluster, fleet-wide last."""
        return [ch for g in self.groups for ch in g.changes]


# --------------------------------------------------------------------------------------------
# Helpers


def get_in(data: Any, path: Sequence[str], default: Any = None) -> Any:
    """The value at `path` (keys) in nested mappings, or `default` when a key is missing."""
    node = data
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return default
        node = node[key]
    return node


def plain(value: Any) -> Any:
    """JSON-normalised copy (tuples -> lists), so both sides compare by value."""
    return json.loads(json.dumps(value))


def _under(path: Path_, prefixes: Iterable[Path_]) -> bool:
    return any(path[:len(p)] == p for p in prefixes)


def field_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """The changed fields between two versions of an object, as the KCP webhook computes them.

    Args:
        old: the base object (plain data).
        new: the working-tree object (plain data).

    Returns:
        FieldChanges sorted by path; `status` and `apiVersion`/`kind` are not compared.
    """
    from fleetgen.policy.objects import merge_patch_paths

    skip = {"status", "apiVersion", "kind"}
    a = {k: v for k, v in old.items() if k not in skip}
    b = {k: v for k, v in new.items() if k not in skip}
    return tuple(FieldChange(p, get_in(old, p), get_in(new, p)) for p in merge_patch_paths(a, b))


def _kube_minor(text: Any) -> tuple[int, int] | None:
    from fleetgen.policy.kversion import parse_kube_version

    parsed = parse_kube_version(text)
    return parsed.minor_key if parsed else None


def _pool_of(cluster: str, md_name: str) -> str:
    prefix = f"{cluster}-"
    return md_name[len(prefix):] if cluster and md_name.startswith(prefix) else md_name


def _replicas_text(manifest: Mapping[str, Any]) -> tuple[int | None, str]:
    """(replicas, how to say it); autoscaled MachineDeployments have no spec.replicas."""
    replicas = get_in(manifest, ("spec", "replicas"))
    if isinstance(replicas, int) and not isinstance(replicas, bool):
        return replicas, f"{replicas} machine{'s' if replicas != 1 else ''}"
    ann = get_in(manifest, ("metadata", "annotations")) or {}
    lo, hi = ann.get(_AUTOSCALER_MIN), ann.get(_AUTOSCALER_MAX)
    if lo is not None and hi is not None:
        return None, f"all machines (autoscaled {lo}..{hi})"
    return 1, "1 machine"  # CAPI defaults an unset replicas to 1


# --------------------------------------------------------------------------------------------
# Classification of one changed object


@dataclass(frozen=True)
class _Verdict:
    action: str
    message: str = ""
    machines: int | None = None


def _template_verdict(old: PlanObject, fields: Sequence[FieldChange]) -> _Verdict:
    """Infrastructure machine templates: any spec change under the same name is rejected."""
    spec = [f for f in fields if f.path[:1] == ("spec",)]
    if not spec:
        return _Verdict(IN_PLACE, "metadata only")
    why = _TEMPLATE_IMMUTABLE.get(old.kind, f"the provider rejects it ({old.kind} spec is immutable)")
    return _Verdict(FORBIDDEN, f"{old.kind} {old.name}: {spec[0].dotted} changed under the same name; {why}; "
                               "a changed template needs a new name (re-render with fleetgen; never edit fleet/ by hand)")


def _crs_verdict(old: PlanObject, fields: Sequence[FieldChange]) -> _Verdict:
    """ClusterResourceSet strategy and selector are immutable (core/webhooks/admission/clusterresourceset.go)."""
    bad = [f for f in fields if _under(f.path, (("spec", "strategy"), ("spec", "clusterSelector")))]
    if bad:
        return _Verdict(FORBIDDEN, f"ClusterResourceSet {old.name}: {bad[0].dotted}: field is immutable (CAPI webhook); "
                                   "delete the ClusterResourceSet and create it under a new name")
    return _Verdict(IN_PLACE)


def _cluster_name_verdict(old: PlanObject, fields: Sequence[FieldChange]) -> _Verdict | None:
    """spec.clusterName of MachineDeployment and MachineHealthCheck is immutable (CAPI webhooks)."""
    if any(f.path == ("spec", "clusterName") for f in fields):
        return _Verdict(FORBIDDEN, f"{old.kind} {old.name}: spec.clusterName: field is immutable (CAPI webhook)")
    return None


def _rollout_reasons(fields: Sequence[FieldChange], *, control_plane: bool) -> list[tuple[str, str]]:
    """(long, short) reasons of a rollout, e.g. ("machine template a → b", "machine template").

    Args:
        fields: the rollout-causing fields of a MachineDeployment or KubeadmControlPlane.
        control_plane: True for a KubeadmControlPlane.
    """
    reasons: dict[str, str] = {}
    if control_plane:
        infra: Path_ = ("spec", "machineTemplate", "spec", "infrastructureRef")
        version: Path_ = ("spec", "version")
        boot: Path_ | None = None
        kubeadm: Path_ | None = ("spec", "kubeadmConfigSpec")
    else:
        infra = ("spec", "template", "spec", "infrastructureRef")
        version = ("spec", "template", "spec", "version")
        boot = ("spec", "template", "spec", "bootstrap", "configRef")
        kubeadm = None
    for f in fields:
        if f.path[:len(infra)] == infra:
            short, long = "machine template", f"machine template {_ref_name(f, infra, f.old)} → {_ref_name(f, infra, f.new)}"
        elif boot is not None and f.path[:len(boot)] == boot:
            short, long = "bootstrap template", f"bootstrap template {_ref_name(f, boot, f.old)} → {_ref_name(f, boot, f.new)}"
        elif f.path == version:
            short, long = "kubernetes version", f"kubernetes version {f.old} → {f.new}"
            if not control_plane and _minor_changes(f.old, f.new):
                long += (", after the control plane: the MachineSet preflight checks hold new worker machines "
                         "until it runs the new minor")
        elif kubeadm is not None and f.path[:len(kubeadm)] == kubeadm:
            short, long = "kubeadm config", f"kubeadm config {f.dotted}"
        else:
            short, long = f.dotted, f.dotted
        if "(changed)" in reasons.get(short, "") and "(changed)" not in long:
            reasons[short] = long  # (the ref's kind changed first; its name says which template)
        else:
            reasons.setdefault(short, long)
    return [(long, short) for short, long in reasons.items()]


def _minor_changes(old: Any, new: Any) -> bool:
    """True when two Kubernetes versions differ in major or minor."""
    from fleetgen.policy.kversion import parse_kube_version

    a, b = parse_kube_version(old), parse_kube_version(new)
    return a is not None and b is not None and (a.major, a.minor) != (b.major, b.minor)


def _ref_name(f: FieldChange, ref: Path_, value: Any) -> str:
    """The referenced name on one side, whether the diff is on the whole ref or on its `name`."""
    rest = f.path[len(ref):]
    if rest == ("name",):
        return str(value)
    if not rest and isinstance(value, Mapping):
        return str(value.get("name"))
    return "(changed)"


def _is_rollout(path: Path_, control_plane: bool) -> bool:
    if control_plane:
        return not _under(path, _KCP_IN_PLACE) and _under(path, _KCP_ROLLOUT)
    return not _under(path, _MD_IN_PLACE) and _under(path, _MD_ROLLOUT)


def _scalable_verdict(old: PlanObject, new: PlanObject, fields: Sequence[FieldChange], *, control_plane: bool,
                      target: str) -> _Verdict:
    """MachineDeployment and KubeadmControlPlane: scale, rollout, in-place or forbidden."""
    if control_plane:
        bad = [f for f in fields if not _under(f.path, _KCP_MUTABLE)]
        if bad:
            return _Verdict(FORBIDDEN, f"KubeadmControlPlane {old.name}: {bad[0].dotted}: cannot be modified "
                                       "(KCP webhook allow-list)")
        old_v, new_v = get_in(old.manifest, ("spec", "version")), get_in(new.manifest, ("spec", "version"))
        a, b = _kube_minor(old_v), _kube_minor(new_v)
        if a and b and (b[0] > a[0] or b[1] >= a[1] + 2):
            # (worded as the k8s-upgrade-skip rule words it, which reports the same change at the spec)
            return _Verdict(FORBIDDEN, f"[k8s-upgrade-skip] spec.version of KubeadmControlPlane {old.namespace}/{old.name}: "
                                       f"cannot update Kubernetes version from {old_v} to {new_v}; upgrade one minor "
                                       f"version per change (v{a[0]}.{a[1] + 1}.x next)")
    else:
        immutable = _cluster_name_verdict(old, fields)
        if immutable:
            return immutable
    rollout = [f for f in fields if _is_rollout(f.path, control_plane)]
    scale = [f for f in fields if f.path == ("spec", "replicas")]
    if rollout:
        count, said = _replicas_text(old.manifest)
        reasons = _rollout_reasons(rollout, control_plane=control_plane)
        text = f"{said} replaced ({', '.join(r[0] for r in reasons)})"
        if scale:
            text += f"; then scaled {scale[0].old} → {scale[0].new}"
        return _Verdict(ROLLOUT, text, count)
    if scale:
        f = scale[0]
        return _Verdict(SCALE, f"{target} {_num(f.old)} → {_num(f.new)}")
    return _Verdict(IN_PLACE)


def _num(value: Any) -> str:
    return "unset" if value is None else str(value)


def classify(old: PlanObject, new: PlanObject, fields: Sequence[FieldChange]) -> _Verdict:
    """Classify one object present on both sides with at least one changed field.

    Args:
        old: the base object.
        new: the working-tree object.
        fields: `field_changes(old.manifest, new.manifest)`, non-empty.

    Returns:
        The action (scale, rollout, in-place or forbidden), a message and the machines replaced.
    """
    kind, group = new.kind, new.group
    if group == CAPI_GROUP and kind == "MachineDeployment":
        return _scalable_verdict(old, new, fields, control_plane=False, target=f"{new.cluster}/{_pool_of(new.cluster, new.name)}")
    if group == _CONTROL_PLANE and kind == "KubeadmControlPlane":
        return _scalable_verdict(old, new, fields, control_plane=True, target=f"{new.cluster}/control-plane")
    if group == _INFRA and kind.endswith("MachineTemplate"):
        return _template_verdict(old, fields)
    if group == _ADDONS and kind == "ClusterResourceSet":
        return _crs_verdict(old, fields)
    if group == CAPI_GROUP and kind == "MachineHealthCheck":
        return _cluster_name_verdict(old, fields) or _Verdict(IN_PLACE)
    if group == _BOOTSTRAP and kind == "KubeadmConfigTemplate" and any(f.path[:1] == ("spec",) for f in fields):
        return _Verdict(IN_PLACE, "spec changed under the same name: only machines created later use it "
                                  "(existing machines are not rolled out)")
    return _Verdict(IN_PLACE)


# --------------------------------------------------------------------------------------------
# Object sets


def _index(objects: Iterable[PlanObject]) -> dict[tuple[str, str, str, str], PlanObject]:
    out: dict[tuple[str, str, str, str], PlanObject] = {}
    for o in objects:
        out.setdefault(o.key, o)
    return out


def diff_objects(base: Sequence[PlanObject], head: Sequence[PlanObject],
                 findings: Iterable[Finding] = ()) -> list[ObjectChange]:
    """Classify every difference between two object sets.

    Args:
        base: objects of the base revision.
        head: objects of the working tree.
        findings: working-tree findings; error findings of TRANSITION_RULES that name an object
            make that object's change forbidden (the policy rule's message is kept).

    Returns:
        One ObjectChange per created, deleted or changed object (unchanged objects are left out),
        sorted by (cluster, kind, namespace, name).
    """
    old_index, new_index = _index(base), _index(head)
    rule_hits: dict[tuple[str, str, str], str] = {}
    for f in findings:
        if f.rule_id in TRANSITION_RULES and f.severity is Severity.ERROR and f.object is not None:
            for ref in (f.object, *f.also):  # (one finding for a default many clusters inherit: each object)
                rule_hits.setdefault((ref.kind, ref.namespace, ref.name), f"[{f.rule_id}] {f.message}")
    out: list[ObjectChange] = []
    for key in sorted(set(old_index) | set(new_index)):
        old, new = old_index.get(key), new_index.get(key)
        if old is None and new is not None:
            count = _replicas_text(new.manifest)[0] if new.kind == "MachineDeployment" else None
            out.append(ObjectChange(CREATE, new.api_version, new.kind, new.namespace, new.name, new.cluster, new.file,
                                    machines=count))
            continue
        if new is None and old is not None:
            count = _replicas_text(old.manifest)[0] if old.kind == "MachineDeployment" else None
            out.append(ObjectChange(DELETE, old.api_version, old.kind, old.namespace, old.name, old.cluster, old.file,
                                    machines=count))
            continue
        assert old is not None and new is not None
        fields = field_changes(old.manifest, new.manifest)
        hit = rule_hits.get((new.kind, new.namespace, new.name))
        if not fields and hit is None:
            continue
        if old.api_version != new.api_version:
            fields = (FieldChange(("apiVersion",), old.api_version, new.api_version), *fields)
        verdict = classify(old, new, fields) if fields else _Verdict(IN_PLACE)
        if hit is not None and verdict.action != FORBIDDEN:
            verdict = _Verdict(FORBIDDEN, hit)
        out.append(ObjectChange(verdict.action, new.api_version, new.kind, new.namespace, new.name,
                                new.cluster or old.cluster, new.file, fields, verdict.message, verdict.machines))
    out.sort(key=lambda o: (o.cluster, o.kind, o.namespace, o.name))
    return out


# --------------------------------------------------------------------------------------------
# Grouping into per-cluster plans


def _ref_names(objs: Iterable[ObjectChange], base: Mapping[tuple[str, str, str, str], PlanObject],
               head: Mapping[tuple[str, str, str, str], PlanObject]) -> set[str]:
    """Names of templates referenced before or after by rolled-out MachineDeployments/KCPs."""
    names: set[str] = set()
    for o in objs:
        if o.action not in (ROLLOUT, FORBIDDEN) or o.kind not in ("MachineDeployment", "KubeadmControlPlane"):
            continue
        for index in (base, head):
            obj = index.get((o.api_version.split("/", 1)[0], o.kind, o.namespace, o.name))
            if obj is None:
                continue
            for path in (("spec", "template", "spec", "infrastructureRef", "name"),
                         ("spec", "template", "spec", "bootstrap", "configRef", "name"),
                         ("spec", "machineTemplate", "spec", "infrastructureRef", "name")):
                value = get_in(obj.manifest, path)
                if isinstance(value, str):
                    names.add(value)
    return names


FLEET_GROUP = "fleet.cattle.io"


def keeps_removed_bundles(base: Iterable[PlanObject]) -> bool:
    """Whether the base revision's Fleet `GitRepo` sets `spec.keepResources: true`.

    Fleet copies a GitRepo's keepResources into every bundle it reads from the repository
    (`fleet apply --keep-resources`), and the agent deletes a removed bundle's Helm release
    without its resources (`helmdeployer.DeleteRelease` with `KeepResources`): the objects of a
    cluster whose files are removed stay on the management cluster, its Cluster included.

    Source: rancher/fleet v0.16.1 `internal/bundlereader` (`KeepResources` copied into the
    Bundle), `internal/helmdeployer/delete.go` (`deleteByRelease`); FIELD.md §4.5.
    """
    return any(o.kind == "GitRepo" and o.group == FLEET_GROUP and get_in(o.manifest, ("spec", "keepResources")) is True
               for o in base)


def delete_text(name: str, namespace: str, base: Iterable[PlanObject]) -> str:
    """The plan line of a deleted cluster: what the GitOps agent does with its removed files."""
    if keeps_removed_bundles(base):
        return (f"DELETE cluster {name} from git: Fleet keeps what a removed bundle deployed (GitRepo keepResources: "
                f"true), so the workload cluster keeps running; delete it with `kubectl delete cluster -n {namespace} "
                f"{name}` (CAPI then deletes its machines)")
    return f"DELETE cluster {name}: the GitOps agent will delete the workload cluster and its machines"


def _group_changes(name: str, objs: Sequence[ObjectChange], base_idx: Mapping[tuple[str, str, str, str], PlanObject],
                   head_idx: Mapping[tuple[str, str, str, str], PlanObject]) -> tuple[str, tuple[Change, ...]]:
    """(cluster action, human-level changes) of one cluster's object changes."""
    cluster_obj = next((o for o in objs if o.kind == "Cluster" and o.api_version.startswith(CAPI_GROUP + "/")), None)
    changes: list[Change] = []
    covered: set[int] = set()
    forbidden = [o for o in objs if o.action == FORBIDDEN]
    label = name or "fleet-wide"
    for o in forbidden:
        changes.append(Change(FORBIDDEN, label, f"FORBIDDEN {o.message}", f"forbidden change of {o.kind} {o.name}"))
        covered.add(id(o))
    if cluster_obj is not None and cluster_obj.action == CREATE:
        head_objs = [h for h in head_idx.values() if h.cluster == name and h.namespace == cluster_obj.namespace]
        cp = sum(_replicas_text(h.manifest)[0] or 0 for h in head_objs if h.kind == "KubeadmControlPlane")
        workers = sum(_replicas_text(h.manifest)[0] or 0 for h in head_objs if h.kind == "MachineDeployment")
        changes.append(Change(CREATE, name, f"create cluster {name} ({cp} control-plane machine{'s' if cp != 1 else ''}, "
                                            f"{workers} worker machine{'s' if workers != 1 else ''})",
                              f"create cluster {name}", cp + workers))
        covered.update(id(o) for o in objs if o.action == CREATE)
        return (FORBIDDEN if forbidden else CREATE), tuple(changes)
    if cluster_obj is not None and cluster_obj.action == DELETE:
        changes.append(Change(DELETE, name, delete_text(name, cluster_obj.namespace, base_idx.values()),
                              f"delete cluster {name}"))
        return (FORBIDDEN if forbidden else DELETE), tuple(changes)
    templates = _ref_names(objs, base_idx, head_idx)
    for o in objs:
        if id(o) in covered:
            continue
        if o.kind == "MachineDeployment" and o.api_version.startswith(CAPI_GROUP + "/"):
            pool = f"{name}/{_pool_of(name, o.name)}"
        elif o.kind == "KubeadmControlPlane":
            pool = f"{name}/control-plane"
        else:
            continue
        if o.action == SCALE:
            f = next(f for f in o.fields if f.path == ("spec", "replicas"))
            changes.append(Change(SCALE, pool, f"scale {pool} {_num(f.old)} → {_num(f.new)}",
                                  f"scale {pool} {_num(f.old)}→{_num(f.new)}"))
        elif o.action == ROLLOUT:
            shorts = ", ".join(r[1] for r in _rollout_reasons(
                [f for f in o.fields if _is_rollout(f.path, o.kind == "KubeadmControlPlane")],
                control_plane=o.kind == "KubeadmControlPlane"))
            changes.append(Change(ROLLOUT, pool, f"rollout {pool}: {o.message}", f"rollout {pool} ({shorts})", o.machines))
        elif o.action == CREATE:
            n = o.machines
            said = "autoscaled" if n is None else f"{n} machine{'s' if n != 1 else ''}"
            changes.append(Change(SCALE, pool, f"add pool {pool} ({said})", f"add pool {pool}", n))
        elif o.action == DELETE:
            n = o.machines
            said = "its machines" if n is None else f"{n} machine{'s' if n != 1 else ''}"
            changes.append(Change(SCALE, pool, f"remove pool {pool}: {said} deleted", f"remove pool {pool}", n))
        else:
            continue
        covered.add(id(o))
    rest = [o for o in objs if id(o) not in covered
            and not (o.action in (CREATE, DELETE) and o.name in templates)]
    swap = _infrastructure_swap(name, rest, cluster_obj)
    if swap is not None:
        old, new = swap
        changes.append(Change(DELETE, label, f"replace the infrastructure of {name}: {old.kind} {old.name} deleted, "
                                             f"{new.kind} {new.name} created", f"replace {old.kind} {old.name} with {new.kind}"))
        rest = [o for o in rest if o is not old and o is not new]
    if rest:
        sign = {CREATE: "+", DELETE: "-"}
        # fleet-wide objects come from every namespace (an addon's ConfigMap and ClusterResourceSet in
        # each namespace holding a matching cluster), so they are named `namespace/name`
        listing = ", ".join(f"{sign.get(o.action, '~')}{o.kind} "
                            f"{o.namespace + '/' if o.namespace and not name else ''}{o.name}" for o in rest)
        kinds = ", ".join(dict.fromkeys(o.kind for o in rest))
        what = f"{label} objects" if not name else label
        changes.append(Change(IN_PLACE, label, f"update {what}: {listing} (no machines replaced)",
                              f"update {what} ({kinds})"))
    action = IN_PLACE
    for ch in changes:
        if _CLUSTER_RANK[ch.action] > _CLUSTER_RANK[action]:
            action = ch.action
    return action, tuple(changes)


def _infrastructure_swap(name: str, objs: Sequence[ObjectChange],
                         cluster_obj: ObjectChange | None) -> tuple[ObjectChange, ObjectChange] | None:
    """(deleted, created) infrastructure cluster when the Cluster's `spec.infrastructureRef` now names
    another kind (a hypervisor switch, `infrastructure-provider-change`); None otherwise."""
    if cluster_obj is None or not any(f.path == ("spec", "infrastructureRef", "kind") for f in cluster_obj.fields):
        return None
    old = next((o for o in objs if o.action == DELETE and o.kind.endswith("Cluster") and o.name == name), None)
    new = next((o for o in objs if o.action == CREATE and o.kind.endswith("Cluster") and o.name == name), None)
    return (old, new) if old is not None and new is not None else None


def group_changes(changes: Sequence[ObjectChange], base: Sequence[PlanObject],
                  head: Sequence[PlanObject]) -> tuple[tuple[ClusterPlan, ...], ClusterPlan | None]:
    """Group object changes per cluster and derive each cluster's action and change lines.

    A cluster is a CAPI `Cluster` name in a namespace: a spec moved to another namespace is two
    clusters, the old one deleted (with its machines) and the new one created, as the management
    cluster sees it. A changed object of the cluster outside the namespaces of its `Cluster`
    objects (e.g. the GitOps agent's, in its own namespace) goes with the working tree's one.

    Args:
        changes: `diff_objects(base, head)`.
        base: the base objects (for template references and namespaces).
        head: the working-tree objects.

    Returns:
        (cluster plans sorted by (namespace, name), the fleet-wide plan or None).
    """
    base_idx, head_idx = _index(base), _index(head)
    namespaces: dict[str, list[str]] = {}  # cluster name -> namespaces of its Cluster objects, head first
    for obj in (*head_idx.values(), *base_idx.values()):
        if obj.kind == "Cluster" and obj.group == CAPI_GROUP and obj.cluster != FLEET_WIDE:
            seen = namespaces.setdefault(obj.cluster, [])
            if obj.namespace not in seen:
                seen.append(obj.namespace)
    by_cluster: dict[tuple[str, str], list[ObjectChange]] = {}
    for o in changes:
        if o.cluster == FLEET_WIDE:
            key = (FLEET_WIDE, "")
        else:
            known = namespaces.get(o.cluster, ())
            key = (o.cluster, o.namespace if o.namespace in known or not known else known[0])
        by_cluster.setdefault(key, []).append(o)
    plans: list[ClusterPlan] = []
    fleet_wide: ClusterPlan | None = None
    for (name, namespace), objs in by_cluster.items():
        objs.sort(key=lambda o: (o.kind, o.namespace, o.name))
        action, lines = _group_changes(name, objs, base_idx, head_idx)
        if name == FLEET_WIDE:
            fleet_wide = ClusterPlan(FLEET_WIDE, "", action, lines, tuple(objs))
            continue
        plans.append(ClusterPlan(name, namespace, action, lines, tuple(objs)))
    plans.sort(key=lambda p: (p.namespace, p.name))
    return tuple(plans), fleet_wide
