"""Minimal-diff edits of spec files (`fleetgen scale`).

Owns: finding the spec file and field that a scale request targets, refusing requests the spec
cannot express (unknown cluster or pool, autoscaled pool, even control-plane count, a pool that
lives in fleetgen.yaml defaults), and changing exactly one integer in the file while keeping every
comment, key order, quoting and flow style (`machine: {cpus: 2, memory: 4Gi}`) byte for byte.
Must not render, validate rendered objects, print or touch git.

How: the file is loaded with ruamel.yaml in round-trip mode, which records the line and column of
every key and value. The edit is then spliced into the original text at that position, and the
result is re-loaded with ruamel.yaml and compared with the intended data. A round-trip *dump* is
not used: ruamel re-indents block sequences (`    - name: md-0` becomes `  - name: md-0`) and
re-wraps long lines, so the diff would not be the one changed line users review in a PR.

Example:
    >>> edit = set_int("spec:\\n  replicas: 3  # three\\n", ("spec", "replicas"), 4, file="a.yaml")
    >>> edit.text, edit.line, edit.old_value
    ('spec:\\n  replicas: 4  # three\\n', 2, 3)
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from fleetgen.errors import ExitCode, FleetgenError

if TYPE_CHECKING:
    from fleetgen.spec.load import Fleet, LoadedCluster

#: Plain YAML integer token (decimal, 0x hex, 0o octal, with optional sign and `_` separators).
_INT_TOKEN = re.compile(r"[-+]?[0-9][0-9a-fA-FxXoO_]*")
#: Characters that may follow a plain scalar token.
_TOKEN_END = set(" \t\r\n,}]#")

#: Pseudo pool name used in messages for the control plane.
CONTROL_PLANE = "control-plane"


class EditError(FleetgenError):
    """Raised when a spec file cannot be edited without changing more than the one value.

    Attributes:
        path: the spec file (relative to the repository root).
        line: 1-based line of the value, or None.
    """

    def __init__(self, message: str, *, path: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class ScaleRefusedError(FleetgenError):
    """Raised when a scale request is well-formed but the spec forbids it (exit 1).

    Attributes:
        target: `cluster/pool` (or `cluster/control-plane`).
        path: spec file of the cluster, relative to the repository root.
        line: 1-based line of the field concerned, or None.
    """

    exit_code = ExitCode.INVALID

    def __init__(self, message: str, *, target: str, path: str, line: int | None = None) -> None:
        self.target = target
        self.path = path
        self.line = line
        where = f"{path}:{line}: " if line else f"{path}: "
        super().__init__(f"{where}{message}")


class UnknownTargetError(FleetgenError):
    """Raised when the cluster or pool named on the command line does not exist (usage error, exit 2).

    Attributes:
        kind: "cluster" or "pool".
        name: the name asked for.
        known: the names that exist, sorted.
    """

    exit_code = ExitCode.USAGE

    def __init__(self, kind: str, name: str, known: Sequence[str], *, where: str = "") -> None:
        self.kind = kind
        self.name = name
        self.known = tuple(sorted(known))
        super().__init__(self._message(where))

    def _message(self, where: str) -> str:
        listing = ", ".join(self.known) if self.known else "(none)"
        return f"unknown {self.kind} {self.name!r}{where}; known: {listing}"


class AmbiguousTargetError(UnknownTargetError):
    """Raised when a bare cluster name is used in several namespaces (usage error, exit 2).

    Attributes:
        kind, name: as UnknownTargetError; known: the matching `NAMESPACE/NAME`s, sorted.
    """

    def _message(self, where: str) -> str:
        return f"{self.kind} {self.name!r} is ambiguous: it is used in several namespaces; give one of {', '.join(self.known)}"


@dataclass(frozen=True)
class TextEdit:
    """The result of changing one integer in a YAML text.

    Attributes:
        text: the whole new text.
        line: 1-based line of the new value (of the inserted key when `inserted`).
        old_value: the previous value, or None when the key was inserted.
        inserted: True if the key did not exist and was added (one or more new lines, or a
            flow mapping entry).
    """

    text: str
    line: int
    old_value: int | None
    inserted: bool


@dataclass(frozen=True)
class SpecEdit:
    """A prepared change of one spec file; nothing is written until `apply()`.

    Attributes:
        path: the spec file (absolute).
        rel: the spec file relative to the repository root (posix), as shown to users.
        target: what is scaled, `cluster/pool` or `cluster/control-plane`.
        old_bytes: the file's bytes before the edit (restored byte for byte by `restore()`).
        new_bytes: the file's bytes after the edit (== old_bytes for a no-op).
        line: 1-based line of the changed (or inserted) value.
        old_value: effective replicas before the edit; None when unset (CAPI then defaults to 1).
        new_value: replicas after the edit.
        inserted: the key was not in the spec file and was added.
        note: extra words for the user, e.g. where an inherited value came from ("" if none).
    """

    path: Path
    rel: str
    target: str
    old_bytes: bytes
    new_bytes: bytes
    line: int
    old_value: int | None
    new_value: int
    inserted: bool = False
    note: str = ""

    @property
    def noop(self) -> bool:
        """True when the requested value is already in effect (nothing to write)."""
        return self.old_bytes == self.new_bytes

    def apply(self) -> None:
        """Write the new bytes to the spec file."""
        self.path.write_bytes(self.new_bytes)

    def restore(self) -> None:
        """Write the original bytes back (byte for byte)."""
        self.path.write_bytes(self.old_bytes)

    def describe(self) -> str:
        """One line for the user: `scaled kv-demo/md-0 3 → 4 (clusters/kubevirt/kv-demo.yaml:22)`."""
        old = "unset" if self.old_value is None else str(self.old_value)
        extra = f"; {self.note}" if self.note else ""
        return f"scaled {self.target} {old} → {self.new_value} ({self.rel}:{self.line}{extra})"


# --------------------------------------------------------------------------------------------
# Low level: one integer in a YAML text


def _yaml() -> Any:
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    return y


def _load_rt(text: str, file: str) -> Any:
    from ruamel.yaml.error import YAMLError

    try:
        return _yaml().load(io.StringIO(text))
    except YAMLError as err:
        raise EditError(f"cannot parse for editing: {str(err).splitlines()[0]}", path=file) from err


def _plain(data: Any) -> Any:
    """ruamel round-trip data -> plain dict/list/scalars (for comparisons)."""
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    if isinstance(data, bool) or data is None:
        return data
    if isinstance(data, int):
        return int(data)
    if isinstance(data, float):
        return float(data)
    return str(data)


def _set_plain(data: Any, path: Sequence[str | int], value: int) -> None:
    node = data
    for part in path[:-1]:
        if isinstance(node, dict) and part not in node:
            node[part] = {}
        node = node[part]
    node[path[-1]] = value


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    for m in re.finditer("\n", text):
        offsets.append(m.end())
    return offsets


def _is_blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _flow_literal(path: Sequence[str | int], value: int) -> str:
    """`("a", "b"), 3` -> `{a: {b: 3}}` minus the outer braces: `a: {b: 3}`."""
    inner = str(value)
    for part in reversed(path[1:]):
        inner = f"{{{part}: {inner}}}"
    return f"{path[0]}: {inner}"


def _insert(text: str, mapping: Any, parent_line: int | None, path: Sequence[str | int], value: int,
            *, indent_step: int, file: str) -> tuple[str, int]:
    """Insert `path[0]: ...` (nested mappings for the rest of `path`) into `mapping`.

    Returns:
        (new text, 1-based line of the inserted value).
    """
    lines = text.splitlines(keepends=True)
    offsets = _line_offsets(text)
    if mapping.fa.flow_style():
        line0, col0 = mapping.lc.line, mapping.lc.col
        pos = offsets[line0] + col0
        if text[pos:pos + 1] != "{":
            raise EditError(f"cannot insert {path[0]}: unexpected flow mapping layout", path=file, line=line0 + 1)
        entry = _flow_literal(path, value) + (", " if len(mapping) else "")
        return text[:pos + 1] + entry + text[pos + 1:], line0 + 1
    keys = list(mapping.keys())
    if not keys:  # pragma: no cover - an empty block mapping is written `{}` (flow)
        raise EditError(f"cannot insert {path[0]} into an empty mapping", path=file)
    k_line, k_col = mapping.lc.key(keys[0])
    prefix = lines[k_line][:k_col]
    nl = _newline_of(text)
    if prefix.strip() == "":
        before, floor = k_line, (parent_line if parent_line is not None else -1)
    elif len(keys) > 1:
        # first key shares its line with a `- ` indicator: insert after it, before the second key
        k2_line, k2_col = mapping.lc.key(keys[1])
        if k2_col != k_col or k2_line <= k_line:
            raise EditError(f"cannot insert {path[0]}: mapping keys are not aligned", path=file, line=k_line + 1)
        before, floor = k2_line, k_line
    else:
        only: Any = mapping[keys[0]]
        block_child = isinstance(only, CommentedMap | CommentedSeq) and not only.fa.flow_style()
        if block_child or not lines[k_line].endswith("\n"):
            raise EditError(f"cannot insert {path[0]} next to {keys[0]}; add it by hand", path=file, line=k_line + 1)
        before, floor = k_line + 1, k_line
    # keep comments attached to the key below them: move up over comment/blank lines
    while before - 1 > floor and _is_blank_or_comment(lines[before - 1]):
        before -= 1
    new_lines = []
    for depth, part in enumerate(path):
        pad = " " * (k_col + depth * indent_step)
        if depth == len(path) - 1:
            new_lines.append(f"{pad}{part}: {value}{nl}")
        else:
            new_lines.append(f"{pad}{part}:{nl}")
    out = "".join(lines[:before]) + "".join(new_lines) + "".join(lines[before:])
    return out, before + len(new_lines)


def _indent_step(data: Any) -> int:
    """Indentation step of block mappings in the document (2 if it cannot be told)."""
    def walk(node: Any, parent_col: int | None) -> int | None:
        if isinstance(node, CommentedMap) and not node.fa.flow_style() and node:
            col = int(node.lc.col)
            if parent_col is not None and col > parent_col:
                return col - parent_col
            for key, child in node.items():
                if isinstance(child, CommentedMap):
                    found = walk(child, int(node.lc.key(key)[1]))
                    if found:
                        return found
        return None

    return walk(data, None) or 2


def set_int(text: str, path: Sequence[str | int], value: int, *, file: str) -> TextEdit:
    """Set the integer at `path` in a YAML document, changing nothing else in the text.

    An existing value is replaced in place (one line changes). A missing final key, or missing
    intermediate mappings, are inserted: as new lines at the mapping's indentation in block style,
    or as a `key: value, ` entry right after `{` in flow style.

    Args:
        text: the whole YAML text (one document).
        path: keys and list indexes from the document root, e.g. `("spec", "workers", 0, "replicas")`.
            Only the trailing mapping keys may be missing.
        value: the new integer.
        file: the file name for error messages.

    Returns:
        The TextEdit; `TextEdit.text == text` when the value is already `value`.

    Raises:
        EditError: the document does not parse, the path runs through a non-mapping or a missing
            list item, the value is not a plain integer literal (an alias, a tag, a quoted string),
            or the re-loaded result differs from the intended data anywhere else.
    """
    data = _load_rt(text, file)
    before_plain = _plain(data)
    node: Any = data
    parent_line: int | None = None
    for i, part in enumerate(path[:-1]):
        if isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            parent_line = node.lc.item(part)[0]
            node = node[part]
            continue
        if isinstance(node, CommentedMap) and isinstance(part, str):
            if part not in node:
                new_text, line = _insert(text, node, parent_line, path[i:], value,
                                         indent_step=_indent_step(data), file=file)
                return _verified(text, new_text, before_plain, path, value, line, None, file)
            parent_line = node.lc.key(part)[0]
            node = node[part]
            continue
        raise EditError(f"cannot edit {'/'.join(map(str, path))}: {part!r} is not there", path=file)
    key = path[-1]
    if not isinstance(node, CommentedMap):
        raise EditError(f"cannot edit {'/'.join(map(str, path))}: not a mapping", path=file)
    if key not in node:
        new_text, line = _insert(text, node, parent_line, [key], value, indent_step=_indent_step(data), file=file)
        return _verified(text, new_text, before_plain, path, value, line, None, file)
    old = node[key]
    line0, col0 = node.lc.value(key)
    key_line0, key_col0 = node.lc.key(key)
    if (line0, col0) < (key_line0, key_col0):  # the value is an alias of a node defined earlier
        raise EditError(f"{key}: the value is an alias (*anchor); edit it by hand", path=file, line=key_line0 + 1)
    if isinstance(old, bool) or not isinstance(old, int):
        raise EditError(f"{key}: expected an integer, got {old!r}; fix the spec by hand", path=file, line=line0 + 1)
    if int(old) == value:
        return TextEdit(text, line0 + 1, int(old), False)
    start = _line_offsets(text)[line0] + col0
    match = _INT_TOKEN.match(text, start)
    end = match.end() if match else start
    if not match or (end < len(text) and text[end] not in _TOKEN_END):
        raise EditError(f"{key}: the value is not a plain integer literal (alias, tag or quoted?); "
                        "edit it by hand", path=file, line=line0 + 1)
    new_text = text[:start] + str(value) + text[end:]
    return _verified(text, new_text, before_plain, path, value, line0 + 1, int(old), file)


def _verified(old_text: str, new_text: str, before_plain: Any, path: Sequence[str | int], value: int,
              line: int, old_value: int | None, file: str) -> TextEdit:
    expected = before_plain
    _set_plain(expected, path, value)
    after = _plain(_load_rt(new_text, file))
    if after != expected:  # a guard: the splice must change exactly the one value
        raise EditError(f"editing {'/'.join(map(str, path))} would change more than that value; "
                        "edit it by hand", path=file, line=line)
    return TextEdit(new_text, line, old_value, old_value is None)


# --------------------------------------------------------------------------------------------
# Scale requests


def find_cluster(fleet: Fleet, name: str) -> LoadedCluster:
    """The loaded cluster called `name` (`NAME`, or `NAMESPACE/NAME` when the name is in several namespaces).

    Args:
        fleet: the loaded fleet.
        name: metadata.name of the ClusterSpec, optionally prefixed by its namespace and `/`.

    Returns:
        The LoadedCluster (its `path` is the spec file, relative to the repository root).

    Raises:
        UnknownTargetError: no such cluster (exit 2), listing the known names.
        AmbiguousTargetError: a bare name that clusters in several namespaces carry (exit 2),
            listing their `NAMESPACE/NAME`s.
    """
    namespace, _, bare = name.rpartition("/")
    found = [c for c in fleet.clusters if c.name == bare and (not namespace or c.namespace == namespace)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise AmbiguousTargetError("cluster", name, [f"{c.namespace}/{c.name}" for c in found])
    names = [c.name for c in fleet.clusters]
    shared = {n for n in names if names.count(n) > 1}  # (a name in several namespaces: say which)
    raise UnknownTargetError("cluster", name, sorted({f"{c.namespace}/{c.name}" if c.name in shared else c.name
                                                      for c in fleet.clusters}))


_BOM = "\ufeff"


def _decode(path: Path, rel: str) -> tuple[bytes, str, str]:
    """(the file's bytes, its text without a UTF-8 byte-order mark, the mark or "") for an edit that
    writes the mark back (`_encode`): the loader accepts a spec that starts with one."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:  # pragma: no cover - load_fleet rejected it already
        raise EditError("not UTF-8 text", path=rel) from err
    bom = _BOM if text.startswith(_BOM) else ""
    return raw, text[len(bom):], bom


def _encode(text: str, bom: str) -> bytes:
    return (bom + text).encode("utf-8")


def _position_line(cluster: LoadedCluster, pointer: str) -> int | None:
    pos = cluster.source.positions.get(pointer)
    return pos.line if pos is not None and pos.file == cluster.path else None


def prepare_pool_scale(fleet: Fleet, cluster_name: str, pool_name: str, replicas: int) -> SpecEdit:
    """Prepare `fleetgen scale CLUSTER POOL REPLICAS`: the spec file with one value changed.

    Args:
        fleet: the loaded fleet (without load errors).
        cluster_name: metadata.name of the ClusterSpec.
        pool_name: `spec.workers[].name` of the pool.
        replicas: the new worker count (>= 0; the CLI enforces the range).

    Returns:
        The prepared SpecEdit (not written). A pool without `replicas` and without autoscaling
        gets the key inserted after its `name:`.

    Raises:
        UnknownTargetError: unknown cluster or pool (exit 2).
        ScaleRefusedError: the pool is autoscaled, or its definition comes from fleetgen.yaml
            defaults (exit 1).
        EditError: the file cannot be edited with a one-line diff.

    Source:
        kubernetes-sigs/cluster-api v1.12.11 docs/book/src/tasks/automated-machine-management/autoscaling.md
        (with the autoscaler annotations, `spec.replicas` is owned by the autoscaler).
    """
    cluster = find_cluster(fleet, cluster_name)
    target = f"{cluster.name}/{pool_name}"
    pools = list(cluster.spec.spec.workers)
    index = next((i for i, p in enumerate(pools) if p.name == pool_name), None)
    if index is None:
        raise UnknownTargetError("pool", pool_name, [p.name for p in pools], where=f" in cluster {cluster.name}")
    pool = pools[index]
    pointer = f"/spec/workers/{index}"
    pool_pos = cluster.source.positions.get(pointer)
    if pool_pos is not None and pool_pos.file != cluster.path:
        raise ScaleRefusedError(
            f"pool {pool_name} comes from the defaults in {pool_pos.file}:{pool_pos.line}, which every cluster "
            f"inherits; copy spec.workers into {cluster.path} to scale {cluster.name} alone",
            target=target, path=cluster.path)
    if pool.autoscaling is not None:
        a = pool.autoscaling
        raise ScaleRefusedError(
            f"pool {pool_name} is autoscaled ({a.min_replicas}..{a.max_replicas}); "
            "change autoscaling.minReplicas/maxReplicas instead",
            target=target, path=cluster.path, line=_position_line(cluster, f"{pointer}/autoscaling"))
    raw, text, bom = _decode(fleet.root / cluster.path, cluster.path)
    edit = set_int(text, ("spec", "workers", index, "replicas"), replicas, file=cluster.path)
    note = "replicas was unset (CAPI defaulted it to 1); inserted" if edit.inserted else ""
    return SpecEdit(fleet.root / cluster.path, cluster.path, target, raw, _encode(edit.text, bom), edit.line,
                    pool.replicas, replicas, edit.inserted, note)


def prepare_control_plane_scale(fleet: Fleet, cluster_name: str, replicas: int) -> SpecEdit:
    """Prepare `fleetgen scale CLUSTER --control-plane N`.

    When `spec.controlPlane.replicas` is inherited from fleetgen.yaml defaults, the key is
    inserted into the spec file (the defaults stay untouched, so other clusters keep theirs) and
    the edit's `note` says so.

    Args:
        fleet: the loaded fleet (without load errors).
        cluster_name: metadata.name of the ClusterSpec.
        replicas: the new control-plane machine count (>= 1; the CLI enforces the range).

    Returns:
        The prepared SpecEdit (not written).

    Raises:
        UnknownTargetError: unknown cluster (exit 2).
        ScaleRefusedError: an even count (exit 1): stacked etcd needs an odd quorum.
        EditError: the file cannot be edited with a minimal diff.

    Source:
        kubernetes-sigs/cluster-api v1.12.11 controlplane/kubeadm/internal/webhooks/kubeadmcontrolplane.go
        ("cannot be an even number when etcd is stacked").
    """
    cluster = find_cluster(fleet, cluster_name)
    target = f"{cluster.name}/{CONTROL_PLANE}"
    pointer = "/spec/controlPlane/replicas"
    current = cluster.spec.spec.control_plane.replicas
    pos = cluster.source.positions.get(pointer)
    inherited = pos is not None and pos.file != cluster.path
    if replicas % 2 == 0:
        raise ScaleRefusedError(
            f"spec.controlPlane.replicas: must be odd for stacked etcd, got {replicas}",
            target=target, path=cluster.path, line=None if inherited else _position_line(cluster, pointer))
    raw, text, bom = _decode(fleet.root / cluster.path, cluster.path)
    if inherited and pos is not None:
        if replicas == current:
            return SpecEdit(fleet.root / cluster.path, cluster.path, target, raw, raw, pos.line, current, replicas,
                            note=f"inherited from {pos.file}:{pos.line}")
        edit = set_int(text, ("spec", "controlPlane", "replicas"), replicas, file=cluster.path)
        note = f"was inherited from {pos.file}:{pos.line}; key inserted into {cluster.path}"
        return SpecEdit(fleet.root / cluster.path, cluster.path, target, raw, _encode(edit.text, bom), edit.line,
                        current, replicas, True, note)
    edit = set_int(text, ("spec", "controlPlane", "replicas"), replicas, file=cluster.path)
    return SpecEdit(fleet.root / cluster.path, cluster.path, target, raw, _encode(edit.text, bom), edit.line,
                    current, replicas, edit.inserted)
