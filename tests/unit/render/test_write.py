"""Writing the output tree (`fleetgen.render.write`): only changed files, all or nothing, no lost clusters."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from fleetgen.errors import Interrupted, RenderError
from fleetgen.render import write as write_mod
from fleetgen.render.base import OutputFile, RenderResult
from fleetgen.render.write import Change, ClusterDeletionRefused, diff_tree, scan_tree, write_tree

NOTHING = frozenset[str]()


def result_of(files: dict[str, str]) -> RenderResult:
    return RenderResult(tuple(OutputFile(p, c.encode()) for p, c in sorted(files.items())))


TREE = {
    "namespaces/namespaces.yaml": "ns\n",
    "namespaces/fleet.yaml": "name: ns\n",
    "clusters/clusters/a/cluster.yaml": "a\n",
    "clusters/clusters/a/fleet.yaml": "name: a\n",
    "clusters/clusters/b/cluster.yaml": "b\n",
    "clusters/clusters/b/fleet.yaml": "name: b\n",
    "clusters/team/c/cluster.yaml": "c\n",
    "addons/clusters/calico/addon.yaml": "calico\n",
    "gitops/gitrepo.yaml": "repo\n",
}


def snapshot(out: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file under out (dot-files included): bytes, inode, mtime_ns."""
    snap = {}
    for dirpath, _, filenames in os.walk(out):
        for name in filenames:
            p = Path(dirpath) / name
            st = p.stat()
            snap[p.relative_to(out).as_posix()] = (p.read_bytes(), st.st_ino, st.st_mtime_ns)
    return snap


def contents(out: Path) -> dict[str, bytes]:
    return {k: v[0] for k, v in snapshot(out).items()}


def dirs(out: Path) -> list[str]:
    return sorted(Path(d).relative_to(out).as_posix() for d, _, _ in os.walk(out) if Path(d) != out)


@pytest.fixture
def written(tmp_path: Path) -> Path:
    out = tmp_path / "fleet"
    write_tree(out, result_of(TREE), allow_delete=NOTHING)
    return out


def test_first_write_creates_every_file(tmp_path: Path) -> None:
    out = tmp_path / "fleet"
    report = write_tree(out, result_of(TREE), allow_delete=NOTHING)
    assert report.added == tuple(sorted(TREE)) and report.changed == () and report.removed == ()
    assert report.written == len(TREE) and report.unchanged == 0
    assert contents(out) == {p: c.encode() for p, c in TREE.items()}
    assert all((out / p).stat().st_mode & 0o777 == 0o644 for p in TREE)


def test_rewrite_of_identical_tree_touches_nothing(written: Path) -> None:
    before = snapshot(written)
    report = write_tree(written, result_of(TREE), allow_delete=NOTHING)
    assert (report.written, report.unchanged, report.removed) == (0, len(TREE), ())
    assert snapshot(written) == before  # same bytes, same inodes, same mtimes


def test_only_changed_files_are_written(written: Path) -> None:
    before = snapshot(written)
    changed = dict(TREE, **{"clusters/clusters/a/cluster.yaml": "a2\n"}, **{"clusters/clusters/d/cluster.yaml": "d\n"})
    report = write_tree(written, result_of(changed), allow_delete=NOTHING)
    assert report.changed == ("clusters/clusters/a/cluster.yaml",)
    assert report.added == ("clusters/clusters/d/cluster.yaml",)
    assert report.unchanged == len(TREE) - 1
    after = snapshot(written)
    for path, (data, ino, mtime) in before.items():
        if path == "clusters/clusters/a/cluster.yaml":
            assert after[path][0] == b"a2\n" and after[path][1] != ino
        else:
            assert after[path] == (data, ino, mtime), path
    assert set(after) == set(before) | {"clusters/clusters/d/cluster.yaml"}


def test_changed_file_keeps_its_mode(written: Path) -> None:
    target = written / "gitops" / "gitrepo.yaml"
    target.chmod(0o664)
    write_tree(written, result_of(dict(TREE, **{"gitops/gitrepo.yaml": "repo2\n"})), allow_delete=NOTHING)
    assert target.stat().st_mode & 0o777 == 0o664


def test_stale_files_and_empty_dirs_are_removed_dotfiles_kept(written: Path) -> None:
    (written / ".gitkeep").write_text("")
    (written / "addons" / "clusters" / "old").mkdir()
    (written / "addons" / "clusters" / "old" / "addon.yaml").write_text("old\n")
    (written / "stray.txt").write_text("hand-made\n")
    tree = {k: v for k, v in TREE.items() if not k.startswith("addons/")}
    report = write_tree(written, result_of(tree), allow_delete=NOTHING)
    assert report.removed == ("addons/clusters/calico/addon.yaml", "addons/clusters/old/addon.yaml", "stray.txt")
    assert not (written / "addons").exists()
    assert (written / ".gitkeep").exists()
    assert contents(written) == {**{p: c.encode() for p, c in tree.items()}, ".gitkeep": b""}


def test_dropping_a_cluster_is_refused_without_allow_delete(written: Path) -> None:
    before = snapshot(written)
    tree = {k: v for k, v in TREE.items() if "/a/" not in k and "/c/" not in k}
    tree["gitops/gitrepo.yaml"] = "changed too\n"
    with pytest.raises(ClusterDeletionRefused) as info:
        write_tree(written, result_of(tree), allow_delete=frozenset({"b"}))
    err = info.value
    assert isinstance(err, RenderError)
    assert err.clusters == [("clusters", "a"), ("team", "c")]
    message = str(err)
    assert "clusters/a (fleet/clusters/clusters/a/)" in message and "team/c (fleet/clusters/team/c/)" in message
    assert "--allow-delete a --allow-delete c" in message
    assert snapshot(written) == before  # nothing written at all


@pytest.mark.parametrize("allowed", [frozenset({"a", "c"}), frozenset({"clusters/a", "team/c"})], ids=["name", "namespace-name"])
def test_dropping_a_cluster_with_allow_delete_removes_its_dir(written: Path, allowed: frozenset[str]) -> None:
    tree = {k: v for k, v in TREE.items() if "/a/" not in k and "/c/" not in k}
    report = write_tree(written, result_of(tree), allow_delete=allowed)
    assert report.removed == ("clusters/clusters/a/cluster.yaml", "clusters/clusters/a/fleet.yaml", "clusters/team/c/cluster.yaml")
    assert not (written / "clusters" / "clusters" / "a").exists()
    assert not (written / "clusters" / "team").exists()
    assert (written / "clusters" / "clusters" / "b" / "cluster.yaml").exists()


def test_interrupted_commit_restores_the_old_tree(written: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash in the middle of renaming files into place (simulated by os.replace failing once)."""
    before_contents = contents(written)
    before_dirs = dirs(written)
    real_replace = os.replace
    calls = {"n": 0}

    def flaky_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(write_mod.os, "replace", flaky_replace)
    new = {p: c.upper() for p, c in TREE.items()}
    new["clusters/clusters/new/cluster.yaml"] = "new\n"
    del new["addons/clusters/calico/addon.yaml"]
    with pytest.raises(RenderError, match="No space left on device; the previous output was restored"):
        write_tree(written, result_of(new), allow_delete=NOTHING)
    assert calls["n"] > 3  # some files had been replaced before the failure, then rolled back
    assert contents(written) == before_contents  # whole: no partial file, no temp or backup file left
    assert dirs(written) == before_dirs


def test_interrupted_prepare_leaves_the_old_tree_untouched(written: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Disk full while writing the temporary files: nothing visible has changed yet."""
    before = snapshot(written)
    real = write_mod._write_temp
    calls = {"n": 0}

    def failing(target: Path, content: bytes, mode: int) -> Path:
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError(28, "No space left on device")
        return real(target, content, mode)

    monkeypatch.setattr(write_mod, "_write_temp", failing)
    new = {p: c + "more\n" for p, c in TREE.items()}
    new["addons/other/x/addon.yaml"] = "x\n"
    with pytest.raises(RenderError, match="nothing was changed"):
        write_tree(written, result_of(new), allow_delete=NOTHING)
    assert snapshot(written) == before
    assert not (written / "addons" / "other").exists()


def test_keyboard_interrupt_during_commit_rolls_back_and_propagates(written: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before_contents = contents(written)
    real_replace = os.replace
    calls = {"n": 0}

    def interrupted(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(write_mod.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_tree(written, result_of({p: c + "x\n" for p, c in TREE.items()}), allow_delete=NOTHING)
    assert contents(written) == before_contents


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("moment", ["after a rename", "after a backup", "after a temporary file", "in the rollback"])
def test_a_signal_at_any_moment_of_the_write_leaves_the_old_tree(written: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 signum: int, moment: str) -> None:
    """A real signal (Ctrl-C, or the SIGTERM of `timeout` or a cancelled CI job) delivered right
    after a file operation, before its bookkeeping: held back until the step is recorded, then
    raised as `Interrupted`, and the old tree is restored whole. Before, a Ctrl-C there left one
    file new, and SIGTERM killed the process with the tree half written."""
    before = contents(written)
    real = {"replace": os.replace, "backup": write_mod._backup, "temp": write_mod._write_temp}
    calls = {"n": 0}

    def signal_on_third(result):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            signal.raise_signal(signum)
        return result

    if moment == "after a rename":
        monkeypatch.setattr(write_mod.os, "replace", lambda src, dst: signal_on_third(real["replace"](src, dst)))
    elif moment == "after a backup":
        monkeypatch.setattr(write_mod, "_backup", lambda target: signal_on_third(real["backup"](target)))
    elif moment == "after a temporary file":
        monkeypatch.setattr(write_mod, "_write_temp", lambda *a: signal_on_third(real["temp"](*a)))
    else:  # a second signal while the first one's rollback restores the backups
        def replace(src, dst):  # type: ignore[no-untyped-def]
            if ".fleetgen-old-" in os.fspath(src):
                signal.raise_signal(signum)
            return signal_on_third(real["replace"](src, dst))
        monkeypatch.setattr(write_mod.os, "replace", replace)
    new = {p: c + "x\n" for p, c in TREE.items()}
    new["clusters/clusters/new/cluster.yaml"] = "new\n"
    del new["gitops/gitrepo.yaml"]
    previous = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted) as raised:
        write_tree(written, result_of(new), allow_delete=NOTHING)
    assert raised.value.signum == signum
    assert isinstance(raised.value, KeyboardInterrupt)
    assert contents(written) == before  # whole: no new file, no temporary or backup file left
    assert signal.getsignal(signal.SIGTERM) is previous  # the handlers are put back


def test_a_signal_during_the_clean_up_keeps_the_new_tree_and_says_so(written: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file is in place; removing the backups is all that is left: the new tree stays, and
    the signal is raised once the clean-up is done, marked `after_write`."""
    real = write_mod._remove_empty_dirs
    sent = {"n": 0}

    def remove_empty_dirs(*args):  # type: ignore[no-untyped-def]
        if (written / "gitops/gitrepo.yaml").read_text() == "repo\nx\n":  # (the clean-up, not the sweep before)
            sent["n"] += 1
            signal.raise_signal(signal.SIGTERM)
        return real(*args)

    monkeypatch.setattr(write_mod, "_remove_empty_dirs", remove_empty_dirs)
    new = {p: c + "x\n" for p, c in TREE.items()}
    with pytest.raises(Interrupted) as raised:
        write_tree(written, result_of(new), allow_delete=NOTHING)
    assert sent["n"] == 1 and raised.value.after_write
    assert contents(written) == {p: c.encode() for p, c in new.items()}  # whole, no backup left


def test_leftovers_of_a_crashed_run_are_stale_until_the_next_write_removes_them(written: Path) -> None:
    """A killed write's temporary or backup file is not output (not owned), but it is not up to
    date either: committed, it would ship half a render."""
    leftover = written / "gitops" / ".gitrepo.yaml.fleetgen-tmp-abc123"
    leftover.write_text("half\n")
    backup = written / ".namespaces.yaml.fleetgen-old-1"
    backup.write_text("old\n")
    assert diff_tree(written, result_of(TREE)) == [Change(".namespaces.yaml.fleetgen-old-1", "leftover"),
                                                   Change("gitops/.gitrepo.yaml.fleetgen-tmp-abc123", "leftover")]
    assert ".gitrepo.yaml.fleetgen-tmp-abc123" not in str(scan_tree(written))
    (written / "gitops" / ".keep").write_text("")  # (another dot-file: neither output nor leftover)
    report = write_tree(written, result_of(TREE), allow_delete=NOTHING)  # (nothing else to write)
    assert report.written == 0
    assert report.leftovers == (".namespaces.yaml.fleetgen-old-1", "gitops/.gitrepo.yaml.fleetgen-tmp-abc123")
    assert not leftover.exists() and not backup.exists()
    assert diff_tree(written, result_of(TREE)) == []


def test_a_folder_that_held_only_leftovers_is_removed_with_them(written: Path) -> None:
    """A killed write can leave a backup in a cluster's folder after its files went; removing the
    backup must not leave the empty folder behind (git shows nothing, but `ls` and tools do)."""
    lone = written / "clusters" / "gone" / "kv-old"
    lone.mkdir(parents=True)
    (lone / ".cluster.yaml.fleetgen-old-7").write_text("old\n")
    report = write_tree(written, result_of(TREE), allow_delete=NOTHING)
    assert report.leftovers == ("clusters/gone/kv-old/.cluster.yaml.fleetgen-old-7",)
    assert not (written / "clusters" / "gone").exists()
    assert "clusters/clusters/a" in dirs(written)  # (the folders that hold output stay)


def test_diff_tree_reports_added_changed_removed(written: Path) -> None:
    assert diff_tree(written, result_of(TREE)) == []
    tree = dict(TREE, **{"gitops/gitrepo.yaml": "other\n", "gitops/extra.yaml": "x\n"})
    del tree["addons/clusters/calico/addon.yaml"]
    assert diff_tree(written, result_of(tree)) == [
        Change("addons/clusters/calico/addon.yaml", "removed"),
        Change("gitops/extra.yaml", "added"),
        Change("gitops/gitrepo.yaml", "changed"),
    ]
    assert diff_tree(written.parent / "missing", result_of({"a.yaml": "a\n"})) == [Change("a.yaml", "added")]


def test_output_dir_that_is_a_file_is_an_error(tmp_path: Path) -> None:
    out = tmp_path / "fleet"
    out.write_text("not a dir\n")
    with pytest.raises(RenderError, match="not a directory"):
        write_tree(out, result_of(TREE), allow_delete=NOTHING)


@pytest.mark.parametrize("path", ["../escape.yaml", "/abs.yaml", ".hidden.yaml", "a/../../b.yaml"],
                         ids=["parent", "absolute", "dotfile", "nested-parent"])
def test_unsafe_result_paths_are_refused(tmp_path: Path, path: str) -> None:
    with pytest.raises(RenderError, match="refusing to write"):
        write_tree(tmp_path / "fleet", result_of({path: "x\n"}), allow_delete=NOTHING)
    assert not (tmp_path / "escape.yaml").exists()


def test_files_get_their_mode_whatever_the_umask(tmp_path: Path) -> None:
    """New files are 0644 and a changed file keeps its mode even under a strict umask (077)."""
    old = os.umask(0o077)
    try:
        out = tmp_path / "fleet"
        write_tree(out, result_of(TREE), allow_delete=NOTHING)
        assert {(out / p).stat().st_mode & 0o777 for p in TREE} == {0o644}
        target = out / "gitops" / "gitrepo.yaml"
        target.chmod(0o640)
        write_tree(out, result_of(dict(TREE, **{"gitops/gitrepo.yaml": "r2\n"})), allow_delete=NOTHING)
        assert target.read_text() == "r2\n" and target.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


def test_a_failed_write_leaves_no_temporary_file(written: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills up halfway through one file: that file's temporary copy is removed too."""
    before = snapshot(written)
    real_write = os.write
    calls = {"n": 0}

    def full(fd: int, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(write_mod.os, "write", full)
    with pytest.raises(RenderError, match="nothing was changed"):
        write_tree(written, result_of({p: c + "more\n" for p, c in TREE.items()}), allow_delete=NOTHING)
    assert snapshot(written) == before  # dot-files included: no `.fleetgen-tmp-` file is left


@pytest.mark.parametrize("fail", ["disk full", "ctrl-c"])
def test_an_interrupted_first_write_leaves_no_output_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         fail: str) -> None:
    """No fleet/ yet: the tree is staged beside it, so a failure halfway leaves nothing at all,
    not a half tree the GitOps agent could apply (and no staging directory, no new parent)."""
    out = tmp_path / "deploy" / "fleet"
    real_write = os.write
    calls = {"n": 0}

    def failing(fd: int, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError(28, "No space left on device") if fail == "disk full" else KeyboardInterrupt
        return real_write(fd, data)

    monkeypatch.setattr(write_mod.os, "write", failing)
    with pytest.raises(RenderError if fail == "disk full" else KeyboardInterrupt):
        write_tree(out, result_of(TREE), allow_delete=NOTHING)
    assert calls["n"] == 4
    assert list(tmp_path.iterdir()) == []


def test_a_first_write_appears_whole_and_a_killed_ones_staging_is_removed(tmp_path: Path) -> None:
    out = tmp_path / "fleet"
    killed = tmp_path / f".fleet{write_mod.TMP_MARK}1234-abcd"
    (killed / "clusters").mkdir(parents=True)
    (killed / "clusters" / "half.yaml").write_text("half\n")
    kept = tmp_path / ".fleetx-notes"  # not a staging directory of `fleet`
    kept.mkdir()

    report = write_tree(out, result_of(TREE), allow_delete=NOTHING)

    assert report.added == tuple(sorted(TREE))
    assert contents(out) == {p: c.encode() for p, c in TREE.items()}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".fleetx-notes", "fleet"]
    umask = os.umask(0)
    os.umask(umask)
    assert {(out / d).stat().st_mode & 0o777 for d in ["", *dirs(out)]} == {0o777 & ~umask}
