"""`plan` reads the committed output from git objects, parsing only the files the working tree changes.

The reference is `objects_from_tree` on the base revision checked out into a directory (what
`plan` did before): the objects read straight from git, with and without reusing the working
tree's rendering for byte-identical files, must be the same objects in the same order, with the
same notes, whatever the edit (scaled pool, moved or deleted cluster, hand edit of the committed
output, a committed file that is not valid YAML).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import copy_repo, generated_repo, git

from fleetgen.pipeline import load_and_render
from fleetgen.vcs.plan_build import (
    head_files,
    load_base_objects,
    objects_from_commit,
    objects_from_render,
    objects_from_tree,
)
from fleetgen.vcs.repo import checkout_tree

COUNT = 16


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory, schema_dir: Path) -> Path:
    """A generated fleet with its output rendered and committed."""
    return generated_repo(tmp_path_factory.mktemp("base") / "repo", COUNT, schema_dir, render=True)


@pytest.fixture
def repo(committed: Path, tmp_path: Path) -> Path:
    return copy_repo(committed, tmp_path)


def _spec(root: Path, index: int = 0) -> Path:
    return sorted((root / "clusters").rglob("*.yaml"))[index]


def _commit(root: Path) -> None:
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "edit")


def _scale(root: Path) -> None:
    path = _spec(root)
    path.write_text(path.read_text().replace("replicas: ", "replicas: 1", 1))


def _move(root: Path) -> None:
    path = _spec(root, 1)
    text = path.read_text()
    assert "  namespace: team-" in text
    path.write_text(text.replace("  namespace: team-", "  namespace: moved-team-", 1))


def _delete(root: Path) -> None:
    _spec(root, 2).unlink()


def _hand_edit_base(root: Path) -> None:
    """The committed output differs from what its specs render (an older fleetgen, a hand edit)."""
    out = sorted((root / "fleet" / "clusters").rglob("cluster.yaml"))[3]
    out.write_text(out.read_text().replace("replicas: ", "replicas: 9", 1))
    _commit(root)


def _invalid_base_file(root: Path) -> None:
    (root / "fleet" / "stray.yaml").write_text("a: [unclosed\n")
    _commit(root)


EDITS: dict[str, Callable[[Path], None]] = {
    "none": lambda root: None,
    "scale": _scale,
    "move": _move,
    "delete": _delete,
    "hand-edited base": _hand_edit_base,
    "invalid base file": _invalid_base_file,
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_objects_read_from_git_equal_the_checked_out_tree(repo: Path, edit: str) -> None:
    EDITS[edit](repo)
    sha = git(repo, "rev-parse", "HEAD").strip()
    whole = load_and_render(repo)
    assert whole.rendered is not None
    head = objects_from_render(whole.rendered, "fleet")

    with checkout_tree(repo, "HEAD", ("fleetgen.yaml", "fleet")) as checkout:
        reference = objects_from_tree(checkout, "fleet")
    parsed = objects_from_commit(repo, sha, "fleet")
    reused = objects_from_commit(repo, sha, "fleet", head_files(whole.rendered, "fleet", head))

    assert reference[0], "the base has committed objects"
    assert parsed == reference
    assert reused == reference
    if edit == "invalid base file":
        assert reference[1] == ["base fleet/stray.yaml is not valid YAML (" + reference[1][0].split("(", 1)[1]]


def test_a_symlink_in_the_committed_output_is_read_from_a_checkout(repo: Path) -> None:
    target = sorted((repo / "fleet" / "clusters").rglob("cluster.yaml"))[0]
    (repo / "fleet" / "link.yaml").symlink_to(target.relative_to(repo / "fleet"))
    _commit(repo)
    sha = git(repo, "rev-parse", "HEAD").strip()

    objects, found_sha, source, _ = load_base_objects(repo, "HEAD")

    assert objects_from_commit(repo, sha, "fleet") is None
    assert (found_sha, source) == (sha, "committed")
    linked = [o for o in objects if o.file == "fleet/link.yaml"]
    assert linked and [o.manifest for o in linked] == [o.manifest for o in objects if o.file == f"fleet/{target.relative_to(repo / 'fleet').as_posix()}"]
