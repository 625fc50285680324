"""Git access: the only module that imports GitPython.

Owns: opening the git repository that holds a fleet root, resolving refs, reading files and whole
sub-trees at a ref (straight from git tree objects, into a temporary directory), and the one
write operation fleetgen performs (stage a fixed set of paths and commit only those). Reading a
ref never touches the user's checkout, index or HEAD: no `git checkout`, no `git stash`, no
worktree. Must not know about specs, rendering or plans.

Example:
    >>> with checkout_tree(Path("."), "origin/main") as base_root:   # doctest: +SKIP
    ...     fleet, findings = load_fleet(base_root)

Source:
    The base-vs-head shape follows flux-local `flux_local/git_repo.py:create_worktree`; reading
    tree objects instead of adding a worktree keeps `.git/worktrees` untouched as well.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import git
from gitdb.exc import BadName, BadObject

from fleetgen.errors import VcsError

#: An abbreviated or full commit sha.
_HEX = re.compile(r"[0-9a-f]{7,40}")

#: What a fleet revision consists of (paths relative to the fleet root): enough to load and render it.
FLEET_SOURCE_PATHS: tuple[str, ...] = ("fleetgen.yaml", "clusters", "crs", "schemas/sources.yaml")

#: What GitPython's revision parsing raises for a revision that names no commit: BadName, BadObject,
#: ValueError (a tree or blob, a missing object), IndexError (`@{N}` past the reflog), TypeError
#: (`@{upstream}` without one), NotImplementedError (`@{yesterday}`), GitError.
_NO_SUCH_REVISION = (BadName, BadObject, ValueError, IndexError, TypeError, NotImplementedError, git.exc.GitError)

_SYMLINK = 0o120000
_EXECUTABLE = 0o100755
_SUBMODULE = 0o160000


@dataclass(frozen=True)
class CommitInfo:
    """A commit fleetgen made.

    Attributes:
        sha: full hex sha.
        short_sha: abbreviated sha (7 characters).
        subject: first line of the message.
    """

    sha: str
    short_sha: str
    subject: str


class FleetRepo:
    """The git repository that holds a fleet root (which may be a sub-folder of it).

    Use as a context manager (`with open_repo(root) as repo:`) so GitPython's helper processes
    are closed.

    Attributes:
        fleet_root: the fleet repository root (absolute, resolved).
        git_root: the git working tree root (absolute, resolved).
        prefix: `fleet_root` relative to `git_root`, posix, "" when they are the same.
    """

    def __init__(self, repo: Any, fleet_root: Path) -> None:
        self._repo = repo
        self.git_root = Path(repo.working_tree_dir).resolve()
        self.fleet_root = fleet_root
        rel = fleet_root.relative_to(self.git_root).as_posix()
        self.prefix = "" if rel == "." else rel

    def __enter__(self) -> FleetRepo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop GitPython's helper processes (`git cat-file --batch`)."""
        self._repo.close()

    # -- reading ---------------------------------------------------------------------------

    def git_path(self, rel: str) -> str:
        """A fleet-root-relative posix path as a path relative to the git root."""
        rel = rel.strip("/")
        if not self.prefix:
            return rel
        return f"{self.prefix}/{rel}" if rel else self.prefix

    def resolve(self, ref: str) -> str | None:
        """The commit sha `ref` names; None for `HEAD` of a repository without commits.

        Raises:
            VcsError: `ref` names no commit (exit 2).
        """
        try:
            commit = self._repo.commit(ref)
            commit.tree  # noqa: B018 - reads the commit: GitPython takes any 40-hex string on trust
            return str(commit.hexsha)
        except _NO_SUCH_REVISION as err:
            if ref == "HEAD" and not self._repo.head.is_valid():
                return None
            raise VcsError(f"unknown git ref {ref!r} in {self.git_root}: {self._ref_problem(ref, err)}") from err

    def _ref_problem(self, ref: str, err: Exception) -> str:
        """Why `ref` names no commit, in git's terms, with the fetch advice only where fetching helps."""
        try:
            kind = str(self._repo.rev_parse(ref).type)
        except _NO_SUCH_REVISION:
            kind = ""
        if kind and kind != "commit":
            return f"it names a {kind}, not a commit"
        if self._is_shallow() and (_HEX.fullmatch(ref) or (any(c in ref for c in "~^") and self._names_a_commit(ref))):
            # (history, not a name: `HEAD~1`, an older sha; `nosuch~1` names nothing to fetch history of)
            fetch = "fetch it (`git fetch --unshallow`, or `fetch-depth: 0` with actions/checkout)"
            if _HEX.fullmatch(ref):
                return f"this clone is shallow: if {ref} is an older commit, {fetch}"
            return f"this clone is shallow and lacks that history; {fetch}"
        text = str(err)
        detail = text.partition(" - ")[2].removesuffix("' did not resolve to an object")  # (GitPython's revision syntax errors)
        if detail:
            return detail  # e.g. "not enough parent commits to reach '~5'"
        if isinstance(err, NotImplementedError | TypeError):
            return "fleetgen cannot resolve this revision syntax; name a branch, tag or commit"
        if any(c in ref for c in "~^:@{"):
            return text[:1].lower() + text[1:]  # e.g. "invalid revlog index: 5"
        return "no branch, tag or commit of that name; fetch it first (e.g. `git fetch origin main`)"

    def _names_a_commit(self, ref: str) -> bool:
        """Whether the name `ref`'s revision suffixes (`~N`, `^`) start from names a commit here."""
        name = re.split(r"[~^]", ref, maxsplit=1)[0] or "HEAD"
        try:
            self._repo.commit(name)
        except _NO_SUCH_REVISION:
            return False
        return True

    def _is_shallow(self) -> bool:
        """True for a shallow clone (`git clone --depth 1`, CI checkouts): its `shallow` file lists
        the commits whose parents were not fetched."""
        try:
            return (Path(self._repo.common_dir) / "shallow").is_file()
        except (OSError, ValueError):
            return False

    def short_sha(self, sha: str) -> str:
        """Abbreviated sha (7 hex digits)."""
        return sha[:7]

    def subject(self, sha: str) -> str:
        """First line of a commit's message."""
        message = self._repo.commit(sha).message
        text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
        return text.splitlines()[0] if text else ""

    def _entry(self, sha: str | None, rel: str) -> Any:
        if sha is None:
            return None
        tree = self._repo.commit(sha).tree
        path = self.git_path(rel)
        if not path:
            return tree
        try:
            return tree / path
        except KeyError:
            return None

    def tree_blobs(self, sha: str | None, rel: str) -> dict[str, tuple[int, str]]:
        """Every file under the folder `rel` at commit `sha`, without reading its contents.

        Args:
            sha: a commit sha (`resolve`), or None (no commits: nothing).
            rel: a folder relative to the fleet root (posix).

        Returns:
            Fleet-root-relative posix path -> (git file mode, blob sha), e.g.
            `{"clusters/kv-a.yaml": (0o100644, "3b18e5...")}`; empty when `rel` is not a folder there.
            Symlinks are listed with mode 0o120000; submodules are left out.
        """
        if sha is None:
            return {}
        path = self.git_path(rel)
        # One `git ls-tree` of the folder's tree object: GitPython's tree traversal reads every
        # tree object in Python (a quarter of a second for a 1,000-cluster output directory).
        try:
            listing: bytes = self._repo.git.ls_tree("-r", "-z", "--full-tree", f"{sha}:{path}",
                                                    stdout_as_string=False)
        except git.exc.GitCommandError:
            return {}  # (no such path at that commit, or not a folder)
        base = PurePosixPath(rel.strip("/"))
        out: dict[str, tuple[int, str]] = {}
        for record in listing.split(b"\0"):
            if not record:
                continue
            meta, _, name = record.partition(b"\t")
            mode, kind, blob = meta.split(b" ")
            if kind == b"blob":
                out[(base / name.decode("utf-8", "surrogateescape")).as_posix()] = (int(mode, 8), blob.decode("ascii"))
        return out

    def read_file(self, ref: str, rel: str) -> bytes | None:
        """The bytes of a file at `ref`, or None when it is not there.

        Args:
            ref: any git revision (`HEAD`, `origin/main`, a sha).
            rel: path relative to the fleet root (posix).

        Raises:
            VcsError: unknown ref.
        """
        entry = self._entry(self.resolve(ref), rel)
        if entry is None or entry.type != "blob":
            return None
        data: bytes = entry.data_stream.read()
        return data

    def read_blob(self, blob: str) -> bytes:
        """The bytes of the git blob with this object id (a sha from `tree_blobs`).

        Raises:
            VcsError: no such object in the repository.
        """
        try:
            data: bytes = self._repo.odb.stream(bytes.fromhex(blob)).read()
        except (BadName, BadObject, ValueError) as err:
            raise VcsError(f"git object {blob} not found: {err}") from err
        return data

    def materialize(self, ref: str, dest: Path, paths: Sequence[str] = FLEET_SOURCE_PATHS) -> str | None:
        """Write files and folders of the fleet as committed at `ref` under `dest`.

        Reads git tree objects only; the checkout, index and HEAD are not touched. Submodules are
        skipped; symlinks are written as symlinks (their target as committed).

        Args:
            ref: any git revision.
            dest: an existing directory; it becomes the fleet root of that revision.
            paths: fleet-root-relative files or folders to write; missing ones are skipped.

        Returns:
            The commit sha, or None for `HEAD` of a repository without commits (nothing written).

        Raises:
            VcsError: unknown ref.
        """
        sha = self.resolve(ref)
        for rel in paths:
            entry = self._entry(sha, rel)
            if entry is None:
                continue
            if entry.type == "blob":
                self._write_blob(entry, dest / PurePosixPath(rel))
            elif entry.type == "tree":
                for item in entry.traverse():
                    if item.type != "blob":
                        continue
                    inner = PurePosixPath(item.path).relative_to(PurePosixPath(entry.path))
                    self._write_blob(item, dest / PurePosixPath(rel) / inner)
        return sha

    @staticmethod
    def _write_blob(blob: Any, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        data: bytes = blob.data_stream.read()
        if blob.mode == _SYMLINK:
            os.symlink(data.decode("utf-8", "surrogateescape"), target)
            return
        if blob.mode == _SUBMODULE:  # pragma: no cover - traverse() yields submodules as commits
            return
        target.write_bytes(data)
        if blob.mode == _EXECUTABLE:
            target.chmod(target.stat().st_mode | stat.S_IXUSR)

    # -- writing ---------------------------------------------------------------------------

    def _known_paths(self, rels: Sequence[str]) -> list[str]:
        """Literal pathspecs (`:(literal)<git-root-relative path>`, so a folder named `team[1]`
        never matches `team1`) of the paths among `rels` that exist on disk, in the index or in
        HEAD (a folder deleted and staged as deleted is still to be committed)."""
        out = []
        for rel in rels:
            path = self.git_path(rel)
            spec = f":(literal){path}"
            if ((self.git_root / path).exists() or self._repo.git.ls_files("--", spec)
                    or (self._repo.head.is_valid() and self._repo.git.ls_tree("--name-only", "HEAD", "--", path))):
                out.append(spec)
        return out

    def untracked(self, rels: Sequence[str]) -> list[str]:
        """The untracked, not ignored files under `rels` (`git ls-files --others --exclude-standard`).

        Args:
            rels: fleet-root-relative files or folders.

        Returns:
            Fleet-root-relative posix paths, sorted.

        Raises:
            VcsError: git refused.
        """
        paths = self._known_paths(rels)
        if not paths:
            return []
        try:
            listed = self._repo.git.ls_files("-z", "--others", "--exclude-standard", "--", *paths)
        except git.exc.GitCommandError as err:
            raise VcsError(f"git ls-files failed: {_git_detail(err)}") from err
        prefix = f"{self.prefix}/" if self.prefix else ""
        return sorted(path.removeprefix(prefix) for path in _nul_separated(listed))

    def stage(self, rels: Sequence[str], *, exclude: Sequence[str] = ()) -> list[str]:
        """Stage exactly `rels` (additions, changes and deletions), like `git add -A -- PATHS`.

        Ignored files stay ignored; nothing outside `rels` is staged, nor are the `exclude` files.

        Args:
            rels: fleet-root-relative files or folders, e.g. `["clusters", "crs", "fleetgen.yaml"]`.
            exclude: fleet-root-relative files under `rels` to leave unstaged.

        Returns:
            The staged paths that differ from HEAD within `rels` (git-root-relative, sorted);
            empty when there is nothing to commit.

        Raises:
            VcsError: git refused (e.g. an index.lock held by another git process).
        """
        paths = self._known_paths(rels)
        if not paths:
            return []
        paths += [f":(exclude,literal){self.git_path(rel)}" for rel in exclude]
        try:
            self._repo.git.add("-A", "--", *paths)
            if self._repo.head.is_valid():
                changed = self._repo.git.diff("-z", "--cached", "--name-only", "--no-renames", "HEAD", "--",
                                              *paths)
            else:
                changed = self._repo.git.ls_files("-z", "--", *paths)
        except git.exc.GitCommandError as err:
            raise VcsError(f"git add failed: {_git_detail(err)}") from err
        return sorted(_nul_separated(changed))

    def commit_only(self, rels: Sequence[str], message: str) -> CommitInfo:
        """Commit `rels` as staged, and nothing else (`git commit --only -- PATHS`).

        Other changes the user staged stay staged and out of the commit. Commit hooks run as for
        any `git commit`.

        Args:
            rels: fleet-root-relative files or folders (stage them first with `stage`).
            message: the full commit message (subject, blank line, body).

        Returns:
            The new commit.

        Raises:
            VcsError: git refused (a hook failed, a merge in progress, ...), with git's message.
        """
        paths = self._known_paths(rels)
        try:
            self._repo.git.commit("--only", "--quiet", "-m", message, "--", *paths)
        except git.exc.GitCommandError as err:
            raise VcsError(f"git commit failed: {_git_detail(err)}") from err
        sha = str(self._repo.head.commit.hexsha)
        return CommitInfo(sha, self.short_sha(sha), self.subject(sha))


def _nul_separated(listing: str) -> list[str]:
    """The paths of a `-z` git listing (NUL-terminated, unquoted: names with quotes,
    backslashes or non-ASCII characters come back as they are on disk)."""
    return [path for path in listing.split("\0") if path]


def _git_detail(err: Any) -> str:
    """git's own message from a GitCommandError (stderr, else stdout), on one line."""
    text = str(err.stderr or err.stdout or err).strip()
    text = text.removeprefix("stderr:").strip().strip("'").strip()
    return " ".join(text.split()) or str(err)


def open_repo(root: Path) -> FleetRepo:
    """Open the git repository that holds the fleet root `root`.

    Args:
        root: the fleet repository root (it or a parent holds `.git`).

    Returns:
        A FleetRepo; close it (or use it as a context manager).

    Raises:
        VcsError: `root` is not inside a git working tree (exit 2).
    """
    fleet_root = Path(root).resolve()
    try:
        repo = git.Repo(fleet_root, search_parent_directories=True)
    except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError) as err:
        raise VcsError(f"{fleet_root} is not inside a git repository; run `git init` first") from err
    if repo.bare or repo.working_tree_dir is None:
        repo.close()
        raise VcsError(f"{fleet_root} is a bare git repository; run fleetgen in a checkout")
    try:
        return FleetRepo(repo, fleet_root)
    except ValueError as err:  # pragma: no cover - search_parent_directories guarantees containment
        repo.close()
        raise VcsError(f"{fleet_root} is outside the git working tree {repo.working_tree_dir}") from err


def blob_sha(data: bytes) -> str:
    """The git (SHA-1) object id of a file with these bytes, as `git hash-object` computes it."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@contextmanager
def checkout_tree(root: Path, ref: str, paths: Sequence[str] = FLEET_SOURCE_PATHS) -> Iterator[Path]:
    """Materialize the fleet as committed at `ref` into a temporary directory.

    Only git tree objects are read: the user's checkout, index and HEAD stay as they are. The
    directory is removed when the `with` block ends.

    Args:
        root: the fleet repository root of the working tree.
        ref: any git revision (`HEAD`, `origin/main`, a sha).
        paths: fleet-root-relative files or folders to write (default: fleetgen.yaml, clusters/,
            crs/ and schemas/sources.yaml).

    Yields:
        The temporary fleet root of that revision (empty when the ref has none of `paths`, or is
        the HEAD of a repository without commits).

    Raises:
        VcsError: not a git repository, or unknown ref.
    """
    tmp = Path(tempfile.mkdtemp(prefix="fleetgen-base-"))
    try:
        base_root = tmp / "fleet"
        base_root.mkdir()
        with open_repo(root) as repo:
            repo.materialize(ref, base_root, paths)
        yield base_root
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
