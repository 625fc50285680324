"""Git access (`fleetgen.vcs.repo`) on real repositories: reading refs never touches the checkout,
committing takes only the given paths."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from fleetgen.errors import VcsError
from fleetgen.vcs.repo import checkout_tree, open_repo


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` and return stdout (raises on failure)."""
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose fleet lives in the sub-folder `platform/`, two commits."""
    root = tmp_path / "repo"
    fleet = root / "platform"
    write(fleet / "fleetgen.yaml", "v: 1\n")
    write(fleet / "clusters" / "a.yaml", "a: 1\n")
    write(fleet / "clusters" / "sub" / "b.yaml", "b: 1\n")
    write(fleet / "crs" / "x" / "addon.yaml", "x: 1\n")
    write(root / "README.md", "readme\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "one")
    write(fleet / "clusters" / "a.yaml", "a: 2\n")
    (fleet / "clusters" / "sub" / "b.yaml").unlink()
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "two")
    return root


def snapshot(root: Path) -> tuple[str, str, str]:
    """(HEAD sha, porcelain status, index listing) — what must stay the same when reading refs."""
    return (git(root, "rev-parse", "HEAD"), git(root, "status", "--porcelain", "--untracked-files=all"),
            git(root, "ls-files", "--stage"))


def test_checkout_tree_materializes_a_ref_without_touching_the_checkout(repo: Path) -> None:
    fleet = repo / "platform"
    write(fleet / "clusters" / "a.yaml", "a: dirty\n")  # an uncommitted edit must survive
    git(repo, "add", "platform/clusters/a.yaml")
    before = snapshot(repo)
    with checkout_tree(fleet, "HEAD~1") as base:
        assert (base / "fleetgen.yaml").read_text() == "v: 1\n"
        assert (base / "clusters" / "a.yaml").read_text() == "a: 1\n"
        assert (base / "clusters" / "sub" / "b.yaml").read_text() == "b: 1\n"
        assert (base / "crs" / "x" / "addon.yaml").read_text() == "x: 1\n"
        assert not (base / "README.md").exists()  # outside the fleet's paths
        kept = base
    assert not kept.exists()
    assert snapshot(repo) == before
    assert (fleet / "clusters" / "a.yaml").read_text() == "a: dirty\n"
    assert not (repo / ".git" / "worktrees").exists()


def test_checkout_tree_of_head_reflects_the_last_commit(repo: Path) -> None:
    with checkout_tree(repo / "platform", "HEAD") as base:
        assert (base / "clusters" / "a.yaml").read_text() == "a: 2\n"
        assert not (base / "clusters" / "sub").exists()


def test_checkout_tree_unknown_ref_is_a_vcs_error(repo: Path) -> None:
    with pytest.raises(VcsError, match="unknown git ref 'origin/nope'") as exc, checkout_tree(repo / "platform", "origin/nope"):
        pass
    assert exc.value.exit_code == 2


@pytest.mark.parametrize(("ref", "problem"), [
    ("origin/nope", "no branch, tag or commit of that name; fetch it first (e.g. `git fetch origin main`)"),
    ("HEAD~5", "not enough parent commits to reach '~5'"),
    ("HEAD:platform", "it names a tree, not a commit"),
    ("HEAD:platform/fleetgen.yaml", "it names a blob, not a commit"),
    ("HEAD@{9}", "invalid revlog index: 9"),
    ("HEAD@{yesterday}", "fleetgen cannot resolve this revision syntax; name a branch, tag or commit"),
    ("0" * 40, "no branch, tag or commit of that name; fetch it first (e.g. `git fetch origin main`)"),
])
def test_resolve_says_why_a_ref_names_no_commit(repo: Path, ref: str, problem: str) -> None:
    """One clean line per bad ref, and the fetch advice only where fetching could help."""
    with open_repo(repo / "platform") as r, pytest.raises(VcsError) as exc:
        r.resolve(ref)
    assert str(exc.value).endswith(f": {problem}"), str(exc.value)
    assert exc.value.exit_code == 2


def test_open_repo_outside_git_is_a_vcs_error(tmp_path: Path) -> None:
    with pytest.raises(VcsError, match="not inside a git repository"):
        open_repo(tmp_path)


def test_checkout_tree_head_without_commits_is_empty(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    with checkout_tree(tmp_path, "HEAD") as base:
        assert list(base.iterdir()) == []


def test_read_file_at_ref_and_prefix(repo: Path) -> None:
    with open_repo(repo / "platform") as r:
        assert r.prefix == "platform"
        assert r.read_file("HEAD~1", "clusters/sub/b.yaml") == b"b: 1\n"
        assert r.read_file("HEAD", "clusters/sub/b.yaml") is None


def test_stage_and_commit_only_take_the_given_paths(repo: Path) -> None:
    fleet = repo / "platform"
    write(fleet / "clusters" / "a.yaml", "a: 3\n")
    write(fleet / "clusters" / "new.yaml", "n: 1\n")
    (fleet / "crs" / "x" / "addon.yaml").unlink()
    write(repo / "README.md", "changed\n")
    write(repo / "notes.txt", "untracked\n")
    write(repo / "staged.txt", "the user staged this\n")
    git(repo, "add", "staged.txt")
    with open_repo(fleet) as r:
        changed = r.stage(["clusters", "crs", "fleetgen.yaml", "fleet"])
        assert changed == ["platform/clusters/a.yaml", "platform/clusters/new.yaml", "platform/crs/x/addon.yaml"]
        info = r.commit_only(["clusters", "crs", "fleetgen.yaml", "fleet"], "update fleet\n\n- body")
    assert info.subject == "update fleet"
    assert git(repo, "rev-parse", "--short=7", "HEAD").strip() == info.short_sha
    files = git(repo, "show", "--name-status", "--format=", "HEAD").split("\n")
    assert sorted(f for f in files if f) == ["A\tplatform/clusters/new.yaml", "D\tplatform/crs/x/addon.yaml",
                                             "M\tplatform/clusters/a.yaml"]
    status = git(repo, "status", "--porcelain")
    assert " M README.md" in status and "?? notes.txt" in status and "A  staged.txt" in status
    assert git(repo, "log", "-1", "--format=%B", "HEAD").strip() == "update fleet\n\n- body"


def test_stage_with_nothing_changed_returns_nothing(repo: Path) -> None:
    with open_repo(repo / "platform") as r:
        assert r.stage(["clusters", "crs", "fleetgen.yaml", "fleet"]) == []
