"""Short, readable messages for JSON Schema violations (jsonschema-rs errors).

Owns: turning one jsonschema-rs ValidationError into `(pointer, message)` pairs that name the
field path and what is wrong, never dumping whole documents. Used by the CRD schema registry and
by addon payload validation against the core Kubernetes schemas, so both speak alike.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fleetgen.sourcemap import escape_token, pointer_to_path

#: Longest rendering of a value inside a message.
_MAX_VALUE_CHARS = 60
#: Most enum options listed in a message.
_MAX_OPTIONS = 8


def short_value(value: Any) -> str:
    """JSON rendering of a value, cut to _MAX_VALUE_CHARS."""
    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _path(parts: Sequence[str | int]) -> str:
    return "".join("/" + escape_token(p) for p in parts)


def _where(pointer: str) -> str:
    return pointer_to_path(pointer) or "(root)"


def _drop_null(types: Any, drop: bool) -> list[str]:
    names = [str(t) for t in (types if isinstance(types, list) else [types])]
    if not drop:
        return names
    return [t for t in names if t != "null"] or names


def _type_message(types: Sequence[str], instance: Any) -> str:
    want = " or ".join(sorted(set(types), key=lambda t: (t == "null", t)))
    got = _json_type(instance)
    shown = f" {short_value(instance)}" if got not in ("object", "array", "null") else ""
    return f"expected {want}, got {got}{shown}"


def _branch_types(context: Any, at: Sequence[str | int]) -> list[str]:
    """The allowed types when every failed branch failed only on `type` at `at`; else []."""
    types: list[str] = []
    for branch in context or []:
        if (
            len(branch) != 1
            or type(branch[0].kind).__name__ != "Type"
            or list(branch[0].instance_path) != list(at)
        ):
            return []
        types.extend(branch[0].kind.types)
    return types


#: Errors about an object's fields (which it has or lacks), not about one value.
_STRUCTURAL = frozenset({"AdditionalProperties", "Required"})


def violations_of(errors: Iterable[Any], *, optional_null: bool = False) -> list[tuple[str, str]]:
    """Every jsonschema-rs ValidationError of one object as `(JSON pointer, message)` pairs, a
    misspelt field counted once, and the problems of one value in one message (`""` breaking both
    `minLength` and `pattern` is one problem of that field).

    A misspelt required field is two schema errors: an unknown field and a missing one in the same
    object. It is one problem, reported at the unknown field with the name it resembles
    (`unknown field 'podSelectr'; did you mean 'podSelector'?`, as the spec loader words it), and
    the missing-field error is dropped.

    Args:
        errors: the validator's errors for one object (`iter_errors`).
        optional_null: as for `schema_violations`.

    Returns:
        The pairs, in the errors' order.
    """
    errors = list(errors)
    missing: dict[str, list[str]] = {}  # object pointer -> its missing required fields
    for err in errors:
        if type(err.kind).__name__ == "Required":
            missing.setdefault(_path(err.instance_path), []).append(err.kind.property)
    meant: dict[str, dict[str, str]] = {}  # object pointer -> unknown field -> the missing field it resembles
    absorbed: set[tuple[str, str]] = set()  # (object pointer, missing field) reported as a misspelling
    for err in errors:
        if type(err.kind).__name__ == "AdditionalProperties":
            pointer = _path(err.instance_path)
            for field in err.kind.unexpected:
                left = [m for m in missing.get(pointer, []) if (pointer, m) not in absorbed]
                # (0.75: `prot` for `port`, not `nodeport` for `port`, whose optional `nodePort` is closer)
                close = difflib.get_close_matches(field, left, n=1, cutoff=0.75)
                if close:
                    meant.setdefault(pointer, {})[field] = close[0]
                    absorbed.add((pointer, close[0]))
    out: list[tuple[str, str]] = []
    values: dict[str, int] = {}  # pointer -> index in `out` of the first problem with that value
    for err in errors:
        pointer = _path(err.instance_path)
        name = type(err.kind).__name__
        if name == "Required" and (pointer, err.kind.property) in absorbed:
            continue
        for at, message in schema_violations(err, optional_null=optional_null, meant=meant.get(pointer, {})):
            prefix = f"{_where(at)}: "
            if name in _STRUCTURAL or at != pointer or not message.startswith(prefix):
                out.append((at, message))
            elif at in values:  # (one value, several problems: `""` is too short and does not match the pattern)
                first = values[at]
                out[first] = (at, f"{out[first][1]}; {message.removeprefix(prefix)}")
            else:
                values[at] = len(out)
                out.append((at, message))
    return out


def schema_violations(err: Any, *, optional_null: bool = False,
                      meant: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """Turn one jsonschema-rs ValidationError into short `(JSON pointer, message)` pairs.

    Args:
        err: a jsonschema-rs ValidationError.
        optional_null: leave `null` out of the expected types (the core Kubernetes schemas allow
            null everywhere, where it only means "unset").
        meant: unknown field -> the field it is a misspelling of (`violations_of`), for the
            message's "did you mean".

    Returns:
        One pair per problem; an unknown field is reported at the field itself.
    """
    pointer = _path(err.instance_path)
    where = _where(pointer)
    kind = err.kind
    name = type(kind).__name__
    instance = err.instance
    if name == "AdditionalProperties":
        meant = meant or {}
        return [
            (f"{pointer}/{escape_token(p)}",
                f"{pointer_to_path(pointer + '/' + escape_token(p))}: unknown field {p!r}"
                + (f"; did you mean {meant[p]!r}?" if p in meant else "")
                + " (the API server drops unknown fields silently)",
            )
            for p in kind.unexpected
        ]
    if name == "Required":
        return [(pointer, f"{where}: missing required field {kind.property!r}")]
    if name == "Type":
        return [(pointer, f"{where}: {_type_message(_drop_null(kind.types, optional_null), instance)}")]
    if name == "Enum":
        options = [short_value(o) for o in kind.options[:_MAX_OPTIONS]]
        more = ", ..." if len(kind.options) > _MAX_OPTIONS else ""
        return [
            (pointer, f"{where}: must be one of {', '.join(options)}{more}; got {short_value(instance)}"
            )
        ]
    if name == "Constant":
        return [
            (pointer, f"{where}: must be {short_value(kind.expected_value)}; got {short_value(instance)}"
            )
        ]
    if name == "Pattern":
        return [
            (pointer, f"{where}: {short_value(instance)} does not match the pattern {kind.pattern}")
        ]
    limits = {
        "MinLength": "must be at least {} characters long",
        "MaxLength": "must be at most {} characters long",
        "MinItems": "must have at least {} items",
        "MaxItems": "must have at most {} items",
        "MinProperties": "must have at least {} entries",
        "MaxProperties": "must have at most {} entries",
        "Minimum": "must be >= {}",
        "Maximum": "must be <= {}",
        "ExclusiveMinimum": "must be > {}",
        "ExclusiveMaximum": "must be < {}",
    }
    if name == "MinLength" and kind.limit == 1:
        return [(pointer, f"{where}: must not be empty")]
    if name in limits:
        got = (
            f"; got {short_value(instance)}"
            if not isinstance(instance, (dict, list))
            else f"; got {len(instance)}"
        )
        return [(pointer, f"{where}: {limits[name].format(kind.limit)}{got}")]
    if name == "MultipleOf":
        return [
            (pointer, f"{where}: must be a multiple of {kind.multiple_of}; got {short_value(instance)}"
            )
        ]
    if name == "UniqueItems":
        return [(pointer, f"{where}: items must be unique")]
    if name == "Custom":
        return [(pointer, f"{where}: {kind.message}")]
    if name in ("AnyOf", "OneOfNotValid"):
        types = _branch_types(kind.context, err.instance_path)
        if types:  # e.g. IntOrString as oneOf [{type: string}, {type: integer}]
            return [(pointer, f"{where}: {_type_message(_drop_null(types, optional_null), instance)}")]
        return [(pointer, f"{where}: does not match any allowed form; got {short_value(instance)}")]
    if name == "OneOfMultipleValid":
        return [(pointer, f"{where}: matches more than one of the exclusive forms")]
    if name == "Not":
        return [(pointer, f"{where}: must not match {short_value(kind.schema)}")]
    if name == "FalseSchema":
        return [(pointer, f"{where}: not allowed here")]
    message = str(getattr(err, "message", err))
    if len(message) > 200:
        message = message[:197] + "..."
    return [(pointer, f"{where}: {message}")]
