"""Where a fleet is in its git repository (`fleetgen.spec.discover.git_placement`), read as git does."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from fleetgen.policy.rules.gitops_repo_path import repo_identity
from fleetgen.spec.discover import git_placement
from fleetgen.vcs.remotes import remote_urls


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



def test_remotes_are_read_with_their_insteadof_aliases_pushurls_and_included_files(tmp_path: Path) -> None:
    """As `git remote -v` shows them: `insteadOf` aliases of the repository's config expanded (the
    longest prefix wins), push URLs too, and remotes kept in a file the config `[include]`s."""
    git(tmp_path, "init", "-q")
    git(tmp_path, "remote", "add", "origin", "gh:Org/Fleet.git")
    git(tmp_path, "config", "url.https://github.com/.insteadOf", "gh:")
    git(tmp_path, "config", "url.ssh://git@github.com/Org/.insteadOf", "gh:Org/")
    git(tmp_path, "remote", "set-url", "--add", "--push", "origin", "git@git.example.com:p/q.git")
    (tmp_path / ".git/extra").write_text('[remote "upstream"]\n\turl = https://git.example.com/platform/fleet\n')
    git(tmp_path, "config", "include.path", "extra")
    placement = git_placement(tmp_path)
    assert placement is not None
    assert remote_urls(placement.config) == ["ssh://git@github.com/Org/Fleet.git", "git@git.example.com:p/q.git",
                                             "https://git.example.com/platform/fleet"]
    shown = git(tmp_path, "remote", "-v").split()
    assert {"ssh://git@github.com/Org/Fleet.git", "git@git.example.com:p/q.git",
            "https://git.example.com/platform/fleet"} == set(shown[1::3])


@pytest.mark.parametrize("url", ["git@ssh.dev.azure.com:v3/Org/Proj/Repo",
                                 "ssh://git@ssh.dev.azure.com/v3/org/proj/repo",
                                 "https://Org@dev.azure.com/Org/Proj/_git/Repo",
                                 "https://org.visualstudio.com/DefaultCollection/Proj/_git/Repo",
                                 "https://org.visualstudio.com/Proj/_git/Repo",
                                 "org@vs-ssh.visualstudio.com:v3/org/proj/repo"])
def test_azure_devops_urls_of_one_repository_are_one_repository(url: str) -> None:
    assert repo_identity(url) == repo_identity("https://dev.azure.com/org/proj/_git/repo")
    assert repo_identity(url) != repo_identity("https://dev.azure.com/org/proj/_git/other")


@pytest.mark.parametrize("url", ["https://dev.azure.com/Org/_git/Proj", "https://org.visualstudio.com/_git/proj",
                                 "git@ssh.dev.azure.com:v3/Org/Proj/Proj"])
def test_an_azure_devops_repository_named_as_its_project_has_a_short_https_form(url: str) -> None:
    assert repo_identity(url) == repo_identity("https://dev.azure.com/org/proj/_git/proj")


def test_the_push_url_of_a_remote_without_pushurl_is_its_url_rewritten_by_pushinsteadof(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    git(tmp_path, "remote", "add", "origin", "gh:platform/fleet.git")
    git(tmp_path, "config", "url.https://git.example.com/.pushInsteadOf", "gh:")
    placement = git_placement(tmp_path)
    assert placement is not None
    assert remote_urls(placement.config) == ["gh:platform/fleet.git", "https://git.example.com/platform/fleet.git"]
    shown = git(tmp_path, "remote", "-v").split()
    assert shown[1::3] == ["gh:platform/fleet.git", "https://git.example.com/platform/fleet.git"]
