"""Tests for fleetgen.schemas.registry: lookup over schema locations and jsonschema-rs validation."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest

from fleetgen.errors import SchemaNotFoundError
from fleetgen.schemas.registry import SchemaRegistry, SchemaViolation, default_schema_dir

CLUSTER: dict[str, Any] = {
    "apiVersion": "cluster.x-k8s.io/v1beta2",
    "kind": "Cluster",
    "metadata": {"name": "kv-demo", "namespace": "clusters", "labels": {"cni": "calico"}},
    "spec": {
        "clusterNetwork": {
            "pods": {"cidrBlocks": ["10.243.0.0/16"]},
            "services": {"cidrBlocks": ["10.95.0.0/16"]},
        },
        "controlPlaneRef": {
            "apiGroup": "controlplane.cluster.x-k8s.io",
            "kind": "KubeadmControlPlane",
            "name": "kv-demo",
        },
        "infrastructureRef": {
            "apiGroup": "infrastructure.cluster.x-k8s.io",
            "kind": "KubevirtCluster",
            "name": "kv-demo",
        },
    },
}
PROXMOX_TEMPLATE: dict[str, Any] = {
    "apiVersion": "infrastructure.cluster.x-k8s.io/v1alpha2",
    "kind": "ProxmoxMachineTemplate",
    "metadata": {"name": "pve-demo-md-0", "namespace": "clusters"},
    "spec": {
        "template": {
            "spec": {
                "sourceNode": "pve1",
                "templateID": 100,
                "numSockets": 1,
                "numCores": 4,
                "memoryMiB": 4096,
                "disks": {"bootVolume": {"disk": "scsi0", "sizeGb": 20}},
                "network": {"networkDevices": [{"name": "net0", "bridge": "vmbr0", "model": "virtio"}]},
            }
        }
    },
}
MACHINE_DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "cluster.x-k8s.io/v1beta2",
    "kind": "MachineDeployment",
    "metadata": {"name": "kv-demo-md-0", "namespace": "clusters"},
    "spec": {
        "clusterName": "kv-demo",
        "replicas": 3,
        "selector": {"matchLabels": {"cluster.x-k8s.io/deployment-name": "kv-demo-md-0"}},
        "rollout": {
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
        },
        "template": {
            "spec": {
                "clusterName": "kv-demo",
                "version": "v1.33.1",
                "bootstrap": {
                    "configRef": {
                        "apiGroup": "bootstrap.cluster.x-k8s.io",
                        "kind": "KubeadmConfigTemplate",
                        "name": "kv-demo-md-0",
                    }
                },
                "infrastructureRef": {
                    "apiGroup": "infrastructure.cluster.x-k8s.io",
                    "kind": "KubevirtMachineTemplate",
                    "name": "kv-demo-md-0",
                },
            }
        },
    },
}


@pytest.fixture(scope="module")
def registry(schema_dir: Path) -> SchemaRegistry:
    return SchemaRegistry([schema_dir])


def changed(obj: dict[str, Any], pointer: str, value: Any) -> dict[str, Any]:
    """Deep copy of obj with the value at a JSON pointer set (parents must exist)."""
    out = copy.deepcopy(obj)
    *parents, last = pointer.lstrip("/").split("/")
    node = out
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[last] = value
    return out


def test_default_schema_dir_is_repo_schemas(tmp_path: Path) -> None:
    assert default_schema_dir(tmp_path) == tmp_path / "schemas"


@pytest.mark.parametrize(
    "obj",
    [CLUSTER, PROXMOX_TEMPLATE, MACHINE_DEPLOYMENT],
    ids=["cluster", "proxmox-template", "machine-deployment"],
)
def test_registry_valid_minimal_objects_pass(registry: SchemaRegistry, obj: dict[str, Any]) -> None:
    assert registry.validate(obj) == []


def test_registry_root_typo_spce_fails_with_pointer(registry: SchemaRegistry) -> None:
    obj = {**CLUSTER, "spce": {}}
    assert registry.validate(obj) == [
        SchemaViolation("/spce", "spce: unknown field 'spce' (the API server drops unknown fields silently)")
    ]


def test_registry_invalid_cluster_reports_every_violation_with_pointers(registry: SchemaRegistry) -> None:
    obj = changed(CLUSTER, "/spec/paused", "yes")
    obj = changed(obj, "/metadata/lables", {"a": "b"})
    obj = changed(obj, "/spec/controlPlaneRef/kind", "")
    found = registry.validate(obj)
    assert [v.pointer for v in found] == [  # (the empty kind breaks minLength and its pattern: one problem)
        "/metadata/lables",
        "/spec/controlPlaneRef/kind",
        "/spec/paused",
    ]
    assert SchemaViolation("/spec/paused", 'spec.paused: expected boolean, got string "yes"') in found
    assert (
        SchemaViolation("/metadata/lables", "metadata.lables: unknown field 'lables' (the API server drops unknown fields silently)") in found
    )
    assert (
        [v.message for v in found if v.pointer == "/spec/controlPlaneRef/kind"][0].startswith(
            "spec.controlPlaneRef.kind: must not be empty; \"\" does not match the pattern ")
    )


def test_registry_wrong_type_in_provider_template_points_at_field(registry: SchemaRegistry) -> None:
    obj = changed(PROXMOX_TEMPLATE, "/spec/template/spec/numCores", "4")
    assert registry.validate(obj) == [
        SchemaViolation(
            "/spec/template/spec/numCores", 'spec.template.spec.numCores: expected integer, got string "4"'
        )
    ]


def test_registry_missing_required_field_points_at_parent(registry: SchemaRegistry) -> None:
    obj = changed(PROXMOX_TEMPLATE, "/spec/template/spec/network", {})
    assert registry.validate(obj) == [
        SchemaViolation(
            "/spec/template/spec/network",
            "spec.template.spec.network: missing required field 'networkDevices'",
        )
    ]


@pytest.mark.parametrize(
    ("tag", "ok"),
    [
        ("Prod-Web", True),
        ("k8s_node.1", True),
        ("UPPER", True),
        ("-leading-dash", False),
        ("has space", False),
    ],
    ids=["mixed-case", "lower", "upper", "leading-dash", "space"],
)
def test_registry_capmox_case_insensitive_tag_pattern_enforced(
    registry: SchemaRegistry, tag: str, ok: bool
) -> None:
    obj = changed(PROXMOX_TEMPLATE, "/spec/template/spec/tags", [tag])
    found = registry.validate(obj)
    if ok:
        assert found == []
    else:
        assert [v.pointer for v in found] == ["/spec/template/spec/tags/0"]
        assert "does not match the pattern" in found[0].message


@pytest.mark.parametrize(
    ("value", "ok"),
    [(1, True), ("25%", True), (True, False), (1.5, False)],
    ids=["int", "percent", "bool", "float"],
)
def test_registry_int_or_string_accepts_integer_and_string(
    registry: SchemaRegistry, value: Any, ok: bool
) -> None:
    obj = changed(MACHINE_DEPLOYMENT, "/spec/rollout/strategy/rollingUpdate/maxSurge", value)
    found = registry.validate(obj)
    assert (found == []) is ok
    if not ok:
        assert found[0].pointer == "/spec/rollout/strategy/rollingUpdate/maxSurge"
        assert "expected integer or string" in found[0].message


def test_registry_list_map_duplicate_keys_reported(registry: SchemaRegistry) -> None:
    obj = {
        "apiVersion": "controlplane.cluster.x-k8s.io/v1beta2",
        "kind": "KubeadmControlPlane",
        "metadata": {"name": "kv-demo", "namespace": "clusters"},
        "spec": {
            "replicas": 1,
            "version": "v1.33.1",
            "machineTemplate": {
                "spec": {
                    "infrastructureRef": {
                        "apiGroup": "infrastructure.cluster.x-k8s.io",
                        "kind": "KubevirtMachineTemplate",
                        "name": "cp",
                    }
                }
            },
            "kubeadmConfigSpec": {
                "initConfiguration": {
                    "nodeRegistration": {
                        "kubeletExtraArgs": [{"name": "v", "value": "2"}, {"name": "v", "value": "2"}]
                    }
                }
            },
        },
    }
    found = registry.validate(obj)
    pointer = "/spec/kubeadmConfigSpec/initConfiguration/nodeRegistration/kubeletExtraArgs"
    assert [v.pointer for v in found] == [pointer]
    assert "items [0] and [1] have the same key" in found[0].message


def test_registry_non_strict_allows_unknown_fields(registry: SchemaRegistry) -> None:
    obj = changed({**CLUSTER, "spce": {}}, "/spec/paused", "yes")
    assert [v.pointer for v in registry.validate(obj, strict=False)] == ["/spec/paused"]


def test_registry_core_configmap_validated_strictly(registry: SchemaRegistry) -> None:
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "calico", "namespace": "clusters"},
        "data": {"calico.yaml": "a: 1\n"},
    }
    assert registry.validate(cm) == []
    found = registry.validate({**cm, "dta": {}, "data": {"n": 1}})
    assert [v.pointer for v in found] == ["/data/n", "/dta"]


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("fleet.cattle.io/v1alpha1", "GitRepo"),
        ("source.toolkit.fluxcd.io/v1", "GitRepository"),
        ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
        ("v1", "Namespace"),
        ("v1", "Secret"),
    ],
    ids=["fleet-gitrepo", "flux-gitrepository", "flux-kustomization", "namespace", "secret"],
)
def test_registry_gitops_and_core_kinds_known(registry: SchemaRegistry, api_version: str, kind: str) -> None:
    assert (api_version, kind) in registry.known_kinds()
    assert registry.has_schema(api_version, kind)


def test_registry_missing_schema_raises_schema_not_found(registry: SchemaRegistry) -> None:
    with pytest.raises(SchemaNotFoundError) as err:
        registry.validate({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "x"}})
    assert err.value.gvk == ("example.com/v1", "Widget")
    assert registry.schema_for("example.com/v1", "Widget") is None


def test_registry_object_without_kind_returns_violation(registry: SchemaRegistry) -> None:
    assert registry.validate({"apiVersion": "v1"}) == [
        SchemaViolation("/kind", "kind: required, must be a non-empty string")
    ]


def test_registry_schema_for_returns_cached_schema_with_cel_rules(registry: SchemaRegistry) -> None:
    schema = registry.schema_for("cluster.x-k8s.io/v1beta2", "Cluster")
    assert schema is not None and "x-kubernetes-validations" in json.dumps(schema)
    assert registry.schema_for("cluster.x-k8s.io/v1beta2", "Cluster") is schema


def test_registry_first_location_overrides_synced_schemas(schema_dir: Path, tmp_path: Path) -> None:
    override = tmp_path / "override" / "cluster.x-k8s.io"
    override.mkdir(parents=True)
    schema = json.loads((schema_dir / "cluster.x-k8s.io/cluster_v1beta2.json").read_text())
    schema["properties"]["spec"]["required"] = ["topology"]
    (override / "cluster_v1beta2.json").write_text(json.dumps(schema))
    registry = SchemaRegistry([tmp_path / "override", schema_dir])
    assert registry.schema_path("cluster.x-k8s.io/v1beta2", "Cluster") == override / "cluster_v1beta2.json"
    assert [v.message for v in registry.validate(CLUSTER)] == ["spec: missing required field 'topology'"]
    assert ("cluster.x-k8s.io/v1beta2", "Cluster") in registry.known_kinds()


def test_registry_validates_7000_objects_quickly(registry: SchemaRegistry) -> None:
    objects = [CLUSTER, PROXMOX_TEMPLATE, MACHINE_DEPLOYMENT] * 2334
    for obj in objects[:3]:
        registry.validate(obj)  # compile outside the timing
    started = time.perf_counter()
    assert not any(registry.validate(obj) for obj in objects)
    assert time.perf_counter() - started < 2.0


def test_registry_null_value_reported_without_dumping_it(registry: SchemaRegistry) -> None:
    obj = changed(MACHINE_DEPLOYMENT, "/spec/selector/matchLabels", None)
    assert registry.validate(obj) == [
        SchemaViolation("/spec/selector/matchLabels", "spec.selector.matchLabels: expected object, got null")
    ]


def test_registry_core_int_or_string_one_of_reports_allowed_types(registry: SchemaRegistry) -> None:
    ds = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "kindnet", "namespace": "kube-system"},
        "spec": {
            "selector": {"matchLabels": {"app": "kindnet"}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": True}},
            "template": {
                "metadata": {"labels": {"app": "kindnet"}},
                "spec": {"containers": [{"name": "kindnet-cni", "image": "kindest/kindnetd:v20230511"}]},
            },
        },
    }
    found = registry.validate(ds)
    assert [v.pointer for v in found] == ["/spec/updateStrategy/rollingUpdate/maxUnavailable"]
    assert found[0].message.endswith("expected integer or string or null, got boolean true")
