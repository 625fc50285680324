"""Tests for fleetgen.validate.defaulting (CRD structural defaulting, as the API server applies it).

Schemas are the JSON schemas fleetgen's own sync writes from the pinned upstream CRDs
(../shared/upstream); the expected values are those CRDs' `default`s.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from fleetgen.schemas.registry import SchemaRegistry
from fleetgen.validate.defaulting import with_defaults

CAPMOX_V2 = "infrastructure.cluster.x-k8s.io/v1alpha2"
CAPMOX_V1 = "infrastructure.cluster.x-k8s.io/v1alpha1"


@pytest.fixture(scope="module")
def registry(schema_dir: Path) -> SchemaRegistry:
    return SchemaRegistry([schema_dir])


def schema(registry: SchemaRegistry, api_version: str, kind: str) -> dict[str, Any]:
    found = registry.schema_for(api_version, kind)
    assert found is not None, f"{api_version} {kind} not synced"
    return found


def machine_template(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": CAPMOX_V2,
        "kind": "ProxmoxMachineTemplate",
        "metadata": {"name": "pve-md-0-1a2b3c", "namespace": "clusters"},
        "spec": {"template": {"spec": {"sourceNode": "pve1", "templateID": 100, **spec}}},
    }


def test_absent_field_gets_its_default(registry: SchemaRegistry) -> None:
    pmt = schema(registry, CAPMOX_V2, "ProxmoxMachineTemplate")
    out = with_defaults(machine_template(format="qcow2"), pmt)
    assert out["spec"]["template"]["spec"] == {"sourceNode": "pve1", "templateID": 100, "format": "qcow2", "full": True}


def test_set_field_is_kept(registry: SchemaRegistry) -> None:
    pmt = schema(registry, CAPMOX_V2, "ProxmoxMachineTemplate")
    out = with_defaults(machine_template(full=False), pmt)
    assert out["spec"]["template"]["spec"]["full"] is False


def test_null_on_a_non_nullable_field_is_defaulted(registry: SchemaRegistry) -> None:
    pmt = schema(registry, CAPMOX_V2, "ProxmoxMachineTemplate")
    out = with_defaults(machine_template(full=None), pmt)
    assert out["spec"]["template"]["spec"]["full"] is True


def test_list_items_are_defaulted(registry: SchemaRegistry) -> None:
    pmt = schema(registry, CAPMOX_V2, "ProxmoxMachineTemplate")
    devices = [{"bridge": "vmbr0"}, {"name": "net1", "bridge": "vmbr1", "model": "e1000"}]
    out = with_defaults(machine_template(network={"networkDevices": devices}), pmt)
    assert out["spec"]["template"]["spec"]["network"]["networkDevices"] == [
        {"bridge": "vmbr0", "name": "net0", "model": "virtio"},
        {"name": "net1", "bridge": "vmbr1", "model": "e1000"},
    ]


def test_additional_properties_values_are_defaulted(registry: SchemaRegistry) -> None:
    # v1alpha1 ProxmoxCluster: spec.cloneSpec.machineSpec is a map of machine specs by role.
    pc = schema(registry, CAPMOX_V1, "ProxmoxCluster")
    cluster = {
        "apiVersion": CAPMOX_V1, "kind": "ProxmoxCluster", "metadata": {"name": "pve"},
        "spec": {"cloneSpec": {"machineSpec": {"controlPlane": {"sourceNode": "pve1"}}}},
    }
    out = with_defaults(cluster, pc)
    assert out["spec"]["cloneSpec"]["machineSpec"]["controlPlane"] == {"sourceNode": "pve1", "full": True}


def test_declared_property_without_default_is_not_defaulted_as_additional(registry: SchemaRegistry) -> None:
    pmt = schema(registry, CAPMOX_V2, "ProxmoxMachineTemplate")
    tmpl = machine_template()
    del tmpl["spec"]["template"]["spec"]["templateID"]
    out = with_defaults(tmpl, pmt)
    assert "templateID" not in out["spec"]["template"]["spec"]


def test_input_is_not_modified_and_untouched_subtrees_are_shared(registry: SchemaRegistry) -> None:
    pmt = schema(registry, CAPMOX_V2, "ProxmoxMachineTemplate")
    tmpl = machine_template(format="qcow2")
    before = copy.deepcopy(tmpl)
    out = with_defaults(tmpl, pmt)
    assert tmpl == before
    assert out is not tmpl and out["metadata"] is tmpl["metadata"]


def test_nothing_to_default_returns_the_value_itself(registry: SchemaRegistry) -> None:
    pmt = schema(registry, CAPMOX_V2, "ProxmoxMachineTemplate")
    tmpl = machine_template(full=True)
    assert with_defaults(tmpl, pmt) is tmpl


def test_inserted_defaults_are_fresh_copies(registry: SchemaRegistry) -> None:
    # Flux GitRepository: `status` defaults to an object; two objects must not share it.
    repo = schema(registry, "source.toolkit.fluxcd.io/v1", "GitRepository")
    a = with_defaults({"spec": {"url": "https://git.example.com/a.git"}}, repo)
    b = with_defaults({"spec": {"url": "https://git.example.com/b.git"}}, repo)
    assert a["status"] == {"observedGeneration": -1} and a["spec"]["timeout"] == "60s"
    a["status"]["observedGeneration"] = 3
    assert b["status"] == {"observedGeneration": -1}


@pytest.mark.parametrize(
    "prop",
    [
        {"type": "string", "default": "x", "nullable": True},  # as in a CRD
        {"type": ["string", "null"], "default": "x"},  # as fleetgen.schemas.convert widens a type
        {"anyOf": [{"type": "null"}, {"default": "x", "allOf": [{"minLength": 1}]}]},  # ... or wraps a typeless one
    ],
    ids=["crd-nullable", "converted-type-list", "converted-anyof"],
)
def test_null_on_a_nullable_field_is_kept(prop: dict[str, Any]) -> None:
    schema = {"type": "object", "properties": {"a": prop, "b": {"type": "string", "default": "y"}}}
    assert with_defaults({"a": None, "b": None}, schema) == {"a": None, "b": "y"}
    assert with_defaults({}, schema) == {"a": "x", "b": "y"}


def test_default_of_a_converted_nullable_typeless_node_applies() -> None:
    from fleetgen.schemas.convert import openapi_to_json_schema

    extra = {"x-kubernetes-preserve-unknown-fields": True, "nullable": True, "oneOf": [{"required": ["a"]}], "default": {"a": 1}}
    schema = openapi_to_json_schema(
        {"type": "object", "properties": {"spec": {"type": "object", "properties": {"extra": extra}}}},
        api_version="example.com/v1", kind="Thing",
    )
    assert with_defaults({"spec": {}}, schema) == {"spec": {"extra": {"a": 1}}}
    assert with_defaults({"spec": {"extra": None}}, schema) == {"spec": {"extra": None}}
