"""KubeVirt (CAPK v0.11.2) objects: KubevirtCluster and KubevirtMachineTemplate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fleetgen.render.base import RenderedObject
from fleetgen.render.cluster import RENDERER_BY_HYPERVISOR, render_cluster
from fleetgen.render.kubevirt import KubevirtRenderer
from fleetgen.schemas.registry import SchemaRegistry
from fleetgen.spec.load import LoadedCluster, load_fleet

CONFIG = """apiVersion: fleetgen.dev/v1alpha1
kind: FleetConfig
gitops:
  repo: https://git.example.com/fleet.git
defaults:
  metadata:
    namespace: tenants
  spec:
    kubernetesVersion: v1.33.1
"""

SPEC = """apiVersion: fleetgen.dev/v1alpha1
kind: ClusterSpec
metadata:
  name: kv
spec:
  hypervisor: kubevirt
  controlPlane:
    replicas: 1
    machine: {cpus: 2, memory: 4Gi}
  workers:
    - name: md-0
      replicas: 2
      machine: {cpus: 4, memory: 3.5Gi}
  kubevirt:
    image: quay.io/capk/ubuntu-2404-container-disk:v1.33.1
"""

IMAGE = "quay.io/capk/ubuntu-2404-container-disk:v1.33.1"


def load(tmp_path: Path, text: str) -> LoadedCluster:
    root = tmp_path / f"repo-{len(list(tmp_path.iterdir()))}"
    (root / "clusters").mkdir(parents=True)
    (root / "fleetgen.yaml").write_text(CONFIG)
    (root / "clusters" / "kv.yaml").write_text(text)
    fleet, findings = load_fleet(root)
    assert findings == []
    return fleet.clusters[0]


def templates(objects: list[RenderedObject]) -> list[RenderedObject]:
    return [o for o in objects if o.ref.kind == "KubevirtMachineTemplate"]


def vm(obj: RenderedObject) -> dict[str, Any]:
    return obj.manifest["spec"]["template"]["spec"]["virtualMachineTemplate"]["spec"]


@pytest.fixture(scope="module")
def registry(schema_dir: Path) -> SchemaRegistry:
    return SchemaRegistry([schema_dir])


def test_kubevirt_renderer_registered_for_kubevirt() -> None:
    assert isinstance(RENDERER_BY_HYPERVISOR["kubevirt"], KubevirtRenderer)


def test_kubevirt_cluster_service_type_from_spec(tmp_path: Path) -> None:
    text = SPEC.replace("    image:", "    controlPlaneServiceType: LoadBalancer\n    image:")
    infra = render_cluster(load(tmp_path, text))[1]
    assert infra.manifest == {
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1alpha1",
        "kind": "KubevirtCluster",
        "metadata": {"name": "kv", "namespace": "tenants", "labels": {"cluster.x-k8s.io/cluster-name": "kv"}},
        "spec": {"controlPlaneServiceTemplate": {"spec": {"type": "LoadBalancer"}}},
    }
    assert infra.spec_pointer("/spec/controlPlaneServiceTemplate/spec/type") == "/spec/kubevirt/controlPlaneServiceType"
    assert infra.spec_pointer("/spec") == "/spec/kubevirt"


def test_kubevirt_cluster_service_type_unset_cluster_ip(tmp_path: Path) -> None:
    infra = render_cluster(load(tmp_path, SPEC))[1]
    assert infra.manifest["spec"]["controlPlaneServiceTemplate"]["spec"]["type"] == "ClusterIP"


def test_kubevirt_cluster_service_domain_default_cluster_namespace_local(tmp_path: Path) -> None:
    cluster = render_cluster(load(tmp_path, SPEC))[0]
    assert cluster.manifest["spec"]["clusterNetwork"]["serviceDomain"] == "kv.tenants.local"


def test_kubevirt_machine_template_maps_cpus_memory_image(tmp_path: Path, registry: SchemaRegistry) -> None:
    objects = render_cluster(load(tmp_path, SPEC))
    cp, worker = templates(objects)
    assert vm(cp) == {
        "runStrategy": "Always",
        "template": {"spec": {
            "domain": {
                "cpu": {"cores": 2},
                "memory": {"guest": "4Gi"},
                "devices": {"networkInterfaceMultiqueue": True,
                            "disks": [{"name": "containervolume", "disk": {"bus": "virtio"}}]},
            },
            "evictionStrategy": "External",
            "volumes": [{"name": "containervolume", "containerDisk": {"image": IMAGE}}],
        }},
    }
    spec = cp.manifest["spec"]["template"]["spec"]
    assert spec["virtualMachineBootstrapCheck"] == {"checkStrategy": "ssh"}
    assert spec["virtualMachineTemplate"]["metadata"] == {"namespace": "tenants"}
    # memory is the quantity as written, not converted
    assert vm(worker)["template"]["spec"]["domain"]["memory"]["guest"] == "3.5Gi"
    assert vm(worker)["template"]["spec"]["domain"]["cpu"]["cores"] == 4
    for o in objects:
        assert registry.validate(o.manifest) == [], o.ref


def test_kubevirt_machine_template_origins_point_at_machine_fields(tmp_path: Path) -> None:
    worker = templates(render_cluster(load(tmp_path, SPEC)))[1]
    base = "/spec/template/spec/virtualMachineTemplate/spec/template/spec"
    assert worker.spec_pointer(f"{base}/domain/cpu/cores") == "/spec/workers/0/machine/cpus"
    assert worker.spec_pointer(f"{base}/domain/memory/guest") == "/spec/workers/0/machine/memory"
    assert worker.spec_pointer(f"{base}/volumes/0/containerDisk/image") == "/spec/kubevirt/image"
    assert worker.spec_pointer("/metadata/name") == "/spec/workers/0/machine"
    assert worker.spec_pointer("/spec/template/spec/virtualMachineBootstrapCheck") == "/spec/kubevirt"
    assert worker.spec_pointer("") == "/spec/workers/0"


@pytest.mark.parametrize("storage_class", [None, "fast"], ids=["default-class", "storage-class"])
def test_kubevirt_machine_template_disk_size_datavolume_root_disk(tmp_path: Path, registry: SchemaRegistry,
                                                                  storage_class: str | None) -> None:
    text = SPEC.replace("{cpus: 4, memory: 3.5Gi}", "{cpus: 4, memory: 3.5Gi, diskSize: 40Gi}")
    if storage_class:
        text += f"    storageClass: {storage_class}\n"
    objects = render_cluster(load(tmp_path, text))
    cp, worker = templates(objects)
    assert "dataVolumeTemplates" not in vm(cp)  # the control plane has no diskSize: containerDisk
    pvc: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "40Gi"}}}
    if storage_class:
        pvc["storageClassName"] = storage_class
    assert vm(worker)["dataVolumeTemplates"] == [{
        "metadata": {"name": "boot-volume"},
        "spec": {"pvc": pvc, "source": {"registry": {"url": f"docker://{IMAGE}"}}},
    }]
    vmi = vm(worker)["template"]["spec"]
    assert vmi["volumes"] == [{"name": "dv-volume", "dataVolume": {"name": "boot-volume"}}]
    assert vmi["domain"]["devices"]["disks"] == [{"name": "dv-volume", "disk": {"bus": "virtio"}}]
    assert not any("containerDisk" in v for v in vmi["volumes"])
    dv = "/spec/template/spec/virtualMachineTemplate/spec/dataVolumeTemplates/0/spec"
    assert worker.spec_pointer(f"{dv}/pvc/resources/requests/storage") == "/spec/workers/0/machine/diskSize"
    assert worker.spec_pointer(f"{dv}/source/registry/url") == "/spec/kubevirt/image"
    if storage_class:
        assert worker.spec_pointer(f"{dv}/pvc/storageClassName") == "/spec/kubevirt/storageClass"
    for o in objects:
        assert registry.validate(o.manifest) == [], o.ref


def test_kubevirt_machine_template_disk_size_change_renames_template(tmp_path: Path) -> None:
    text = SPEC.replace("{cpus: 4, memory: 3.5Gi}", "{cpus: 4, memory: 3.5Gi, diskSize: 40Gi}")
    a = templates(render_cluster(load(tmp_path, text)))[1]
    b = templates(render_cluster(load(tmp_path, text.replace("40Gi", "60Gi"))))[1]
    assert a.ref.name != b.ref.name


def test_kubevirt_machine_template_image_change_renames_every_template(tmp_path: Path) -> None:
    before = render_cluster(load(tmp_path, SPEC))
    after = render_cluster(load(tmp_path, SPEC.replace("v1.33.1\n", "v1.33.2\n")))
    names_before = {o.ref.name for o in templates(before)}
    names_after = {o.ref.name for o in templates(after)}
    assert names_before.isdisjoint(names_after)
    kcp = next(o for o in after if o.ref.kind == "KubeadmControlPlane")
    md = next(o for o in after if o.ref.kind == "MachineDeployment")
    assert kcp.manifest["spec"]["machineTemplate"]["spec"]["infrastructureRef"]["name"] in names_after
    assert md.manifest["spec"]["template"]["spec"]["infrastructureRef"]["name"] in names_after


def test_kubevirt_machine_template_same_machine_same_hash_suffix(tmp_path: Path) -> None:
    text = SPEC.replace("{cpus: 4, memory: 3.5Gi}", "{cpus: 2, memory: 4Gi}")
    cp, worker = templates(render_cluster(load(tmp_path, text)))
    assert cp.ref.name.rsplit("-", 1)[1] == worker.ref.name.rsplit("-", 1)[1]
    assert cp.ref.name.startswith("kv-control-plane-") and worker.ref.name.startswith("kv-md-0-")


def test_kubevirt_kubeadm_configs_have_cri_socket_and_no_provider_id(tmp_path: Path) -> None:
    objects = render_cluster(load(tmp_path, SPEC))
    kcp = next(o for o in objects if o.ref.kind == "KubeadmControlPlane").manifest
    kct = next(o for o in objects if o.ref.kind == "KubeadmConfigTemplate").manifest
    assert kcp["spec"]["kubeadmConfigSpec"] == {
        "initConfiguration": {"nodeRegistration": {"criSocket": "unix:///var/run/containerd/containerd.sock"}},
        "joinConfiguration": {"nodeRegistration": {"criSocket": "unix:///var/run/containerd/containerd.sock"}},
    }
    assert kct["spec"]["template"]["spec"] == {
        "joinConfiguration": {"nodeRegistration": {"criSocket": "unix:///var/run/containerd/containerd.sock"}},
    }
