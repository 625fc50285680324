"""Schema lookup and JSON Schema validation of Kubernetes objects.

Owns: `SchemaRegistry` (ordered lookup of `{group}/{kind}_{version}.json` over schema directories,
memoised compiled validators) and `SchemaViolation` (one schema problem: JSON pointer + short
message). Must not fetch (no network at validation time), print, or decide severities or file
positions: `fleetgen.validate` turns violations into findings.

Validation uses jsonschema-rs (compiled in Rust; ~30x faster than pure-Python jsonschema on
thousands of objects). Formats are not asserted: Kubernetes' formats differ from JSON Schema's
(e.g. `duration` is Go's `1h30m`, not ISO 8601) and the CRDs back them with `pattern`s anyway.

Example:
    >>> registry = SchemaRegistry([default_schema_dir(repo_root)])
    >>> registry.validate({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster", "spce": {}})
    [SchemaViolation(pointer='/spce', message="spce: unknown field 'spce' (the API server drops unknown fields silently)")]
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleetgen.errors import SchemaNotFoundError
from fleetgen.readfile import read_regular
from fleetgen.schemas.catalog import schema_relpath
from fleetgen.schemas.messages import short_value, violations_of


def default_schema_dir(repo_root: Path) -> Path:
    """The synced schema directory of a fleet repository: `<repo_root>/schemas`."""
    from fleetgen.spec.discover import SCHEMAS_DIR

    return repo_root / SCHEMAS_DIR


@dataclass(frozen=True, order=True)
class SchemaViolation:
    """One place where an object does not match its schema.

    Attributes:
        pointer: RFC 6901 JSON pointer into the object, e.g. `/spec/template/spec/numCores`; for
            an unknown field, the pointer of that field; for a missing one, its parent object.
        message: short, lower-case, starts with the dotted field path:
            `spec.template.spec.numCores: expected integer, got string "4"`.
    """

    pointer: str
    message: str


class _ListMapKeys:
    """jsonschema-rs keyword: items of an `x-kubernetes-list-type: map` list are unique by their keys.

    The API server rejects a duplicate entry ("Duplicate value") and server-side apply merges by
    these keys, so two `name: foo` entries are a real error, not a style issue.

    Source:
        Kubernetes docs "Server-Side Apply" (merge strategy, `x-kubernetes-list-map-keys`).
    """

    def __init__(self, parent_schema: dict[str, Any], value: Any, schema_path: list[str | int]) -> None:
        self.keys = [k for k in value if isinstance(k, str)] if isinstance(value, list) else []

    def iter_errors(self, instance: Any) -> Iterator[ValueError]:
        if not isinstance(instance, list) or not self.keys:
            return
        seen: dict[tuple[str, ...], int] = {}
        for i, item in enumerate(instance):
            if not isinstance(item, dict):
                continue
            key = tuple(json.dumps(item.get(k), sort_keys=True) for k in self.keys)
            if key in seen:
                shown = ", ".join(f"{k}={short_value(item.get(k))}" for k in self.keys)
                yield ValueError(f"items [{seen[key]}] and [{i}] have the same key ({shown})")
            else:
                seen[key] = i

    def validate(self, instance: Any) -> None:
        for err in self.iter_errors(instance):
            raise err


def _strip_strict(node: Any) -> Any:
    """Copy of a schema without `additionalProperties: false` (for non-strict validation).

    Upstream CRD schemas never say `additionalProperties: false` (structural schemas forbid it),
    so every one of them in a synced file is fleetgen's strictness, and removing all of them gives
    back the API server's acceptance minus pruning.
    """
    if isinstance(node, dict):
        return {
            k: _strip_strict(v) for k, v in node.items() if not (k == "additionalProperties" and v is False)
        }
    if isinstance(node, list):
        return [_strip_strict(v) for v in node]
    return node


class SchemaRegistry:
    """Finds and applies the JSON schema of a Kubernetes object by apiVersion and kind.

    Lookup order is the order of `locations`: pass `--schema-location` directories first (user
    overrides), then the repository's synced `schemas/`. Each location uses the layout
    `{group}/{kind lower-case}_{version}.json` (`catalog.schema_relpath`), so a checkout of the
    datree CRDs-catalog also works as a location. Loaded schemas and compiled validators are
    memoised per `(apiVersion, kind)` (and strictness); a registry never re-reads a file.

    Args:
        locations: schema directories, highest priority first. Missing directories are skipped.
    """

    def __init__(self, locations: Sequence[Path]) -> None:
        self.locations: tuple[Path, ...] = tuple(Path(p) for p in locations)
        self._schemas: dict[tuple[str, str], tuple[Path, dict[str, Any]] | None] = {}
        self._validators: dict[tuple[str, str, bool], Any] = {}

    def schema_path(self, api_version: str, kind: str) -> Path | None:
        """The file that holds the schema for `(api_version, kind)`, or None.

        Args:
            api_version: e.g. `cluster.x-k8s.io/v1beta2`, `v1`.
            kind: e.g. `Cluster`.

        Returns:
            The first `<location>/<group>/<kind>_<version>.json` that exists, or None.
        """
        found = self._load(api_version, kind)
        return found[0] if found else None

    def schema_for(self, api_version: str, kind: str) -> dict[str, Any] | None:
        """The raw JSON schema for `(api_version, kind)`, `x-kubernetes-validations` included.

        Args:
            api_version: e.g. `cluster.x-k8s.io/v1beta2`.
            kind: e.g. `Cluster`.

        Returns:
            The registry's cached schema dict, shared by every caller: read it, do not modify it
            (copy it first; a per-object deep copy of a large CRD schema costs milliseconds).
            None when no location has it.

        Raises:
            SchemaNotFoundError: the file exists but is not valid JSON (hint says which file).
        """
        found = self._load(api_version, kind)
        return found[1] if found else None

    def has_schema(self, api_version: str, kind: str) -> bool:
        """Whether any location has a schema for `(api_version, kind)`."""
        return self._load(api_version, kind) is not None

    def _load(self, api_version: str, kind: str) -> tuple[Path, dict[str, Any]] | None:
        key = (api_version, kind)
        if key in self._schemas:
            return self._schemas[key]
        result: tuple[Path, dict[str, Any]] | None = None
        try:
            rel = schema_relpath(api_version, kind)
        except ValueError:
            rel = None
        if rel is not None:
            for location in self.locations:
                path = location / rel
                try:
                    text = read_regular(path).decode("utf-8")
                except FileNotFoundError:
                    continue
                except UnicodeDecodeError as err:
                    raise SchemaNotFoundError(key, hint=f"{path} is not UTF-8 JSON; run `fleetgen schemas sync`") from err
                except OSError as err:
                    raise SchemaNotFoundError(key, hint=f"cannot read {path}: {err.strerror}") from err
                try:
                    schema = json.loads(text)
                except ValueError as err:
                    raise SchemaNotFoundError(
                        key, hint=f"{path} is not valid JSON ({err}); run `fleetgen schemas sync`"
                    ) from err
                if not isinstance(schema, dict):
                    raise SchemaNotFoundError(key, hint=f"{path} does not hold a JSON object")
                result = (path, schema)
                break
        self._schemas[key] = result
        return result

    def _validator(self, api_version: str, kind: str, strict: bool) -> Any:
        key = (api_version, kind, strict)
        validator = self._validators.get(key)
        if validator is not None:
            return validator
        found = self._load(api_version, kind)
        if found is None:
            where = ", ".join(str(p) for p in self.locations) or "no schema locations"
            raise SchemaNotFoundError(
                (api_version, kind),
                hint=f"looked in {where}; run `fleetgen schemas sync` or add a --schema-location",
            )
        import jsonschema_rs

        schema = found[1] if strict else _strip_strict(found[1])
        try:
            validator = jsonschema_rs.validator_for(
                schema,
                validate_formats=False,
                keywords={"x-kubernetes-list-map-keys": _ListMapKeys},
            )
        except (ValueError, jsonschema_rs.ValidationError) as err:
            raise SchemaNotFoundError(
                (api_version, kind), hint=f"{found[0]} is not a usable JSON schema: {err}"
            ) from err
        self._validators[key] = validator
        return validator

    def validate(self, obj: dict[str, Any], *, strict: bool = True) -> list[SchemaViolation]:
        """Validate one Kubernetes object against its schema and return every violation.

        Args:
            obj: the object as plain data (dict/list/str/int/float/bool/None), with `apiVersion`
                and `kind`.
            strict: True (rendered objects) denies unknown fields wherever the API server would
                prune them; False (user-supplied objects) allows them.

        Returns:
            All violations, sorted by pointer then message; empty when the object is valid. An
            object without a string apiVersion/kind yields violations, not an exception.

        Raises:
            SchemaNotFoundError: no location has a schema for the object's apiVersion and kind
                (`err.gvk == (apiVersion, kind)`).
        """
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        missing = [
            SchemaViolation(f"/{field}", f"{field}: required, must be a non-empty string")
            for field, value in (("apiVersion", api_version), ("kind", kind))
            if not isinstance(value, str) or not value
        ]
        if missing:
            return missing
        assert isinstance(api_version, str) and isinstance(kind, str)
        validator = self._validator(api_version, kind, strict)
        return sorted({SchemaViolation(p, m) for p, m in violations_of(validator.iter_errors(obj))})

    def known_kinds(self) -> frozenset[tuple[str, str]]:
        """Every `(apiVersion, kind)` some location has a schema for.

        Returns:
            The set of pairs. Locations with an `index.json` (synced ones) are read from it;
            others are scanned, reading `x-kubernetes-group-version-kind` (or the `kind` enum) from
            each `*/*_*.json` file.
        """
        from fleetgen.schemas.sync import read_index

        found: set[tuple[str, str]] = set()
        for location in self.locations:
            index = read_index(location)
            if index is not None:
                for name in index.get("schemas") or {}:
                    api_version, _, kind = str(name).rpartition("/")
                    if api_version and kind:
                        found.add((api_version, kind))
                continue
            if not location.is_dir():
                continue
            for path in sorted(location.glob("*/*_*.json")):
                if path.parent.name.startswith("."):
                    continue
                found.update(_gvks_of(path))
        return frozenset(found)


def _gvks_of(path: Path) -> set[tuple[str, str]]:
    try:
        schema = json.loads(read_regular(path))
    except (OSError, ValueError):
        return set()
    if not isinstance(schema, dict):
        return set()
    out = set()
    for gvk in schema.get("x-kubernetes-group-version-kind") or []:
        if isinstance(gvk, dict) and gvk.get("kind") and gvk.get("version"):
            group = gvk.get("group") or ""
            out.add((f"{group}/{gvk['version']}" if group else str(gvk["version"]), str(gvk["kind"])))
    if not out:
        props = schema.get("properties") or {}
        kinds = (props.get("kind") or {}).get("enum") or []
        versions = (props.get("apiVersion") or {}).get("enum") or []
        if len(kinds) == 1 and len(versions) == 1:
            out.add((str(versions[0]), str(kinds[0])))
    return out
