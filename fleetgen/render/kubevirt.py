"""KubeVirt (CAPK) objects of one cluster: KubevirtCluster and KubevirtMachineTemplate.

Owns: `KubevirtRenderer`, the `ProviderRenderer` for `spec.hypervisor: kubevirt`, and the shapes of
CAPK's `infrastructure.cluster.x-k8s.io/v1alpha1` objects. Must not render provider-neutral CAPI
objects (`fleetgen.render.capi` does), do I/O or invent fields the pinned CRD does not have.

Choices, each from the CAPK v0.11.2 reference templates (which are still CAPI v1beta1; the CAPI
objects are translated to v1beta2 in `fleetgen.render.capi`):
    - pod/service CIDRs 10.243.0.0/16 / 10.95.0.0/16 and service domain `<cluster>.<namespace>.local`
      (the template's `dnsDomain`, which v1beta2 moved to `Cluster.spec.clusterNetwork.serviceDomain`):
      nested clusters must not shadow the infrastructure cluster's `cluster.local`;
    - `virtualMachineBootstrapCheck.checkStrategy: ssh`, `runStrategy: Always` (`running` is
      deprecated in the VM spec), `evictionStrategy: External`, `networkInterfaceMultiqueue: true`;
    - the root disk is a containerDisk of `spec.kubevirt.image`, or, when the machine sets
      `diskSize`, a DataVolume imported from the same image (`cluster-template-persistent-storage.yaml`).

Example:
    >>> KubevirtRenderer().render_infra_cluster(loaded).manifest["kind"]   # doctest: +SKIP
    'KubevirtCluster'
"""

from __future__ import annotations

from typing import Any

from fleetgen.render.base import RenderedObject
from fleetgen.render.capi import (
    INFRASTRUCTURE_GROUP,
    MachineRole,
    OriginMap,
    ProviderRenderer,
    object_meta,
    render_template_object,
)
from fleetgen.spec.load import LoadedCluster

API_VERSION = f"{INFRASTRUCTURE_GROUP}/v1alpha1"

#: Disk/volume name of the root disk (CAPK templates: `containervolume` / `dv-volume`).
_CONTAINER_DISK = "containervolume"
_DATA_VOLUME_DISK = "dv-volume"
#: DataVolume template name; CAPK prefixes it with the VM name per machine
#: (`pkg/kubevirt/utils.go` `prefixDataVolumeTemplates`), so one fixed name is enough.
_BOOT_VOLUME = "boot-volume"


class KubevirtRenderer(ProviderRenderer):
    """Renders CAPK v0.11.2 objects (`infrastructure.cluster.x-k8s.io/v1alpha1`).

    Source:
        kubernetes-sigs/cluster-api-provider-kubevirt v0.11.2, config/crd/bases/
        infrastructure.cluster.x-k8s.io_kubevirtclusters.yaml and ..._kubevirtmachinetemplates.yaml;
        templates/cluster-template.yaml and templates/cluster-template-persistent-storage.yaml.
    """

    hypervisor = "kubevirt"
    infra_api_version = API_VERSION
    infra_cluster_kind = "KubevirtCluster"
    machine_template_kind = "KubevirtMachineTemplate"
    default_pod_cidrs = ("10.243.0.0/16",)
    default_service_cidrs = ("10.95.0.0/16",)
    node_startup_timeout_s = 600

    def default_service_domain(self, cluster: LoadedCluster) -> str | None:
        """`<cluster>.<namespace>.local`, as CAPK's templates set kubeadm's `dnsDomain`.

        Source:
            CAPK v0.11.2 templates/cluster-template.yaml `networking.dnsDomain`.
        """
        return f"{cluster.name}.{cluster.namespace}.local"

    def render_infra_cluster(self, cluster: LoadedCluster) -> RenderedObject:
        """Render the KubevirtCluster.

        Args:
            cluster: the loaded spec (hypervisor kubevirt).

        Returns:
            One RenderedObject holding a KubevirtCluster named like the cluster, whose
            `controlPlaneServiceTemplate.spec.type` is `spec.kubevirt.controlPlaneServiceType`
            (the Service in the infrastructure cluster that fronts the API servers).

        Raises:
            RenderError: if `spec.kubevirt` is missing.

        Source:
            CAPK v0.11.2 config/crd/bases/infrastructure.cluster.x-k8s.io_kubevirtclusters.yaml (v1alpha1).
        """
        kv = self.provider_block(cluster)
        om = OriginMap("/spec/kubevirt")
        om.add("/metadata/name", "/metadata/name")
        om.add("/metadata/namespace", "/metadata/namespace")
        om.add("/spec/controlPlaneServiceTemplate/spec/type", "/spec/kubevirt/controlPlaneServiceType")
        manifest = {
            "apiVersion": API_VERSION,
            "kind": self.infra_cluster_kind,
            "metadata": object_meta(cluster.name, cluster.namespace, cluster.name),
            "spec": {"controlPlaneServiceTemplate": {"spec": {"type": kv.control_plane_service_type}}},
        }
        return RenderedObject(manifest, cluster.source, om.as_dict(), cluster.name)

    def render_machine_template(self, cluster: LoadedCluster, role: MachineRole) -> RenderedObject:
        """Render the KubevirtMachineTemplate of one role (control plane or worker pool).

        Args:
            cluster: the loaded spec (hypervisor kubevirt).
            role: the control plane or a worker pool.

        Returns:
            One RenderedObject holding a KubevirtMachineTemplate named `<cluster>-<stem>-<hash8>`
            whose `virtualMachineTemplate` is a KubeVirt VirtualMachineSpec: `runStrategy: Always`,
            `domain.cpu.cores`, `domain.memory.guest`, one virtio root disk. Without `diskSize` the
            root disk is a containerDisk of the image; with it, a DataVolume of that size imported
            from `docker://<image>` (storage class `spec.kubevirt.storageClass` when set).

        Units:
            machine.cpus -> domain.cpu.cores (int, cores);
            machine.memory -> domain.memory.guest (quantity string, as written, e.g. "4Gi");
            machine.diskSize -> dataVolumeTemplates[0].spec.pvc.resources.requests.storage
            (quantity string, as written).

        Raises:
            RenderError: if `spec.kubevirt` is missing.

        Source:
            CAPK v0.11.2 config/crd/bases/infrastructure.cluster.x-k8s.io_kubevirtmachinetemplates.yaml;
            templates/cluster-template.yaml (containerDisk) and
            templates/cluster-template-persistent-storage.yaml (DataVolume).
        """
        kv = self.provider_block(cluster)
        machine = role.machine
        mp = role.machine_pointer
        vm_path = "/virtualMachineTemplate/spec"
        vmi_path = f"{vm_path}/template/spec"
        origin: dict[str, str] = {
            "/virtualMachineBootstrapCheck": "/spec/kubevirt",
            "/virtualMachineTemplate/metadata/namespace": "/metadata/namespace",
            f"{vmi_path}/domain/cpu/cores": f"{mp}/cpus",
            f"{vmi_path}/domain/memory/guest": f"{mp}/memory",
            f"{vmi_path}/domain/devices/disks/0": mp,
            f"{vmi_path}/volumes/0": "/spec/kubevirt/image",
        }
        vm_spec: dict[str, Any] = {"runStrategy": "Always"}
        if machine.disk_size_quantity is not None:
            disk_name = _DATA_VOLUME_DISK
            pvc: dict[str, Any] = {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": machine.disk_size_quantity}},
            }
            dv = f"{vm_path}/dataVolumeTemplates/0/spec"
            origin[f"{vm_path}/dataVolumeTemplates/0"] = f"{mp}/diskSize"
            origin[f"{dv}/pvc/resources/requests/storage"] = f"{mp}/diskSize"
            origin[f"{dv}/source"] = "/spec/kubevirt/image"
            origin[f"{vmi_path}/volumes/0"] = f"{mp}/diskSize"
            if kv.storage_class:
                pvc["storageClassName"] = kv.storage_class
                origin[f"{dv}/pvc/storageClassName"] = "/spec/kubevirt/storageClass"
            vm_spec["dataVolumeTemplates"] = [{
                "metadata": {"name": _BOOT_VOLUME},
                "spec": {"pvc": pvc, "source": {"registry": {"url": f"docker://{kv.image}"}}},
            }]
            volume: dict[str, Any] = {"name": disk_name, "dataVolume": {"name": _BOOT_VOLUME}}
        else:
            disk_name = _CONTAINER_DISK
            volume = {"name": disk_name, "containerDisk": {"image": kv.image}}
        vm_spec["template"] = {
            "spec": {
                "domain": {
                    "cpu": {"cores": machine.cpus},
                    "memory": {"guest": machine.memory_quantity},
                    "devices": {
                        "networkInterfaceMultiqueue": True,
                        "disks": [{"name": disk_name, "disk": {"bus": "virtio"}}],
                    },
                },
                "evictionStrategy": "External",
                "volumes": [volume],
            },
        }
        template_spec = {
            "virtualMachineBootstrapCheck": {"checkStrategy": "ssh"},
            "virtualMachineTemplate": {"metadata": {"namespace": cluster.namespace}, "spec": vm_spec},
        }
        return render_template_object(cluster, role, api_version=API_VERSION, kind=self.machine_template_kind,
                                      template_spec=template_spec, origin=origin)
