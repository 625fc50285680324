"""Proxmox VE (CAPMOX v0.9.0) objects: ProxmoxCluster, ProxmoxMachineTemplate and kube-vip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from fleetgen.render.base import RenderedObject
from fleetgen.render.cluster import RENDERER_BY_HYPERVISOR, render_cluster
from fleetgen.render.proxmox import KUBE_VIP_IMAGE, PROVIDER_ID, ProxmoxRenderer, kube_vip_manifest
from fleetgen.schemas.registry import SchemaRegistry
from fleetgen.spec.load import LoadedCluster, load_fleet

CONFIG = """apiVersion: fleetgen.dev/v1alpha1
kind: FleetConfig
gitops:
  repo: https://git.example.com/fleet.git
defaults:
  spec:
    kubernetesVersion: v1.33.1
"""

SPEC = """apiVersion: fleetgen.dev/v1alpha1
kind: ClusterSpec
metadata:
  name: pve
spec:
  hypervisor: proxmox
  controlPlane:
    replicas: 1
    machine: {cpus: 2, memory: 4Gi, diskSize: 20Gi}
  workers:
    - name: md-0
      replicas: 1
      machine: {cpus: 4, memory: 8Gi}
  proxmox:
    sourceNode: pve1
    templateID: 100
    controlPlaneEndpoint: {host: 10.10.10.9}
    ipv4: {addresses: [10.10.10.10-10.10.10.20, 10.10.10.64/28], prefix: 24, gateway: 10.10.10.1}
    dnsServers: [10.10.10.1]
    bridge: vmbr0
"""


def load(tmp_path: Path, text: str) -> LoadedCluster:
    root = tmp_path / f"repo-{len(list(tmp_path.iterdir()))}"
    (root / "clusters").mkdir(parents=True)
    (root / "fleetgen.yaml").write_text(CONFIG)
    (root / "clusters" / "pve.yaml").write_text(text)
    fleet, findings = load_fleet(root)
    assert findings == []
    return fleet.clusters[0]


def machine_spec(obj: RenderedObject) -> dict[str, Any]:
    assert obj.ref.kind == "ProxmoxMachineTemplate"
    return obj.manifest["spec"]["template"]["spec"]


def kcp_of(objects: list[RenderedObject]) -> dict[str, Any]:
    return next(o for o in objects if o.ref.kind == "KubeadmControlPlane").manifest


def kube_vip_pod(objects: list[RenderedObject]) -> dict[str, Any]:
    files = kcp_of(objects)["spec"]["kubeadmConfigSpec"]["files"]
    (manifest,) = [f for f in files if f["path"] == "/etc/kubernetes/manifests/kube-vip.yaml"]
    return yaml.safe_load(manifest["content"])


def env_of(pod: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}


@pytest.fixture(scope="module")
def registry(schema_dir: Path) -> SchemaRegistry:
    return SchemaRegistry([schema_dir])


def test_proxmox_renderer_registered_for_proxmox() -> None:
    assert isinstance(RENDERER_BY_HYPERVISOR["proxmox"], ProxmoxRenderer)


def test_proxmox_cluster_minimal_spec_fields_and_defaults(tmp_path: Path, registry: SchemaRegistry) -> None:
    objects = render_cluster(load(tmp_path, SPEC))
    infra = objects[1]
    assert infra.manifest == {
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1alpha2",
        "kind": "ProxmoxCluster",
        "metadata": {"name": "pve", "namespace": "default", "labels": {"cluster.x-k8s.io/cluster-name": "pve"}},
        "spec": {
            "controlPlaneEndpoint": {"host": "10.10.10.9", "port": 6443},
            "ipv4Config": {"addresses": ["10.10.10.10-10.10.10.20", "10.10.10.64/28"], "prefix": 24,
                           "gateway": "10.10.10.1"},
            "dnsServers": ["10.10.10.1"],
        },
    }
    assert infra.spec_pointer("/spec/ipv4Config/addresses/1") == "/spec/proxmox/ipv4/addresses/1"  # (entry by entry)
    assert infra.spec_pointer("/spec/controlPlaneEndpoint/host") == "/spec/proxmox/controlPlaneEndpoint/host"
    assert infra.spec_pointer("/spec/dnsServers/0") == "/spec/proxmox/dnsServers/0"
    assert infra.spec_pointer("") == "/spec/proxmox"
    for o in objects:
        assert registry.validate(o.manifest) == [], o.ref


@pytest.mark.parametrize(("ref", "expected"), [
    ("{name: pve-creds}", {"name": "pve-creds"}),
    ("{name: pve-creds, namespace: capmox-system}", {"name": "pve-creds", "namespace": "capmox-system"}),
], ids=["name-only", "name-and-namespace"])
def test_proxmox_cluster_credentials_ref_and_allowed_nodes_when_set(tmp_path: Path, registry: SchemaRegistry,
                                                                    ref: str, expected: dict[str, str]) -> None:
    text = SPEC + f"    allowedNodes: [pve1, pve2]\n    credentialsRef: {ref}\n"
    infra = render_cluster(load(tmp_path, text))[1]
    spec = infra.manifest["spec"]
    assert spec["allowedNodes"] == ["pve1", "pve2"]
    assert infra.spec_pointer("/spec/allowedNodes/1") == "/spec/proxmox/allowedNodes/1"
    assert spec["credentialsRef"] == expected
    assert infra.spec_pointer("/spec/credentialsRef/name") == "/spec/proxmox/credentialsRef"
    assert registry.validate(infra.manifest) == []
    assert "secret" not in json.dumps(spec).lower()


def test_proxmox_cluster_allowed_nodes_empty_omitted(tmp_path: Path) -> None:
    infra = render_cluster(load(tmp_path, SPEC + "    allowedNodes: []\n"))[1]
    assert "allowedNodes" not in infra.manifest["spec"]
    assert "credentialsRef" not in infra.manifest["spec"]


@pytest.mark.parametrize(("memory", "mib"), [
    ("4Gi", 4096), ("3.5Gi", 3584), ("4G", 3816), ("8G", 7632), ("1000Mi", 1000), ("1001Mi", 1008),
    ("2147483649", 2056), ("512Mi", 512),
], ids=["4Gi", "3.5Gi", "4G-decimal", "8G-decimal", "1000Mi", "1001Mi", "bytes-round-up", "512Mi"])
def test_proxmox_machine_template_memory_rounded_up_to_a_multiple_of_8_mib(tmp_path: Path, registry: SchemaRegistry,
                                                                           memory: str, mib: int) -> None:
    # the CAPMOX CRD: memoryMiB multipleOf 8; a decimal quantity such as 8G must still render a valid template
    text = SPEC.replace("{cpus: 4, memory: 8Gi}", f"{{cpus: 4, memory: '{memory}'}}")
    worker = render_cluster(load(tmp_path, text))[5]
    assert machine_spec(worker)["memoryMiB"] == mib
    assert registry.validate(worker.manifest) == []
    assert worker.spec_pointer("/spec/template/spec/memoryMiB") == "/spec/workers/0/machine/memory"


@pytest.mark.parametrize(("disk", "gib"), [("20Gi", 20), ("20G", 19), ("21474836481", 21), ("5Gi", 5)],
                         ids=["20Gi", "20G-decimal", "bytes-round-up", "5Gi"])
def test_proxmox_machine_template_disk_size_rounded_up_to_gib(tmp_path: Path, disk: str, gib: int) -> None:
    text = SPEC.replace("{cpus: 4, memory: 8Gi}", f"{{cpus: 4, memory: 8Gi, diskSize: '{disk}'}}")
    worker = render_cluster(load(tmp_path, text))[5]
    assert machine_spec(worker)["disks"] == {"bootVolume": {"disk": "scsi0", "sizeGb": gib}}
    assert worker.spec_pointer("/spec/template/spec/disks/bootVolume/sizeGb") == "/spec/workers/0/machine/diskSize"


def test_proxmox_machine_template_full_shape_and_no_disks_without_disk_size(tmp_path: Path, registry: SchemaRegistry) -> None:
    objects = render_cluster(load(tmp_path, SPEC))
    cp, worker = objects[3], objects[5]
    assert machine_spec(worker) == {
        "sourceNode": "pve1",
        "templateID": 100,
        "full": True,
        "numSockets": 1,
        "numCores": 4,
        "memoryMiB": 8192,
        "network": {"networkDevices": [{"name": "net0", "bridge": "vmbr0", "model": "virtio"}]},
    }
    assert machine_spec(cp)["disks"] == {"bootVolume": {"disk": "scsi0", "sizeGb": 20}}
    assert worker.spec_pointer("/spec/template/spec/network/networkDevices/0/bridge") == "/spec/proxmox/bridge"
    assert worker.spec_pointer("/spec/template/spec/numCores") == "/spec/workers/0/machine/cpus"
    assert worker.spec_pointer("/spec/template/spec/templateID") == "/spec/proxmox/templateID"
    assert cp.ref.name.startswith("pve-control-plane-") and worker.ref.name.startswith("pve-md-0-")
    for o in (cp, worker):
        assert registry.validate(o.manifest) == []
        assert "providerID" not in machine_spec(o)  # the CAPMOX webhook rejects it in templates


def test_proxmox_machine_template_template_id_change_renames_both_templates(tmp_path: Path) -> None:
    before = render_cluster(load(tmp_path, SPEC))
    after = render_cluster(load(tmp_path, SPEC.replace("templateID: 100", "templateID: 101")))
    for i in (3, 5):
        assert before[i].ref.name != after[i].ref.name
    assert kcp_of(after)["spec"]["machineTemplate"]["spec"]["infrastructureRef"]["name"] == after[3].ref.name


def test_proxmox_kube_vip_manifest_holds_vip_pinned_image_no_interface(tmp_path: Path) -> None:
    objects = render_cluster(load(tmp_path, SPEC))
    pod = kube_vip_pod(objects)
    container = pod["spec"]["containers"][0]
    assert container["image"] == KUBE_VIP_IMAGE
    assert KUBE_VIP_IMAGE.startswith("ghcr.io/kube-vip/kube-vip:v")
    env = env_of(pod)
    assert env["address"] == "10.10.10.9" and env["port"] == "6443" and env["cp_enable"] == "true"
    assert "vip_interface" not in env  # kube-vip auto-detects the interface of the default route
    kubeadm = kcp_of(objects)["spec"]["kubeadmConfigSpec"]
    assert kubeadm["preKubeadmCommands"] == ["/etc/kube-vip-prepare.sh"]
    assert [f["path"] for f in kubeadm["files"]] == ["/etc/kubernetes/manifests/kube-vip.yaml", "/etc/kube-vip-prepare.sh"]
    kcp = next(o for o in objects if o.ref.kind == "KubeadmControlPlane")
    assert kcp.spec_pointer("/spec/kubeadmConfigSpec/files/0/content") == "/spec/proxmox/controlPlaneEndpoint"


def test_proxmox_kube_vip_manifest_vip_interface_when_set(tmp_path: Path) -> None:
    pod = kube_vip_pod(render_cluster(load(tmp_path, SPEC + "    vipInterface: ens18\n")))
    assert env_of(pod)["vip_interface"] == "ens18"


def test_proxmox_kube_vip_manifest_valid_core_pod_no_placeholders() -> None:
    text = kube_vip_manifest("10.0.0.5", 6443, "eth0")
    assert "${" not in text and "null" not in text and "{}" not in text
    pod = yaml.safe_load(text)
    kubernetes_validate.validate(pod, "1.33.0", strict=True)
    assert pod["spec"]["hostNetwork"] is True


def test_proxmox_kube_vip_prepare_script_has_no_substitution_variables(tmp_path: Path) -> None:
    files = kcp_of(render_cluster(load(tmp_path, SPEC)))["spec"]["kubeadmConfigSpec"]["files"]
    script = next(f for f in files if f["path"] == "/etc/kube-vip-prepare.sh")
    assert script["permissions"] == "0700"
    assert script["content"].startswith("#!/bin/bash\n")
    assert "${" not in script["content"]
    assert "super-admin.conf" in script["content"]


def test_proxmox_provider_id_kubelet_arg_on_every_node(tmp_path: Path) -> None:
    objects = render_cluster(load(tmp_path, SPEC))
    kubeadm = kcp_of(objects)["spec"]["kubeadmConfigSpec"]
    expected = [{"name": "provider-id", "value": PROVIDER_ID}]
    assert kubeadm["initConfiguration"]["nodeRegistration"]["kubeletExtraArgs"] == expected
    assert kubeadm["joinConfiguration"]["nodeRegistration"]["kubeletExtraArgs"] == expected
    kct = next(o for o in objects if o.ref.kind == "KubeadmConfigTemplate").manifest
    assert kct["spec"]["template"]["spec"]["joinConfiguration"]["nodeRegistration"]["kubeletExtraArgs"] == expected
    assert PROVIDER_ID == "proxmox://'{{ ds.meta_data.instance_id }}'"


def test_proxmox_provider_id_and_node_labels_sorted_by_name(tmp_path: Path) -> None:
    text = SPEC.replace("      machine: {cpus: 4, memory: 8Gi}\n", "      machine: {cpus: 4, memory: 8Gi}\n      labels: {b: '2', a: '1'}\n")
    kct = next(o for o in render_cluster(load(tmp_path, text)) if o.ref.kind == "KubeadmConfigTemplate").manifest
    args = kct["spec"]["template"]["spec"]["joinConfiguration"]["nodeRegistration"]["kubeletExtraArgs"]
    assert args == [{"name": "node-labels", "value": "a=1,b=2"}, {"name": "provider-id", "value": PROVIDER_ID}]


@pytest.mark.parametrize(("port", "bind"), [(6443, None), (8443, 8443)], ids=["kubeadm-default", "custom-port"])
def test_proxmox_endpoint_port_bind_port_only_when_not_6443(tmp_path: Path, registry: SchemaRegistry,
                                                            port: int, bind: int | None) -> None:
    text = SPEC.replace("{host: 10.10.10.9}", f"{{host: 10.10.10.9, port: {port}}}")
    objects = render_cluster(load(tmp_path, text))
    kubeadm = kcp_of(objects)["spec"]["kubeadmConfigSpec"]
    assert env_of(kube_vip_pod(objects))["port"] == str(port)
    if bind is None:
        assert "localAPIEndpoint" not in kubeadm["initConfiguration"]
        assert "controlPlane" not in kubeadm["joinConfiguration"]
    else:
        assert kubeadm["initConfiguration"]["localAPIEndpoint"] == {"bindPort": bind}
        assert kubeadm["joinConfiguration"]["controlPlane"] == {"localAPIEndpoint": {"bindPort": bind}}
    assert objects[1].manifest["spec"]["controlPlaneEndpoint"]["port"] == port
    for o in objects:
        assert registry.validate(o.manifest) == [], o.ref


def test_proxmox_machine_health_check_startup_timeout_900(tmp_path: Path) -> None:
    objects = render_cluster(load(tmp_path, SPEC + "  machineHealthCheck: {enabled: true}\n"))
    mhc = objects[-1].manifest
    assert mhc["kind"] == "MachineHealthCheck"
    assert mhc["spec"]["checks"]["nodeStartupTimeoutSeconds"] == 900


def test_proxmox_linked_clone_with_format_fails_cel_at_spec_line(tmp_path: Path, upstream: Path) -> None:
    from fleetgen.validate.cel import check_cel

    text = SPEC.replace("    bridge: vmbr0\n", "    bridge: vmbr0\n    full: false\n    format: qcow2\n")
    objects = render_cluster(load(tmp_path, text))
    pmt = next(o for o in objects if o.ref.kind == "ProxmoxMachineTemplate")
    crd = yaml.safe_load((upstream / "ionos-cloud/cluster-api-provider-proxmox/v0.9.0/config/crd/bases/"
                          "infrastructure.cluster.x-k8s.io_proxmoxmachinetemplates.yaml").read_text())
    schema = next(v for v in crd["spec"]["versions"] if v["name"] == "v1alpha2")["schema"]["openAPIV3Schema"]
    findings = check_cel(pmt, schema)
    assert [(f.rule_id, f.position.line) for f in findings] == [("cel", text.splitlines().index("    format: qcow2") + 1)]
    assert "full" in findings[0].message
