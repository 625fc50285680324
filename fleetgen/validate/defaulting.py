"""Structural defaulting: the `default` values of a CRD schema filled in, as the API server does.

Owns: applying a schema's `default`s to an object (`with_defaults`, or `defaults_tree` once per
schema and `apply_defaults` per object), the way the Kubernetes API
server does when it decodes a custom resource (the request body on create and update, and the
stored old object), before any validation runs. CEL rules therefore see defaulted values: CAPMOX's
`self.full || !has(self.format)` passes on a machine template that sets `format` and leaves
`full` to its default `true`. Must not validate, read files, or modify its input.

The algorithm (k8s.io/apiextensions-apiserver pkg/apiserver/schema/defaulting/algorithm.go,
`Default`): in an object, every declared property that is absent, or `null` where the property
is not `nullable`, gets a copy of its `default`; then every property present (defaulted ones
included) is defaulted by its own schema, and every undeclared key by `additionalProperties`;
in a list, every item by `items`. Defaults under `allOf`/`anyOf`/`oneOf`/`not` are not applied
(a structural schema may not have any there).

Example:
    >>> schema = registry.schema_for("infrastructure.cluster.x-k8s.io/v1alpha2", "ProxmoxMachineTemplate")
    >>> with_defaults({"spec": {"template": {"spec": {"format": "qcow2"}}}}, schema)["spec"]["template"]["spec"]
    {'format': 'qcow2', 'full': True}
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from fleetgen.schemas.convert import unwrap_nullable


@dataclass
class Defaults:
    """A schema node with defaults at or below it (the defaulting tree: default-free subtrees left out)."""

    defaults: dict[str, Any] = field(default_factory=dict)
    nullable: frozenset[str] = frozenset()
    declared: frozenset[str] = frozenset()
    properties: dict[str, Defaults] = field(default_factory=dict)
    items: Defaults | None = None
    additional: Defaults | None = None

    @property
    def empty(self) -> bool:
        return not (self.defaults or self.properties or self.items or self.additional)


def with_defaults(value: Any, schema: dict[str, Any]) -> Any:
    """`value` with the schema's defaults applied, as the API server stores it.

    Args:
        value: a decoded object (dicts, lists, scalars), e.g. a rendered manifest.
        schema: its JSON schema from `fleetgen.schemas` (`SchemaRegistry.schema_for`) or a CRD
            version's `openAPIV3Schema` (same structure).

    Returns:
        `value` itself when no default applies; else a copy in which only the containers on the
        way to a defaulted field are new (the input is never modified, unchanged subtrees are
        shared, every inserted default is a fresh deep copy).

    Source:
        k8s.io/apiextensions-apiserver pkg/apiserver/schema/defaulting/algorithm.go (Default).
    """
    return apply_defaults(defaults_tree(schema), value)


def apply_defaults(tree: Defaults | None, value: Any) -> Any:
    """`with_defaults` with a tree from `defaults_tree` (None: `value` itself)."""
    return value if tree is None else _apply(tree, value)


def defaults_tree(schema: Any) -> Defaults | None:
    """The defaults of a schema as a tree to apply many times (`apply_defaults`); None when the
    schema has no `default` anywhere. Callers that check many objects against one schema build it
    once (`fleetgen.validate.cel.compile_rules` keeps it with the schema's compiled rules)."""
    schema, _ = unwrap_nullable(schema)
    if not isinstance(schema, dict):
        return None
    props = schema.get("properties")
    node = Defaults()
    if isinstance(props, dict):
        node.declared = frozenset(props)
        unwrapped = {k: unwrap_nullable(p) for k, p in props.items()}
        node.defaults = {k: p["default"] for k, (p, _) in unwrapped.items() if isinstance(p, dict) and "default" in p}
        node.nullable = frozenset(k for k, (_, nullable) in unwrapped.items() if nullable)
        for name, (sub, _) in unwrapped.items():
            child = defaults_tree(sub)
            if child is not None:
                node.properties[name] = child
    node.items = defaults_tree(schema.get("items"))
    node.additional = defaults_tree(schema.get("additionalProperties"))
    return None if node.empty else node


def _apply(node: Defaults, value: Any) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] | None = None
        for key, default in node.defaults.items():
            if key not in value or (value[key] is None and key not in node.nullable):
                if out is None:
                    out = dict(value)
                out[key] = copy.deepcopy(default)
        current = value if out is None else out
        for key, sub in current.items():
            child = node.properties.get(key) if key in node.declared else node.additional
            if child is None:
                continue
            new = _apply(child, sub)
            if new is not sub:
                if out is None:
                    out = dict(value)
                out[key] = new
        return value if out is None else out
    if isinstance(value, list) and node.items is not None:
        items: list[Any] | None = None
        for i, item in enumerate(value):
            new = _apply(node.items, item)
            if new is not item:
                if items is None:
                    items = list(value)
                items[i] = new
        return value if items is None else items
    return value
