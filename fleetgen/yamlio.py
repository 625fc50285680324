"""YAML reading and writing.

Owns: loading YAML with positions and guards against hostile input (tabs, duplicate keys, alias
bombs, binary or empty files), and the deterministic dump of rendered objects (written directly
for the shapes rendered objects have, byte for byte as libyaml writes them, and by libyaml for
anything else: see `_fast_emit`). Loading uses
PyYAML's libyaml-backed composer (fast, and its node marks give line and column); round-trip
editing with comments kept lives in `fleetgen.spec.edit` (ruamel.yaml), not here.

Example:
    >>> docs = load_yaml(b"a: 1\\n", "x.yaml")
    >>> docs[0].data, docs[0].source.lookup("/a").line
    ({'a': 1}, 1)
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import yaml

from fleetgen.findings import Finding, Position, Severity
from fleetgen.sourcemap import SourceMap, escape_token

try:  # libyaml is part of the PyYAML wheels; fall back to pure Python if a build lacks it
    _LoaderBase: type = yaml.CSafeLoader
    _DumperBase: type = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _LoaderBase = yaml.SafeLoader
    _DumperBase = yaml.SafeDumper

#: Largest number of nodes a document may expand to once aliases are followed (billion-laughs guard).
MAX_EXPANDED_NODES = 100_000

#: Deepest nesting of collections a document may have. libyaml's composer recurses in C, so a
#: document nested some 25,000 levels deep crashes the interpreter (a segfault, not a RecursionError);
#: `_check_depth` refuses such text before libyaml composes it.
MAX_DEPTH = 200

#: Below this bound on the nesting depth (see `_depth_bound`) the text is composed without scanning it first.
_SAFE_DEPTH_BOUND = 5_000

_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_NULL = "tag:yaml.org,2002:null"
#: Scalar tags read into plain data; any other tag (!!binary, !!python/..., !custom) is refused.
_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp"))


def _tag_name(tag: str) -> str:
    """A tag as users write it: `tag:yaml.org,2002:set` -> `!!set`."""
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag

_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"

_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
#: YAML 1.1 booleans, lower-cased, as SafeConstructor.construct_yaml_bool reads them.
_BOOL_VALUES: dict[str, bool] = dict(yaml.constructor.SafeConstructor.bool_values)

_RESOLVER = yaml.resolver.Resolver()
#: Plain scalar text -> the tag PyYAML's (YAML 1.1) resolver gives it, for loading and dumping.
_YAML11_TAGS: dict[str, str] = {}
#: Only short texts are remembered, and only so many: the memo must not grow with hostile input.
_MEMO_TEXT = 128
_MEMO_SIZE = 50_000


def _yaml11_tag(value: str) -> str:
    """The tag PyYAML's safe resolver gives the plain scalar `value` (`'3'` an int, `'true'` a
    bool, `'kv-demo'` a string); it depends only on the text, so it is memoized."""
    tag = _YAML11_TAGS.get(value)
    if tag is None:
        tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
        if len(value) <= _MEMO_TEXT and len(_YAML11_TAGS) < _MEMO_SIZE:
            _YAML11_TAGS[value] = tag
    return tag


class _Loader(_LoaderBase):  # type: ignore[misc, valid-type]
    """libyaml's composer with PyYAML's safe resolver, memoized per plain scalar (`_yaml11_tag`).

    The composer asks the resolver for the tag of every node, and spec files repeat the same
    keys and values. No path resolvers are registered on the safe loader, so nothing else
    decides a tag.
    """

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            return _yaml11_tag(value) if implicit[0] else _STR  # (not plain: quoted, or the tag `!`)
        return _MAP if kind is yaml.MappingNode else _SEQ


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

    def __init__(self, file: str, *, merge_keys: bool = False) -> None:
        self.file = file
        self.merge_keys = merge_keys
        self.source = SourceMap(file)
        self._constructor = yaml.constructor.SafeConstructor()

    def check_size(self, root: yaml.Node) -> None:
        """Refuse documents whose alias expansion exceeds MAX_EXPANDED_NODES."""
        memo: dict[int, int] = {}
        has_alias = False

        def size(node: yaml.Node, depth: int) -> int:
            nonlocal has_alias
            if depth > MAX_DEPTH:
                raise _fail(self.file, f"yaml: document nests deeper than {MAX_DEPTH} levels", node.start_mark.line, node.start_mark.column)
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
        """Plain data of `node` (at `pointer`, inside the collections `stack`), positions recorded.

        Refuses nesting deeper than MAX_DEPTH itself, so that text without anchors (which cannot
        hold aliases) needs no `check_size` walk.
        """
        if len(stack) > MAX_DEPTH:
            raise _fail(self.file, f"yaml: document nests deeper than {MAX_DEPTH} levels", node.start_mark.line, node.start_mark.column)
        if id(node) in stack:
            raise _fail(self.file, "yaml: recursive alias", node.start_mark.line, node.start_mark.column)
        if isinstance(node, yaml.CollectionNode) and node.tag not in (_MAP, _SEQ):
            # the builder makes plain dicts and lists, so a tag would be silently dropped (!!set, !!omap,
            # !!python/object...): refuse it, as an unknown tag on a scalar is refused
            raise _fail(self.file, f"yaml: tag {_tag_name(node.tag)} is not supported; remove it",
                        node.start_mark.line, node.start_mark.column)
        positions, file = self.source.positions, self.file
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            inner = stack + (id(node),)
            merged: list[yaml.Node] = []
            for knode, vnode in node.value:
                if knode.tag == _MERGE:
                    if not self.merge_keys:
                        raise _fail(self.file, "yaml: merge keys (<<) are not supported in fleetgen files; write the fields out",
                                    knode.start_mark.line, knode.start_mark.column)
                    merged.append(vnode)
                    continue
                if not isinstance(knode, yaml.ScalarNode):
                    raise _fail(self.file, "yaml: mapping keys must be plain scalars", knode.start_mark.line, knode.start_mark.column)
                key = knode.value if knode.tag in (_STR, _TIMESTAMP) else self._scalar(knode)
                if not isinstance(key, str):
                    key = str(key) if not isinstance(key, bool) else str(key).lower()
                child = f"{pointer}/{key if '/' not in key and '~' not in key else escape_token(key)}"
                mark = knode.start_mark
                if key in out:
                    first = positions.get(child)
                    where = f" (first at line {first.line})" if first else ""
                    raise _fail(self.file, f"yaml: duplicate key {key!r}{where}", mark.line, mark.column)
                positions[child] = Position(file, mark.line + 1, mark.column + 1)
                out[key] = self.build(vnode, child, inner)
            for vnode in merged:
                self._merge(out, vnode, pointer, inner)
            return out
        if isinstance(node, yaml.SequenceNode):
            items = []
            inner = stack + (id(node),)
            for i, vnode in enumerate(node.value):
                child = f"{pointer}/{i}"
                mark = vnode.start_mark
                positions[child] = Position(file, mark.line + 1, mark.column + 1)
                items.append(self.build(vnode, child, inner))
            return items
        return self._scalar(node)

    def _merge(self, out: dict[str, Any], value: yaml.Node, pointer: str, stack: tuple[int, ...]) -> None:
        """Add the keys of a merge key's mapping (or list of mappings, earlier ones first) that `out` lacks.

        YAML 1.1 merge keys, as Go's yaml parsers (sigs.k8s.io/yaml) resolve them: explicit keys
        win over merged ones; merged fields are positioned where their anchor wrote them.
        """
        if id(value) in stack:
            raise _fail(self.file, "yaml: recursive alias", value.start_mark.line, value.start_mark.column)
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise _fail(self.file, "yaml: a merge key (<<) takes a mapping or a list of mappings",
                            source.start_mark.line, source.start_mark.column)
            scratch = f"{pointer}/<<"
            built = self.build(source, scratch, stack)  # its positions land under a scratch pointer
            taken = set()
            for key, item in built.items():
                if key not in out:
                    out[key] = item
                    taken.add(key if "/" not in key and "~" not in key else escape_token(key))
            positions = self.source.positions
            for ptr in [p for p in positions if p.startswith(scratch + "/")]:  # one pass: move the taken, drop the rest
                position = positions.pop(ptr)
                if ptr[len(scratch) + 1:].split("/", 1)[0] in taken:
                    positions[pointer + ptr[len(scratch):]] = position
            positions.pop(scratch, None)

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag in (_STR, _TIMESTAMP):
            return node.value  # timestamps stay strings: a spec never means a datetime
        tag, value = node.tag, node.value
        if tag == _INT and len(value) <= 18 and value.isascii() and value.isdigit() and (value[0] != "0" or value == "0"):
            return int(value)  # plain decimal (a leading 0 is octal in YAML 1.1: left to the constructor)
        if tag == _NULL:
            return None  # as SafeConstructor.construct_yaml_null, whatever the text
        if tag == _BOOL:
            flag = _BOOL_VALUES.get(value.lower())
            if flag is not None:
                return flag
        if tag not in _SCALAR_TAGS:
            raise _fail(self.file, f"yaml: tag {_tag_name(tag)} is not supported; remove it",
                        node.start_mark.line, node.start_mark.column)
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError as err:
            raise _fail(self.file, f"yaml: {getattr(err, 'problem', None) or err}", node.start_mark.line, node.start_mark.column) from err
        except (ValueError, KeyError, TypeError, OverflowError) as err:
            # PyYAML's constructors raise plain exceptions for explicit tags that do not fit the text
            # (`!!int abc`, `!!bool maybe`) and for integers longer than Python converts (4300 digits)
            text = node.value if len(node.value) <= 40 else node.value[:37] + "..."
            raise _fail(self.file, f"yaml: cannot read {text!r} as {_tag_name(node.tag)}",
                        node.start_mark.line, node.start_mark.column) from err


def _deep_bracket_mark(text: str, line0: int, col0: int) -> yaml.Mark | None:
    """Where the flow brackets before (line0, col0) first open level MAX_DEPTH + 1, if they do
    (quotes are not looked at: a position for the message, not a parse)."""
    depth = 0
    for n, line in enumerate(text.split("\n")[: line0 + 1]):
        for c, ch in enumerate(line if n < line0 else line[:col0 + 1]):
            if ch in "[{":
                depth += 1
                if depth > MAX_DEPTH:
                    return yaml.Mark("", 0, n, c, None, None)
            elif ch in "]}":
                depth -= 1
    return None


def _char_at(text: str, line0: int, col0: int) -> str:
    lines = text.split("\n")
    if 0 <= line0 < len(lines) and 0 <= col0 < len(lines[line0]):
        return lines[line0][col0]
    return ""


def _depth_bound(text: str) -> int:
    """An upper bound on the nesting depth of any document in `text`, computed without parsing.

    Each flow collection opens with `[` or `{`; each two levels of block collections need at least
    one more column of indentation (a block sequence may sit at its parent mapping's column), and a
    node's column is at most its line's length. Splitting on `\\n` alone over-estimates line lengths
    (YAML also breaks at `\\r`), which keeps the bound safe.
    """
    longest = max(map(len, text.split("\n")))
    return text.count("[") + text.count("{") + 2 * longest + 2


def _check_depth(text: str, file: str) -> None:
    """Refuse text nested deeper than MAX_DEPTH before libyaml composes (and recurses into) it.

    Only when `_depth_bound` cannot rule it out: then libyaml's event parser, which keeps its own
    stack, walks the text and stops at the first collection past MAX_DEPTH (it slows down with
    depth, so it must stop early). Syntax errors are left to the composer, which reports them.
    """
    if _depth_bound(text) <= _SAFE_DEPTH_BOUND:
        return
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH + 1:  # the root collection is level 0
                    raise _fail(file, f"yaml: document nests deeper than {MAX_DEPTH} levels",
                                event.start_mark.line, event.start_mark.column)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return


def load_yaml(raw: bytes, file: str, *, allow_empty: bool = False, merge_keys: bool = False) -> list[Document]:
    """Load every document of a YAML file, with positions, refusing hostile or broken input.

    Args:
        raw: the file's bytes.
        file: the path shown to users (relative to the fleet repository root).
        allow_empty: if False, a file with no document is an error.
        merge_keys: resolve YAML merge keys (`<<: *anchor`) as Go's parsers do; for addon payloads,
            which are shipped intact and read by the CRS controller. Refused otherwise.

    Returns:
        One Document per YAML document, in file order; empty documents (`---` alone) are skipped.

    Raises:
        YamlLoadError: binary or non-UTF-8 data, an empty file, YAML syntax errors (tabs included),
            duplicate keys, merge keys (unless `merge_keys`), recursive aliases, aliases that expand past
            MAX_EXPANDED_NODES, nesting deeper than MAX_DEPTH, tags fleetgen does not read
            (`!!python/...`, `!!set`, `!custom`) and scalars that do not fit their tag (`!!int abc`).
            Its `finding` has rule id `parse` and the 1-based position.
    """
    if b"\x00" in raw:
        raise _fail(file, "not a text file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line0 = raw[: err.start].count(b"\n")
        col0 = len(raw[raw.rfind(b"\n", 0, err.start) + 1: err.start].decode("utf-8", errors="replace"))
        raise _fail(file, f"not UTF-8 text (invalid byte at offset {err.start})", line0, col0) from err
    if text.startswith("\ufeff"):
        text = text[1:]
    docs: list[Document] = []
    try:
        _check_depth(text, file)
        anchored = "&" in text  # an alias needs an anchor; without one no alias can expand the document
        for root in yaml.compose_all(text, Loader=_Loader):
            if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _NULL and root.value == ""):
                continue  # `---` with nothing after it (kubectl skips these too); an explicit `null` stays
            builder = _Builder(file, merge_keys=merge_keys)
            if anchored:
                builder.check_size(root)
            builder.source.add_mark("", root.start_mark.line, root.start_mark.column)
            docs.append(Document(builder.build(root, ""), builder.source))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "invalid YAML"
        if "maximum nesting depth" in problem:
            # libyaml 0.2.5+ (PyYAML 6.0.4 wheels) refuses 1,000 levels itself, while scanning
            problem = f"document nests deeper than {MAX_DEPTH} levels"
            if mark is not None:
                mark = _deep_bracket_mark(text, mark.line, mark.column) or mark
        elif mark is not None and _char_at(text, mark.line, mark.column) == "\t":
            problem = "found a tab character; YAML indents with spaces only"
        elif err.problem and err.context and err.context_mark is not None and mark is not None \
                and err.context_mark.line != mark.line:
            # libyaml notices an unclosed bracket or quote lines later: say where it was opened
            problem += f" ({err.context} at line {err.context_mark.line + 1})"
        raise _fail(file, f"yaml: {problem}", mark.line if mark else -1, mark.column if mark else -1) from err
    except yaml.YAMLError as err:  # pragma: no cover - libyaml reports marks for all syntax errors
        raise _fail(file, f"yaml: {err}") from err
    if not docs and not allow_empty:
        raise _fail(file, "empty file: expected a YAML document")
    return docs


_FLOAT = "tag:yaml.org,2002:float"


class _Dumper(_DumperBase):  # type: ignore[misc, valid-type]
    """libyaml emitter with PyYAML's own implicit-tag resolution, memoized per scalar.

    The serializer asks the resolver, for every scalar, whether its text would read back as
    another type (`'123'`, `'true'`, `'yes'` under YAML 1.1, as Kubernetes reads YAML) and
    quotes it if so. The answer depends only on the text, so it is cached (`_resolve_plain`):
    the resolver's own, plus the numbers go-yaml reads where YAML 1.1 sees strings
    (`_GO_YAML_NUMBER`), which `yaml.dump` would leave unquoted.
    """

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                return _resolve_plain(value)
            return _STR
        return _MAP if kind is yaml.MappingNode else _SEQ

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None  # no path resolvers are registered

    def ascend_resolver(self) -> None:
        return None


def _node(value: Any) -> yaml.Node:
    """Represent plain data as a YAML node graph (no anchors: every node is new)."""
    kind = type(value)
    if kind is str:
        return yaml.ScalarNode(_STR, value, style="|" if "\n" in value else None)
    if kind is dict:
        return yaml.MappingNode(_MAP, [(yaml.ScalarNode(_STR, str(k)), _node(v)) for k, v in value.items()],
                                flow_style=False)
    if kind is list or kind is tuple:
        return yaml.SequenceNode(_SEQ, [_node(v) for v in value], flow_style=False)
    if kind is bool:
        return yaml.ScalarNode(_BOOL, "true" if value else "false")
    if kind is int:
        return yaml.ScalarNode(_INT, str(value))
    if kind is float:
        return yaml.ScalarNode(_FLOAT, repr(value))
    raise TypeError(f"cannot render {kind.__name__} as YAML (rendered objects hold no {kind.__name__})")


def _resolve_plain(value: str) -> str:
    """The tag a plain scalar `value` reads back as: YAML 1.1 implicit resolution, with go-yaml's
    numbers (`_GO_YAML_NUMBER`) taken as floats so that they are quoted; memoized (bounded as
    `_yaml11_tag`'s memo is)."""
    tag = _RESOLVED.get(value)
    if tag is None:
        tag = _yaml11_tag(value)
        if tag == _STR and _GO_YAML_NUMBER.fullmatch(value.replace("_", "")):
            tag = _FLOAT  # a number to Kubernetes' reader, so it must be quoted to stay a string
        if len(value) <= _MEMO_TEXT and len(_RESOLVED) < _MEMO_SIZE:
            _RESOLVED[value] = tag
    return tag


_RESOLVED: dict[str, str] = {}


#: What Kubernetes' YAML reader (go-yaml, `resolve.go`) reads as a number where YAML 1.1, and so
#: PyYAML's resolver, sees a string (`1e3`, `0o17`, `1_0`): go-yaml drops `_`, then tries Go's
#: `strconv.ParseInt(s, 0, 64)` (0x, 0o, 0b prefixes) and its `yamlStyleFloat` pattern. Matching
#: more than go-yaml does only quotes a string that needed none.
_GO_YAML_NUMBER = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+"
                             r"|(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)")


#: PyYAML's pure-Python emitter, used only for `analyze_scalar`: the same per-scalar analysis libyaml
#: makes (which characters and indicators a scalar holds, so which styles may carry it).
_ANALYZER = yaml.emitter.Emitter(io.StringIO(), allow_unicode=True)
#: Printable ASCII: the only characters the fast path writes itself (anything else: libyaml).
_ASCII = frozenset(chr(c) for c in range(0x20, 0x7F))
_LITERAL_CHARS = _ASCII | {"\n"}
#: Longest key the fast path writes; libyaml writes keys of 128 bytes and more as complex (`? key`).
_MAX_KEY = 100


class _Declined(Exception):
    """The fast path does not write this data the way libyaml would be sure to; libyaml writes it."""


def _inline_scalar(value: str) -> str:
    """A one-line string as libyaml writes it as a block mapping key or value or a sequence item:
    plain when it reads back as a string and may stand plain, else single-quoted (what
    `yaml.emitter.Emitter.choose_scalar_style` picks). Memoized; raises _Declined otherwise."""
    text = _INLINE.get(value)
    if text is not None:
        return text
    if value == "":
        text = "''"
    elif _SIMPLE_PLAIN.fullmatch(value) and not value.endswith(":") and _resolve_plain(value) == _STR:
        text = value  # no indicator character where it would count: `analyze_scalar` allows it plain
    elif not _ASCII.issuperset(value):
        raise _Declined
    else:
        analysis = _ANALYZER.analyze_scalar(value)
        if _resolve_plain(value) == _STR and analysis.allow_block_plain:
            text = value
        elif analysis.allow_single_quoted:
            text = "'" + value.replace("'", "''") + "'"
        else:
            raise _Declined
    _INLINE[value] = text
    return text


_INLINE: dict[str, str] = {}
#: Strings made only of characters that are no YAML indicator where they stand (a `:` is one only
#: before a space or at the end, which the caller rules out); `analyze_scalar` lets them stand plain.
_SIMPLE_PLAIN = re.compile(r"[A-Za-z0-9/][A-Za-z0-9._/:-]*")


def _literal_lines(value: str, indent: str) -> str:
    """A multi-line string as a literal block (`|`, or `|-` without a final line break): the
    header and its lines, each indented by `indent` (empty lines stay empty), as libyaml writes it.
    Raises _Declined when libyaml would write it otherwise (double quotes, or header hints for
    leading spaces or several final line breaks)."""
    if not _LITERAL_CHARS.issuperset(value) or value[0] in " \n" or value.endswith("\n\n"):
        raise _Declined
    if " \n" in value or value.endswith(" "):
        raise _Declined  # `analyze_scalar`: a space before a line break or at the end forbids a block
    if value.endswith("\n"):
        header, body = "|", value[:-1]
    else:
        header, body = "|-", value
    return header + "\n" + "".join(indent + line + "\n" if line else "\n" for line in body.split("\n"))


def _fast_mapping(data: dict[Any, Any], indent: int, out: list[str], inline: bool) -> None:
    """Append a non-empty block mapping at column `indent`; `inline`: its first key follows a `- `."""
    pad = " " * indent
    first = inline
    memo = _INLINE  # (`_inline_scalar`'s memo, read here first: most keys and values are in it)
    for key, value in data.items():
        key = key if type(key) is str else str(key)
        if len(key) > _MAX_KEY or "\n" in key:
            raise _Declined
        text = memo.get(key) or _inline_scalar(key)
        if first:
            out.append(text)
            first = False
        else:
            out.append(pad + text)
        kind = type(value)
        if kind is str:
            if "\n" in value:
                out.append(": " + _literal_lines(value, pad + "  "))
            else:
                out.append(": " + (memo.get(value) or _inline_scalar(value)) + "\n")
        elif kind is bool:
            out.append(": true\n" if value else ": false\n")
        elif kind is int:
            out.append(f": {value}\n")
        elif kind is dict:
            if value:
                out.append(":\n")
                _fast_mapping(value, indent + 2, out, False)
            else:
                out.append(": {}\n")
        elif kind is list or kind is tuple:
            if value:
                out.append(":\n")
                _fast_sequence(value, indent, out)  # libyaml indents no sequence under a mapping key
            else:
                out.append(": []\n")
        else:
            raise _Declined


def _fast_sequence(items: list[Any] | tuple[Any, ...], indent: int, out: list[str]) -> None:
    """Append a non-empty block sequence whose dashes stand at column `indent`."""
    dash = " " * indent + "- "
    memo = _INLINE
    for value in items:
        kind = type(value)
        if kind is str:
            if "\n" in value:
                out.append(dash + _literal_lines(value, " " * (indent + 2)))
            else:
                out.append(dash + (memo.get(value) or _inline_scalar(value)) + "\n")
        elif kind is bool:
            out.append(dash + ("true\n" if value else "false\n"))
        elif kind is int:
            out.append(f"{dash}{value}\n")
        elif kind is dict:
            if value:
                out.append(dash)
                _fast_mapping(value, indent + 2, out, True)
            else:
                out.append(dash + "{}\n")
        elif (kind is list or kind is tuple) and not value:
            out.append(dash + "[]\n")
        else:
            raise _Declined  # nested sequences, floats, None, other types


def _fast_emit(objects: list[Any], *, explicit_start: bool) -> str | None:
    """What `_emit` returns, written directly for the data rendered objects hold, or None.

    Block mappings and sequences of str/int/bool values, one-line ASCII strings plain or single-
    quoted and multi-line ones as literal blocks, laid out as libyaml lays them out (indent 2,
    sequences not indented under their key, `{}`/`[]` for empty collections). Whether a string
    may stand plain, and whether it reads back as another type, is decided by PyYAML itself
    (`analyze_scalar`, the resolver), so the bytes are libyaml's (a property test compares them);
    for anything else (floats, non-ASCII text, nested sequences, long keys...) it returns None.
    """
    if not explicit_start and len(objects) != 1:
        return None
    out: list[str] = []
    try:
        for obj in objects:
            if type(obj) is not dict or not obj:
                return None
            if explicit_start:
                out.append("---\n")
            _fast_mapping(obj, 0, out, False)
    except _Declined:
        return None
    return "".join(out)


def _emit(objects: list[Any], *, explicit_start: bool) -> str:
    fast = _fast_emit(objects, explicit_start=explicit_start)
    if fast is not None:
        return fast
    stream = io.StringIO()
    dumper = _Dumper(stream, default_flow_style=False, explicit_start=explicit_start, allow_unicode=True,
                     width=1 << 30, sort_keys=False)
    dumper.open()
    for obj in objects:
        dumper.serialize(_node(obj))
    dumper.close()
    return stream.getvalue()


def dump_documents(objects: list[dict[str, Any]]) -> str:
    """Serialise Kubernetes objects as one multi-document YAML stream, deterministically.

    Keys keep their insertion order (renderers build apiVersion, kind, metadata, spec in that
    order); multi-line strings become literal blocks; strings that would read back as another
    type are quoted; no anchors; no line folding.

    Args:
        objects: plain dicts (str keys; str/int/bool/list/dict values, never None).

    Returns:
        The YAML text, each document starting with `---`, ending with a newline.

    Raises:
        TypeError: a value of another type (e.g. None) is in the data: a renderer bug.
    """
    return _emit(objects, explicit_start=True)


def dump_document(obj: dict[str, Any]) -> str:
    """Serialise one object (see `dump_documents`) without a leading `---`."""
    return _emit([obj], explicit_start=False)
