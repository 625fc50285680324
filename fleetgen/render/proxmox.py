"""Proxmox VE (CAPMOX) objects of one cluster: ProxmoxCluster, ProxmoxMachineTemplate, kube-vip.

Owns: `ProxmoxRenderer`, the `ProviderRenderer` for `spec.hypervisor: proxmox`, the shapes of
CAPMOX's `infrastructure.cluster.x-k8s.io/v1alpha2` objects, and the control plane's kube-vip
static pod (the VIP that serves `controlPlaneEndpoint`). Must not render provider-neutral CAPI
objects (`fleetgen.render.capi` does), do I/O, render secrets, or leave clusterctl `${...}`
variables in its output.

Choices, each from CAPMOX v0.9.0 `templates/cluster-template.yaml`:
    - pod CIDR 192.168.0.0/16 (the template's); services 10.96.0.0/12 (kubeadm's default);
    - machines are clones (full by default) of `templateID` on `sourceNode`,
      one socket, one `virtio` NIC `net0` on `bridge`; the boot volume is `scsi0`;
    - kube-vip runs as a static pod in ARP mode with leader election, written through
      KubeadmControlPlane `files`, and a prepare script switches it to `super-admin.conf` on the
      first node for Kubernetes >= 1.29 (kube-vip/kube-vip#684);
    - every node's kubelet gets `provider-id: proxmox://'{{ ds.meta_data.instance_id }}'`
      (cloud-init Jinja, resolved on the node; not a fleetgen or clusterctl variable).

Example:
    >>> ProxmoxRenderer().render_infra_cluster(loaded).manifest["spec"]["controlPlaneEndpoint"]  # doctest: +SKIP
    {'host': '10.10.10.9', 'port': 6443}
"""

from __future__ import annotations

from typing import Any

from fleetgen.render.base import RenderedObject
from fleetgen.render.capi import (
    INFRASTRUCTURE_GROUP,
    KubeletArg,
    MachineRole,
    OriginMap,
    ProviderRenderer,
    object_meta,
    render_template_object,
)
from fleetgen.spec.load import LoadedCluster
from fleetgen.yamlio import dump_document

API_VERSION = f"{INFRASTRUCTURE_GROUP}/v1alpha2"

#: kube-vip image, pinned to the tag CAPMOX v0.9.0's templates ship (bump together with CAPMOX).
KUBE_VIP_IMAGE = "ghcr.io/kube-vip/kube-vip:v0.7.1"
KUBE_VIP_MANIFEST_PATH = "/etc/kubernetes/manifests/kube-vip.yaml"
KUBE_VIP_PREPARE_PATH = "/etc/kube-vip-prepare.sh"
#: Boot disk device of the VM template (CAPMOX's `BOOT_VOLUME_DEVICE`; image-builder uses scsi0).
BOOT_VOLUME_DEVICE = "scsi0"
#: The cloud-init Jinja expression CAPMOX's template passes to the kubelet as `provider-id`.
PROVIDER_ID = "proxmox://'{{ ds.meta_data.instance_id }}'"
#: kubeadm's API server port; other ports need an explicit bindPort.
_KUBEADM_BIND_PORT = 6443

# The prepare script: kubeadm >= 1.29 grants admin.conf its rights only once the control plane is
# up, so kube-vip must use super-admin.conf on the node that runs `kubeadm init`. Written without
# `${...}` so that no substitution tool (clusterctl, Flux postBuild) can touch it.
_KUBE_VIP_PREPARE = """#!/bin/bash
# Written by fleetgen. kube-vip needs super-admin.conf on the node that runs `kubeadm init`
# with Kubernetes >= 1.29: https://github.com/kube-vip/kube-vip/issues/684
set -e
if [ "$(kubeadm version -o short | cut -d . -f 2)" -lt 29 ]; then
  exit 0
fi
if [ -f /run/kubeadm/kubeadm.yaml ] || grep -qs "kubeadm init" /etc/kubeadm.sh; then
  sed -i 's#path: /etc/kubernetes/admin.conf#path: /etc/kubernetes/super-admin.conf#' """ + KUBE_VIP_MANIFEST_PATH + "\nfi\n"


def kube_vip_manifest(address: str, port: int, interface: str | None) -> str:
    """The kube-vip static pod manifest (YAML text) that holds the control-plane VIP.

    Args:
        address: the VIP, `spec.proxmox.controlPlaneEndpoint.host`.
        port: the API server port, `spec.proxmox.controlPlaneEndpoint.port`.
        interface: `spec.proxmox.vipInterface`; None lets kube-vip pick the interface of the
            default route.

    Returns:
        A `v1` Pod in `kube-system` on the host network, ARP mode, leader election, mounting
        `/etc/kubernetes/admin.conf` (the prepare script swaps it on the init node).

    Source:
        CAPMOX v0.9.0 templates/cluster-template.yaml (the kube-vip file), minus its clusterctl
        variables and `null`/empty placeholders.
    """
    env = [{"name": "cp_enable", "value": "true"}]
    if interface:
        env.append({"name": "vip_interface", "value": interface})
    env += [
        {"name": "address", "value": address},
        {"name": "port", "value": str(port)},
        {"name": "vip_arp", "value": "true"},
        {"name": "vip_leaderelection", "value": "true"},
        {"name": "vip_leaseduration", "value": "15"},
        {"name": "vip_renewdeadline", "value": "10"},
        {"name": "vip_retryperiod", "value": "2"},
    ]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "kube-vip", "namespace": "kube-system"},
        "spec": {
            "containers": [{
                "name": "kube-vip",
                "image": KUBE_VIP_IMAGE,
                "imagePullPolicy": "IfNotPresent",
                "args": ["manager"],
                "env": env,
                "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}},
                "volumeMounts": [{"name": "kubeconfig", "mountPath": "/etc/kubernetes/admin.conf"}],
            }],
            "hostAliases": [{"ip": "127.0.0.1", "hostnames": ["localhost", "kubernetes"]}],
            "hostNetwork": True,
            "volumes": [{
                "name": "kubeconfig",
                "hostPath": {"path": "/etc/kubernetes/admin.conf", "type": "FileOrCreate"},
            }],
        },
    }
    return dump_document(pod)


class ProxmoxRenderer(ProviderRenderer):
    """Renders CAPMOX v0.9.0 objects (`infrastructure.cluster.x-k8s.io/v1alpha2`).

    Source:
        ionos-cloud/cluster-api-provider-proxmox v0.9.0, config/crd/bases/
        infrastructure.cluster.x-k8s.io_proxmoxclusters.yaml and ..._proxmoxmachinetemplates.yaml
        (served version v1alpha2, CEL rules in FIELD.md §2.3); templates/cluster-template.yaml.
    """

    hypervisor = "proxmox"
    infra_api_version = API_VERSION
    infra_cluster_kind = "ProxmoxCluster"
    machine_template_kind = "ProxmoxMachineTemplate"
    default_pod_cidrs = ("192.168.0.0/16",)
    default_service_cidrs = ("10.96.0.0/12",)
    #: Full clones take longer than a container disk (CAPMOX worker MHC uses 900).
    node_startup_timeout_s = 900

    def render_infra_cluster(self, cluster: LoadedCluster) -> RenderedObject:
        """Render the ProxmoxCluster.

        Args:
            cluster: the loaded spec (hypervisor proxmox).

        Returns:
            One RenderedObject holding a ProxmoxCluster named like the cluster:
            `controlPlaneEndpoint` (the kube-vip VIP), `ipv4Config` (CAPMOX turns it into the
            in-cluster IPAM pool of node addresses), `dnsServers`, `allowedNodes` only when
            non-empty, `credentialsRef` only when set (a reference; never secret values).

        Raises:
            RenderError: if `spec.proxmox` is missing.

        Source:
            CAPMOX v0.9.0 config/crd/bases/infrastructure.cluster.x-k8s.io_proxmoxclusters.yaml (v1alpha2).
        """
        px = self.provider_block(cluster)
        om = OriginMap("/spec/proxmox")
        om.add("/metadata/name", "/metadata/name")
        om.add("/metadata/namespace", "/metadata/namespace")
        ep = px.control_plane_endpoint
        spec: dict[str, Any] = {"controlPlaneEndpoint": {"host": ep.host, "port": ep.port}}
        om.add("/spec/controlPlaneEndpoint", "/spec/proxmox/controlPlaneEndpoint")
        om.add("/spec/controlPlaneEndpoint/host", "/spec/proxmox/controlPlaneEndpoint/host")
        om.add("/spec/controlPlaneEndpoint/port", "/spec/proxmox/controlPlaneEndpoint/port")
        spec["ipv4Config"] = {"addresses": list(px.ipv4.addresses), "prefix": px.ipv4.prefix, "gateway": px.ipv4.gateway}
        om.add("/spec/ipv4Config", "/spec/proxmox/ipv4")
        for field in ("addresses", "prefix", "gateway"):
            om.add(f"/spec/ipv4Config/{field}", f"/spec/proxmox/ipv4/{field}")
        for i in range(len(px.ipv4.addresses)):  # (one rendered entry per spec entry, in order)
            om.add(f"/spec/ipv4Config/addresses/{i}", f"/spec/proxmox/ipv4/addresses/{i}")
        spec["dnsServers"] = list(px.dns_servers)
        om.add("/spec/dnsServers", "/spec/proxmox/dnsServers")
        for i in range(len(px.dns_servers)):
            om.add(f"/spec/dnsServers/{i}", f"/spec/proxmox/dnsServers/{i}")
        if px.allowed_nodes:
            spec["allowedNodes"] = list(px.allowed_nodes)
            om.add("/spec/allowedNodes", "/spec/proxmox/allowedNodes")
            for i in range(len(px.allowed_nodes)):
                om.add(f"/spec/allowedNodes/{i}", f"/spec/proxmox/allowedNodes/{i}")
        if px.credentials_ref is not None:
            ref = {"name": px.credentials_ref.name}
            if px.credentials_ref.namespace:
                ref["namespace"] = px.credentials_ref.namespace
            spec["credentialsRef"] = ref
            om.add("/spec/credentialsRef", "/spec/proxmox/credentialsRef")
        manifest = {
            "apiVersion": API_VERSION,
            "kind": self.infra_cluster_kind,
            "metadata": object_meta(cluster.name, cluster.namespace, cluster.name),
            "spec": spec,
        }
        return RenderedObject(manifest, cluster.source, om.as_dict(), cluster.name)

    def render_machine_template(self, cluster: LoadedCluster, role: MachineRole) -> RenderedObject:
        """Render the ProxmoxMachineTemplate of one role (control plane or worker pool).

        Args:
            cluster: the loaded spec (hypervisor proxmox).
            role: the control plane or a worker pool.

        Returns:
            One RenderedObject holding a ProxmoxMachineTemplate named `<cluster>-<stem>-<hash8>`:
            a clone of `templateID` on `sourceNode` (full unless `proxmox.full: false`; `format`
            and `storage` only when the spec sets them) with one socket, `numCores` cores,
            `memoryMiB`, a `scsi0` boot volume resized to `sizeGb` only when `diskSize` is set
            (else the template's disk is kept), and NIC `net0` (virtio) on `bridge`. The CRD's CEL
            rules `self.full || !has(self.format)` / `!has(self.storage)` then report a linked
            clone with a format or storage at the spec line.

        Units:
            machine.cpus -> numSockets: 1, numCores: cpus (int);
            machine.memory (bytes) -> memoryMiB (int, MiB rounded up to a multiple of 8, as the CRD's
              `multipleOf: 8` requires: 4Gi -> 4096, 4G -> 3816);
            machine.diskSize (bytes) -> disks.bootVolume.sizeGb (int, whole GiB rounded up; CAPMOX
            passes `<sizeGb>G` to Proxmox, which reads G as GiB).

        Raises:
            RenderError: if `spec.proxmox` is missing.

        Source:
            CAPMOX v0.9.0 config/crd/bases/infrastructure.cluster.x-k8s.io_proxmoxmachinetemplates.yaml
            (v1alpha2: `network.networkDevices`, CEL rules); templates/cluster-template.yaml.
        """
        px = self.provider_block(cluster)
        machine = role.machine
        mp = role.machine_pointer
        spec: dict[str, Any] = {
            "sourceNode": px.source_node,
            "templateID": px.template_id,
            "full": px.full,
            "numSockets": 1,
            "numCores": machine.cpus,
            "memoryMiB": machine.memory_mib,
        }
        origin = {
            "/sourceNode": "/spec/proxmox/sourceNode",
            "/templateID": "/spec/proxmox/templateID",
            "/full": "/spec/proxmox/full" if "full" in px.model_fields_set else "/spec/proxmox/templateID",
            "/numSockets": f"{mp}/cpus",
            "/numCores": f"{mp}/cpus",
            "/memoryMiB": f"{mp}/memory",
            "/network": "/spec/proxmox/bridge",
        }
        if px.format is not None:
            spec["format"] = px.format
            origin["/format"] = "/spec/proxmox/format"
        if px.storage is not None:
            spec["storage"] = px.storage
            origin["/storage"] = "/spec/proxmox/storage"
        disk_gib = machine.disk_gib
        if disk_gib is not None:
            spec["disks"] = {"bootVolume": {"disk": BOOT_VOLUME_DEVICE, "sizeGb": disk_gib}}
            origin["/disks"] = f"{mp}/diskSize"
        spec["network"] = {"networkDevices": [{"name": "net0", "bridge": px.bridge, "model": "virtio"}]}
        return render_template_object(cluster, role, api_version=API_VERSION, kind=self.machine_template_kind,
                                      template_spec=spec, origin=origin)

    def kubelet_args(self, cluster: LoadedCluster, role: MachineRole) -> list[KubeletArg]:
        """`provider-id` for every node: CAPMOX matches Nodes to VMs by it.

        Source:
            CAPMOX v0.9.0 templates/cluster-template.yaml (`kubeletExtraArgs` of init, join and workers).
        """
        return [KubeletArg("provider-id", PROVIDER_ID, "/spec/proxmox")]

    def control_plane_files(self, cluster: LoadedCluster) -> list[tuple[dict[str, Any], str]]:
        """The kube-vip static pod and its prepare script, for every control-plane node.

        Returns:
            Two `kubeadmConfigSpec.files` entries (`path`, `owner`, `permissions`, `content`), each
            with its spec pointer: the manifest maps to `spec.proxmox.controlPlaneEndpoint`.
        """
        px = self.provider_block(cluster)
        ep = px.control_plane_endpoint
        manifest = {
            "path": KUBE_VIP_MANIFEST_PATH,
            "owner": "root:root",
            "permissions": "0644",
            "content": kube_vip_manifest(ep.host, ep.port, px.vip_interface),
        }
        prepare = {
            "path": KUBE_VIP_PREPARE_PATH,
            "owner": "root:root",
            "permissions": "0700",
            "content": _KUBE_VIP_PREPARE,
        }
        return [(manifest, "/spec/proxmox/controlPlaneEndpoint"), (prepare, "/spec/proxmox/controlPlaneEndpoint")]

    def control_plane_pre_kubeadm_commands(self, cluster: LoadedCluster) -> list[str]:
        """Run the kube-vip prepare script before kubeadm."""
        return [KUBE_VIP_PREPARE_PATH]

    def api_server_bind_port(self, cluster: LoadedCluster) -> tuple[int, str] | None:
        """The endpoint port when it is not 6443: kube-vip in ARP mode only moves the VIP, so the API
        server itself must listen on the endpoint's port."""
        port = self.provider_block(cluster).control_plane_endpoint.port
        if port == _KUBEADM_BIND_PORT:
            return None
        return port, "/spec/proxmox/controlPlaneEndpoint/port"
