"""YAML reading and writing.

Owns: loading YAML with positions and guards against hostile input (tabs, duplicate keys, alias
bombs, binary or empty files), and the deterministic dump of rendered objects. Loading uses
PyYAML's libyaml-backed composer (fast, and its node marks give line and column); round-trip
editing with comments kept lives in `fleetgen.spec.edit` (ruamel.yaml), not here.

Example:
    >>> docs = load_yaml(b"a: 1\\n", "x.yaml")
    >>> docs[0].data, docs[0].source.lookup("/a").line
    ({'a': 1}, 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from fleetgen.findings import Finding, Position, Severity
from fleetgen.sourcemap import SourceMap, escape_token

try:  # libyaml is part of the PyYAML wheels; fall back to pure Python if a build lacks it
    _Loader: type = yaml.CSafeLoader
    _DumperBase: type = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader
    _DumperBase = yaml.SafeDumper

#: Largest number of nodes a document may expand to once aliases are followed (billion-laughs guard).
MAX_EXPANDED_NODES = 100_000

_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"


class YamlLoadError(Exception):
    """Raised when a YAML file cannot be loaded; `finding` says where and why (rule id `parse`)."""

    def __init__(self, finding: Finding) -> None:
        self.finding = finding
        super().__init__(f"{finding.position}: {finding.message}")


@dataclass(frozen=True)
class Document:
    """One loaded YAML document: plain data (dict/list/str/int/float/bool/None) and its positions."""

    data: Any
    source: SourceMap


def _fail(file: str, message: str, line0: int = -1, col0: int = -1) -> YamlLoadError:
    pos = Position(file, line0 + 1, col0 + 1) if line0 >= 0 else Position(file, 1, 1)
    return YamlLoadError(Finding("parse", Severity.ERROR, message, pos))


class _Builder:
    """Turns a composed node graph into plain data while recording positions."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.source = SourceMap(file)
        self._constructor = yaml.constructor.SafeConstructor()

    def check_size(self, root: yaml.Node) -> None:
        """Refuse documents whose alias expansion exceeds MAX_EXPANDED_NODES."""
        memo: dict[int, int] = {}
        has_alias = False

        def size(node: yaml.Node, depth: int) -> int:
            nonlocal has_alias
            if depth > 200:
                raise _fail(self.file, "yaml: document nests deeper than 200 levels", node.start_mark.line, node.start_mark.column)
            key = id(node)
            if key in memo:
                has_alias = True
                return memo[key]
            memo[key] = 1  # cycles count once; they are rejected by the builder
            if isinstance(node, yaml.MappingNode):
                n = 1 + sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
            elif isinstance(node, yaml.SequenceNode):
                n = 1 + sum(size(v, depth + 1) for v in node.value)
            else:
                n = 1
            memo[key] = n
            return n

        total = size(root, 0)
        if has_alias and total > MAX_EXPANDED_NODES:
            raise _fail(
                self.file,
                f"yaml: aliases expand this document to {total} nodes (limit {MAX_EXPANDED_NODES}); "
                "refusing a possible alias bomb",
                root.start_mark.line,
                root.start_mark.column,
            )

    def build(self, node: yaml.Node, pointer: str, stack: tuple[int, ...] = ()) -> Any:
        if id(node) in stack:
            raise _fail(self.file, "yaml: recursive alias", node.start_mark.line, node.start_mark.column)
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            inner = stack + (id(node),)
            for knode, vnode in node.value:
                if knode.tag == _MERGE:
                    raise _fail(self.file, "yaml: merge keys (<<) are not supported in fleetgen files; write the fields out",
                                knode.start_mark.line, knode.start_mark.column)
                if not isinstance(knode, yaml.ScalarNode):
                    raise _fail(self.file, "yaml: mapping keys must be plain scalars", knode.start_mark.line, knode.start_mark.column)
                key = knode.value if knode.tag in (_STR, _TIMESTAMP) else self._scalar(knode)
                if not isinstance(key, str):
                    key = str(key) if not isinstance(key, bool) else str(key).lower()
                child = f"{pointer}/{escape_token(key)}"
                if key in out:
                    first = self.source.positions.get(child)
                    where = f" (first at line {first.line})" if first else ""
                    raise _fail(self.file, f"yaml: duplicate key {key!r}{where}", knode.start_mark.line, knode.start_mark.column)
                self.source.add_mark(child, knode.start_mark.line, knode.start_mark.column)
                out[key] = self.build(vnode, child, inner)
            return out
        if isinstance(node, yaml.SequenceNode):
            items = []
            inner = stack + (id(node),)
            for i, vnode in enumerate(node.value):
                child = f"{pointer}/{i}"
                self.source.add_mark(child, vnode.start_mark.line, vnode.start_mark.column)
                items.append(self.build(vnode, child, inner))
            return items
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag in (_STR, _TIMESTAMP):
            return node.value  # timestamps stay strings: a spec never means a datetime
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError as err:
            raise _fail(self.file, f"yaml: {getattr(err, 'problem', None) or err}", node.start_mark.line, node.start_mark.column) from err


def _char_at(text: str, line0: int, col0: int) -> str:
    lines = text.split("\n")
    if 0 <= line0 < len(lines) and 0 <= col0 < len(lines[line0]):
        return lines[line0][col0]
    return ""


def load_yaml(raw: bytes, file: str, *, allow_empty: bool = False) -> list[Document]:
    """Load every document of a YAML file, with positions, refusing hostile or broken input.

    Args:
        raw: the file's bytes.
        file: the path shown to users (relative to the fleet repository root).
        allow_empty: if False, a file with no document is an error.

    Returns:
        One Document per YAML document, in file order; empty documents (`---` alone) are skipped.

    Raises:
        YamlLoadError: binary or non-UTF-8 data, an empty file, YAML syntax errors (tabs included),
            duplicate keys, merge keys, recursive aliases, or aliases that expand past
            MAX_EXPANDED_NODES. Its `finding` has rule id `parse` and the 1-based position.
    """
    if b"\x00" in raw:
        raise _fail(file, "not a text file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line0 = raw[: err.start].count(b"\n")
        raise _fail(file, f"not UTF-8 text (invalid byte at offset {err.start})", line0, 0) from err
    if text.startswith("\ufeff"):
        text = text[1:]
    docs: list[Document] = []
    try:
        for root in yaml.compose_all(text, Loader=_Loader):
            if root is None:
                continue
            builder = _Builder(file)
            builder.check_size(root)
            builder.source.add_mark("", root.start_mark.line, root.start_mark.column)
            docs.append(Document(builder.build(root, ""), builder.source))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "invalid YAML"
        if mark is not None and _char_at(text, mark.line, mark.column) == "\t":
            problem = "found a tab character; YAML indents with spaces only"
        raise _fail(file, f"yaml: {problem}", mark.line if mark else -1, mark.column if mark else -1) from err
    except yaml.YAMLError as err:  # pragma: no cover - libyaml reports marks for all syntax errors
        raise _fail(file, f"yaml: {err}") from err
    if not docs and not allow_empty:
        raise _fail(file, "empty file: expected a YAML document")
    return docs


class _Dumper(_DumperBase):  # type: ignore[misc, valid-type]
    """Safe dumper that writes multi-line strings as literal blocks (readable file payloads)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar(_STR, value, style="|")
    return dumper.represent_scalar(_STR, value)


_Dumper.add_representer(str, _represent_str)


def dump_documents(objects: list[dict[str, Any]]) -> str:
    """Serialise Kubernetes objects as one multi-document YAML stream, deterministically.

    Keys keep their insertion order (renderers build apiVersion, kind, metadata, spec in that
    order); multi-line strings become literal blocks; no anchors; no line folding.

    Args:
        objects: plain dicts (str keys; str/int/bool/list/dict values, never None).

    Returns:
        The YAML text, each document starting with `---`, ending with a newline.
    """
    return yaml.dump_all(
        objects,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        explicit_start=True,
        allow_unicode=True,
        width=1 << 30,
    )


def dump_document(obj: dict[str, Any]) -> str:
    """Serialise one object (see `dump_documents`) without a leading `---`."""
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1 << 30)
