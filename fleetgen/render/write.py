"""Writing the rendered tree to disk: only changed files, all or nothing, never a lost cluster.

Owns: `diff_tree` (what `render --check` reports) and `write_tree` (what `render` does). The
output directory is fleetgen's: every regular file under it whose name does not start with `.`
is owned, and a stale owned file is removed, as is a directory left empty. Dot-files (e.g. a
`.gitkeep`) are never touched. Must not render, validate or print.

Atomicity (the design, and why):

1. Everything is rendered and validated in memory before this module is called.
2. Prepare: each added or changed file is written to a temporary file next to its target
   (`.<name>.fleetgen-tmp-*`, same directory, so the later rename cannot cross filesystems).
   Missing directories are created. A failure here removes the temporary files and the new
   directories: the old tree is untouched.
3. Commit: for each target, the old file is hard-linked to a backup (`.<name>.fleetgen-old-*`),
   then the temporary file is renamed over it with `os.replace` (atomic on POSIX: a reader sees
   the old bytes or the new bytes, never a partial file); stale files are renamed to backups. If
   anything fails (an exception, Ctrl-C or SIGTERM), every step done so far is undone from the
   backups, so the old tree is whole again. SIGINT and SIGTERM are held back while the tree is
   written and raised between steps (`_signals_held`), so no signal lands between a rename and
   its bookkeeping, and none interrupts the rollback.
4. Cleanup: backups are removed, then the directories that became empty.

Unchanged files are not rewritten (their inode and mtime stay), which keeps a re-render of a
large fleet at milliseconds and keeps git's stat cache valid. The alternative, staging a whole
new tree next to `out_dir` and swapping directories, was rejected: it rewrites every file, and
POSIX has no atomic exchange of two directories in Python's standard library (two renames leave a
window with no output directory). Only when there is no `out_dir` yet (a first render) is the
tree staged whole, in a sibling directory (`.<name>.fleetgen-tmp-*`), and renamed to `out_dir`
in one step: there is nothing to exchange, a reader sees no tree or the whole tree, and the
temporary name and rename per file are saved; a staging directory a killed run left is removed
by the next `write_tree`. If the process is killed in step 3, each file is whole, old or
new, and leftover temporary or backup files are removed by the next `write_tree`. Files are not
fsynced (that costs ~6 ms per file, seconds for a large fleet): after a power loss the tree is
only as durable as the filesystem makes a rename, and since `fleet/` is regenerated from git,
`fleetgen render --check` detects and `fleetgen render` repairs any damage.

Example:
    >>> report = write_tree(Path("fleet"), render_fleet(fleet), allow_delete=frozenset())   # doctest: +SKIP
    >>> report.written, report.unchanged, len(report.removed)                              # doctest: +SKIP
    (3, 12, 0)
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from fleetgen.errors import Interrupted, RenderError
from fleetgen.readfile import read_regular
from fleetgen.render.base import RenderResult
from fleetgen.render.layout import CLUSTERS_DIR, cluster_key

TMP_MARK = ".fleetgen-tmp-"
BACKUP_MARK = ".fleetgen-old-"
FILE_MODE = 0o644

ChangeKind = Literal["added", "changed", "removed", "leftover"]


@dataclass(frozen=True, order=True)
class Change:
    """One difference between the output directory and a render result.

    Attributes:
        path: posix path relative to the output directory.
        kind: "added" (only in the result), "changed" (different bytes), "removed" (only on disk) or
            "leftover" (a temporary or backup file a killed write left on disk).
    """

    path: str
    kind: ChangeKind


@dataclass(frozen=True)
class WriteReport:
    """What `write_tree` did.

    Attributes:
        added: paths written that did not exist, sorted.
        changed: paths rewritten because their bytes changed, sorted.
        removed: stale paths deleted, sorted.
        unchanged: number of files left alone because their bytes were equal.
        leftovers: temporary or backup files of a killed earlier write that were deleted, sorted
            (posix paths relative to the output directory, as `diff_tree` lists them).
    """

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    leftovers: tuple[str, ...] = ()

    @property
    def written(self) -> int:
        """Number of files written (added plus changed)."""
        return len(self.added) + len(self.changed)


class ClusterDeletionRefused(RenderError):
    """Raised when writing would drop the output of clusters not named in `allow_delete`.

    Attributes:
        clusters: `(namespace, name)` of every cluster whose output would be removed, sorted.
        out_dir: the output directory.
    """

    def __init__(self, clusters: list[tuple[str, str]], out_dir: Path) -> None:
        self.clusters = clusters
        self.out_dir = out_dir
        names = ", ".join(f"{ns}/{name} ({out_dir.name}/{CLUSTERS_DIR}/{ns}/{name}/)" for ns, name in clusters)
        flags = " ".join(f"--allow-delete {name}" for _, name in clusters)
        super().__init__(
            f"refusing to delete the output of {len(clusters)} cluster(s) no longer in the specs: {names}\n"
            "removing a cluster's files takes its Cluster out of git: Flux prunes it (Cluster API deletes the "
            "workload cluster and its machines), Fleet keeps it running unmanaged (GitRepo keepResources; "
            "`fleetgen plan` says which); if a spec was moved or renamed by mistake, restore it\n"
            f"if the deletion is intended, rerun with {flags}"
        )


def _owned(rel: PurePosixPath) -> bool:
    return not any(part.startswith(".") for part in rel.parts)


def scan_tree(out_dir: Path) -> dict[str, Path]:
    """Every owned regular file under `out_dir`.

    Args:
        out_dir: the output directory (may be missing).

    Returns:
        posix path relative to `out_dir` -> absolute Path, sorted by path; dot-files and
        anything under a dot-directory are not owned and left out; symlinks count as files.
    """
    return _walk(out_dir)[0]


def _is_leftover(name: str) -> bool:
    """A temporary or backup file of a write that was killed (`.<name>.fleetgen-tmp-*`, `.<name>.fleetgen-old-*`)."""
    return name.startswith(".") and (TMP_MARK in name or BACKUP_MARK in name)


def _walk(out_dir: Path) -> tuple[dict[str, Path], list[str]]:
    """`scan_tree`'s owned files, and the posix paths of the leftovers (`_is_leftover`) of killed
    writes beside them, sorted."""
    out: dict[str, Path] = {}
    leftovers: list[str] = []
    if not out_dir.is_dir():
        return out, leftovers
    top = os.fspath(out_dir)
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))  # dot-directories: not owned
        rel_dir = dirpath[len(top):].lstrip(os.sep)  # os.walk joins onto `top` as given
        prefix = rel_dir.replace(os.sep, "/") + "/" if rel_dir else ""
        base = Path(dirpath)
        for name in filenames:
            if not name.startswith("."):
                out[prefix + name] = base / name
            elif _is_leftover(name):
                leftovers.append(prefix + name)
    return dict(sorted(out.items())), sorted(leftovers)


#: A relative posix path whose every component is non-empty and starts with no "." (so no ".." either),
#: without backslashes: one `PurePosixPath` keeps as it is (its parts are `path.split("/")`) and
#: `_check_paths` accepts. Rendered paths are all of this form; others take the `PurePosixPath` way.
_SIMPLE_PATH = re.compile(r"[^/.\\][^/\\]*(?:/[^/.\\][^/\\]*)*")


def _rel_path(path: str) -> str:
    """`path` as `PurePosixPath` normalises it ("a//b" -> "a/b"), joined with "/"."""
    return path if _SIMPLE_PATH.fullmatch(path) else "/".join(PurePosixPath(path).parts)


def _check_paths(result: RenderResult) -> None:
    simple = _SIMPLE_PATH.fullmatch
    for f in result.files:
        if simple(f.path):
            continue  # (what the checks below accept)
        pure = PurePosixPath(f.path)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts or not _owned(pure) or "\\" in f.path:
            raise RenderError(f"refusing to write {f.path!r}: output paths must be relative, inside the output directory, "
                              "and must not start with '.'")


def diff_tree(out_dir: Path, result: RenderResult) -> list[Change]:
    """Compare the output directory with a render result, without writing anything.

    Args:
        out_dir: the output directory (may be missing: then every file is added).
        result: the render result.

    Returns:
        Changes sorted by path: "added", "changed" (bytes differ), "removed" (owned files on
        disk that the result does not have) and "leftover" (a temporary or backup file of a
        killed write, which `write_tree` removes). Empty when the tree is up to date.
    """
    existing, leftovers = _walk(out_dir)
    changes: list[Change] = []
    wanted = result.by_path()
    for path, file in wanted.items():
        disk = existing.get(path)
        if disk is None:
            changes.append(Change(path, "added"))
        elif _read(disk) != file.content:
            changes.append(Change(path, "changed"))
    changes.extend(Change(path, "removed") for path in existing if path not in wanted)
    changes.extend(Change(path, "leftover") for path in leftovers)
    return sorted(changes)


def tree_matches(out_dir: Path, digests: dict[str, bytes]) -> bool:
    """Whether the owned files under `out_dir` are exactly `digests`' paths, with those bytes.

    Args:
        out_dir: the output directory (may be missing).
        digests: posix path relative to `out_dir` -> sha256 of the expected bytes (as
            `fleetgen.run_cache.RunSummary.files` holds them).

    Returns:
        True when `diff_tree` would find no change; False on any added, changed, removed,
        leftover or unreadable file.
    """
    existing, leftovers = _walk(out_dir)
    if leftovers or existing.keys() != digests.keys():
        return False
    for path, disk in existing.items():
        content = _read(disk)
        if content is None or hashlib.sha256(content).digest() != digests[path]:
            return False
    return True


def files_differ(out_dir: Path, digests: dict[str, bytes]) -> bool:
    """Whether a file of `digests` exists under `out_dir` with other bytes (missing files and
    files `digests` does not name do not count: those are `render --check`'s).

    Args:
        out_dir: the output directory (may be missing).
        digests: posix path relative to `out_dir` -> sha256 of the expected bytes.
    """
    for path, digest in digests.items():
        try:
            content = read_regular(out_dir.joinpath(*PurePosixPath(path).parts))
        except OSError:  # (missing, or not a file: a FIFO there is `render --check`'s, not a hang)
            continue
        if hashlib.sha256(content).digest() != digest:
            return True
    return False


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def refused_deletions(out_dir: Path, result: RenderResult, allow_delete: Iterable[str]) -> list[tuple[str, str]]:
    """Clusters whose output is on disk but not in the result, and not allowed to go.

    Args:
        out_dir: the output directory.
        result: the render result.
        allow_delete: cluster names (or `namespace/name`) the user allowed to drop.

    Returns:
        Sorted `(namespace, name)` pairs; empty when nothing would be dropped without consent.
    """
    allowed = set(allow_delete)
    on_disk = {key for path in scan_tree(out_dir) if (key := cluster_key(path))}
    rendered = {key for f in result.files if (key := cluster_key(f.path))}
    return sorted((ns, name) for ns, name in on_disk - rendered
                  if name not in allowed and f"{ns}/{name}" not in allowed)


def _cleanup_leftovers(out_dir: Path, leftovers: Iterable[str]) -> tuple[str, ...]:
    """Remove the temporary and backup files a killed earlier run left behind (`_walk`'s posix
    paths relative to `out_dir`), then the owned directories that held only them.

    Returns:
        The paths removed, in the order given; one that could not be removed is left out.
    """
    gone: list[str] = []
    for rel in leftovers:
        with contextlib.suppress(OSError):
            os.unlink(out_dir.joinpath(*PurePosixPath(rel).parts))
            gone.append(rel)
    _remove_empty_dirs(out_dir, (out_dir.joinpath(*PurePosixPath(rel).parts).parent for rel in gone))
    return tuple(gone)


def _make_dirs(path: Path, created: list[Path], known: set[Path]) -> None:
    """Create `path` and its missing parents, appending each new directory to `created`.

    `known` holds directories already known to exist (this run's; it is added to), so writing
    thousands of files into a few hundred directories checks each directory once.
    """
    missing = []
    p = path
    while p not in known and not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        d.mkdir()
        created.append(d)
    known.update(missing)
    known.add(path)


def _write_temp(target: Path, content: bytes, mode: int) -> Path:
    """Write `content` to a new temporary file beside `target` (`.<name>.fleetgen-tmp-*`), with `mode`.

    The bytes go out in `os.write` calls on mkstemp's descriptor (no buffered file object), and the
    mode is set on the descriptor.
    """
    fd, name = tempfile.mkstemp(prefix=f".{target.name}{TMP_MARK}", dir=target.parent)
    try:
        _write_fd(fd, content, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)


def _write_fd(fd: int, content: bytes, mode: int) -> None:
    """Write `content` to the descriptor in `os.write` calls, set its mode, close it."""
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view):]
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def _staging_dirs(out_dir: Path) -> list[Path]:
    """Staging directories of first writes (`_write_new_tree`) beside `out_dir`, left by killed runs."""
    prefix = f".{out_dir.name}{TMP_MARK}"
    try:
        entries = list(os.scandir(out_dir.parent))
    except OSError:
        return []
    return [Path(e.path) for e in entries if e.name.startswith(prefix) and e.is_dir(follow_symlinks=False)]


def _write_new_tree(out_dir: Path, result: RenderResult, checkpoint: Callable[[], None]) -> None:
    """First write (`out_dir` does not exist): stage every file in a sibling directory, then
    rename it to `out_dir` (one atomic rename). Files get FILE_MODE, directories the umask's.

    Raises:
        RenderError: a write or the rename failed; the staging directory and the parents
            created for it were removed, no `out_dir` appeared.
    """
    created: list[Path] = []
    staging = out_dir.parent / f".{out_dir.name}{TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}"
    made = False
    try:
        _make_dirs(out_dir.parent, created, set())
        os.mkdir(staging)
        made = True
        top = os.fspath(staging)
        known = {""}  # directories made, relative to the staging directory ("" is itself)
        for file in result.files:
            checkpoint()
            rel = _rel_path(file.path)
            folder = rel.rpartition("/")[0]
            if folder not in known:
                os.makedirs(f"{top}/{folder}", exist_ok=True)
                while folder not in known:
                    known.add(folder)
                    folder = folder.rpartition("/")[0]
            _write_fd(os.open(f"{top}/{rel}", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE),
                      file.content, FILE_MODE)
        checkpoint()
        os.rename(staging, out_dir)
    except BaseException as err:
        if made:
            shutil.rmtree(staging, ignore_errors=True)
        _discard((), created)
        if isinstance(err, OSError):
            raise RenderError(f"could not write {out_dir}: {err}; nothing was changed") from err
        raise


def _backup(target: Path) -> Path:
    """Hard-link `target` to a fresh backup name (a copy where hard links are unsupported)."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}{BACKUP_MARK}", dir=target.parent)
    os.close(fd)
    os.unlink(name)
    try:
        os.link(target, name)
    except OSError:
        with open(target, "rb") as src, open(name, "xb") as dst:
            dst.write(src.read())
    return Path(name)


def _remove_empty_dirs(out_dir: Path, candidates: Iterable[Path]) -> None:
    """Remove now-empty owned directories among `candidates` and their parents, up to out_dir."""
    for start in sorted(set(candidates), key=lambda p: len(p.parts), reverse=True):
        d = start
        while d != out_dir and out_dir in d.parents:
            try:
                d.rmdir()
            except OSError:
                break
            d = d.parent


@contextlib.contextmanager
def _signals_held() -> Iterator[Callable[[], None]]:
    """Hold SIGINT and SIGTERM back while the tree is written; yield a checkpoint to call between steps.

    A signal that arrives is only recorded. The checkpoint raises it (`Interrupted`, a
    KeyboardInterrupt) where the bookkeeping of the steps done is complete, so the rollback knows
    every file it must restore; a signal during the rollback or the clean-up waits until the tree
    is whole, and is raised when the block ends (`after_write` when the new tree was written). A
    signal the process ignores stays ignored; off the main thread (no signal handlers there)
    nothing is held back.
    """
    pending: list[int] = []

    def hold(signum: int, frame: object) -> None:
        pending.append(signum)

    def checkpoint() -> None:
        if pending:
            raise Interrupted(pending[0])

    previous: dict[int, Any] = {}
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(signum) is not signal.SIG_IGN:
                previous[signum] = signal.signal(signum, hold)
    except ValueError:  # (not the main thread)
        pass
    try:
        yield checkpoint
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if pending:  # (held through the clean-up: the new tree is whole)
        raise Interrupted(pending[0], after_write=True)


def write_tree(out_dir: Path, result: RenderResult, *, allow_delete: frozenset[str]) -> WriteReport:
    """Make `out_dir` hold exactly the result's files, writing only what changed, all or nothing.

    Args:
        out_dir: the output directory (created when missing).
        result: the render result, already validated.
        allow_delete: cluster names (or `namespace/name`) whose output may be removed.

    Returns:
        A WriteReport: added, changed and removed paths, and the count of unchanged files.

    Raises:
        ClusterDeletionRefused: (a RenderError) the result lacks clusters whose output is on
            disk and that `allow_delete` does not name; nothing was written.
        RenderError: the output directory is not a directory, a result path is unsafe, or a
            write failed; in the last case the old tree was restored.
        Interrupted: SIGINT or SIGTERM arrived while the tree was written; the old tree was
            restored, or, when it came during the clean-up (`after_write`), the new tree is whole.
    """
    with _signals_held() as checkpoint:
        return _write_tree(out_dir, result, allow_delete, checkpoint)


def _write_tree(out_dir: Path, result: RenderResult, allow_delete: frozenset[str],
                checkpoint: Callable[[], None]) -> WriteReport:
    """`write_tree`'s steps; `checkpoint` raises a held signal between them."""
    if out_dir.exists() and not out_dir.is_dir():
        raise RenderError(f"{out_dir}: exists and is not a directory; move it away so fleetgen can write its output there")
    _check_paths(result)
    refused = refused_deletions(out_dir, result, allow_delete)
    if refused:
        raise ClusterDeletionRefused(refused, out_dir)
    for staging in _staging_dirs(out_dir):
        shutil.rmtree(staging, ignore_errors=True)
    existing, leftovers = _walk(out_dir)
    swept = _cleanup_leftovers(out_dir, leftovers)
    wanted = result.by_path()
    added: list[str] = []
    changed: list[str] = []
    unchanged = 0
    for path, file in sorted(wanted.items()):
        disk = existing.get(path)
        if disk is None:
            added.append(path)
        elif _read(disk) != file.content:
            changed.append(path)
        else:
            unchanged += 1
    removed = sorted(p for p in existing if p not in wanted)
    if not (added or changed or removed):
        return WriteReport((), (), (), unchanged, swept)
    checkpoint()
    if not out_dir.exists() and not out_dir.is_symlink():
        _write_new_tree(out_dir, result, checkpoint)
        return WriteReport(tuple(added), (), (), 0)

    changed_set = frozenset(changed)
    created_dirs: list[Path] = []
    temps: dict[str, Path] = {}
    try:  # 1. prepare: nothing visible changes
        known_dirs: set[Path] = set()
        _make_dirs(out_dir, created_dirs, known_dirs)
        for path in added + changed:
            checkpoint()
            target = out_dir.joinpath(*PurePosixPath(path).parts)
            _make_dirs(target.parent, created_dirs, known_dirs)
            mode = (os.stat(target).st_mode & 0o777) if path in changed_set else FILE_MODE
            temps[path] = _write_temp(target, wanted[path].content, mode)
    except BaseException as err:
        _discard(temps.values(), created_dirs)
        if isinstance(err, OSError):
            raise RenderError(f"could not write {out_dir}: {err}; nothing was changed") from err
        raise

    done: list[tuple[Path, Path | None]] = []  # (target, backup); backup None = the target is new
    backups: list[Path] = []
    try:  # 2. commit: one atomic rename per file, undoable from the backups
        for path in sorted(added + changed):
            checkpoint()
            target = out_dir.joinpath(*PurePosixPath(path).parts)
            backup = _backup(target) if path in changed_set else None
            if backup is not None:
                backups.append(backup)
            os.replace(temps[path], target)
            done.append((target, backup))
        for path in removed:
            checkpoint()
            target = existing[path]
            backup = _backup(target)
            backups.append(backup)
            os.unlink(target)
            done.append((target, backup))
    except BaseException as err:
        _rollback(done)
        _discard(list(temps.values()) + backups, created_dirs)
        if isinstance(err, OSError):
            raise RenderError(f"could not write {out_dir}: {err}; the previous output was restored") from err
        raise

    # 3. cleanup: nothing left to undo
    for backup in backups:
        with contextlib.suppress(OSError):
            os.unlink(backup)
    _remove_empty_dirs(out_dir, (existing[p].parent for p in removed))
    return WriteReport(tuple(added), tuple(changed), tuple(removed), unchanged, swept)


def _rollback(done: list[tuple[Path, Path | None]]) -> None:
    """Undo committed steps, newest first: restore backups, remove files that were new."""
    for target, backup in reversed(done):
        with contextlib.suppress(OSError):
            if backup is None:
                os.unlink(target)
            else:
                os.replace(backup, target)


def _discard(paths: Iterable[Path], created_dirs: list[Path]) -> None:
    for p in paths:
        with contextlib.suppress(OSError):
            os.unlink(p)
    for d in reversed(created_dirs):
        with contextlib.suppress(OSError):
            d.rmdir()
