"""Tests for fleetgen.schemas.convert: CRD openAPIV3Schema -> strict JSON Schema."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml

from fleetgen.schemas.convert import crd_to_json_schemas, openapi_to_json_schema, translate_pattern

CAPI = "kubernetes-sigs/cluster-api/v1.12.11/config/crd/bases"
CAPMOX = "ionos-cloud/cluster-api-provider-proxmox/v0.9.0/config/crd/bases"
#: The real CAPMOX tag pattern (ProxmoxMachine spec.tags[]), evaluated by Go's RE2 upstream.
CAPMOX_TAG_PATTERN = r"^(?i)[a-z0-9_][a-z0-9_\-\+\.]*$"


def load_crd(upstream: Path, relpath: str) -> dict[str, Any]:
    docs = [d for d in yaml.load_all((upstream / relpath).read_text(), Loader=yaml.CSafeLoader) if d]
    assert len(docs) == 1
    return docs[0]


def convert(schema: dict[str, Any]) -> dict[str, Any]:
    return openapi_to_json_schema(schema, api_version="example.com/v1", kind="Thing")


def valid(schema: dict[str, Any], instance: Any) -> bool:
    return bool(jsonschema_rs.validator_for(schema, validate_formats=False).is_valid(instance))


THING = {"apiVersion": "example.com/v1", "kind": "Thing"}


def test_convert_root_typo_fails_but_declared_fields_pass() -> None:
    schema = convert(
        {
            "type": "object",
            "properties": {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {"type": "object"},
                "spec": {"type": "object", "properties": {"a": {"type": "string"}}},
            },
        }
    )
    assert schema["additionalProperties"] is False
    assert valid(schema, {**THING, "metadata": {"name": "x"}, "spec": {"a": "b"}})
    assert not valid(schema, {**THING, "spce": {"a": "b"}})
    assert not valid(schema, {**THING, "spec": {"b": "c"}})


def test_convert_root_pins_api_version_and_kind_with_enum() -> None:
    schema = convert({"type": "object", "properties": {}})
    assert schema["properties"]["apiVersion"]["enum"] == ["example.com/v1"]
    assert schema["properties"]["kind"]["enum"] == ["Thing"]
    assert {"apiVersion", "kind"} <= set(schema["required"])
    assert not valid(schema, {"apiVersion": "example.com/v2", "kind": "Thing"})
    assert not valid(schema, {"apiVersion": "example.com/v1", "kind": "Other"})


def test_convert_root_metadata_is_strict_object_meta() -> None:
    schema = convert({"type": "object", "properties": {"metadata": {"type": "object"}}})
    assert valid(
        schema,
        {**THING, "metadata": {"name": "a", "namespace": "b", "labels": {"x": "y"}, "annotations": {}}},
    )
    assert not valid(schema, {**THING, "metadata": {"lables": {"x": "y"}}})
    assert not valid(schema, {**THING, "metadata": {"labels": {"x": 1}}})


def test_convert_root_metadata_keeps_crd_constraints() -> None:
    schema = convert(
        {
            "type": "object",
            "properties": {
                "metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 5}}}
            },
        }
    )
    assert valid(schema, {**THING, "metadata": {"name": "abc"}})
    assert not valid(schema, {**THING, "metadata": {"name": "abcdefgh"}})


def test_convert_preserve_unknown_fields_stays_open() -> None:
    schema = convert(
        {
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": True,
                    "properties": {"a": {"type": "string"}},
                }
            },
        }
    )
    assert "additionalProperties" not in schema["properties"]["spec"]
    assert valid(schema, {**THING, "spec": {"a": "x", "anything": [1, 2]}})


def test_convert_empty_object_denies_fields_the_api_server_prunes() -> None:
    schema = convert(
        {
            "type": "object",
            "properties": {"spec": {"type": "object", "properties": {"masquerade": {"type": "object"}}}},
        }
    )
    assert valid(schema, {**THING, "spec": {"masquerade": {}}})
    assert not valid(schema, {**THING, "spec": {"masquerade": {"x": 1}}})


def test_convert_int_or_string_allows_integer_and_string_only() -> None:
    schema = convert(
        {
            "type": "object",
            "properties": {
                "port": {
                    "anyOf": [{"type": "integer"}, {"type": "string"}],
                    "x-kubernetes-int-or-string": True,
                }
            },
        }
    )
    node = schema["properties"]["port"]
    assert node["type"] == ["integer", "string"] and "anyOf" not in node
    assert valid(schema, {**THING, "port": 8080})
    assert valid(schema, {**THING, "port": "http"})
    assert not valid(schema, {**THING, "port": True})
    assert not valid(schema, {**THING, "port": None})


def test_convert_format_int_or_string_allows_integer_and_string() -> None:
    schema = convert({"type": "object", "properties": {"port": {"format": "int-or-string"}}})
    assert valid(schema, {**THING, "port": 1}) and valid(schema, {**THING, "port": "1"})
    assert not valid(schema, {**THING, "port": 1.5})


def test_convert_nullable_adds_null_to_type_and_enum() -> None:
    schema = convert(
        {
            "type": "object",
            "properties": {
                "a": {"type": "string", "nullable": True},
                "b": {"type": "string", "enum": ["x"], "nullable": True},
                "c": {
                    "anyOf": [{"type": "integer"}, {"type": "string"}],
                    "x-kubernetes-int-or-string": True,
                    "nullable": True,
                },
                "d": {"type": "string"},
            },
        }
    )
    assert "nullable" not in json.dumps(schema)
    for field in ("a", "b", "c"):
        assert valid(schema, {**THING, field: None}), field
    assert not valid(schema, {**THING, "d": None})
    assert not valid(schema, {**THING, "b": "y"})


def test_convert_boolean_exclusive_minimum_becomes_numeric() -> None:
    schema = convert(
        {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0, "exclusiveMinimum": True}}}
    )
    assert schema["properties"]["n"] == {"type": "integer", "exclusiveMinimum": 0}
    assert valid(schema, {**THING, "n": 1}) and not valid(schema, {**THING, "n": 0})


def test_convert_list_type_set_becomes_unique_items() -> None:
    schema = convert(
        {
            "type": "object",
            "properties": {
                "s": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"}
            },
        }
    )
    assert valid(schema, {**THING, "s": ["a", "b"]})
    assert not valid(schema, {**THING, "s": ["a", "a"]})


def test_convert_value_validation_branches_are_not_made_strict() -> None:
    schema = convert(
        {
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
                    "oneOf": [
                        {"properties": {"a": {"minLength": 1}}, "required": ["a"]},
                        {"required": ["b"]},
                    ],
                }
            },
        }
    )
    assert "additionalProperties" not in schema["properties"]["spec"]["oneOf"][0]
    assert valid(schema, {**THING, "spec": {"a": "x"}})
    assert valid(schema, {**THING, "spec": {"b": "x"}})


def test_convert_keeps_x_kubernetes_validations_untouched(upstream: Path) -> None:
    crd = load_crd(upstream, f"{CAPI}/cluster.x-k8s.io_clusters.yaml")
    v1beta2 = next(v for v in crd["spec"]["versions"] if v["name"] == "v1beta2")
    before = json.dumps(v1beta2["schema"]["openAPIV3Schema"])
    rules = re.findall(r'"rule": ("(?:[^"\\]|\\.)*")', before)
    converted = next(c for c in crd_to_json_schemas(crd) if c.api_version == "cluster.x-k8s.io/v1beta2")
    after = json.dumps(converted.schema)
    assert rules and sorted(re.findall(r'"rule": ("(?:[^"\\]|\\.)*")', after)) == sorted(rules)
    assert json.dumps(v1beta2["schema"]["openAPIV3Schema"]) == before  # the input is not modified


def test_crd_to_json_schemas_served_versions_only(upstream: Path) -> None:
    crd = load_crd(upstream, f"{CAPI}/cluster.x-k8s.io_clusters.yaml")
    served = [v["name"] for v in crd["spec"]["versions"] if v.get("served")]
    assert "v1alpha3" not in served
    converted = crd_to_json_schemas(crd)
    assert [c.api_version for c in converted] == [f"cluster.x-k8s.io/{v}" for v in served]
    storage = [c for c in converted if c.storage]
    assert [c.api_version for c in storage] == ["cluster.x-k8s.io/v1beta2"]
    assert all(c.deprecated for c in converted if c.api_version.endswith("v1beta1"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Prod-Web", True),
        ("k8s_node.1", True),
        ("ABC+def", True),
        ("\u212a8s", True),
        ("-bad", False),
        ("bad tag", False),
        ("", False),
        ("ok/no", False),
    ],
    ids=["mixed-case", "lower", "plus", "kelvin-sign", "leading-dash", "space", "empty", "slash"],
)
def test_translate_pattern_capmox_tag_matches_go_case_insensitive_semantics(
    value: str, expected: bool
) -> None:
    translated = translate_pattern(CAPMOX_TAG_PATTERN)
    assert "(?i)" not in translated
    assert bool(re.search(translated, value)) is expected  # Python re rejects the original
    assert jsonschema_rs.is_valid({"pattern": CAPMOX_TAG_PATTERN}, value) is expected  # Rust engine, original
    assert jsonschema_rs.is_valid({"pattern": translated}, value) is expected


def test_translate_pattern_capmox_crd_pattern_is_the_one_tested(upstream: Path) -> None:
    text = (upstream / CAPMOX / "infrastructure.cluster.x-k8s.io_proxmoxmachines.yaml").read_text()
    assert f"pattern: {CAPMOX_TAG_PATTERN}" in text


@pytest.mark.parametrize(
    "pattern",
    [r"^[a-z]+$", r"^(?i:abc)$", r"^foo(?i)bar$", r"(?i)\x41", r"(?i)(?=a)b", r"(?im)^a$", r"(?i)[]a]"],
    ids=["no-flag", "group-flag", "mid-flag", "hex-escape", "lookahead", "other-flags", "leading-bracket"],
)
def test_translate_pattern_unsupported_or_plain_returns_unchanged(pattern: str) -> None:
    assert translate_pattern(pattern) == pattern
