"""The content-hash cache of per-cluster results, in `<repo>/.fleetgen-cache/`.

Owns: the cache key of one cluster (`cluster_key`), the fingerprints it is built from
(`code_fingerprint`, `schemas_fingerprint`), the on-disk store (`Cache`: one file per
entry, written atomically, verified on read) and the encoding of a `ClusterEntry` (what
`fleetgen.pipeline` computes for one spec file) to bytes and back. Must not render, validate or
decide what a hit means (the pipeline does); never raises for a missing, unreadable, corrupt or
foreign cache: such an entry is a miss.

What a key covers: everything one cluster's results depend on -- the fleetgen code (version and a
digest of the package sources) with the Python and library versions, the spec file's path and
bytes, fleetgen.yaml's bytes (defaults, GitOps agent, output directory) and the schema
directories (index.json bytes and the size and mtime of every schema file). Positions stored in
cached findings (`file:line:col`) are therefore valid whenever the key matches.

Layout::

    .fleetgen-cache/.gitignore          "*": the cache never shows up in git status
    .fleetgen-cache/v1/index            key -> (pack, offset, length)
    .fleetgen-cache/v1/packs/*.pack     entries: one per cluster result, plus the checks of what
                                        lies outside the clusters (addons, namespaces, GitOps
                                        objects) and of the addon payloads

Example:
    >>> key = cluster_key(code="c", schemas="s", config=b"apiVersion: x\\n", path="clusters/a.yaml", spec=b"kind: ClusterSpec\\n")
    >>> len(key)
    64
"""

from __future__ import annotations

import hashlib
import marshal
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fleetgen.findings import Finding, ObjectRef, Position, Severity
from fleetgen.readfile import read_regular
from fleetgen.sourcemap import SourceMap

if TYPE_CHECKING:
    from fleetgen.render.base import OutputFile, RenderedObject
    from fleetgen.spec.load import LoadedCluster

CACHE_DIR = ".fleetgen-cache"
"""The cache directory, relative to the fleet repository root (never inside the output directory)."""

FORMAT = 1
"""Version of the entry layout; part of the directory name, so an older layout is never read."""

_INDEX = "index"
_PACKS = "packs"
_INDEX_MAGIC = b"FGI1"
_DIGEST_SIZE = 16
_HEAD = len(_INDEX_MAGIC) + _DIGEST_SIZE  # index: magic, sha256 of the rest
_FRAME = 32 + _DIGEST_SIZE  # pack frame: key (32 raw bytes), sha256 of the payload, then the payload
#: Rewrite the live entries into one pack when there are this many packs.
_MAX_PACKS = 16
#: ... or when the packs hold this many bytes more than twice the live entries.
_COMPACT_SLACK_BYTES = 1 << 20
#: A pack no index references is removed once it is this old (a concurrent run may be about to reference it).
_PACK_GRACE_S = 60
#: Libraries whose behaviour shows in rendered bytes or findings (YAML dump, spec validation,
#: schema and CEL checks, addon payload schemas).
_LIBRARIES = ("yaml", "pydantic", "pydantic_core", "jsonschema_rs", "cel", "kubernetes_validate")
#: Entries of earlier runs kept in the index beyond twice the ones in use.
_PRUNE_SLACK = 256


# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------


def _module_stamp(name: str) -> str:
    """The installed version of a library, without importing it: the names of its dist-info
    folders and the size and mtime of the files of its package folder."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        return f"{name}:absent"
    parts = [name]
    folder = os.path.dirname(spec.origin)
    try:
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.is_file():
                    st = entry.stat()
                    parts.append(f"{entry.name}:{st.st_size}:{st.st_mtime_ns}")
        site = os.path.dirname(folder)
        prefix = name.lower().replace("-", "_")
        parts.extend(sorted(n for n in os.listdir(site)
                            if n.endswith(".dist-info") and n.lower().replace("-", "_").startswith(prefix)))
    except OSError:
        parts.append(spec.origin)
    return "|".join(parts)


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A digest of the code that produces cached results.

    Covers fleetgen's version and the bytes of every module of the package (so an edited
    checkout never reads results of the code it replaced), the Python version and the
    libraries listed in `_LIBRARIES`.
    """
    import fleetgen

    h = hashlib.sha256()
    h.update(f"fleetgen {fleetgen.__version__}\0format {FORMAT}\0{sys.version}\0".encode("utf-8", "surrogateescape"))
    package = Path(fleetgen.__file__).parent
    for folder, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__pycache__")))
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                h.update(os.path.relpath(path, package).encode("utf-8", "surrogateescape") + b"\0")
                with open(path, "rb") as fh:
                    h.update(fh.read())
                h.update(b"\0")
    for name in _LIBRARIES:
        h.update(_module_stamp(name).encode("utf-8", "surrogateescape") + b"\0")
    return h.hexdigest()


def schemas_fingerprint(locations: Sequence[Path]) -> str:
    """A digest of the schema directories a run validates against, in lookup order.

    Covers each directory's `index.json` bytes (the synced sources digest, converter version and
    core kinds) and the path, size and mtime of every JSON file under it, so a re-sync or a hand
    edit changes it.
    """
    h = hashlib.sha256()
    for location in locations:
        h.update(str(location).encode("utf-8", "surrogateescape") + b"\0")
        try:
            h.update(read_regular(location / "index.json"))
        except OSError:
            h.update(b"no index\0")
        if not location.is_dir():
            h.update(b"missing\0")
            continue
        stamps = []
        for folder, dirs, files in os.walk(location):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                if name.endswith(".json"):
                    path = os.path.join(folder, name)
                    try:
                        st = os.stat(path)
                    except OSError:
                        continue
                    stamps.append(f"{os.path.relpath(path, location)}:{st.st_size}:{st.st_mtime_ns}")
        h.update("\n".join(sorted(stamps)).encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def content_key(*parts: bytes | str) -> str:
    """sha256 over `parts`, each length-prefixed (so no two different part lists collide); 64 hex digits."""
    h = hashlib.sha256()
    for part in parts:
        raw = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
        h.update(len(raw).to_bytes(8, "little"))
        h.update(raw)
    return h.hexdigest()


def cluster_key(*, code: str, schemas: str, config: bytes, path: str, spec: bytes) -> str:
    """The cache key of one cluster: sha256 over every input its results depend on.

    Args:
        code: `code_fingerprint()`.
        schemas: `schemas_fingerprint(...)` of the schema directories in use.
        config: the bytes of fleetgen.yaml.
        path: the spec file, relative to the repository root (posix); findings name it.
        spec: the bytes of the spec file.

    Returns:
        64 hex digits.
    """
    return content_key("cluster", code, schemas, config, path, spec)


def spec_keys(root: Path, paths: Sequence[Path], *, code: str, schemas: str, config: bytes) -> list[str | None]:
    """The `cluster_key` of each spec file, in `paths` order.

    Args:
        root: the fleet repository root (keys name each file relative to it).
        paths: spec files under `root`, as `fleetgen.spec.discover.discover_cluster_files` lists them.
        code, schemas, config: as for `cluster_key`.

    Returns:
        One key per path; None for a symlink (what a link may point at is part of its result:
        never cached) or a file that cannot be read.
    """
    keys: list[str | None] = []
    for path in paths:
        key = None
        if not os.path.islink(path):  # (False, not an error, for a file in a folder that cannot be entered)
            try:
                spec = read_regular(path)
            except OSError:
                pass
            else:
                key = cluster_key(code=code, schemas=schemas, config=config, path=path.relative_to(root).as_posix(), spec=spec)
        keys.append(key)
    return keys


# ---------------------------------------------------------------------------------------------
# Entries
# ---------------------------------------------------------------------------------------------


@dataclass
class ClusterEntry:
    """Everything one spec file contributes to a run, as the pipeline computes and caches it.

    Attributes:
        path: the spec file, relative to the repository root.
        load_findings: why the spec did not load (`parse`, `spec`, ...); empty when it loaded.
        cluster: the loaded cluster (None when it did not load).
        render_error: the message of the `RenderError` rendering raised (None when it rendered).
        files: the files of the cluster's bundle directory, sorted by path: `cluster.yaml` and the
            GitOps agent's files there. Computed in this process, the objects file holds every
            object; restored from bytes, it holds only the objects whose kind is in
            `FLEET_LEVEL_KINDS` (what fleet-level code reads).
        object_count: the number of objects in the cluster's files.
        object_findings: schema and CEL findings of those objects, in file and object order.
        rule_findings: findings of the cluster-scope policy rules on this cluster alone, in rule
            order, before `SUPERSEDES` is applied (it is applied fleet-wide).
        budget_findings: size-budget findings of the cluster's bundle.
    """

    path: str
    load_findings: tuple[Finding, ...] = ()
    cluster: LoadedCluster | None = None
    render_error: str | None = None
    files: tuple[OutputFile, ...] = ()
    object_count: int = 0
    object_findings: tuple[Finding, ...] = ()
    rule_findings: tuple[Finding, ...] = ()
    budget_findings: tuple[Finding, ...] = field(default=())


FLEET_LEVEL_KINDS = frozenset({"Cluster", "MachineDeployment", "ConfigMap", "Secret", "ClusterResourceSet"})
"""Kinds of a cluster's rendered objects that code outside the cluster reads, kept in a restored
entry: the CAPI `Cluster` (its labels select addons; Flux health checks), `MachineDeployment`
(autoscaled pools become GitOps drift-ignore rules) and what the fleet-wide `crs-webhook` rule
cross-references (`ConfigMap`, `Secret`, `ClusterResourceSet`)."""


class PackedSourceMap(SourceMap):
    """A SourceMap restored from the cache; its Positions are unpacked on first use.

    Most restored clusters never look a position up (only findings and a few fleet-level objects
    do), so this skips building some fifty Position objects per cluster.

    Args:
        file: the document's path.
        packed: `_pack_source` bytes: pointer -> (file, or None for `file`; line; column).
    """

    def __init__(self, file: str, packed: bytes) -> None:
        self.file = file
        self._packed = packed
        self._positions: dict[str, Position] | None = None

    @property
    def positions(self) -> dict[str, Position]:  # type: ignore[override]
        """pointer -> 1-based Position (unpacked once)."""
        if self._positions is None:
            file = self.file
            self._positions = {p: Position(f or file, line, col) for p, (f, line, col) in marshal.loads(self._packed).items()}
        return self._positions

    @positions.setter
    def positions(self, value: dict[str, Position]) -> None:
        self._positions = value

    def __reduce__(self) -> tuple[Any, ...]:
        return (SourceMap, (self.file, dict(self.positions)))


def _pack_source(source: SourceMap) -> tuple[str, bytes]:
    file = source.file
    if isinstance(source, PackedSourceMap) and source._positions is None:
        return file, source._packed
    packed = {p: (None if pos.file == file else pos.file, pos.line, pos.col) for p, pos in source.positions.items()}
    return file, marshal.dumps(packed, 4)


def _finding_out(f: Finding) -> tuple[Any, ...]:
    p, r, o = f.position, f.rendered, f.object
    return (f.rule_id, f.severity.value, f.message, (p.file, p.line, p.col), f.pointer,
            (o.api_version, o.kind, o.name, o.namespace) if o is not None else None,
            (r.file, r.line, r.col) if r is not None else None, f.hint)


def _finding_in(t: Sequence[Any]) -> Finding:
    rule_id, severity, message, pos, pointer, obj, rendered, hint = t
    return Finding(rule_id, Severity(severity), message, Position(*pos), pointer,
                   ObjectRef(*obj) if obj is not None else None,
                   Position(*rendered) if rendered is not None else None, hint)


def _findings_out(findings: Iterable[Finding]) -> tuple[Any, ...]:
    return tuple(_finding_out(f) for f in findings)


def _findings_in(items: Iterable[Sequence[Any]]) -> tuple[Finding, ...]:
    return tuple(_finding_in(t) for t in items)


def encode_entry(entry: ClusterEntry) -> bytes:
    """The bytes of an entry (see `decode_entry`); objects of other kinds than `FLEET_LEVEL_KINDS` are dropped."""
    cluster = entry.cluster
    loaded = None
    files: list[tuple[Any, ...]] = []
    if cluster is not None:
        loaded = (pickle.dumps(cluster.spec, protocol=pickle.HIGHEST_PROTOCOL), _pack_source(cluster.source),
                  cluster.path, cluster.digest)
        for f in entry.files:
            objects = []
            for obj in f.objects:
                if obj.manifest.get("kind") not in FLEET_LEVEL_KINDS:
                    continue
                own = obj.source is cluster.source
                objects.append((obj.manifest, dict(obj.origin), obj.cluster, None if own else _pack_source(obj.source)))
            files.append((f.path, f.content, tuple(objects), tuple(tuple(i) for i in f.identities())))
    payload = (entry.path, _findings_out(entry.load_findings), loaded, entry.render_error, tuple(files),
               entry.object_count, _findings_out(entry.object_findings), _findings_out(entry.rule_findings),
               _findings_out(entry.budget_findings))
    return marshal.dumps(payload, 4)


def decode_entry(data: bytes | memoryview) -> ClusterEntry:
    """An entry from `encode_entry` bytes.

    Raises:
        Exception: any error of malformed data (callers treat it as a miss).
    """
    from fleetgen.render.base import ObjectIdentity, OutputFile, RenderedObject
    from fleetgen.spec.load import LoadedCluster

    (path, load_findings, loaded, render_error, files, object_count, object_findings, rule_findings,
     budget_findings) = marshal.loads(data)
    cluster = None
    out_files: list[OutputFile] = []
    if loaded is not None:
        spec_blob, (src_file, packed), cluster_path, digest = loaded
        source = PackedSourceMap(src_file, packed)
        cluster = LoadedCluster(pickle.loads(spec_blob), source, cluster_path, digest)  # noqa: S301 - our own cache
        for file_path, content, objects, ids in files:
            restored: list[RenderedObject] = []
            for manifest, origin, owner, own_source in objects:
                src = source if own_source is None else PackedSourceMap(*own_source)
                restored.append(RenderedObject(manifest, src, origin, owner))
            out_files.append(OutputFile(file_path, content, tuple(restored), tuple(ObjectIdentity(*i) for i in ids)))
    return ClusterEntry(path, _findings_in(load_findings), cluster, render_error, tuple(out_files), object_count,
                        _findings_in(object_findings), _findings_in(rule_findings), _findings_in(budget_findings))


def encode_findings(groups: Sequence[Sequence[Finding]], files: Sequence[tuple[str, Sequence[Finding]]] = ()) -> bytes:
    """Bytes of fleet-level results: lists of findings, and findings per output file."""
    return marshal.dumps((tuple(_findings_out(g) for g in groups),
                          tuple((path, _findings_out(fs)) for path, fs in files)), 4)


def decode_findings(data: bytes | memoryview) -> tuple[list[tuple[Finding, ...]], list[tuple[str, tuple[Finding, ...]]]]:
    """The lists `encode_findings` stored.

    Raises:
        Exception: any error of malformed data (callers treat it as a miss).
    """
    groups, files = marshal.loads(data)
    return [_findings_in(g) for g in groups], [(path, _findings_in(fs)) for path, fs in files]


# ---------------------------------------------------------------------------------------------
# Store
# ---------------------------------------------------------------------------------------------


class Cache:
    """The on-disk store: entries packed into a few files, found through an index.

    Layout under `.fleetgen-cache/v<FORMAT>/`: `index` (key -> pack, offset, length) and
    `packs/*.pack` (frames of key, payload digest and payload). A run reads the index once and
    each pack it needs once; `put` only collects new entries in memory and `commit` writes them
    as one new pack plus a new index, so a run writes two files however many clusters changed,
    and writes nothing unless the caller commits (a run with errors does not).

    Reads verify every frame (the key and a sha256 of the payload), so a truncated, corrupt or
    misplaced entry is a miss, and a missing or corrupt index is an empty cache. Files are
    written to a temporary name and renamed into place: a reader never sees half a file, and two
    runs at once at worst lose each other's new entries (computed again next time). Any OSError
    makes the cache read-only for the rest of the run. Nothing here raises.

    Args:
        root: the fleet repository root.
    """

    def __init__(self, root: Path) -> None:
        self.base = root / CACHE_DIR
        self.dir = self.base / f"v{FORMAT}"
        self._index: dict[str, tuple[str, int, int]] | None = None
        self._packs: dict[str, bytes | None] = {}
        self._pending: dict[str, bytes] = {}
        self._payloads: dict[str, bytes | memoryview] = {}  # every payload read (a view into its pack) or put

    # -- reading ----------------------------------------------------------------------------

    def _load_index(self) -> dict[str, tuple[str, int, int]]:
        if self._index is None:
            self._index = {}
            try:
                data = (self.dir / _INDEX).read_bytes()
                if data[:4] == _INDEX_MAGIC and hashlib.sha256(data[_HEAD:]).digest()[:_DIGEST_SIZE] == data[4:_HEAD]:
                    index = marshal.loads(data[_HEAD:])
                    if isinstance(index, dict):
                        self._index = index
            except (OSError, ValueError, EOFError, TypeError):
                pass
        return self._index

    def _pack(self, name: str) -> bytes | None:
        if name not in self._packs:
            try:
                self._packs[name] = (self.dir / _PACKS / name).read_bytes()
            except OSError:
                self._packs[name] = None
        return self._packs[name]

    def get(self, key: str) -> bytes | memoryview | None:
        """The payload stored under `key` (bytes-like), or None (absent, unreadable or corrupt)."""
        if key in self._pending:
            return self._pending[key]
        try:
            name, offset, length = self._load_index()[key]
            raw_key = bytes.fromhex(key)
        except (KeyError, ValueError, TypeError):
            return None
        data = self._pack(name) if isinstance(name, str) else None
        if data is None or not isinstance(offset, int) or not isinstance(length, int) or offset < 0:
            return None
        start = offset + _FRAME
        view = memoryview(data)
        payload = view[start:start + length]
        if (len(payload) != length or view[offset:offset + 32] != raw_key
                or hashlib.sha256(payload).digest()[:_DIGEST_SIZE] != view[offset + 32:start]):
            return None
        self._payloads[key] = payload
        return payload

    def keys(self) -> set[str]:
        """The keys the index on disk holds."""
        return set(self._load_index())

    def location(self, key: str) -> tuple[Path, int, int] | None:
        """Where an entry lies: (pack file, offset of its frame, payload length), or None."""
        hit = self._load_index().get(key)
        return (self.dir / _PACKS / hit[0], hit[1], hit[2]) if hit else None

    # -- writing ----------------------------------------------------------------------------

    def put(self, key: str, payload: bytes) -> None:
        """Remember a new entry; written by `commit`."""
        self._pending[key] = payload
        self._payloads[key] = payload

    def commit(self, used: Iterable[str]) -> None:
        """Write the new entries (one pack) and an index of the entries in use.

        Entries of earlier runs that this one did not use are kept while there are not many more
        of them than entries in use (switching branches back and forth stays cached); packs that
        hold mostly dead entries, or many small packs, are rewritten into one. Does nothing when
        nothing changed; never raises.
        """
        used_keys = [k for k in dict.fromkeys(used) if k in self._payloads]
        old = self._load_index()
        try:
            index: dict[str, tuple[str, int, int]] = {}
            packs_dir = self.dir / _PACKS
            new_entries: dict[str, bytes | memoryview] = {k: self._pending[k] for k in used_keys if k in self._pending}
            if not new_entries and all(k in old for k in used_keys) and len(old) <= _retained_limit(len(used_keys)):
                return  # nothing new, nothing to drop
            live = {k: old[k] for k in used_keys if k not in new_entries and k in old}
            referenced = {loc[0] for loc in live.values()}
            sizes = {}
            for name in referenced:
                try:
                    sizes[name] = (packs_dir / name).stat().st_size
                except OSError:
                    sizes[name] = 0
            live_bytes = sum(loc[2] + _FRAME for loc in live.values())
            compact = len(referenced) >= _MAX_PACKS or sum(sizes.values()) > 2 * live_bytes + _COMPACT_SLACK_BYTES
            if compact:
                new_entries = {k: self._payloads[k] for k in used_keys}
                live = {}
            if new_entries:
                self._write_pack(new_entries, index)
            index.update(live)
            if not compact:
                spare = [k for k in old if k not in index]
                if len(index) + len(spare) <= _retained_limit(len(used_keys)):
                    index.update((k, old[k]) for k in spare)
            payload = marshal.dumps(index, 4)
            _atomic_write(self.dir / _INDEX, _INDEX_MAGIC + hashlib.sha256(payload).digest()[:_DIGEST_SIZE] + payload)
            self._index = index
            self._pending.clear()
            self._collect(packs_dir, {loc[0] for loc in index.values()})
        except (OSError, ValueError):
            return

    def _write_pack(self, entries: dict[str, bytes | memoryview], index: dict[str, tuple[str, int, int]]) -> None:
        packs_dir = self.dir / _PACKS
        packs_dir.mkdir(parents=True, exist_ok=True)
        ignore = self.base / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# created by fleetgen: a local cache of results, never committed\n*\n", encoding="utf-8")
        chunks: list[bytes | memoryview] = []
        offset = 0
        name = f"{os.getpid()}-{os.urandom(6).hex()}.pack"
        for key, payload in entries.items():
            frame = bytes.fromhex(key) + hashlib.sha256(payload).digest()[:_DIGEST_SIZE]
            chunks += [frame, payload]
            index[key] = (name, offset, len(payload))
            offset += len(frame) + len(payload)
        _atomic_write(packs_dir / name, b"".join(chunks))

    @staticmethod
    def _collect(packs_dir: Path, keep: set[str]) -> None:
        """Remove packs the index no longer references (not those a concurrent run may have just written)."""
        now = time.time()
        try:
            with os.scandir(packs_dir) as it:
                stale = [e for e in it if e.name not in keep]
            for entry in stale:
                if now - entry.stat().st_mtime > _PACK_GRACE_S:
                    os.unlink(entry.path)
        except OSError:
            pass


def _retained_limit(used: int) -> int:
    """Most index entries kept: those in use plus as many others (at least `_PRUNE_SLACK`)."""
    return 2 * used + _PRUNE_SLACK


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
