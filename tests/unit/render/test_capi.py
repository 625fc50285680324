"""Provider-neutral CAPI objects and the whole render of one cluster, for both hypervisors.

Every object rendered here is validated strictly against the schemas synced from the pinned
upstream CRDs (unknown fields rejected) and against the CRDs' CEL rules that need no old object.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cel
import pytest

from fleetgen.render import capi
from fleetgen.render.base import RenderedObject
from fleetgen.render.cluster import RENDERER_BY_HYPERVISOR, render_cluster
from fleetgen.schemas.registry import SchemaRegistry
from fleetgen.sourcemap import escape_token
from fleetgen.spec.load import LoadedCluster, load_fleet

REPO_ROOT = Path(__file__).resolve().parents[3]

CONFIG = """apiVersion: fleetgen.dev/v1alpha1
kind: FleetConfig
gitops:
  repo: https://git.example.com/fleet.git
defaults:
  metadata:
    namespace: clusters
  spec:
    kubernetesVersion: v1.33.1
"""

KUBEVIRT = """apiVersion: fleetgen.dev/v1alpha1
kind: ClusterSpec
metadata:
  name: kv
  labels:
    cni: calico
    example.com/team: platform
spec:
  hypervisor: kubevirt
  controlPlane:
    replicas: 3
    machine: {cpus: 2, memory: 4Gi}
  workers:
    - name: md-0
      replicas: 3
      machine: {cpus: 2, memory: 4Gi}
    - name: gpu
      machine: {cpus: 8, memory: 16Gi, diskSize: 50Gi}
      labels:
        example.com/gpu: "true"
        node-role.kubernetes.io/gpu: ""
        zone: b
      taints:
        - {key: example.com/gpu, value: "true", effect: NoSchedule}
        - {key: dedicated, effect: NoExecute}
      autoscaling: {minReplicas: 1, maxReplicas: 6}
  kubevirt:
    image: quay.io/capk/ubuntu-2404-container-disk:v1.33.1
    controlPlaneServiceType: LoadBalancer
    storageClass: fast
  machineHealthCheck: {enabled: true}
"""

PROXMOX = """apiVersion: fleetgen.dev/v1alpha1
kind: ClusterSpec
metadata:
  name: pve
  labels:
    cni: calico
spec:
  hypervisor: proxmox
  controlPlane:
    replicas: 1
    machine: {cpus: 2, memory: 4Gi, diskSize: 20Gi}
  workers:
    - name: md-0
      replicas: 2
      machine: {cpus: 4, memory: 8Gi, diskSize: 40Gi}
    - name: burst
      machine: {cpus: 2, memory: 3.5Gi}
      labels: {node-role.kubernetes.io/burst: "", tier: burst}
      taints: [{key: tier, value: burst, effect: PreferNoSchedule}]
      autoscaling: {minReplicas: 0, maxReplicas: 10}
  proxmox:
    sourceNode: pve1
    templateID: 100
    controlPlaneEndpoint: {host: 10.10.10.9, port: 6443}
    ipv4: {addresses: [10.10.10.10-10.10.10.20], prefix: 24, gateway: 10.10.10.1}
    dnsServers: [10.10.10.1, 1.1.1.1]
    bridge: vmbr0
    credentialsRef: {name: pve-credentials, namespace: capmox-system}
    vipInterface: eth0
  machineHealthCheck: {enabled: true}
"""

SPECS = {"kubevirt": KUBEVIRT, "proxmox": PROXMOX}

INFRA = {
    "kubevirt": ("KubevirtCluster", "KubevirtMachineTemplate"),
    "proxmox": ("ProxmoxCluster", "ProxmoxMachineTemplate"),
}

TEMPLATE_KINDS = {"KubevirtMachineTemplate", "ProxmoxMachineTemplate", "KubeadmConfigTemplate"}
NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


# --------------------------------------------------------------------------------------------
# helpers


def load(tmp_path: Path, text: str, *, config: str = CONFIG) -> LoadedCluster:
    """Load one ClusterSpec through a throw-away fleet repository (defaults merged, positions kept)."""
    root = tmp_path / f"repo-{len(list(tmp_path.iterdir()))}"
    (root / "clusters").mkdir(parents=True)
    (root / "fleetgen.yaml").write_text(config)
    (root / "clusters" / "c.yaml").write_text(text)
    fleet, findings = load_fleet(root)
    assert findings == []
    (cluster,) = fleet.clusters
    return cluster


def by_kind(objects: list[RenderedObject], kind: str) -> list[dict[str, Any]]:
    return [o.manifest for o in objects if o.manifest["kind"] == kind]


def one(objects: list[RenderedObject], kind: str, name: str | None = None) -> RenderedObject:
    found = [o for o in objects if o.manifest["kind"] == kind and name in (None, o.manifest["metadata"]["name"])]
    assert len(found) == 1, [o.ref for o in found]
    return found[0]


def walk(value: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """Every (JSON pointer, value) pair, containers included."""
    yield pointer, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, f"{pointer}/{escape_token(k)}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{pointer}/{i}")


def leaves(objects: list[RenderedObject]) -> dict[tuple[str, str, str], Any]:
    out = {}
    for o in objects:
        for ptr, v in walk(o.manifest):
            if not isinstance(v, dict | list) or not v:
                out[(o.ref.kind, o.ref.name, ptr)] = v
    return out


def cel_violations(schema: dict[str, Any], value: Any, pointer: str = "") -> list[str]:
    """Evaluate the CRD's `x-kubernetes-validations` rules (those without oldSelf) along `value`."""
    out = []
    for rule in schema.get("x-kubernetes-validations", []):
        expr = rule["rule"]
        if "oldSelf" in expr:
            continue
        try:
            ok = cel.evaluate(expr, {"self": value})
        except RuntimeError as err:  # a function the evaluator lacks, e.g. string split()
            if "Undefined variable or function" in str(err):
                continue
            raise
        if ok is not True:
            out.append(f"{pointer or '/'}: {rule.get('message', expr)}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for k, v in value.items():
            sub = props.get(k, extra if isinstance(extra, dict) else None)
            if sub:
                out += cel_violations(sub, v, f"{pointer}/{escape_token(k)}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, v in enumerate(value):
            out += cel_violations(schema["items"], v, f"{pointer}/{i}")
    return out


def violations(registry: SchemaRegistry, objects: list[RenderedObject]) -> list[str]:
    out = []
    for o in objects:
        m = o.manifest
        where = f"{m['kind']}/{m['metadata']['name']}"
        out += [f"{where}{v.pointer}: {v.message}" for v in registry.validate(m, strict=True)]
        schema = registry.schema_for(m["apiVersion"], m["kind"])
        assert schema is not None
        out += [f"{where}{v}" for v in cel_violations(schema, m)]
    return out


@pytest.fixture(scope="module")
def registry(schema_dir: Path) -> SchemaRegistry:
    return SchemaRegistry([schema_dir])


# --------------------------------------------------------------------------------------------
# the example fleet and the variants validate


def test_render_cluster_example_specs_validate_strictly(registry: SchemaRegistry) -> None:
    fleet, findings = load_fleet(REPO_ROOT)
    assert findings == []
    assert {c.spec.spec.hypervisor for c in fleet.clusters} == {"kubevirt", "proxmox"}
    for cluster in fleet.clusters:
        objects = render_cluster(cluster)
        assert violations(registry, objects) == []


@pytest.mark.parametrize("hypervisor", sorted(SPECS), ids=sorted(SPECS))
def test_render_cluster_full_spec_validates_strictly(tmp_path: Path, registry: SchemaRegistry, hypervisor: str) -> None:
    objects = render_cluster(load(tmp_path, SPECS[hypervisor]))
    assert violations(registry, objects) == []


@pytest.mark.parametrize("hypervisor", sorted(SPECS), ids=sorted(SPECS))
def test_render_cluster_minimal_spec_validates_strictly(tmp_path: Path, registry: SchemaRegistry, hypervisor: str) -> None:
    text = SPECS[hypervisor]
    text = text.split("  workers:")[0] + text[text.index(f"  {hypervisor}:"):]  # no worker pools
    text = text.replace("  machineHealthCheck: {enabled: true}\n", "")
    objects = render_cluster(load(tmp_path, text))
    assert [o.ref.kind for o in objects] == ["Cluster", INFRA[hypervisor][0], "KubeadmControlPlane", INFRA[hypervisor][1]]
    assert violations(registry, objects) == []


def test_registry_rejects_a_broken_object_so_the_checks_above_mean_something(tmp_path: Path, registry: SchemaRegistry) -> None:
    objects = render_cluster(load(tmp_path, PROXMOX))
    pmt = objects[3]
    assert pmt.ref.kind == "ProxmoxMachineTemplate"
    pmt.manifest["spec"]["template"]["spec"]["full"] = False
    pmt.manifest["spec"]["template"]["spec"]["format"] = "qcow2"
    pmt.manifest["spec"]["template"]["spec"]["bogus"] = 1
    found = violations(registry, [pmt])
    assert any("bogus" in v for v in found)
    assert any("format" in v or "full" in v for v in found if "bogus" not in v)


# --------------------------------------------------------------------------------------------
# shape rules


@pytest.mark.parametrize("hypervisor", sorted(SPECS), ids=sorted(SPECS))
def test_render_cluster_any_spec_no_none_empty_strings_or_empty_containers(tmp_path: Path, hypervisor: str) -> None:
    objects = render_cluster(load(tmp_path, SPECS[hypervisor]))
    for o in objects:
        for ptr, v in walk(o.manifest):
            assert v is not None, (o.ref, ptr)
            if isinstance(v, dict | list):
                assert v, f"empty container at {o.ref.kind}{ptr}"
            if v == "":
                # the only empty strings are label values the user wrote (node-role.kubernetes.io/x: "")
                assert "/labels/node-role.kubernetes.io~1" in ptr, (o.ref, ptr)


@pytest.mark.parametrize("hypervisor", sorted(SPECS), ids=sorted(SPECS))
def test_render_cluster_any_spec_objects_in_fixed_order(tmp_path: Path, hypervisor: str) -> None:
    infra, template = INFRA[hypervisor]
    objects = render_cluster(load(tmp_path, SPECS[hypervisor]))
    pool = ["MachineDeployment", template, "KubeadmConfigTemplate", "MachineHealthCheck"]
    assert [o.ref.kind for o in objects] == ["Cluster", infra, "KubeadmControlPlane", template, *pool, *pool]
    assert [o.manifest["apiVersion"] for o in objects[:3]] == [
        "cluster.x-k8s.io/v1beta2", RENDERER_BY_HYPERVISOR[hypervisor].infra_api_version,
        "controlplane.cluster.x-k8s.io/v1beta2"]
    for o in objects:
        assert list(o.manifest) == ["apiVersion", "kind", "metadata", "spec"]
        assert list(o.manifest["metadata"])[:3] == ["name", "namespace", "labels"]
        assert o.manifest["metadata"]["namespace"] == "clusters"
        assert o.manifest["metadata"]["labels"][capi.CLUSTER_NAME_LABEL] == o.cluster


@pytest.mark.parametrize("hypervisor", sorted(SPECS), ids=sorted(SPECS))
def test_render_cluster_same_spec_twice_equal_output(tmp_path: Path, hypervisor: str) -> None:
    a = render_cluster(load(tmp_path, SPECS[hypervisor]))
    b = render_cluster(load(tmp_path, SPECS[hypervisor]))
    assert [o.manifest for o in a] == [o.manifest for o in b]
    assert [dict(o.origin) for o in a] == [dict(o.origin) for o in b]
    assert [json.dumps(o.manifest) for o in a] == [json.dumps(o.manifest) for o in b]  # key order too


@pytest.mark.parametrize("hypervisor", sorted(SPECS), ids=sorted(SPECS))
def test_render_cluster_any_spec_no_clusterctl_variables(tmp_path: Path, hypervisor: str) -> None:
    for o in render_cluster(load(tmp_path, SPECS[hypervisor])):
        assert "${" not in json.dumps(o.manifest), o.ref


@pytest.mark.parametrize("hypervisor", sorted(SPECS), ids=sorted(SPECS))
def test_render_cluster_any_spec_names_are_dns_labels_and_refs_resolve(tmp_path: Path, hypervisor: str) -> None:
    objects = render_cluster(load(tmp_path, SPECS[hypervisor]))
    names = {(capi.api_group(o.manifest["apiVersion"]), o.ref.kind, o.ref.name) for o in objects}
    for o in objects:
        assert NAME.match(o.ref.name) and len(o.ref.name) <= 63, o.ref
        for ptr, v in walk(o.manifest):
            if isinstance(v, dict) and "apiGroup" in v:
                assert set(v) == {"apiGroup", "kind", "name"}, (o.ref, ptr)
                assert (v["apiGroup"], v["kind"], v["name"]) in names, (o.ref, ptr, v)


# --------------------------------------------------------------------------------------------
# what changes when the spec changes


@pytest.mark.parametrize("hypervisor", sorted(SPECS), ids=sorted(SPECS))
def test_render_cluster_worker_replicas_change_one_field_no_template_rename(tmp_path: Path, hypervisor: str) -> None:
    before = render_cluster(load(tmp_path, SPECS[hypervisor]))
    old = "      replicas: 3\n" if hypervisor == "kubevirt" else "      replicas: 2\n"
    after = render_cluster(load(tmp_path, SPECS[hypervisor].replace(old, "      replicas: 5\n")))
    assert [o.ref for o in before] == [o.ref for o in after]
    a, b = leaves(before), leaves(after)
    changed = {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}
    cluster = before[0].cluster
    assert changed == {("MachineDeployment", f"{cluster}-md-0", "/spec/replicas")}
    assert b[("MachineDeployment", f"{cluster}-md-0", "/spec/replicas")] == 5


@pytest.mark.parametrize("hypervisor", sorted(SPECS), ids=sorted(SPECS))
def test_render_cluster_control_plane_replicas_change_one_field(tmp_path: Path, hypervisor: str) -> None:
    text = SPECS[hypervisor]
    old = "    replicas: 3\n" if hypervisor == "kubevirt" else "    replicas: 1\n"
    before = render_cluster(load(tmp_path, text))
    after = render_cluster(load(tmp_path, text.replace(old, "    replicas: 5\n", 1)))
    a, b = leaves(before), leaves(after)
    changed = {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}
    assert changed == {("KubeadmControlPlane", f"{before[0].cluster}-control-plane", "/spec/replicas")}


@pytest.mark.parametrize("hypervisor", sorted(SPECS), ids=sorted(SPECS))
def test_render_cluster_worker_memory_change_renames_template_and_reference(tmp_path: Path, hypervisor: str) -> None:
    text = SPECS[hypervisor]
    old = {"kubevirt": "machine: {cpus: 2, memory: 4Gi}\n", "proxmox": "memory: 8Gi"}[hypervisor]
    new = {"kubevirt": "machine: {cpus: 2, memory: 6Gi}\n", "proxmox": "memory: 12Gi"}[hypervisor]
    # kubevirt: the second occurrence is the md-0 pool (the first is the control plane)
    head, _, tail = text.rpartition(old) if hypervisor == "kubevirt" else ("", "", text)
    changed_text = head + new + tail if hypervisor == "kubevirt" else text.replace(old, new)
    before = render_cluster(load(tmp_path, text))
    after = render_cluster(load(tmp_path, changed_text))
    template_kind = INFRA[hypervisor][1]
    cluster = before[0].cluster
    md_before = one(before, "MachineDeployment", f"{cluster}-md-0").manifest
    md_after = one(after, "MachineDeployment", f"{cluster}-md-0").manifest
    old_name = md_before["spec"]["template"]["spec"]["infrastructureRef"]["name"]
    new_name = md_after["spec"]["template"]["spec"]["infrastructureRef"]["name"]
    assert old_name != new_name
    assert old_name.startswith(f"{cluster}-md-0-") and new_name.startswith(f"{cluster}-md-0-")
    assert {o.ref.name for o in after if o.ref.kind == template_kind} >= {new_name}
    assert old_name not in {o.ref.name for o in after}
    # the bootstrap template and every other pool's and the control plane's names stay
    assert md_before["spec"]["template"]["spec"]["bootstrap"] == md_after["spec"]["template"]["spec"]["bootstrap"]
    unchanged = {o.ref for o in before if o.ref.name != old_name}
    assert unchanged <= {o.ref for o in after}


@pytest.mark.parametrize("hypervisor", sorted(SPECS), ids=sorted(SPECS))
def test_render_cluster_control_plane_size_change_renames_template_and_kcp_reference(tmp_path: Path, hypervisor: str) -> None:
    text = SPECS[hypervisor]
    before = render_cluster(load(tmp_path, text))
    after = render_cluster(load(tmp_path, text.replace("machine: {cpus: 2, memory: 4Gi", "machine: {cpus: 4, memory: 4Gi", 1)))
    ref_before = one(before, "KubeadmControlPlane").manifest["spec"]["machineTemplate"]["spec"]["infrastructureRef"]
    ref_after = one(after, "KubeadmControlPlane").manifest["spec"]["machineTemplate"]["spec"]["infrastructureRef"]
    assert ref_before["name"] != ref_after["name"]
    assert ref_after["name"] == after[3].ref.name
    assert [o.ref for o in before[4:]] == [o.ref for o in after[4:]]  # worker objects keep their names


@pytest.mark.parametrize("hypervisor", sorted(SPECS), ids=sorted(SPECS))
def test_render_cluster_kubernetes_version_change_keeps_template_names(tmp_path: Path, hypervisor: str) -> None:
    text = SPECS[hypervisor]
    before = render_cluster(load(tmp_path, text))
    after = render_cluster(load(tmp_path, text.replace("  hypervisor:", "  kubernetesVersion: v1.34.2\n  hypervisor:")))
    assert [o.ref for o in before] == [o.ref for o in after]
    a, b = leaves(before), leaves(after)
    changed = sorted((k[0], k[2]) for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    assert changed == [("KubeadmControlPlane", "/spec/version"),
                       ("MachineDeployment", "/spec/template/spec/version"),
                       ("MachineDeployment", "/spec/template/spec/version")]


@pytest.mark.parametrize("hypervisor", sorted(SPECS), ids=sorted(SPECS))
def test_render_cluster_node_label_change_renames_bootstrap_template_only(tmp_path: Path, hypervisor: str) -> None:
    text = SPECS[hypervisor]
    old = {"kubevirt": "zone: b", "proxmox": "tier: burst}"}[hypervisor]
    new = {"kubevirt": "zone: c", "proxmox": "tier: spot}"}[hypervisor]
    before = render_cluster(load(tmp_path, text))
    after = render_cluster(load(tmp_path, text.replace(old, new)))
    gone = {o.ref for o in before} - {o.ref for o in after}
    assert [r.kind for r in gone] == ["KubeadmConfigTemplate"]


# --------------------------------------------------------------------------------------------
# Cluster


@pytest.mark.parametrize("hypervisor", sorted(SPECS), ids=sorted(SPECS))
def test_cluster_spec_labels_copied_verbatim_plus_cluster_name(tmp_path: Path, hypervisor: str) -> None:
    loaded = load(tmp_path, SPECS[hypervisor])
    cluster = one(render_cluster(loaded), "Cluster")
    labels = cluster.manifest["metadata"]["labels"]
    assert labels == {**loaded.spec.metadata.labels, capi.CLUSTER_NAME_LABEL: loaded.name}
    assert list(labels) == sorted(labels)
    assert cluster.spec_pointer("/metadata/labels/cni") == "/metadata/labels/cni"
    assert cluster.spec_pointer("/metadata/labels/cluster.x-k8s.io~1cluster-name") == "/metadata/name"
    assert "paused" not in cluster.manifest["spec"] and "topology" not in cluster.manifest["spec"]


def test_cluster_label_cluster_name_in_spec_refused_by_loader(tmp_path: Path) -> None:
    text = KUBEVIRT.replace("    cni: calico\n", "    cni: calico\n    cluster.x-k8s.io/cluster-name: other\n")
    root = tmp_path / "repo"
    (root / "clusters").mkdir(parents=True)
    (root / "fleetgen.yaml").write_text(CONFIG)
    (root / "clusters" / "c.yaml").write_text(text)
    _, findings = load_fleet(root)
    assert [f.message for f in findings] == [
        "metadata.labels['cluster.x-k8s.io/cluster-name']: label cluster.x-k8s.io/cluster-name is set by fleetgen "
        "from metadata.name; remove it"]
    assert findings[0].position.line == text.splitlines().index("    cluster.x-k8s.io/cluster-name: other") + 1


@pytest.mark.parametrize(("hypervisor", "pods", "services", "domain"), [
    ("kubevirt", ["10.243.0.0/16"], ["10.95.0.0/16"], "kv.clusters.local"),
    ("proxmox", ["192.168.0.0/16"], ["10.96.0.0/12"], None),
], ids=["kubevirt", "proxmox"])
def test_cluster_network_unset_provider_defaults(tmp_path: Path, hypervisor: str, pods: list[str],
                                                 services: list[str], domain: str | None) -> None:
    cluster = one(render_cluster(load(tmp_path, SPECS[hypervisor])), "Cluster")
    net = cluster.manifest["spec"]["clusterNetwork"]
    assert net["pods"] == {"cidrBlocks": pods}
    assert net["services"] == {"cidrBlocks": services}
    assert net.get("serviceDomain") == domain
    assert cluster.spec_pointer("/spec/clusterNetwork/pods/cidrBlocks/0") == "/spec/hypervisor"


def test_cluster_network_from_spec_wins(tmp_path: Path) -> None:
    text = PROXMOX.replace("  hypervisor: proxmox\n", "  hypervisor: proxmox\n  clusterNetwork:\n"
                           "    pods: [172.16.0.0/16]\n    serviceDomain: pve.example\n")
    cluster = one(render_cluster(load(tmp_path, text)), "Cluster")
    net = cluster.manifest["spec"]["clusterNetwork"]
    assert net == {"pods": {"cidrBlocks": ["172.16.0.0/16"]}, "services": {"cidrBlocks": ["10.96.0.0/12"]},
                   "serviceDomain": "pve.example"}
    assert cluster.spec_pointer("/spec/clusterNetwork/pods/cidrBlocks/0") == "/spec/clusterNetwork/pods/0"
    assert cluster.spec_pointer("/spec/clusterNetwork/services") == "/spec/hypervisor"
    assert cluster.spec_pointer("/spec/clusterNetwork/serviceDomain") == "/spec/clusterNetwork/serviceDomain"


# --------------------------------------------------------------------------------------------
# KubeadmControlPlane, MachineDeployment, KubeadmConfigTemplate, MachineHealthCheck


@pytest.mark.parametrize("hypervisor", sorted(SPECS), ids=sorted(SPECS))
def test_kubeadm_control_plane_v1beta2_shape(tmp_path: Path, hypervisor: str) -> None:
    kcp = one(render_cluster(load(tmp_path, SPECS[hypervisor])), "KubeadmControlPlane")
    spec = kcp.manifest["spec"]
    assert spec["version"] == "v1.33.1"
    assert set(spec["machineTemplate"]) == {"spec"}
    kubeadm = spec["kubeadmConfigSpec"]
    assert "clusterConfiguration" not in kubeadm  # no networking/kubernetesVersion/clusterName in v1beta2
    for part in ("initConfiguration", "joinConfiguration"):
        assert kubeadm[part]["nodeRegistration"]["criSocket"] == capi.CRI_SOCKET
    assert "annotations" not in kcp.manifest["metadata"]  # GitOps markers are fleetgen.render.gitops' job
    assert kcp.spec_pointer("/spec/replicas") == "/spec/controlPlane/replicas"
    assert kcp.spec_pointer("/spec/version") == "/spec/kubernetesVersion"
    assert kcp.spec_pointer("/spec/kubeadmConfigSpec") == "/spec/controlPlane"


def test_machine_deployment_autoscaled_pool_no_replicas_both_annotations(tmp_path: Path) -> None:
    objects = render_cluster(load(tmp_path, PROXMOX))
    md = one(objects, "MachineDeployment", "pve-burst")
    assert "replicas" not in md.manifest["spec"]
    assert md.manifest["metadata"]["annotations"] == {capi.AUTOSCALER_MAX_ANNOTATION: "10",
                                                      capi.AUTOSCALER_MIN_ANNOTATION: "0"}
    assert md.spec_pointer("/metadata/annotations/" + escape_token(capi.AUTOSCALER_MIN_ANNOTATION)) == \
        "/spec/workers/1/autoscaling/minReplicas"
    fixed = one(objects, "MachineDeployment", "pve-md-0")
    assert fixed.manifest["spec"]["replicas"] == 2
    assert "annotations" not in fixed.manifest["metadata"]
    assert fixed.spec_pointer("/spec/replicas") == "/spec/workers/0/replicas"


def test_machine_deployment_autoscaling_with_replicas_autoscaler_wins(tmp_path: Path) -> None:
    text = PROXMOX.replace("      autoscaling: {minReplicas: 0", "      replicas: 4\n      autoscaling: {minReplicas: 0")
    md = one(render_cluster(load(tmp_path, text)), "MachineDeployment", "pve-burst")
    assert "replicas" not in md.manifest["spec"]


@pytest.mark.parametrize("hypervisor", sorted(SPECS), ids=sorted(SPECS))
def test_machine_deployment_selector_matches_template_labels_and_refs(tmp_path: Path, hypervisor: str) -> None:
    objects = render_cluster(load(tmp_path, SPECS[hypervisor]))
    for md in by_kind(objects, "MachineDeployment"):
        name = md["metadata"]["name"]
        selector = md["spec"]["selector"]["matchLabels"]
        assert selector == {capi.CLUSTER_NAME_LABEL: md["spec"]["clusterName"], capi.DEPLOYMENT_NAME_LABEL: name}
        assert selector.items() <= md["spec"]["template"]["metadata"]["labels"].items()
        tspec = md["spec"]["template"]["spec"]
        assert tspec["clusterName"] == md["spec"]["clusterName"]
        assert tspec["bootstrap"]["configRef"]["kind"] == "KubeadmConfigTemplate"
        assert tspec["bootstrap"]["configRef"]["name"].startswith(name + "-")
        assert tspec["infrastructureRef"]["kind"] == INFRA[hypervisor][1]
        assert "taints" not in tspec  # needs the alpha MachineTaintPropagation gate


@pytest.mark.parametrize("hypervisor", sorted(SPECS), ids=sorted(SPECS))
def test_machine_health_check_per_pool_selects_its_machines(tmp_path: Path, hypervisor: str) -> None:
    objects = render_cluster(load(tmp_path, SPECS[hypervisor]))
    mds = {m["metadata"]["name"]: m for m in by_kind(objects, "MachineDeployment")}
    mhcs = by_kind(objects, "MachineHealthCheck")
    assert [m["metadata"]["name"] for m in mhcs] == list(mds)
    for mhc in mhcs:
        md = mds[mhc["metadata"]["name"]]
        assert mhc["spec"]["clusterName"] == md["spec"]["clusterName"]
        assert mhc["spec"]["selector"]["matchLabels"]
        assert mhc["spec"]["selector"]["matchLabels"].items() <= md["spec"]["template"]["metadata"]["labels"].items()
        assert mhc["spec"]["checks"]["nodeStartupTimeoutSeconds"] >= 30


def test_machine_health_check_disabled_or_absent_none_rendered(tmp_path: Path) -> None:
    text = KUBEVIRT.replace("{enabled: true}", "{enabled: false}")
    assert by_kind(render_cluster(load(tmp_path, text)), "MachineHealthCheck") == []
    text = KUBEVIRT.replace("  machineHealthCheck: {enabled: true}\n", "")
    assert by_kind(render_cluster(load(tmp_path, text)), "MachineHealthCheck") == []


def test_kubeadm_config_template_node_labels_kubelet_and_taints_join(tmp_path: Path) -> None:
    objects = render_cluster(load(tmp_path, KUBEVIRT))
    md = one(objects, "MachineDeployment", "kv-gpu")
    kct_name = md.manifest["spec"]["template"]["spec"]["bootstrap"]["configRef"]["name"]
    kct = one(objects, "KubeadmConfigTemplate", kct_name)
    reg = kct.manifest["spec"]["template"]["spec"]["joinConfiguration"]["nodeRegistration"]
    assert reg["kubeletExtraArgs"] == [{"name": "node-labels", "value": "example.com/gpu=true,zone=b"}]
    assert reg["taints"] == [{"key": "example.com/gpu", "value": "true", "effect": "NoSchedule"},
                             {"key": "dedicated", "effect": "NoExecute"}]
    # node-role.kubernetes.io/* may not be set by the kubelet: CAPI syncs it from the Machine
    assert md.manifest["spec"]["template"]["metadata"]["labels"]["node-role.kubernetes.io/gpu"] == ""
    assert md.spec_pointer("/spec/template/metadata/labels/node-role.kubernetes.io~1gpu") == \
        "/spec/workers/1/labels/node-role.kubernetes.io~1gpu"
    assert kct.spec_pointer("/spec/template/spec/joinConfiguration/nodeRegistration/taints/1") == "/spec/workers/1/taints/1"
    assert kct.spec_pointer("/spec/template/spec/joinConfiguration/nodeRegistration/kubeletExtraArgs/0/value") == \
        "/spec/workers/1/labels"
    assert "annotations" not in kct.manifest["metadata"]


# --------------------------------------------------------------------------------------------
# names, uniqueness, origins


@pytest.mark.parametrize("hypervisor", sorted(SPECS), ids=sorted(SPECS))
def test_render_cluster_long_names_fit_63_and_validate(tmp_path: Path, registry: SchemaRegistry, hypervisor: str) -> None:
    long_cluster = "c" * 60
    long_pool = "p" * 60
    text = SPECS[hypervisor].replace("  name: kv\n", f"  name: {long_cluster}\n").replace(
        "  name: pve\n", f"  name: {long_cluster}\n").replace("- name: md-0", f"- name: {long_pool}")
    objects = render_cluster(load(tmp_path, text))
    for o in objects:
        assert len(o.ref.name) <= 63 and NAME.match(o.ref.name), o.ref
    md = next(o for o in objects if o.ref.kind == "MachineDeployment")
    assert md.manifest["spec"]["selector"]["matchLabels"][capi.DEPLOYMENT_NAME_LABEL] == md.ref.name
    assert violations(registry, objects) == []


def test_render_cluster_duplicate_pool_names_refused_by_loader(tmp_path: Path) -> None:
    text = KUBEVIRT.replace("    - name: gpu\n", "    - name: md-0\n")
    root = tmp_path / "repo"
    (root / "clusters").mkdir(parents=True)
    (root / "fleetgen.yaml").write_text(CONFIG)
    (root / "clusters" / "c.yaml").write_text(text)
    _, findings = load_fleet(root)
    assert [f.rule_id for f in findings] == ["unique-pool-names"]


@pytest.mark.parametrize("hypervisor", sorted(SPECS), ids=sorted(SPECS))
def test_render_cluster_every_origin_points_at_a_spec_field(tmp_path: Path, hypervisor: str) -> None:
    loaded = load(tmp_path, SPECS[hypervisor])
    objects = render_cluster(loaded)
    defaults = {"/metadata/namespace", "/spec/kubernetesVersion"}  # set in fleetgen.yaml defaults
    for o in objects:
        assert "" in o.origin
        assert o.source is loaded.source and o.cluster == loaded.name
        for rendered, spec_ptr in o.origin.items():
            assert spec_ptr.startswith(("/metadata", "/spec")), (o.ref, rendered)
            if spec_ptr in defaults:
                assert loaded.source.lookup(spec_ptr).file == "fleetgen.yaml"
                continue
            assert spec_ptr in loaded.source.positions, (o.ref, rendered, spec_ptr)


@pytest.mark.parametrize("hypervisor", sorted(SPECS), ids=sorted(SPECS))
def test_render_cluster_default_origins_per_object(tmp_path: Path, hypervisor: str) -> None:
    objects = render_cluster(load(tmp_path, SPECS[hypervisor]))
    assert [o.origin[""] for o in objects] == [
        "/metadata/name", f"/spec/{hypervisor}", "/spec/controlPlane", "/spec/controlPlane",
        "/spec/workers/0", "/spec/workers/0", "/spec/workers/0", "/spec/machineHealthCheck",
        "/spec/workers/1", "/spec/workers/1", "/spec/workers/1", "/spec/machineHealthCheck",
    ]


def test_render_cluster_md_replicas_finding_positioned_at_spec_line(tmp_path: Path) -> None:
    loaded = load(tmp_path, PROXMOX)
    md = one(render_cluster(loaded), "MachineDeployment", "pve-md-0")
    pos = md.spec_position("/spec/replicas")
    line = PROXMOX.splitlines()[pos.line - 1]
    assert pos.file == "clusters/c.yaml" and line.strip() == "replicas: 2"
