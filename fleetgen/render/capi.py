"""Provider-neutral Cluster API objects of one cluster, and the contract providers fill in.

Owns: the CAPI v1beta2 objects every hypervisor shares — Cluster, KubeadmControlPlane,
MachineDeployment, KubeadmConfigTemplate and MachineHealthCheck — and `ProviderRenderer`, the
interface a hypervisor module (`fleetgen.render.kubevirt`, `fleetgen.render.proxmox`) implements
to supply its infrastructure objects and its kubeadm additions. Also owns the shared helpers
(`MachineRole`, `OriginMap`, `object_meta`, `ref_to`, `render_machine_template`). Must not know
any provider's object shapes, add GitOps-agent markers (`fleetgen.render.gitops` does), do I/O,
read the clock or iterate sets: the same spec always gives the same dicts, keys in output order
(apiVersion, kind, metadata, spec).

Every object carries the label `cluster.x-k8s.io/cluster-name`; every `RenderedObject.origin` maps
rendered JSON pointers back to the ClusterSpec field that produced them (see `OriginMap`).

Example:
    >>> from fleetgen.render.cluster import render_cluster      # doctest: +SKIP
    >>> [o.manifest["kind"] for o in render_cluster(loaded)]   # doctest: +SKIP
    ['Cluster', 'KubevirtCluster', 'KubeadmControlPlane', 'KubevirtMachineTemplate',
     'MachineDeployment', 'KubevirtMachineTemplate', 'KubeadmConfigTemplate']

Source:
    kubernetes-sigs/cluster-api v1.12.11 CRDs (`config/crd/bases/cluster.x-k8s.io_*.yaml`,
    `bootstrap/kubeadm/...kubeadmconfigtemplates.yaml`, `controlplane/kubeadm/...kubeadmcontrolplanes.yaml`,
    served version v1beta2) and the v1beta1 -> v1beta2 changes in
    `docs/book/src/developer/providers/migrations/v1.10-to-v1.11.md` (FIELD.md §1.11).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from fleetgen.errors import RenderError
from fleetgen.node_labels import is_machine_synced_label
from fleetgen.render import naming
from fleetgen.render.base import RenderedObject
from fleetgen.sourcemap import escape_token, join_pointer
from fleetgen.spec import models
from fleetgen.spec.load import LoadedCluster

CLUSTER_API_VERSION = "cluster.x-k8s.io/v1beta2"
BOOTSTRAP_API_VERSION = "bootstrap.cluster.x-k8s.io/v1beta2"
CONTROL_PLANE_API_VERSION = "controlplane.cluster.x-k8s.io/v1beta2"
INFRASTRUCTURE_GROUP = "infrastructure.cluster.x-k8s.io"

#: Label CAPI puts on (and selects) everything that belongs to a cluster.
CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"
#: Label CAPI puts on the Machines of a MachineDeployment (its default selector).
DEPLOYMENT_NAME_LABEL = "cluster.x-k8s.io/deployment-name"
#: cluster-autoscaler (clusterapi provider) node-group bounds, read from the MachineDeployment.
AUTOSCALER_MIN_ANNOTATION = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"
AUTOSCALER_MAX_ANNOTATION = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"
#: containerd, the runtime of the CAPK container disks and of image-builder templates
#: (CAPK's `CRI_PATH`, FIELD.md §5.2).
CRI_SOCKET = "unix:///var/run/containerd/containerd.sock"

#: MachineHealthCheck conditions: a Node not Ready for 5 minutes is unhealthy (CAPI book and the
#: CAPMOX `cluster-template-calico.yaml` worker MHC).
_MHC_UNHEALTHY_TIMEOUT_S = 300
#: Remediate only while at most this share of the pool is unhealthy (CAPMOX worker MHC, CAPI book):
#: a hypervisor outage must not delete a whole pool.
_MHC_UNHEALTHY_LESS_THAN_OR_EQUAL_TO = "40%"


@dataclass(frozen=True)
class MachineRole:
    """One set of machines built from one template: the control plane or one worker pool.

    Attributes:
        stem: `"control-plane"` or the pool name; the middle part of derived names.
        pointer: JSON pointer of the role in the ClusterSpec (`/spec/controlPlane`, `/spec/workers/0`).
        machine: the machine size.
        pool: the worker pool, or None for the control plane.
    """

    stem: str
    pointer: str
    machine: models.Machine
    pool: models.WorkerPool | None = None

    @property
    def is_control_plane(self) -> bool:
        """True for the control plane."""
        return self.pool is None

    @property
    def machine_pointer(self) -> str:
        """JSON pointer of `machine` in the ClusterSpec."""
        return f"{self.pointer}/machine"

    @classmethod
    def control_plane(cls, spec: models.ClusterSpecBody) -> MachineRole:
        """The control-plane role of a spec."""
        return cls(naming.CONTROL_PLANE_STEM, "/spec/controlPlane", spec.control_plane.machine)

    @classmethod
    def worker(cls, spec: models.ClusterSpecBody, index: int) -> MachineRole:
        """The role of `spec.workers[index]`."""
        pool = spec.workers[index]
        return cls(pool.name, f"/spec/workers/{index}", pool.machine, pool)


class OriginMap:
    """Builds `RenderedObject.origin`: rendered JSON pointer -> ClusterSpec JSON pointer.

    The longest matching prefix wins (`RenderedObject.spec_pointer`), so a few entries cover an
    object: `""` maps the whole object to its default spec field; deeper entries refine it.

    Args:
        default: the spec pointer of the whole object (the `""` entry).
    """

    def __init__(self, default: str) -> None:
        self._map: dict[str, str] = {"": default}

    def add(self, rendered: str | Iterable[str | int], spec_pointer: str) -> None:
        """Map a rendered field (a pointer, or path parts that get escaped) to a spec pointer."""
        key = rendered if isinstance(rendered, str) else join_pointer(rendered)
        self._map[key] = spec_pointer

    def add_all(self, prefix: str, relative: Mapping[str, str]) -> None:
        """Add entries given relative to `prefix` (`""` maps `prefix` itself)."""
        for rel, spec_pointer in relative.items():
            self._map[prefix + rel] = spec_pointer

    def as_dict(self) -> dict[str, str]:
        """The finished map, sorted by rendered pointer (deterministic)."""
        return dict(sorted(self._map.items()))


@dataclass(frozen=True)
class KubeletArg:
    """One kubelet flag for `nodeRegistration.kubeletExtraArgs` (v1beta2: a `{name, value}` list).

    Attributes:
        name: flag name without dashes, e.g. `provider-id`.
        value: flag value.
        origin: spec pointer that produced it.
    """

    name: str
    value: str
    origin: str


class ProviderRenderer(ABC):
    """What a hypervisor adds to the provider-neutral CAPI objects.

    Subclasses are stateless; `fleetgen.render.cluster.RENDERER_BY_HYPERVISOR` holds one instance
    per `spec.hypervisor` value.

    Attributes:
        hypervisor: the `spec.hypervisor` value this renderer handles.
        infra_api_version: apiVersion of the provider's objects.
        infra_cluster_kind: kind of the infrastructure cluster object.
        machine_template_kind: kind of the infrastructure machine template.
        default_pod_cidrs: `Cluster.spec.clusterNetwork.pods.cidrBlocks` when the spec sets none.
        default_service_cidrs: `...services.cidrBlocks` when the spec sets none.
        node_startup_timeout_s: MachineHealthCheck `checks.nodeStartupTimeoutSeconds`.
    """

    hypervisor: ClassVar[str]
    infra_api_version: ClassVar[str]
    infra_cluster_kind: ClassVar[str]
    machine_template_kind: ClassVar[str]
    default_pod_cidrs: ClassVar[tuple[str, ...]]
    default_service_cidrs: ClassVar[tuple[str, ...]]
    node_startup_timeout_s: ClassVar[int] = 600

    def provider_block(self, cluster: LoadedCluster) -> Any:
        """The `spec.<hypervisor>` block of the spec.

        Raises:
            RenderError: if the block is missing (the spec model normally rejects that).
        """
        block = getattr(cluster.spec.spec, self.hypervisor, None)
        if block is None:
            raise RenderError(f"{cluster.path}: spec.{self.hypervisor} is required when hypervisor is {self.hypervisor!r}")
        return block

    def default_service_domain(self, cluster: LoadedCluster) -> str | None:
        """`Cluster.spec.clusterNetwork.serviceDomain` when the spec sets none (None: kubeadm's `cluster.local`)."""
        return None

    @abstractmethod
    def render_infra_cluster(self, cluster: LoadedCluster) -> RenderedObject:
        """The infrastructure cluster object (`Cluster.spec.infrastructureRef` points at it)."""

    @abstractmethod
    def render_machine_template(self, cluster: LoadedCluster, role: MachineRole) -> RenderedObject:
        """The content-hash named infrastructure machine template of one role."""

    def kubelet_args(self, cluster: LoadedCluster, role: MachineRole) -> list[KubeletArg]:
        """Provider kubelet flags for every node of `role` (e.g. CAPMOX's `provider-id`)."""
        return []

    def control_plane_files(self, cluster: LoadedCluster) -> list[tuple[dict[str, Any], str]]:
        """`kubeadmConfigSpec.files` of the control plane, each with the spec pointer it comes from."""
        return []

    def control_plane_pre_kubeadm_commands(self, cluster: LoadedCluster) -> list[str]:
        """`kubeadmConfigSpec.preKubeadmCommands` of the control plane."""
        return []

    def api_server_bind_port(self, cluster: LoadedCluster) -> tuple[int, str] | None:
        """The API server port when it is not kubeadm's 6443, with its spec pointer; else None."""
        return None


# --------------------------------------------------------------------------------------------
# shared helpers


def object_meta(name: str, namespace: str, cluster_name: str, *, labels: Mapping[str, str] | None = None,
                annotations: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`metadata` of a rendered object: name, namespace, labels, annotations (only when non-empty).

    Args:
        name: object name.
        namespace: management-cluster namespace.
        cluster_name: value of the `cluster.x-k8s.io/cluster-name` label every object carries.
        labels: further labels; merged over the cluster-name label, then sorted by key.
        annotations: annotations, sorted by key; omitted when empty.

    Returns:
        The metadata dict, keys in the order name, namespace, labels, annotations.
    """
    merged = {CLUSTER_NAME_LABEL: cluster_name, **(labels or {})}
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": dict(sorted(merged.items()))}
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    return meta


def api_group(api_version: str) -> str:
    """The group of an apiVersion (`cluster.x-k8s.io/v1beta2` -> `cluster.x-k8s.io`)."""
    return api_version.rpartition("/")[0]


def ref_to(obj: RenderedObject) -> dict[str, str]:
    """A v1beta2 `ContractVersionedObjectReference` to a rendered object: apiGroup, kind, name.

    v1beta2 references carry no apiVersion (the contract picks the version) and no namespace (always
    the referrer's), so controllers never rewrite them (FIELD.md §1.11, §1.12).
    """
    m = obj.manifest
    return {"apiGroup": api_group(m["apiVersion"]), "kind": m["kind"], "name": m["metadata"]["name"]}


def render_template_object(cluster: LoadedCluster, role: MachineRole, *, api_version: str, kind: str,
                           template_spec: dict[str, Any], origin: Mapping[str, str],
                           annotations: Mapping[str, str] | None = None,
                           name_origin: str | None = None) -> RenderedObject:
    """Wrap `spec.template.spec` into a content-hash named template object.

    Shared by the infrastructure machine templates (providers) and KubeadmConfigTemplate.

    Args:
        cluster: the loaded spec.
        role: the control plane or a worker pool; gives the name stem and the default origin.
        api_version: apiVersion of the template kind.
        kind: e.g. `KubevirtMachineTemplate`, `ProxmoxMachineTemplate`, `KubeadmConfigTemplate`.
        template_spec: the `spec.template.spec` dict: what machines are built from.
        origin: origin entries relative to `/spec/template/spec`.
        annotations: metadata annotations (not hashed).
        name_origin: spec pointer of the name (what its hash covers); default `<role>/machine`.

    Returns:
        One RenderedObject named `<cluster>-<stem>-<hash8>` (see `fleetgen.render.naming`).
    """
    name = naming.template_name(cluster.name, role.stem, template_spec)
    manifest = {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": object_meta(name, cluster.namespace, cluster.name, annotations=annotations),
        "spec": {"template": {"spec": template_spec}},
    }
    om = OriginMap(role.pointer)
    om.add("/metadata/name", name_origin or role.machine_pointer)
    om.add("/metadata/namespace", "/metadata/namespace")
    om.add_all("/spec/template/spec", origin)
    return RenderedObject(manifest, cluster.source, om.as_dict(), cluster.name)


def _node_registration(provider: ProviderRenderer, cluster: LoadedCluster, role: MachineRole,
                       origin: OriginMap, at: str) -> dict[str, Any]:
    """`nodeRegistration`: criSocket, kubeletExtraArgs (sorted by name), taints (spec order)."""
    reg: dict[str, Any] = {"criSocket": CRI_SOCKET}
    origin.add(f"{at}/criSocket", "/spec/hypervisor")
    args = list(provider.kubelet_args(cluster, role))
    pool = role.pool
    if pool is not None:
        kubelet_labels = {k: v for k, v in pool.labels.items() if not is_machine_synced_label(k)}
        if kubelet_labels:
            value = ",".join(f"{k}={v}" for k, v in sorted(kubelet_labels.items()))
            args.append(KubeletArg("node-labels", value, f"{role.pointer}/labels"))
    names = [a.name for a in args]
    if len(set(names)) != len(names):  # the CRD's CEL rule: "kubeletExtraArgs name must be unique"
        raise RenderError(f"{cluster.path}: duplicate kubelet flags {sorted(names)} for {role.stem}")
    if args:
        args.sort(key=lambda a: a.name)
        reg["kubeletExtraArgs"] = [{"name": a.name, "value": a.value} for a in args]
        for i, a in enumerate(args):
            origin.add(f"{at}/kubeletExtraArgs/{i}", a.origin)
    if pool is not None and pool.taints:
        taints = []
        for i, t in enumerate(pool.taints):
            taint: dict[str, Any] = {"key": t.key}
            if t.value:
                taint["value"] = t.value
            taint["effect"] = t.effect
            taints.append(taint)
            origin.add(f"{at}/taints/{i}", f"{role.pointer}/taints/{i}")
        reg["taints"] = taints
    return reg


# --------------------------------------------------------------------------------------------
# objects


def render_cluster_object(cluster: LoadedCluster, provider: ProviderRenderer, *, infrastructure: RenderedObject,
                          control_plane: RenderedObject) -> RenderedObject:
    """Render the CAPI Cluster.

    Args:
        cluster: the loaded spec.
        provider: the hypervisor's renderer (network defaults).
        infrastructure: the rendered infrastructure cluster (target of `spec.infrastructureRef`).
        control_plane: the rendered KubeadmControlPlane (target of `spec.controlPlaneRef`).

    Returns:
        One RenderedObject holding a `cluster.x-k8s.io/v1beta2` Cluster: labels = the spec's
        `metadata.labels` verbatim (ClusterResourceSets select on them) plus
        `cluster.x-k8s.io/cluster-name`; `clusterNetwork` from the spec or the provider defaults;
        `controlPlaneRef`/`infrastructureRef` by apiGroup/kind/name. Never `paused` or `topology`.

    Raises:
        RenderError: if the spec labels set `cluster.x-k8s.io/cluster-name` to another cluster's name.

    Source:
        kubernetes-sigs/cluster-api v1.12.11 config/crd/bases/cluster.x-k8s.io_clusters.yaml (v1beta2);
        CAPK templates/cluster-template.yaml (CIDR defaults, `dnsDomain` -> `serviceDomain`).
    """
    meta = cluster.spec.metadata
    spec = cluster.spec.spec
    om = OriginMap("/metadata/name")
    om.add("/metadata/namespace", "/metadata/namespace")
    labels = dict(meta.labels)
    if labels.get(CLUSTER_NAME_LABEL, cluster.name) != cluster.name:
        raise RenderError(f"{cluster.path}: metadata.labels.{CLUSTER_NAME_LABEL} must be the cluster name "
                          f"{cluster.name!r}, got {labels[CLUSTER_NAME_LABEL]!r}")
    if labels:
        om.add("/metadata/labels", "/metadata/labels")
    for key in labels:
        om.add(("metadata", "labels", key), "/metadata/labels/" + escape_token(key))
    om.add(("metadata", "labels", CLUSTER_NAME_LABEL), "/metadata/name")

    net = spec.cluster_network
    network: dict[str, Any] = {}
    for field, default in (("pods", provider.default_pod_cidrs), ("services", provider.default_service_cidrs)):
        given = getattr(net, field) if net is not None else None
        network[field] = {"cidrBlocks": list(given or default)}
        om.add(f"/spec/clusterNetwork/{field}", f"/spec/clusterNetwork/{field}" if given else "/spec/hypervisor")
        for i in range(len(given or ())):  # (one rendered block per spec entry, in order)
            om.add(f"/spec/clusterNetwork/{field}/cidrBlocks/{i}", f"/spec/clusterNetwork/{field}/{i}")
    domain = net.service_domain if net is not None and net.service_domain else None
    if domain:
        network["serviceDomain"] = domain
        om.add("/spec/clusterNetwork/serviceDomain", "/spec/clusterNetwork/serviceDomain")
    else:
        domain = provider.default_service_domain(cluster)
        if domain:
            network["serviceDomain"] = domain
            om.add("/spec/clusterNetwork/serviceDomain", "/metadata/name")
    om.add("/spec/controlPlaneRef", "/spec/controlPlane")
    om.add("/spec/infrastructureRef", f"/spec/{provider.hypervisor}")
    om.add("/spec/infrastructureRef/apiGroup", "/spec/hypervisor")
    om.add("/spec/infrastructureRef/kind", "/spec/hypervisor")
    manifest = {
        "apiVersion": CLUSTER_API_VERSION,
        "kind": "Cluster",
        "metadata": object_meta(cluster.name, cluster.namespace, cluster.name, labels=labels),
        "spec": {
            "clusterNetwork": network,
            "controlPlaneRef": ref_to(control_plane),
            "infrastructureRef": ref_to(infrastructure),
        },
    }
    return RenderedObject(manifest, cluster.source, om.as_dict(), cluster.name)


def render_control_plane(cluster: LoadedCluster, provider: ProviderRenderer, *,
                         machine_template: RenderedObject) -> RenderedObject:
    """Render the KubeadmControlPlane (stacked etcd).

    Args:
        cluster: the loaded spec.
        provider: the hypervisor's renderer (kubelet flags, files, preKubeadmCommands, bind port).
        machine_template: the control plane's infrastructure machine template.

    Returns:
        One RenderedObject holding a `controlplane.cluster.x-k8s.io/v1beta2` KubeadmControlPlane
        named `<cluster>-control-plane`: replicas, version, `machineTemplate.spec.infrastructureRef`,
        and a kubeadmConfigSpec with the CRI socket and kubelet flags as `{name, value}` lists in
        both init and join configuration. No `clusterConfiguration.networking` (v1beta2 takes it
        from `Cluster.spec.clusterNetwork`), no `kubernetesVersion`/`clusterName`.

    Source:
        kubernetes-sigs/cluster-api v1.12.11
        controlplane/kubeadm/config/crd/bases/controlplane.cluster.x-k8s.io_kubeadmcontrolplanes.yaml;
        CAPK templates/cluster-template.yaml and CAPMOX templates/cluster-template.yaml (kubeadm settings).
    """
    spec = cluster.spec.spec
    role = MachineRole.control_plane(spec)
    om = OriginMap("/spec/controlPlane")
    om.add("/metadata/namespace", "/metadata/namespace")
    om.add("/spec/replicas", "/spec/controlPlane/replicas")
    om.add("/spec/version", "/spec/kubernetesVersion")
    om.add("/spec/machineTemplate/spec/infrastructureRef", role.machine_pointer)

    init: dict[str, Any] = {}
    join: dict[str, Any] = {}
    bind = provider.api_server_bind_port(cluster)
    if bind is not None:
        port, port_origin = bind
        init["localAPIEndpoint"] = {"bindPort": port}
        join["controlPlane"] = {"localAPIEndpoint": {"bindPort": port}}
        om.add("/spec/kubeadmConfigSpec/initConfiguration/localAPIEndpoint", port_origin)
        om.add("/spec/kubeadmConfigSpec/joinConfiguration/controlPlane", port_origin)
    init["nodeRegistration"] = _node_registration(provider, cluster, role, om,
                                                  "/spec/kubeadmConfigSpec/initConfiguration/nodeRegistration")
    join["nodeRegistration"] = _node_registration(provider, cluster, role, om,
                                                  "/spec/kubeadmConfigSpec/joinConfiguration/nodeRegistration")
    kubeadm: dict[str, Any] = {"initConfiguration": init, "joinConfiguration": join}
    files = provider.control_plane_files(cluster)
    if files:
        kubeadm["files"] = [f for f, _ in files]
        for i, (_, file_origin) in enumerate(files):
            om.add(f"/spec/kubeadmConfigSpec/files/{i}", file_origin)
    commands = provider.control_plane_pre_kubeadm_commands(cluster)
    if commands:
        kubeadm["preKubeadmCommands"] = list(commands)
        om.add("/spec/kubeadmConfigSpec/preKubeadmCommands", f"/spec/{provider.hypervisor}")

    manifest = {
        "apiVersion": CONTROL_PLANE_API_VERSION,
        "kind": "KubeadmControlPlane",
        "metadata": object_meta(naming.object_name(cluster.name, naming.CONTROL_PLANE_STEM), cluster.namespace,
                                cluster.name),
        "spec": {
            "replicas": spec.control_plane.replicas,
            "version": spec.kubernetes_version,
            "machineTemplate": {"spec": {"infrastructureRef": ref_to(machine_template)}},
            "kubeadmConfigSpec": kubeadm,
        },
    }
    return RenderedObject(manifest, cluster.source, om.as_dict(), cluster.name)


def render_kubeadm_config_template(cluster: LoadedCluster, provider: ProviderRenderer, role: MachineRole) -> RenderedObject:
    """Render the KubeadmConfigTemplate of one worker pool.

    Args:
        cluster: the loaded spec.
        provider: the hypervisor's renderer (kubelet flags such as `provider-id`).
        role: a worker pool role.

    Returns:
        One RenderedObject holding a `bootstrap.cluster.x-k8s.io/v1beta2` KubeadmConfigTemplate named
        `<cluster>-<pool>-<hash8>`: `joinConfiguration.nodeRegistration` with the CRI socket,
        kubelet flags (`node-labels` from the pool labels the kubelet may set, provider flags) and
        the pool taints. Taints go here, not in MachineDeployment `spec.template.spec.taints`,
        which needs the alpha MachineTaintPropagation gate (FIELD.md §1.24).

    Source:
        kubernetes-sigs/cluster-api v1.12.11
        bootstrap/kubeadm/config/crd/bases/bootstrap.cluster.x-k8s.io_kubeadmconfigtemplates.yaml.
    """
    om = OriginMap(role.pointer)
    reg = _node_registration(provider, cluster, role, om, "/joinConfiguration/nodeRegistration")
    origin = {k: v for k, v in om.as_dict().items() if k}
    return render_template_object(cluster, role, api_version=BOOTSTRAP_API_VERSION, kind="KubeadmConfigTemplate",
                                  template_spec={"joinConfiguration": {"nodeRegistration": reg}}, origin=origin,
                                  name_origin=role.pointer)


def machine_selector_labels(cluster: LoadedCluster, md_name: str) -> dict[str, str]:
    """The labels that select the Machines of a MachineDeployment (sorted by key)."""
    return {CLUSTER_NAME_LABEL: cluster.name, DEPLOYMENT_NAME_LABEL: md_name}


def render_machine_deployment(cluster: LoadedCluster, role: MachineRole, *, machine_template: RenderedObject,
                              bootstrap_template: RenderedObject) -> RenderedObject:
    """Render the MachineDeployment of one worker pool.

    Args:
        cluster: the loaded spec.
        role: a worker pool role.
        machine_template: the pool's infrastructure machine template.
        bootstrap_template: the pool's KubeadmConfigTemplate.

    Returns:
        One RenderedObject holding a `cluster.x-k8s.io/v1beta2` MachineDeployment named
        `<cluster>-<pool>` (<= 63: it becomes a label value). `spec.replicas` is omitted when the
        pool autoscales; then the autoscaler min/max annotations are set (strings), and CAPI's
        defaulting webhook hands replicas over to the autoscaler (FIELD.md §1.1). Selector and
        template labels are the same: cluster-name and deployment-name; pool labels in CAPI's
        synced domains (`node-role.kubernetes.io/...`) are added to the template labels.

    Raises:
        RenderError: if `role` is the control plane.

    Source:
        kubernetes-sigs/cluster-api v1.12.11 config/crd/bases/cluster.x-k8s.io_machinedeployments.yaml;
        core/webhooks machinedeployment.go defaulting (selector/label defaults, autoscaler annotations).
    """
    pool = role.pool
    if pool is None:
        raise RenderError("a MachineDeployment needs a worker pool")
    spec = cluster.spec.spec
    name = naming.object_name(cluster.name, pool.name)
    om = OriginMap(role.pointer)
    om.add("/metadata/name", f"{role.pointer}/name")
    om.add("/metadata/namespace", "/metadata/namespace")
    om.add("/spec/clusterName", "/metadata/name")

    annotations: dict[str, str] = {}
    md_spec: dict[str, Any] = {"clusterName": cluster.name}
    if pool.autoscaling is not None:
        annotations[AUTOSCALER_MIN_ANNOTATION] = str(pool.autoscaling.min_replicas)
        annotations[AUTOSCALER_MAX_ANNOTATION] = str(pool.autoscaling.max_replicas)
        om.add(("metadata", "annotations", AUTOSCALER_MIN_ANNOTATION), f"{role.pointer}/autoscaling/minReplicas")
        om.add(("metadata", "annotations", AUTOSCALER_MAX_ANNOTATION), f"{role.pointer}/autoscaling/maxReplicas")
    elif pool.replicas is not None:
        md_spec["replicas"] = pool.replicas
        om.add("/spec/replicas", f"{role.pointer}/replicas")

    selector = machine_selector_labels(cluster, name)
    template_labels = dict(selector)
    for key, value in pool.labels.items():
        if is_machine_synced_label(key):
            template_labels[key] = value
            om.add(("spec", "template", "metadata", "labels", key), f"{role.pointer}/labels/{escape_token(key)}")
    md_spec["selector"] = {"matchLabels": selector}
    md_spec["template"] = {
        "metadata": {"labels": dict(sorted(template_labels.items()))},
        "spec": {
            "clusterName": cluster.name,
            "version": spec.kubernetes_version,
            "bootstrap": {"configRef": ref_to(bootstrap_template)},
            "infrastructureRef": ref_to(machine_template),
        },
    }
    om.add("/spec/template/spec/clusterName", "/metadata/name")
    om.add("/spec/template/spec/version", "/spec/kubernetesVersion")
    om.add("/spec/template/spec/infrastructureRef", role.machine_pointer)
    manifest = {
        "apiVersion": CLUSTER_API_VERSION,
        "kind": "MachineDeployment",
        "metadata": object_meta(name, cluster.namespace, cluster.name, annotations=annotations),
        "spec": md_spec,
    }
    return RenderedObject(manifest, cluster.source, om.as_dict(), cluster.name)


def render_machine_health_check(cluster: LoadedCluster, provider: ProviderRenderer, role: MachineRole, *,
                                machine_deployment: RenderedObject) -> RenderedObject:
    """Render the MachineHealthCheck of one MachineDeployment.

    Args:
        cluster: the loaded spec.
        provider: the hypervisor's renderer (node startup timeout).
        role: a worker pool role.
        machine_deployment: the pool's rendered MachineDeployment; the MHC selects its Machines.

    Returns:
        One RenderedObject holding a `cluster.x-k8s.io/v1beta2` MachineHealthCheck named like the
        MachineDeployment: selector = the MachineDeployment's selector (never empty); a Node that
        is not Ready (Unknown or False) for 300 s is unhealthy; a Node must appear within the
        provider's startup timeout; remediation only while at most 40% are unhealthy.

    Units:
        timeouts are whole seconds (`...Seconds` ints in v1beta2; v1beta1 had durations).

    Source:
        kubernetes-sigs/cluster-api v1.12.11 config/crd/bases/cluster.x-k8s.io_machinehealthchecks.yaml;
        CAPMOX v0.9.0 templates/cluster-template-calico.yaml (worker MHC values).
    """
    md = machine_deployment.manifest
    om = OriginMap("/spec/machineHealthCheck")
    om.add("/metadata/name", f"{role.pointer}/name")
    om.add("/metadata/namespace", "/metadata/namespace")
    om.add("/spec/clusterName", "/metadata/name")
    om.add("/spec/selector", f"{role.pointer}/name")
    manifest = {
        "apiVersion": CLUSTER_API_VERSION,
        "kind": "MachineHealthCheck",
        "metadata": object_meta(md["metadata"]["name"], cluster.namespace, cluster.name),
        "spec": {
            "clusterName": cluster.name,
            "selector": {"matchLabels": dict(md["spec"]["selector"]["matchLabels"])},
            "checks": {
                "nodeStartupTimeoutSeconds": provider.node_startup_timeout_s,
                "unhealthyNodeConditions": [
                    {"type": "Ready", "status": "Unknown", "timeoutSeconds": _MHC_UNHEALTHY_TIMEOUT_S},
                    {"type": "Ready", "status": "False", "timeoutSeconds": _MHC_UNHEALTHY_TIMEOUT_S},
                ],
            },
            "remediation": {"triggerIf": {"unhealthyLessThanOrEqualTo": _MHC_UNHEALTHY_LESS_THAN_OR_EQUAL_TO}},
        },
    }
    return RenderedObject(manifest, cluster.source, om.as_dict(), cluster.name)
