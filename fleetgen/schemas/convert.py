"""CustomResourceDefinition `openAPIV3Schema` -> strict JSON Schema (draft 2020-12).

Owns: the conversion of one CRD into one JSON schema per served version, and what "strict" means
for fleetgen. Pure functions over dicts: must not read files, fetch, or validate objects.

What the conversion does, and why (each is what the API server does to an object that the plain
OpenAPI schema would let through, or an OpenAPI dialect detail JSON Schema lacks):

* `additionalProperties: false` is added to every object schema that lists `properties` (or is
  `type: object` with neither `properties` nor `additionalProperties`), unless it sets
  `x-kubernetes-preserve-unknown-fields: true` — including the root, so a top-level `spce:` fails.
  The API server prunes unknown fields silently: data loss. Upstream kubeconform's
  `openapi2jsonschema.py` skips the root unless `DENY_ROOT_ADDITIONAL_PROPERTIES` is set.
  Value-validation branches (`allOf`/`anyOf`/`oneOf`/`not`) are never made strict: in a structural
  schema they only constrain fields declared outside them.
* The root gets `apiVersion` and `kind` pinned with `enum` (and both required) and `metadata` typed as
  ObjectMeta (a strict object), merged with whatever the CRD says about `metadata`.
* `x-kubernetes-int-or-string: true` (and OpenAPI `format: int-or-string`) -> `type: [integer, string]`.
* `nullable: true` -> `null` added to `type` (and to `enum`); the `nullable` keyword is dropped.
* OpenAPI 3.0 boolean `exclusiveMinimum`/`exclusiveMaximum` -> the numeric draft-6+ form.
* `x-kubernetes-list-type: set` -> `uniqueItems: true` (the API server rejects duplicates).
* `pattern`s that start with Go's `(?i)` flag are rewritten to an equivalent flag-free pattern
  (letters become `[xX]` classes) so any ECMA-262/Python engine reads them; see `translate_pattern`.
* Everything else, `x-kubernetes-validations` (CEL rules) included, is kept untouched.

Example:
    >>> schemas = crd_to_json_schemas(crd)          # crd: a parsed CustomResourceDefinition dict
    >>> schemas[0].api_version, schemas[0].kind
    ('cluster.x-k8s.io/v1beta1', 'Cluster')
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

#: Bumped whenever the conversion changes its output, so synced schemas are detected as stale.
CONVERTER_VERSION = 2
#: JSON Schema dialect of every generated file (core kinds from kubernetes-validate use it too).
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_BRANCH_KEYWORDS = ("allOf", "anyOf", "oneOf")
_STRING = {"type": "string"}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}

#: ObjectMeta as a client may send it. Unknown metadata fields are dropped by the API server, so the
#: object is strict. `creationTimestamp: null` is what Go clients serialise for an unset time.
#: Source: kubernetes/apimachinery pkg/apis/meta/v1/types.go (ObjectMeta, OwnerReference).
OBJECT_META_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Standard object metadata (ObjectMeta).",
    "properties": {
        "name": _STRING,
        "generateName": _STRING,
        "namespace": _STRING,
        "labels": _STRING_MAP,
        "annotations": _STRING_MAP,
        "finalizers": {"type": "array", "items": _STRING},
        "ownerReferences": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["apiVersion", "kind", "name", "uid"],
                "properties": {
                    "apiVersion": _STRING,
                    "kind": _STRING,
                    "name": _STRING,
                    "uid": _STRING,
                    "controller": {"type": "boolean"},
                    "blockOwnerDeletion": {"type": "boolean"},
                },
                "additionalProperties": False,
            },
        },
        "uid": _STRING,
        "resourceVersion": _STRING,
        "generation": {"type": "integer"},
        "creationTimestamp": {"type": ["string", "null"]},
        "deletionTimestamp": _STRING,
        "deletionGracePeriodSeconds": {"type": "integer"},
        "selfLink": _STRING,
        "managedFields": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": False,
}

# Go's (?i) uses Unicode simple case folding: besides the ASCII pair, `k` also matches U+212A
# KELVIN SIGN and `s` matches U+017F LATIN SMALL LETTER LONG S. Keep those for fidelity.
_EXTRA_FOLDS = {"k": "\u212a", "s": "\u017f"}
_SAFE_ESCAPES = set("dDwWsSbB") | set("tnrfv") | set("\\/^$.|?*+()[]{}-")


@dataclass(frozen=True)
class ConvertedSchema:
    """The JSON schema of one served version of one CRD.

    Attributes:
        api_version: `group/version`, e.g. `cluster.x-k8s.io/v1beta2`.
        kind: e.g. `Cluster`.
        schema: the JSON Schema (draft 2020-12) dict.
        storage: whether this is the CRD's storage version.
        deprecated: whether the CRD marks this version deprecated.
    """

    api_version: str
    kind: str
    schema: dict[str, Any]
    storage: bool
    deprecated: bool


class ConversionError(ValueError):
    """Raised when a document is not a CRD this module can convert (the caller adds the file name)."""


def crd_to_json_schemas(crd: dict[str, Any]) -> list[ConvertedSchema]:
    """Convert every served version of a CRD to a strict JSON schema.

    Args:
        crd: a parsed `apiextensions.k8s.io/v1` CustomResourceDefinition.

    Returns:
        One ConvertedSchema per version with `served: true`, in the CRD's version order.
        Unserved versions (e.g. CAPI's v1alpha3) are skipped: the API server rejects them.

    Raises:
        ConversionError: not an apiextensions.k8s.io/v1 CRD, or a served version without
            `schema.openAPIV3Schema` (v1 CRDs always have one).

    Source:
        Kubernetes docs "Extend the Kubernetes API with CustomResourceDefinitions" (structural
        schemas, pruning, int-or-string, nullable); yannh/kubeconform scripts/openapi2jsonschema.py.
    """
    if crd.get("apiVersion") != "apiextensions.k8s.io/v1" or crd.get("kind") != "CustomResourceDefinition":
        raise ConversionError(
            f"not an apiextensions.k8s.io/v1 CustomResourceDefinition: {crd.get('apiVersion')} {crd.get('kind')}"
        )
    spec = crd.get("spec") or {}
    group = spec.get("group")
    kind = (spec.get("names") or {}).get("kind")
    if not isinstance(group, str) or not group or not isinstance(kind, str) or not kind:
        raise ConversionError("CRD has no spec.group or spec.names.kind")
    out: list[ConvertedSchema] = []
    for v in spec.get("versions") or []:
        if not v.get("served"):
            continue
        name = v.get("name")
        schema = (v.get("schema") or {}).get("openAPIV3Schema")
        if not isinstance(schema, dict):
            raise ConversionError(f"{kind} {name}: served version has no schema.openAPIV3Schema")
        api_version = f"{group}/{name}"
        out.append(
            ConvertedSchema(
                api_version=api_version,
                kind=kind,
                schema=openapi_to_json_schema(schema, api_version=api_version, kind=kind),
                storage=bool(v.get("storage")),
                deprecated=bool(v.get("deprecated")),
            )
        )
    return out


def openapi_to_json_schema(schema: dict[str, Any], *, api_version: str, kind: str) -> dict[str, Any]:
    """Convert one CRD version's `openAPIV3Schema` (the root) to a strict JSON schema.

    Args:
        schema: the `openAPIV3Schema` dict; not modified.
        api_version: `group/version`, pinned into `properties.apiVersion.enum`.
        kind: pinned into `properties.kind.enum`.

    Returns:
        A new dict: the converted schema with `$schema`, pinned apiVersion/kind, ObjectMeta-typed
        metadata and `x-kubernetes-group-version-kind` (as in Kubernetes' own published schemas).
    """
    root = {k: v for k, v in schema.items() if k != "properties"}
    props = dict(schema.get("properties") or {})
    crd_meta = props.pop("metadata", None)
    root["properties"] = props
    out = _node(root, branch=False)
    out_props: dict[str, Any] = out.setdefault("properties", {})

    api = {k: v for k, v in (out_props.get("apiVersion") or {}).items() if k == "description"}
    out_props["apiVersion"] = {**api, "type": "string", "enum": [api_version]}
    kind_schema = {k: v for k, v in (out_props.get("kind") or {}).items() if k == "description"}
    out_props["kind"] = {**kind_schema, "type": "string", "enum": [kind]}
    out_props["metadata"] = _merge_metadata(crd_meta)
    out["required"] = sorted(set(out.get("required") or []) | {"apiVersion", "kind"})
    out["type"] = "object"
    if not out.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    group, _, version = api_version.rpartition("/")
    out["x-kubernetes-group-version-kind"] = [{"group": group, "kind": kind, "version": version}]
    out["$schema"] = JSON_SCHEMA_DIALECT
    return out


def _merge_metadata(crd_meta: Any) -> dict[str, Any]:
    """ObjectMeta, narrowed by whatever the CRD declares under `metadata` (e.g. name length)."""
    meta = copy.deepcopy(OBJECT_META_SCHEMA)
    if not isinstance(crd_meta, dict):
        return meta
    converted = _node(crd_meta, branch=True)  # branch mode: ObjectMeta decides what is allowed
    if converted.get("description"):
        meta["description"] = converted["description"]
    for key, sub in (converted.get("properties") or {}).items():
        ours = meta["properties"].get(key)
        meta["properties"][key] = {"allOf": [ours, sub]} if ours else sub
    for key, value in converted.items():
        if key not in (
            "type",
            "properties",
            "additionalProperties",
            "description",
            "x-kubernetes-preserve-unknown-fields",
        ):
            meta[key] = value
    return meta


def _node(s: dict[str, Any], *, branch: bool) -> dict[str, Any]:
    """Convert one schema node (recursively). `branch`: inside allOf/anyOf/oneOf/not."""
    out = dict(s)
    if isinstance(out.get("properties"), dict):
        out["properties"] = {
            k: _node(v, branch=branch) if isinstance(v, dict) else v for k, v in out["properties"].items()
        }
    if isinstance(out.get("additionalProperties"), dict):
        out["additionalProperties"] = _node(out["additionalProperties"], branch=branch)
    if isinstance(out.get("items"), dict):
        out["items"] = _node(out["items"], branch=branch)
    elif isinstance(out.get("items"), list):  # not valid in OpenAPI v3; converted defensively
        out["items"] = [_node(i, branch=branch) if isinstance(i, dict) else i for i in out["items"]]
    for kw in _BRANCH_KEYWORDS:
        if isinstance(out.get(kw), list):
            out[kw] = [_node(i, branch=True) if isinstance(i, dict) else i for i in out[kw]]
    if isinstance(out.get("not"), dict):
        out["not"] = _node(out["not"], branch=True)

    if isinstance(out.get("pattern"), str):
        out["pattern"] = translate_pattern(out["pattern"])
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), bool):  # OpenAPI 3.0 / draft-4 boolean form
            if out[bound] and limit in out:
                out[bound] = out.pop(limit)
            else:
                del out[bound]
    if out.get("type") == "integer" and out.get("format") in _INT_RANGE:
        _int_range(out, *_INT_RANGE[out["format"]])
    if out.get("x-kubernetes-list-type") == "set" and out.get("type") == "array":
        out["uniqueItems"] = True
    if out.get("x-kubernetes-int-or-string") is True or out.get("format") == "int-or-string":
        _int_or_string(out)
    if not branch:
        _strict(out)
    if out.pop("nullable", False) is True:
        out = _nullable(out)
    return out


#: Integer formats the API server enforces when it decodes into Go int32/int64 fields.
_INT_RANGE = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _int_range(out: dict[str, Any], low: int, high: int) -> None:
    """`format: int32|int64`: bound the value (the API server cannot decode larger numbers)."""
    if not isinstance(out.get("minimum"), int | float) or out["minimum"] < low:
        out["minimum"] = low
    if not isinstance(out.get("maximum"), int | float) or out["maximum"] > high:
        out["maximum"] = high


def _int_or_string(out: dict[str, Any]) -> None:
    """IntOrString: allow an integer or a string (any `pattern` applies to the string form)."""
    branches = out.get("anyOf")
    if isinstance(branches, list) and sorted(map(repr, branches)) == sorted(
        [repr({"type": "integer"}), repr({"type": "string"})]
    ):
        del out["anyOf"]
    if "type" not in out and "anyOf" not in out:
        out["type"] = ["integer", "string"]


def _nullable(out: dict[str, Any]) -> dict[str, Any]:
    """`nullable: true`: accept null as well as what the schema accepts."""
    typ = out.get("type")
    if isinstance(typ, str):
        out["type"] = [typ, "null"]
    elif isinstance(typ, list) and "null" not in typ:
        out["type"] = [*typ, "null"]
    if isinstance(out.get("enum"), list) and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    if typ is None and any(k in out for k in (*_BRANCH_KEYWORDS, "not")):
        # No type to widen, but a value-validation branch would still reject null.
        return {"anyOf": [{"type": "null"}, out]}
    return out


def unwrap_nullable(schema: Any) -> tuple[Any, bool]:
    """Read a node of a schema as (the schema of its non-null values, whether null is allowed).

    The inverse of what `_nullable` writes, for readers that walk schemas by `properties`/`items`
    (CEL rules, defaulting): a CRD's `nullable: true`, a `type` list with `"null"`, and the
    `{"anyOf": [{"type": "null"}, <schema>]}` wrapper (unambiguous: a structural CRD cannot
    declare a type inside `anyOf`).

    Args:
        schema: a node of a generated JSON schema or of a CRD `openAPIV3Schema`.

    Returns:
        (`schema`, nullable), or the wrapped schema and True for the `anyOf` wrapper.
    """
    if not isinstance(schema, dict):
        return schema, False
    any_of = schema.get("anyOf")
    if (len(schema) == 1 and isinstance(any_of, list) and len(any_of) == 2
            and any_of[0] == {"type": "null"} and isinstance(any_of[1], dict)):
        return any_of[1], True
    typ = schema.get("type")
    return schema, schema.get("nullable") is True or (isinstance(typ, list) and "null" in typ)


def _strict(out: dict[str, Any]) -> None:
    """Deny fields the API server would prune (see the module docstring)."""
    if out.get("x-kubernetes-preserve-unknown-fields") is True or "additionalProperties" in out:
        return
    typ = out.get("type")
    is_object = typ == "object" or (isinstance(typ, list) and "object" in typ)
    if out.get("x-kubernetes-embedded-resource") is True:
        props = out.setdefault("properties", {})
        props.setdefault("apiVersion", dict(_STRING))
        props.setdefault("kind", dict(_STRING))
        props.setdefault("metadata", copy.deepcopy(OBJECT_META_SCHEMA))
    if "properties" in out or is_object:
        out["additionalProperties"] = False


def translate_pattern(pattern: str) -> str:
    """Rewrite a Go `(?i)` pattern into an equivalent pattern without inline flags.

    Kubernetes evaluates CRD `pattern`s with Go's RE2, which accepts a leading `(?i)` (also after
    `^`). JSON Schema patterns are ECMA-262, which has no inline flags, and Python's `re` rejects
    a global flag that is not at the very start. The rewrite makes every ASCII letter in the
    flagged part case-insensitive by hand: `a` -> `[aA]`, `[a-z0-9_]` -> `[a-zA-Z0-9_...]`
    (Go's simple case folding also maps `k`/`K` to U+212A and `s`/`S` to U+017F; those are kept).
    Patterns it cannot rewrite with certainty (other flags, `(?i:...)` groups, `(?` constructs,
    non-ASCII literals, numeric or property escapes) are returned unchanged; jsonschema-rs still
    reads those natively.

    Args:
        pattern: a CRD `pattern` value.

    Returns:
        The rewritten pattern, or `pattern` itself when it has no `(?i)` or cannot be rewritten.

    Source:
        ionos-cloud/cluster-api-provider-proxmox v0.9.0,
        config/crd/bases/infrastructure.cluster.x-k8s.io_proxmoxmachines.yaml
        (`pattern: ^(?i)[a-z0-9_][a-z0-9_\\-\\+\\.]*$`, the disk device name).
    """
    if pattern.startswith("(?i)"):
        head, rest = "", pattern[4:]
    elif pattern.startswith("^(?i)"):
        head, rest = "^", pattern[5:]
    else:
        return pattern
    try:
        return head + _fold(rest)
    except _CannotFold:
        return pattern


class _CannotFold(Exception):
    pass


def _variants(ch: str) -> list[str]:
    """Case variants of an ASCII letter under Go's simple case folding, `ch` first."""
    low = ch.lower()
    out = [ch, ch.swapcase()]
    if low in _EXTRA_FOLDS:
        out.append(_EXTRA_FOLDS[low])
    return out


def _fold(rest: str) -> str:
    out: list[str] = []
    i = 0
    n = len(rest)
    while i < n:
        c = rest[i]
        if ord(c) > 127:
            raise _CannotFold
        if c == "\\":
            if i + 1 >= n or rest[i + 1] not in _SAFE_ESCAPES:
                raise _CannotFold
            out.append(rest[i : i + 2])
            i += 2
        elif c == "(":
            if rest.startswith("(?", i):
                raise _CannotFold  # flags, non-capturing groups, lookaround: keep the original
            out.append(c)
            i += 1
        elif c == "[":
            end, cls = _fold_class(rest, i)
            out.append(cls)
            i = end
        elif c == "{":
            close = rest.find("}", i)
            if close < 0 or not all(ch.isdigit() or ch == "," for ch in rest[i + 1 : close]):
                raise _CannotFold
            out.append(rest[i : close + 1])
            i = close + 1
        elif c.isalpha():
            out.append("[" + "".join(_variants(c)) + "]")
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _fold_class(rest: str, start: int) -> tuple[int, str]:
    """Fold a bracket class starting at `rest[start] == '['`; returns (index after `]`, text)."""
    i = start + 1
    negate = ""
    if i < len(rest) and rest[i] == "^":
        negate = "^"
        i += 1
    if i < len(rest) and rest[i] == "]":
        raise _CannotFold  # a leading `]` means different things in Go and ECMA-262
    items: list[str] = []
    letters: set[str] = set()
    while True:
        if i >= len(rest):
            raise _CannotFold  # unterminated class
        c = rest[i]
        if c == "]":
            i += 1
            break
        if ord(c) > 127 or c == "[":
            raise _CannotFold  # non-ASCII or nested/POSIX classes
        if c == "\\":
            if i + 1 >= len(rest) or rest[i + 1] not in _SAFE_ESCAPES:
                raise _CannotFold
            atom, i = rest[i : i + 2], i + 2
            lo = atom[1] if atom[1] in "\\/^$.|?*+()[]{}-" else None
        else:
            atom, i = c, i + 1
            lo = c
        if lo is not None and i + 1 < len(rest) and rest[i] == "-" and rest[i + 1] != "]":
            hi_c = rest[i + 1]
            if hi_c == "\\" or ord(hi_c) > 127 or hi_c == "[":
                raise _CannotFold
            items.append(f"{atom}-{hi_c}")
            letters.update(chr(x) for x in range(ord(lo), ord(hi_c) + 1) if chr(x).isalpha())
            i += 2
            continue
        items.append("\\-" if atom == "-" else atom)  # the added letters go first: keep `-` literal
        if lo is not None and lo.isalpha() and atom == lo:
            letters.add(lo)
    extra: set[str] = set()
    for letter in letters:
        extra.update(_variants(letter)[1:])
    extra -= letters
    return i, "[" + negate + _ranges(sorted(extra)) + "".join(items) + "]"


def _ranges(chars: list[str]) -> str:
    """Compress sorted single characters into class ranges: A B C x -> `A-Cx`."""
    out: list[str] = []
    j = 0
    while j < len(chars):
        k = j
        while k + 1 < len(chars) and ord(chars[k + 1]) == ord(chars[k]) + 1:
            k += 1
        out.append(chars[j] if k == j else chars[j] + ("" if k == j + 1 else "-") + chars[k])
        j = k + 1
    return "".join(out)
