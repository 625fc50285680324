"""Render one ClusterSpec into its Cluster API objects, in a fixed order.

Owns: `RENDERER_BY_HYPERVISOR` (the provider renderer for each `spec.hypervisor` value) and
`render_cluster`, which composes `fleetgen.render.capi` with the provider module and returns the
objects in the order they are written. Must not write files, serialise YAML, or render addons or
GitOps objects (other modules of `fleetgen.render` do).

Order (the same for every hypervisor; references point backwards or to the next object):
    1. Cluster
    2. infrastructure cluster (KubevirtCluster | ProxmoxCluster)
    3. KubeadmControlPlane
    4. control-plane machine template (KubevirtMachineTemplate | ProxmoxMachineTemplate)
    then for each `spec.workers[i]`, in spec order:
    5. MachineDeployment
    6. the pool's machine template
    7. the pool's KubeadmConfigTemplate
    8. the pool's MachineHealthCheck (only with `spec.machineHealthCheck.enabled`)

Example:
    >>> fleet, findings = load_fleet(Path("."))                       # doctest: +SKIP
    >>> [o.ref.kind for o in render_cluster(fleet.clusters[0])]       # doctest: +SKIP
    ['Cluster', 'KubevirtCluster', 'KubeadmControlPlane', 'KubevirtMachineTemplate',
     'MachineDeployment', 'KubevirtMachineTemplate', 'KubeadmConfigTemplate']
"""

from __future__ import annotations

from fleetgen.errors import RenderError
from fleetgen.render import capi
from fleetgen.render.base import RenderedObject
from fleetgen.render.capi import MachineRole, ProviderRenderer
from fleetgen.render.kubevirt import KubevirtRenderer
from fleetgen.render.proxmox import ProxmoxRenderer
from fleetgen.spec.load import LoadedCluster

#: One stateless renderer per `spec.hypervisor` value.
RENDERER_BY_HYPERVISOR: dict[str, ProviderRenderer] = {
    KubevirtRenderer.hypervisor: KubevirtRenderer(),
    ProxmoxRenderer.hypervisor: ProxmoxRenderer(),
}


def render_cluster(cluster: LoadedCluster) -> list[RenderedObject]:
    """Render one loaded ClusterSpec into its Cluster API objects.

    Args:
        cluster: a validated spec from `fleetgen.spec.load.load_fleet`, defaults merged.

    Returns:
        The objects in the order listed in the module docstring: plain dicts (never None, empty
        strings or empty placeholders), each with its `origin` map into the spec and
        `cluster == cluster.name`. Deterministic: the same spec gives equal lists.

    Raises:
        RenderError: for an unknown hypervisor, or when two objects would get the same kind and
            name (e.g. two pools with the same name, or a pool named `control-plane` built like
            the control plane).

    Source:
        Object set of CAPK v0.11.2 templates/cluster-template.yaml and CAPMOX v0.9.0
        templates/cluster-template.yaml, in CAPI v1beta2 (kubernetes-sigs/cluster-api v1.12.11).
    """
    spec = cluster.spec.spec
    provider = RENDERER_BY_HYPERVISOR.get(spec.hypervisor)
    if provider is None:
        known = ", ".join(sorted(RENDERER_BY_HYPERVISOR))
        raise RenderError(f"{cluster.path}: spec.hypervisor {spec.hypervisor!r} has no renderer (known: {known})")

    infra = provider.render_infra_cluster(cluster)
    cp_role = MachineRole.control_plane(spec)
    cp_template = provider.render_machine_template(cluster, cp_role)
    kcp = capi.render_control_plane(cluster, provider, machine_template=cp_template)
    objects = [
        capi.render_cluster_object(cluster, provider, infrastructure=infra, control_plane=kcp),
        infra,
        kcp,
        cp_template,
    ]
    mhc_enabled = spec.machine_health_check is not None and spec.machine_health_check.enabled
    for index in range(len(spec.workers)):
        role = MachineRole.worker(spec, index)
        template = provider.render_machine_template(cluster, role)
        bootstrap = capi.render_kubeadm_config_template(cluster, provider, role)
        md = capi.render_machine_deployment(cluster, role, machine_template=template, bootstrap_template=bootstrap)
        objects += [md, template, bootstrap]
        if mhc_enabled:
            objects.append(capi.render_machine_health_check(cluster, provider, role, machine_deployment=md))
    _check_unique(cluster, objects)
    return objects


def _check_unique(cluster: LoadedCluster, objects: list[RenderedObject]) -> None:
    seen: set[tuple[str, str]] = set()
    for obj in objects:
        key = (obj.ref.kind, obj.ref.name)
        if key in seen:
            raise RenderError(f"{cluster.path}: two {key[0]} objects would be named {key[1]!r}; "
                              "worker pool names must be unique and must not be 'control-plane'")
        seen.add(key)
