"""Where a fleet is in its git repository (`fleetgen.spec.discover.git_placement`), read as git does."""

from __future__ import annotations

import subprocess
from pathlib import Path

from fleetgen.policy.rules.gitops_repo_path import remote_urls
from fleetgen.spec.discover import git_placement


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def test_a_linked_worktree_reads_the_main_repositorys_remotes(tmp_path: Path) -> None:
    main = tmp_path / "main"
    (main / "platform/fleet").mkdir(parents=True)
    (main / "platform/fleet/fleetgen.yaml").write_text("kind: FleetConfig\n")
    git(main, "init", "-q", "-b", "main")
    git(main, "remote", "add", "origin", "git@git.example.com:platform/monorepo.git")
    git(main, "add", "-A")
    git(main, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "init")
    git(main, "worktree", "add", "-q", str(tmp_path / "wt"), "-b", "change")
    placement = git_placement(tmp_path / "wt/platform/fleet")
    assert placement is not None and placement.folder == "platform/fleet"
    assert placement.config.resolve() == (main / ".git/config").resolve()
    assert remote_urls(placement.config) == ["git@git.example.com:platform/monorepo.git"]

