"""Which files of a fleet repository are inputs: fleetgen.yaml, clusters/**/*.yaml, crs/<addon>/, schemas/.

Owns: the repository layout of the inputs and how it is walked, and where the fleet is in its git
repository (`git_folder`). Light on purpose (no YAML, no models): the cache looks up a whole run
by the files found here before anything is parsed. Must not read input file contents (git's own
small files excepted: a `.git` pointer file, `commondir`, the repository config for its remotes).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

CONFIG_FILE = "fleetgen.yaml"
CLUSTERS_DIR = "clusters"
ADDONS_DIR = "crs"
ADDON_FILE = "addon.yaml"
SCHEMAS_DIR = "schemas"
"""The synced JSON schemas (`fleetgen schemas sync`), relative to the repository root."""


def discover_cluster_files(root: Path) -> list[Path]:
    """Every clusters/**/*.yaml and *.yml file, sorted by path.

    Symlinked files and folders that stay inside the repository are followed (each folder once, so
    a link to an ancestor cannot loop). Broken symlinks, symlinked folders that leave the
    repository and folders that cannot be read are listed too, never entered: `load_cluster`
    reports each as one problem, rather than the specs behind them silently disappearing from the
    fleet (and `render` offering to delete their clusters).
    """
    base = root / CLUSTERS_DIR
    if not base.is_dir():
        return []
    top = root.resolve()
    found: list[Path] = []
    seen: set[Path] = set()
    def unreadable(err: OSError) -> None:
        if err.filename:
            found.append(Path(err.filename))

    for dirpath, dirnames, filenames in os.walk(base, followlinks=True, onerror=unreadable):
        seen.add(Path(dirpath).resolve())
        enter = []
        for name in sorted(dirnames, key=lambda n: (os.path.islink(os.path.join(dirpath, n)), n)):  # real folders first
            sub = Path(dirpath, name)
            target = sub.resolve()
            if target in seen or target in top.parents or target == top:
                continue  # a folder already walked, or a link back up the tree
            if sub.is_symlink() and not target.is_relative_to(top):
                found.append(sub)
                continue
            seen.add(target)
            enter.append(name)
        dirnames[:] = enter
        found.extend(Path(dirpath, name) for name in filenames if name.endswith((".yaml", ".yml")))
    return sorted(found)


def discover_addon_dirs(root: Path) -> list[Path]:
    """Every crs/<addon>/ folder, sorted by name: each one is an addon (hidden folders excepted).

    A folder without an addon.yaml is listed too (`load_addon` reports it), rather than its addon
    silently disappearing from the fleet, e.g. after a rename to addon.yml.
    """
    base = root / ADDONS_DIR
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))


@dataclass(frozen=True)
class GitPlacement:
    """Where a fleet sits in the git working tree holding it.

    Attributes:
        folder: the fleet's folder relative to the working tree's top level, as a posix path
            ("" at the top level).
        config: the repository's config file (its remotes), under the common git directory of
            a linked worktree.
    """

    folder: str
    config: Path


def _git_dir(dot_git: Path) -> Path | None:
    """The git directory a `.git` entry stands for, as git finds it: a directory holding `HEAD`,
    or a file `gitdir: PATH` (worktrees, submodules) naming one; None for anything else."""
    if dot_git.is_dir():
        return dot_git if (dot_git / "HEAD").is_file() else None
    try:
        first = dot_git.read_text(encoding="utf-8", errors="replace").splitlines()[0]
    except (OSError, IndexError):
        return None
    if not first.startswith("gitdir: "):
        return None
    target = dot_git.parent / first.removeprefix("gitdir: ").strip()
    return target if (target / "HEAD").is_file() else None


def git_placement(root: Path) -> GitPlacement | None:
    """Where `root` is in the git working tree holding it; None when no parent holds a valid `.git`
    (a `.git` that git would not read, e.g. an empty folder, is passed over as git does)."""
    try:
        root = root.resolve()
    except OSError:
        return None
    for parent in (root, *root.parents):
        git_dir = _git_dir(parent / ".git")
        if git_dir is None:
            continue
        common = git_dir
        try:
            common = git_dir / (git_dir / "commondir").read_text(encoding="utf-8").strip()
        except OSError:
            pass
        return GitPlacement(root.relative_to(parent).as_posix() if parent != root else "", common / "config")
    return None


def git_folder(root: Path) -> str | None:
    """The folder of `root` in the checkout holding it, as a posix path ("" at its top level), for
    file names in reports (GitHub annotations, SARIF): a fleet in a git submodule is named from the
    superproject's top level (`vendor/fleet/clusters/a.yaml`), as a workflow that checks out the
    superproject sees it. None when no parent holds a valid `.git` (see `git_placement`)."""
    placement = git_placement(root)
    if placement is None:
        return None
    try:
        root = root.resolve()
        config = placement.config.resolve()
    except OSError:
        return placement.folder
    # A submodule's git directory is `<superproject>/.git/modules/<name>` (nested ones too).
    for parent in config.parents:
        if parent.name == ".git" and parent.parent in root.parents and (parent / "modules") in config.parents:
            return root.relative_to(parent.parent).as_posix()
    return placement.folder


def git_placement_key(root: Path) -> str | None:
    """What of `root`'s git placement the `gitops-repo-path` rule reads, for a cache key: the folder
    and the repository config's bytes (its remotes); None outside git."""
    import hashlib

    placement = git_placement(root)
    if placement is None:
        return None
    try:
        config = placement.config.read_bytes()
    except OSError:
        config = b""
    if re.search(rb"(?im)^\s*\[\s*include", config):  # ([include] / [includeIf]: the remotes they read)
        from fleetgen.vcs.remotes import remote_urls

        config += "\n".join(remote_urls(placement.config)).encode("utf-8", "surrogateescape")
    return f"{placement.folder}\n{hashlib.sha256(config).hexdigest()}"
