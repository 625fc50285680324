"""CRD validation rules (`x-kubernetes-validations`, CEL) evaluated on rendered objects.

Owns: collecting the CEL rules of a CRD JSON schema and compiling them once per (apiVersion,
kind) (`compile_rules`), evaluating them on a rendered object the way the Kubernetes API server
does on create, or on update when the object rendered from the git base ref is given
(`check_cel`), and listing the rules this evaluator cannot run (`unsupported_rules`). Must not
validate plain OpenAPI keywords (that is the JSON Schema pass), read files, or print.

How the API server's behaviour is followed (k8s.io/apiextensions-apiserver
pkg/apiserver/schema/cel/validation.go):

* A rule runs at every place its schema node applies (`properties`, `items`,
  `additionalProperties`, and rules of `allOf` branches at the same place), with `self` bound to
  the value there. Absent fields and `null` values are not validated.
* Values are typed from the schema as the server types them: `type: number` becomes a double,
  strings with `format: duration|date|date-time|byte` become durations, timestamps and bytes.
* Transition rules (rules using `oldSelf`) run only when the old object has a value at the
  correlated place: object properties and map entries correlate by key, items of
  `x-kubernetes-list-type: map` lists by their `x-kubernetes-list-map-keys`; items of atomic and
  set lists do not correlate. With `optionalOldSelf: true` they also run without an old value,
  `oldSelf` being `optional.none()`.
* Messages: `message`, else the evaluated `messageExpression` (when it yields a non-blank
  one-line string), else `failed rule: <rule>`; the path is the rule's place plus `fieldPath`.
* Schema defaults are applied first, to the object and to the old one, as the API server applies
  them when it decodes a custom resource (`fleetgen.validate.defaulting`): a rule reading a field
  the object leaves to its default sees the default (CAPMOX `self.full || !has(self.format)`
  passes without `full`, which defaults to true).

Runtime errors that depend on the data ("no such key", index out of range, a function rejecting
its argument) are `cel` errors, as on the server. A rule this evaluator cannot compile or run
(unsupported syntax or function, a type mismatch the server's type checker would have ruled out)
yields one `cel-unsupported` warning per object naming the rule and why; it never passes silently.

Example:
    >>> schema = registry.schema_for("infrastructure.cluster.x-k8s.io/v1alpha2", "ProxmoxMachineTemplate")
    >>> for finding in check_cel(rendered_object, schema, old=base_manifest):
    ...     print(finding.position, finding.message)
    clusters/pve.yaml:3:1 spec.template.spec: Must set full=true when specifying format
    >>> unsupported_rules(schema)
    []
"""

from __future__ import annotations

import base64
import binascii
import logging
import marshal
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fleetgen.findings import Finding, Severity
from fleetgen.render.base import RenderedObject
from fleetgen.schemas.convert import unwrap_nullable
from fleetgen.sourcemap import join_pointer, pointer_to_path
from fleetgen.validate import cel_k8s
from fleetgen.validate.cel_lib import cel
from fleetgen.validate.defaulting import Defaults, apply_defaults, defaults_tree

log = logging.getLogger(__name__)

#: Rule id of a failed (or data-dependent erroring) CEL rule.
RULE_ID = "cel"
#: Rule id of a rule this evaluator cannot compile or evaluate.
UNSUPPORTED_RULE_ID = "cel-unsupported"

_VALIDATIONS = "x-kubernetes-validations"
_OLD_SELF = re.compile(r"\boldSelf\b")
_COMPREHENSION_VARS = re.compile(
    r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,"
)
#: Identifiers that are not variables to resolve: self/oldSelf, CEL type names, and the
#: namespaces of namespaced functions (`optional.of`, `format.named`, `ip.isCanonical`, ...).
_KNOWN_IDENTS = frozenset(
    {
        "self",
        "oldSelf",
        "int",
        "uint",
        "double",
        "bool",
        "string",
        "bytes",
        "list",
        "map",
        "null_type",
        "type",
        "duration",
        "timestamp",
        "optional",
    }
) | frozenset(name.split(".", 1)[0] for name in cel_k8s.FUNCTIONS if "." in name)
_TYPED_FORMATS = frozenset({"duration", "date", "date-time", "byte"})


class _CelLogFilter(logging.Filter):
    """Drop the `cel` library's warning for a Python function that raised.

    The library logs "Python function 'f' failed: ..." on the `cel` logger whenever a registered
    function raises, before re-raising it as the evaluation error that becomes a finding here;
    without a handler, Python's last-resort handler would print it to stderr mid-report.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Python function")


logging.getLogger("cel").addFilter(_CelLogFilter())


# ---------------------------------------------------------------------------------------------
# Compiled rules
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CelRule:
    """One `x-kubernetes-validations` entry, compiled.

    Attributes:
        schema_path: where the rule sits, dotted, `[*]` for list items and `{*}` for map values,
            e.g. `spec.template.spec.network.additionalDevices[*]` ("" at the root).
        rule: the CEL source as written in the CRD.
        message: `message` ("" if unset).
        message_expression: `messageExpression` ("" if unset).
        field_path: `fieldPath` ("" if unset), e.g. `.spec.replicas` or `.labels['a.b']`.
        reason: `reason` ("" if unset), e.g. `FieldValueForbidden`.
        optional_old_self: `optionalOldSelf`.
        uses_old_self: the rule references `oldSelf` (a transition rule).
        program: the compiled rule, None if it cannot be compiled.
        message_program: the compiled `messageExpression`, None if unset or not compilable.
        functions: the non-native functions the rule and its message expression call, by name.
        problem: why the rule cannot be evaluated ("" if it can).
    """

    schema_path: str
    rule: str
    message: str = ""
    message_expression: str = ""
    field_path: str = ""
    reason: str = ""
    optional_old_self: bool = False
    uses_old_self: bool = False
    program: Any = None
    message_program: Any = None
    functions: tuple[str, ...] = ()
    problem: str = ""
    field_steps: tuple[str, ...] = ()

    def describe(self) -> str:
        """`<schema path>: <rule>` on one line, for messages."""
        rule = " ".join(self.rule.split())
        return f"{self.schema_path or '<root>'}: {rule}"

    def detail(self) -> str:
        """The failure detail without messageExpression: trimmed message, else `failed rule: <rule>`.

        Source: k8s.io/apiextensions-apiserver pkg/apiserver/schema/cel/validation.go (ruleMessageOrDefault).
        """
        if self.message.strip():
            return self.message.strip()
        return f"failed rule: {self.rule.strip()}"


@dataclass
class _Node:
    """A schema node that holds rules or has rules below it (the evaluation tree)."""

    schema: dict[str, Any]
    rules: list[CelRule] = field(default_factory=list)
    properties: dict[str, _Node] = field(default_factory=dict)
    items: _Node | None = None
    additional: _Node | None = None
    map_keys: tuple[str, ...] = ()
    typed: bool = False
    functions: dict[str, Callable[..., Any]] = field(default_factory=dict)
    #: `marshal.dumps` of the values (and whether only transition rules ran) on which every rule
    #: here evaluated to true without an `oldSelf` (see `_Run.evaluate`): the same value passes again.
    passed: set[tuple[bool, bytes]] = field(default_factory=set, compare=False, repr=False)

    @property
    def empty(self) -> bool:
        return not (self.rules or self.properties or self.items or self.additional)


@dataclass(frozen=True)
class CompiledRules:
    """Every CEL rule of one schema, compiled, in a tree that skips rule-free subtrees.

    Attributes:
        rules: all rules in schema order (properties, then items, then additionalProperties).
    """

    rules: tuple[CelRule, ...]
    _root: _Node | None = None
    _defaults: Defaults | None = None

    @property
    def unsupported(self) -> list[CelRule]:
        """Rules that cannot be compiled, or call functions this evaluator lacks."""
        return [r for r in self.rules if r.problem]


_COMPILED: dict[Any, tuple[dict[str, Any], CompiledRules]] = {}
#: Most values a node remembers as passing (`_Node.passed`).
_MAX_PASSED = 4096
_MAX_COMPILED = 1024
_PROGRAMS: dict[str, tuple[Any, tuple[str, ...], str]] = {}


def compile_rules(schema: dict[str, Any]) -> CompiledRules:
    """Collect and compile every `x-kubernetes-validations` rule of a schema, memoized.

    Args:
        schema: a JSON schema from `fleetgen.schemas` (`SchemaRegistry.schema_for`) or a CRD
            version's `openAPIV3Schema` (same structure). Rules under `properties`, `items`,
            `additionalProperties` and `allOf` are collected; `anyOf`/`oneOf`/`not` are ignored as
            by the API server.

    Returns:
        The compiled rules. Memoized per (apiVersion, kind) when the schema pins them with
        `enum` (as the generated JSON schemas do), else per schema object; each distinct rule
        text is compiled once per process.

    Source:
        k8s.io/apiextensions-apiserver pkg/apiserver/schema/cel/validation.go (validator).
    """
    key = _schema_key(schema)
    hit = _COMPILED.get(key)
    if hit is None and len(_COMPILED) >= _MAX_COMPILED:
        _COMPILED.clear()  # bound memory when many ad-hoc schemas (no pinned apiVersion/kind) pass through
    if hit is not None and (hit[0] is schema or hit[0] == schema):
        return hit[1]
    rules: list[CelRule] = []
    typed_memo: dict[int, bool] = {}
    root = _build(schema, "", rules, typed_memo)
    compiled = CompiledRules(tuple(rules), root if root is not None and not root.empty else None, defaults_tree(schema))
    _COMPILED[key] = (schema, compiled)
    return compiled


def unsupported_rules(schema: dict[str, Any]) -> list[str]:
    """The rules of a schema this evaluator cannot compile, each with the reason.

    Args:
        schema: a JSON schema or CRD `openAPIV3Schema` (see `compile_rules`).

    Returns:
        One line per rule, `<schema path>: <rule>: <why>`, in schema order; empty when every
        rule can be evaluated.
    """
    return [f"{r.describe()}: {r.problem}" for r in compile_rules(schema).unsupported]


def _schema_key(schema: dict[str, Any]) -> Any:
    props = schema.get("properties") or {}
    api_version = (props.get("apiVersion") or {}).get("enum") or ()
    kind = (props.get("kind") or {}).get("enum") or ()
    if len(api_version) == 1 and len(kind) == 1:
        return (api_version[0], kind[0])
    return ("id", id(schema))


def _build(schema: Any, path: str, rules: list[CelRule], typed_memo: dict[int, bool]) -> _Node | None:
    schema, _ = unwrap_nullable(schema)  # (a typeless nullable node comes wrapped in anyOf)
    if not isinstance(schema, dict):
        return None
    node = _Node(schema=schema)
    _merge(node, schema, path, rules, typed_memo)
    if node.empty:
        return None
    node.typed = _needs_typing(schema, typed_memo)
    names: dict[str, Callable[..., Any]] = {}
    for rule in node.rules:
        for name in rule.functions:
            names[name] = cel_k8s.FUNCTIONS[name]
    node.functions = names
    return node


def _merge(
    node: _Node, schema: dict[str, Any], path: str, rules: list[CelRule], typed_memo: dict[int, bool]
) -> None:
    for entry in schema.get(_VALIDATIONS) or ():
        if isinstance(entry, dict) and isinstance(entry.get("rule"), str):
            rule = _compile_rule(entry, path)
            node.rules.append(rule)
            rules.append(rule)
    for name, sub in (schema.get("properties") or {}).items():
        child = _build(sub, f"{path}.{name}" if path else name, rules, typed_memo)
        if child is not None:
            node.properties[name] = child
    items = schema.get("items")
    if isinstance(items, dict):
        child = _build(items, f"{path}[*]", rules, typed_memo)
        if child is not None:
            node.items = child
            if schema.get("x-kubernetes-list-type") == "map":
                node.map_keys = tuple(schema.get("x-kubernetes-list-map-keys") or ())
    additional = schema.get("additionalProperties")
    if isinstance(additional, dict):
        child = _build(additional, f"{path}{{*}}", rules, typed_memo)
        if child is not None:
            node.additional = child
    for branch in schema.get("allOf") or ():
        if isinstance(branch, dict):
            _merge(node, branch, path, rules, typed_memo)


def _compile_rule(entry: dict[str, Any], path: str) -> CelRule:
    rule = entry["rule"]
    message_expression = entry.get("messageExpression") or ""
    program, functions, problem = _compile_expression(rule)
    message_program = None
    if message_expression:
        message_program, message_functions, message_problem = _compile_expression(message_expression)
        functions = tuple(sorted(set(functions) | set(message_functions)))
        if message_problem and not problem:
            problem = f"messageExpression: {message_problem}"
    uses_old_self = bool(_OLD_SELF.search(rule))
    field_path = entry.get("fieldPath") or ""
    field_steps: tuple[str, ...] = ()
    if field_path:
        try:
            field_steps = parse_field_path(field_path)
        except ValueError as err:
            problem = problem or f"fieldPath {field_path!r}: {err}"
    return CelRule(
        schema_path=path,
        rule=rule,
        message=entry.get("message") or "",
        message_expression=message_expression,
        field_path=field_path,
        reason=entry.get("reason") or "",
        optional_old_self=bool(entry.get("optionalOldSelf")),
        uses_old_self=uses_old_self,
        program=program if not problem else None,
        message_program=message_program,
        functions=functions,
        problem=problem,
        field_steps=field_steps,
    )


def _compile_expression(source: str) -> tuple[Any, tuple[str, ...], str]:
    """Compile one CEL expression (cached by text): (program, registered functions used, problem)."""
    hit = _PROGRAMS.get(source)
    if hit is not None:
        return hit
    result: tuple[Any, tuple[str, ...], str]
    try:
        program = cel.compile(cel_k8s.rewrite_expression(source))
    except (ValueError, RuntimeError, TypeError) as err:
        result = (None, (), f"cannot be compiled: {_one_line(err)}")
    else:
        called = program.functions()
        unknown = sorted(n for n in called if not cel_k8s.known_function(n))
        bound = set(_COMPREHENSION_VARS.findall(source))
        unknown_vars = sorted(v for v in program.variables() if v not in _KNOWN_IDENTS and v not in bound)
        used = tuple(sorted(n for n in cel_k8s.FUNCTIONS if n.rsplit(".", 1)[-1] in called))
        problem = ""
        if unknown:
            problem = f"unsupported function(s): {', '.join(unknown)}"
        elif unknown_vars:
            problem = f"unsupported variable(s) or macro form: {', '.join(unknown_vars)}"
        result = (program, used, problem)
    _PROGRAMS[source] = result
    return result


def parse_field_path(field_path: str) -> tuple[str, ...]:
    """Split a rule's `fieldPath` (`.a.b`, `.a['b.c']`) into property names.

    Args:
        field_path: the `fieldPath` of an `x-kubernetes-validations` entry, relative to the
            rule's place, e.g. `.spec.replicas` or `.labels['app.kubernetes.io/name']`.

    Returns:
        The property names in order, e.g. `("labels", "app.kubernetes.io/name")`.

    Raises:
        ValueError: if the path is not made of `.name` and `['name']` steps.

    Source:
        k8s.io/apiextensions-apiserver pkg/apiserver/schema/cel/validation.go (ValidFieldPath).
    """
    steps: list[str] = []
    pos = 0
    token = re.compile(r"\.([^.\[\]]+)|\['((?:[^'\\]|\\.)*)'\]")
    while pos < len(field_path):
        m = token.match(field_path, pos)
        if not m:
            raise ValueError(f"expected [ or . at {field_path[pos:]!r}")
        if m.group(1) is not None:
            steps.append(m.group(1))
        else:
            steps.append(re.sub(r"\\(.)", r"\1", m.group(2)))
        pos = m.end()
    return tuple(steps)


def _needs_typing(schema: Any, memo: dict[int, bool]) -> bool:
    """True if values under this schema convert to non-JSON CEL types (double, duration, ...)."""
    schema, _ = unwrap_nullable(schema)
    if not isinstance(schema, dict):
        return False
    key = id(schema)
    if key in memo:
        return memo[key]
    memo[key] = False
    types = _types(schema)
    result = "number" in types or ("string" in types and schema.get("format") in _TYPED_FORMATS)
    if not result:
        subs: list[Any] = list((schema.get("properties") or {}).values())
        subs += [schema.get("items"), schema.get("additionalProperties")]
        subs += list(schema.get("allOf") or ())
        result = any(_needs_typing(s, memo) for s in subs)
    memo[key] = result
    return result


def _types(schema: dict[str, Any]) -> tuple[str, ...]:
    t = schema.get("type")
    if isinstance(t, str):
        return (t,)
    if isinstance(t, list):
        return tuple(x for x in t if isinstance(x, str))
    return ()


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------


def check_cel(
    obj: RenderedObject, schema: dict[str, Any], *, old: dict[str, Any] | None = None,
    transition_only: bool = False,
) -> list[Finding]:
    """Evaluate every CEL rule of the schema at every place of the object it applies to.

    Args:
        obj: the rendered object (its `manifest`, with the schema's defaults applied, is
            validated; findings point at its spec origin).
        schema: the JSON schema of the object's apiVersion/kind (see `compile_rules`).
        old: the same object rendered from the git base ref, as a plain manifest dict (defaulted
            the same way), or None for a new object; transition rules (`oldSelf`) run only where
            it has a correlated value.
        transition_only: evaluate only the rules that read `oldSelf` (what a base revision adds to
            a check without one; rules that cannot be compiled are not reported again).

    Returns:
        Findings in schema-walk order: `cel` errors for failed rules (message prefixed with the
        field path, e.g. `spec.template.spec: Must set full=true when specifying format`) and
        `cel-unsupported` warnings, at most one per rule, for rules that cannot be evaluated.

    Raises:
        Nothing for bad input: every problem is a finding.

    Source:
        k8s.io/apiextensions-apiserver pkg/apiserver/schema/cel/validation.go (validate,
        validateExpressions, validateMap, validateArray);
        https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#validation-rules
    """
    compiled = compile_rules(schema)
    if compiled._root is None:
        return []
    defaults = compiled._defaults
    run = _Run(obj, apply_defaults(defaults, obj.manifest), transition_only)
    run.walk(compiled._root, run.manifest, apply_defaults(defaults, old), old is not None, [])
    return run.findings


class _Run:
    """State of one `check_cel` call: the object, its findings, rules already warned about."""

    def __init__(self, obj: RenderedObject, manifest: dict[str, Any], transition_only: bool = False) -> None:
        self.obj = obj
        self.manifest = manifest  # (obj.manifest with the schema's defaults applied)
        self.transition_only = transition_only
        self.findings: list[Finding] = []
        self.warned: set[int] = set()

    def walk(self, node: _Node, value: Any, old: Any, has_old: bool, parts: list[str | int]) -> None:
        if value is None:
            return
        if old is None:
            has_old = False
        if node.rules:
            self.evaluate(node, value, old, has_old, parts)
        if isinstance(value, dict):
            old_map = old if has_old and isinstance(old, dict) else None
            for name, child in node.properties.items():
                if name in value:
                    self._descend(child, value[name], old_map, name, parts)
            if node.additional is not None:
                for key, sub in value.items():
                    if key not in node.properties:
                        self._descend(node.additional, sub, old_map, key, parts)
        elif isinstance(value, list) and node.items is not None:
            old_items = self._old_items(node, old if has_old else None)
            for i, item in enumerate(value):
                old_item = old_items(item) if old_items else None
                parts.append(i)
                self.walk(node.items, item, old_item, old_item is not None, parts)
                parts.pop()

    def _descend(
        self, child: _Node, value: Any, old_map: dict[str, Any] | None, key: str, parts: list[str | int]
    ) -> None:
        old_value = old_map.get(key) if old_map is not None else None
        parts.append(key)
        self.walk(child, value, old_value, old_value is not None, parts)
        parts.pop()

    @staticmethod
    def _old_items(node: _Node, old: Any) -> Callable[[Any], Any] | None:
        """Correlate list items with the old list: only `x-kubernetes-list-type: map` lists, by keys."""
        if not node.map_keys or not isinstance(old, list):
            return None

        def key_of(item: Any) -> tuple[Any, ...] | None:
            if not isinstance(item, dict):
                return None
            return tuple(repr(item.get(k)) for k in node.map_keys)  # (defaulted keys are present)

        by_key: dict[tuple[Any, ...], Any] = {}
        for item in old:
            k = key_of(item)
            if k is not None:
                by_key.setdefault(k, item)
        return lambda item: by_key.get(key_of(item))  # type: ignore[arg-type]

    def evaluate(self, node: _Node, value: Any, old: Any, has_old: bool, parts: list[str | int]) -> None:
        # A rule's result depends only on `self` (and `oldSelf`): without an old value, a value
        # (the same bytes: the same types, keys in the same order) on which every rule of the node
        # held before holds again, with nothing to report. Any other outcome is evaluated each time.
        memo: tuple[bool, bytes] | None = None
        if not has_old:
            try:
                memo = (self.transition_only, marshal.dumps(value))
            except ValueError:  # (not plain data)
                memo = None
            else:
                if memo in node.passed:
                    return
        if self._evaluate(node, value, old, has_old, parts) and memo is not None and len(node.passed) < _MAX_PASSED:
            node.passed.add(memo)

    def _evaluate(self, node: _Node, value: Any, old: Any, has_old: bool, parts: list[str | int]) -> bool:
        """Evaluate the node's rules on `value`; True when every rule that ran held (nothing reported)."""
        held = True
        contexts: dict[str, Any] = {}

        def context(kind: str) -> Any:
            ctx = contexts.get(kind)
            if ctx is None:
                variables = {"self": _to_cel(value, node.schema) if node.typed else value}
                if kind == "old":
                    variables["oldSelf"] = _to_cel(old, node.schema) if node.typed else old
                elif kind == "optional":
                    old_value = _to_cel(old, node.schema) if node.typed else old
                    variables["oldSelf"] = (
                        cel.OptionalValue.of(old_value) if has_old else cel.OptionalValue.none()
                    )
                ctx = contexts[kind] = cel.Context(variables=variables, functions=node.functions)
            return ctx

        for rule in node.rules:
            if self.transition_only and not rule.uses_old_self:
                continue
            if rule.problem:
                if not self.transition_only:
                    held = False
                    self.unsupported(rule, rule.problem, parts)
                continue
            if rule.optional_old_self and rule.uses_old_self:
                kind = "optional"
            elif rule.uses_old_self:
                if not has_old:
                    continue
                kind = "old"
            else:
                kind = "plain"
            ctx = None
            try:
                ctx = context(kind)
                result = rule.program.execute(ctx)
            except (TypeError, RuntimeError, ValueError) as err:
                held = False
                text = _one_line(err)
                if isinstance(err, RuntimeError) and "Function '" in text and "Undefined" not in text:
                    self.failed(rule, parts, f"{rule.detail()} ({_function_error(text)})")
                else:
                    self.unsupported(rule, text, parts)
                continue
            except (LookupError, ArithmeticError) as err:
                held = False
                self.failed(rule, parts, f"{rule.detail()} ({_runtime_error(err)})")
                continue
            if result is True:
                continue
            held = False
            if result is not False:
                self.unsupported(rule, f"evaluated to {type(result).__name__}, not bool", parts)
                continue
            self.failed(rule, parts, self.message(rule, ctx))
        return held

    @staticmethod
    def message(rule: CelRule, ctx: Any) -> str:
        """messageExpression when it yields a non-blank one-line string, else message / failed rule."""
        if rule.message_program is not None:
            try:
                text = rule.message_program.execute(ctx)
            except Exception:  # noqa: BLE001 - any failure falls back, as on the API server
                text = None
            if isinstance(text, str) and text.strip() and "\n" not in text.strip():
                return text.strip()
        return rule.detail()

    def blame(self, rule: CelRule, parts: list[str | int], pointer: str) -> str:
        """The rendered pointer whose spec line a failed rule is reported at.

        A rule on an object (`self.full || !has(self.format)`) fails on the object, but the user
        fixes one of the fields it names: among the `self.<field>` references present in the
        value, take the one whose spec origin is most specific (the later one on a tie).
        """
        if rule.field_steps:
            return pointer
        value: Any = self.manifest
        for part in parts:
            try:
                value = value[part]
            except (KeyError, IndexError, TypeError):
                return pointer
        if not isinstance(value, dict):
            return pointer
        best, best_len = pointer, len(self.obj.spec_pointer(pointer))
        for name in dict.fromkeys(_SELF_FIELD.findall(rule.rule)):
            if name not in value:
                continue
            child = join_pointer([*parts, name])
            length = len(self.obj.spec_pointer(child))
            if length >= best_len:
                best, best_len = child, length
        return best

    def failed(self, rule: CelRule, parts: list[str | int], detail: str) -> None:
        pointer = join_pointer([*parts, *rule.field_steps])
        path = pointer_to_path(pointer)
        hint = f"reason: {rule.reason}" if rule.reason else ""
        self.findings.append(
            Finding(
                RULE_ID,
                Severity.ERROR,
                f"{path}: {detail}" if path else detail,
                self.obj.spec_position(self.blame(rule, parts, pointer)),
                pointer=pointer,
                object=self.obj.ref,
                hint=hint,
            )
        )

    def unsupported(self, rule: CelRule, why: str, parts: list[str | int]) -> None:
        if id(rule) in self.warned:
            return
        self.warned.add(id(rule))
        pointer = join_pointer(parts)
        path = pointer_to_path(pointer)
        self.findings.append(
            Finding(
                UNSUPPORTED_RULE_ID,
                Severity.WARNING,
                f"{path or '<root>'}: CRD validation rule not evaluated: {' '.join(rule.rule.split())}: {why}",
                self.obj.spec_position(pointer),
                pointer=pointer,
                object=self.obj.ref,
                hint="fleetgen's CEL evaluator cannot run this rule; the API server will",
            )
        )


_SELF_FIELD = re.compile(r"\bself\.([A-Za-z_][A-Za-z0-9_]*)")


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    for cut in (". Check function arguments", ". Check that the variable", " CEL does not coerce"):
        idx = text.find(cut)
        if idx > 0:
            text = text[:idx]
    return text


def _function_error(text: str) -> str:
    m = re.search(r"Python function call failed: \w+: (.*)", text)
    return m.group(1).rstrip(".") if m else text


def _runtime_error(err: BaseException) -> str:
    if isinstance(err, KeyError):
        key = err.args[0] if err.args else ""
        return f"no such key: {key}"
    return _one_line(err)


def _to_cel(value: Any, schema: dict[str, Any]) -> Any:
    """Convert a JSON value to the CEL value the API server binds, per its schema.

    Source: k8s.io/apiserver pkg/cel/common/values.go (UnstructuredToVal): number -> double;
    string formats duration, date, date-time, byte -> duration, timestamp, bytes.
    """
    schema, _ = unwrap_nullable(schema)
    if value is None or not isinstance(schema, dict):
        return value
    types = _types(schema)
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        additional = schema.get("additionalProperties")
        extra = [b for b in schema.get("allOf") or () if isinstance(b, dict)]
        out = {}
        for k, v in value.items():
            sub = props.get(k)
            if sub is None:
                sub = next(
                    ((b.get("properties") or {}).get(k) for b in extra if k in (b.get("properties") or {})),
                    None,
                )
            if sub is None and isinstance(additional, dict):
                sub = additional
            out[k] = _to_cel(v, sub) if sub is not None else v
        return out
    if isinstance(value, list):
        items = schema.get("items")
        return [_to_cel(v, items) for v in value] if isinstance(items, dict) else value
    if "number" in types and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and "string" in types:
        fmt = schema.get("format")
        try:
            if fmt == "duration":
                return _openapi_duration(value)
            if fmt == "date-time":
                return datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
            if fmt == "date":
                return datetime.fromisoformat(value).replace(tzinfo=UTC)
            if fmt == "byte":
                return base64.b64decode(value, validate=True)
        except (ValueError, binascii.Error):
            return value
    return value


_STRFMT_UNITS = {"d": timedelta(days=1), "w": timedelta(weeks=1)}


def _openapi_duration(text: str) -> timedelta:
    """go-openapi strfmt.ParseDuration: a Go duration, or `<n><unit>` with day/week units too.

    Source: github.com/go-openapi/strfmt duration.go (ParseDuration).
    """
    try:
        return cel_k8s.parse_go_duration(text)
    except ValueError:
        m = re.fullmatch(r"\s*([0-9]+)\s*(d|w)\s*", text)
        if not m:
            raise
        return int(m.group(1)) * _STRFMT_UNITS[m.group(2)]


def iter_rules(schema: dict[str, Any]) -> Iterator[CelRule]:
    """Every rule of a schema in schema order (compiled; see `compile_rules`)."""
    return iter(compile_rules(schema).rules)
