"""A fleet in a folder of a git repository (a monorepo): the GitOps agent reads paths from the git
root, so `gitops.path` names the folder and the rendered agent objects point at `<folder>/fleet/`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

Cli = Callable[..., Any]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def monorepo(fleet_repo: Path, tmp_path: Path) -> Path:
    """A git repository holding the example fleet under platform/fleet/ and another project beside it."""
    top = tmp_path / "monorepo"
    (top / "platform").mkdir(parents=True)
    shutil.copytree(fleet_repo, top / "platform/fleet", ignore=shutil.ignore_patterns(".git"))
    (top / "app").mkdir()
    (top / "app/main.py").write_text("print('not the fleet')\n")
    git(top, "init", "-q", "-b", "main")
    return top


def _set_agent(fleet: Path, agent: str, path: str | None) -> None:
    config = fleet / "fleetgen.yaml"
    text = config.read_text().replace("agent: fleet ", f"agent: {agent} ", 1)
    if path is not None:
        text = text.replace("  branch: main\n", f"  branch: main\n  path: {path}\n", 1)
    config.write_text(text)


def test_fleet_in_a_folder_without_gitops_path_is_an_error_at_fleetgen_yaml(monorepo: Path, cli: Cli) -> None:
    fleet = monorepo / "platform/fleet"
    result = cli("--repo", str(fleet), "validate", "--format", "json")
    assert result.exit_code == 1, result.stdout + result.stderr
    found = [(f["rule_id"], f["file"], f["line"], f["hint"]) for f in json.loads(result.stdout)["findings"]]
    assert found == [("gitops-repo-path", "fleetgen.yaml", 4, "set gitops.path: platform/fleet")]
    assert cli("--repo", str(fleet), "render").exit_code == 1
    assert not (fleet / "fleet").exists()


def test_fleet_agent_paths_start_at_the_fleets_folder(monorepo: Path, cli: Cli) -> None:
    fleet = monorepo / "platform/fleet"
    _set_agent(fleet, "fleet", "platform/fleet")
    assert cli("--repo", str(fleet), "render").exit_code == 0
    gitrepo = yaml.safe_load((fleet / "fleet/gitops/gitrepo.yaml").read_text())
    assert gitrepo["spec"]["paths"] == ["platform/fleet/fleet/namespaces", "platform/fleet/fleet/addons",
                                        "platform/fleet/fleet/clusters"]
    assert all((monorepo / p).is_dir() for p in gitrepo["spec"]["paths"])
    assert cli("--repo", str(fleet), "validate").exit_code == 0


def test_flux_paths_and_ignore_keep_only_the_fleets_output(monorepo: Path, cli: Cli) -> None:
    """The GitRepository's ignore rules, read by git itself, leave only platform/fleet/fleet/ in the
    artifact, and every Kustomization path is a directory kustomize builds."""
    fleet = monorepo / "platform/fleet"
    _set_agent(fleet, "flux", "platform/fleet")
    assert cli("--repo", str(fleet), "render").exit_code == 0
    docs = list(yaml.safe_load_all((fleet / "fleet/gitops/flux.yaml").read_text()))
    (source,) = [d for d in docs if d["kind"] == "GitRepository"]
    rules = monorepo.parent / "flux-ignore"
    rules.write_text(source["spec"]["ignore"])
    kept = git(monorepo, "ls-files", "--others", f"--exclude-from={rules}").split()
    assert kept and all(p.startswith("platform/fleet/fleet/") for p in kept), kept
    assert "platform/fleet/fleet/gitops/flux.yaml" in kept
    paths = [d["spec"]["path"] for d in docs if d["kind"] == "Kustomization"]
    assert paths and all(p.startswith("./platform/fleet/fleet/") for p in paths)
    for path in paths:
        subprocess.run(["kubectl", "kustomize", str(monorepo / path)], check=True, capture_output=True)


def test_gitops_path_at_the_top_level_is_an_error(fleet_repo: Path, cli: Cli) -> None:
    _set_agent(fleet_repo, "fleet", "platform/fleet")
    result = cli("--repo", str(fleet_repo), "validate")
    assert result.exit_code == 1
    assert "error [gitops-repo-path] gitops.path: fleetgen.yaml is at the top level of its git repository, " \
           "but gitops.path is 'platform/fleet'" in result.stdout


def test_git_secret_ref_may_be_a_dotted_secret_name(fleet_repo: Path, cli: Cli) -> None:
    """Secret names are DNS subdomains (Fleet clientSecretName, Flux secretRef.name)."""
    config = fleet_repo / "fleetgen.yaml"
    config.write_text(config.read_text().replace("  branch: main\n", "  branch: main\n  secretRef: git-auth.prod\n", 1))
    assert cli("--repo", str(fleet_repo), "render").exit_code == 0
    gitrepo = yaml.safe_load((fleet_repo / "fleet/gitops/gitrepo.yaml").read_text())
    assert gitrepo["spec"]["clientSecretName"] == "git-auth.prod"


def test_fleet_in_a_repository_whose_remotes_are_not_gitops_repo_is_a_warning(monorepo: Path, cli: Cli) -> None:
    """A fleet kept in a folder of a repository the agent may not read (a subtree split, dotfiles in
    $HOME) gets a warning; once a remote is gitops.repo (in any URL form) it is an error again. The
    run cache sees the remote change."""
    fleet = monorepo / "platform/fleet"
    assert cli("--repo", str(fleet), "validate").exit_code == 1
    git(monorepo, "remote", "add", "origin", "https://git.example.com/platform/monorepo.git")
    git(monorepo, "remote", "add", "typo", "https://[oops/org/repo")  # (not a URL: compared as text, no crash)
    result = cli("--repo", str(fleet), "validate", "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["rule_id"], finding["severity"], finding["line"]) == ("gitops-repo-path", "warning", 4)
    assert "if the GitOps agent reads this repository (none of its remotes is gitops.repo)" in finding["message"]
    repo_url = yaml.safe_load((fleet / "fleetgen.yaml").read_text())["gitops"]["repo"]
    host_path = repo_url.split("://", 1)[1].removesuffix(".git")
    host, path = host_path.split("/", 1)
    git(monorepo, "remote", "add", "mirror", f"git@{host.upper()}:{path}.git")
    result = cli("--repo", str(fleet), "validate")
    assert result.exit_code == 1 and "error [gitops-repo-path]" in result.stdout


def test_a_remote_written_as_an_alias_or_kept_in_an_included_file_is_gitops_repo(monorepo: Path, cli: Cli) -> None:
    """`git remote -v` is what counts: an `insteadOf` alias of the repository's config, or a remote
    in a file its config `[include]`s, naming gitops.repo keeps the error an error; the run cache
    sees an edit of the included file."""
    fleet = monorepo / "platform/fleet"
    repo_url = yaml.safe_load((fleet / "fleetgen.yaml").read_text())["gitops"]["repo"]
    host, path = repo_url.split("://", 1)[1].split("/", 1)
    (monorepo / ".git/remotes.inc").write_text('[remote "origin"]\n\turl = https://elsewhere.example.com/x.git\n')
    git(monorepo, "config", "include.path", "remotes.inc")
    git(monorepo, "config", f"url.ssh://git@{host}/.insteadOf", "corp:")
    result = cli("--repo", str(fleet), "validate")
    assert result.exit_code == 0 and "warning [gitops-repo-path]" in result.stdout, result.stdout
    (monorepo / ".git/remotes.inc").write_text(f'[remote "origin"]\n\turl = corp:{path}\n')
    assert git(monorepo, "remote", "get-url", "origin").strip() == f"ssh://git@{host}/{path}"
    result = cli("--repo", str(fleet), "validate")
    assert result.exit_code == 1 and "error [gitops-repo-path]" in result.stdout, result.stdout


@pytest.mark.parametrize("dot_git", ["empty folder", "file naming nothing"])
def test_a_dot_git_that_git_would_not_read_is_passed_over(fleet_repo: Path, tmp_path: Path, cli: Cli,
                                                          dot_git: str) -> None:
    """An empty `.git` folder, or a `.git` file naming no git directory, above a fleet that is not
    in git is no repository: the fleet is outside git and the rule does not apply."""
    outer = tmp_path / "outer"
    outer.mkdir()
    if dot_git == "empty folder":
        (outer / ".git").mkdir()
    else:
        (outer / ".git").write_text("gitdir: ../nowhere\n")
    inner = outer / "fleet-copy"
    shutil.copytree(fleet_repo, inner, ignore=shutil.ignore_patterns(".git"))
    result = cli("--repo", str(inner), "validate")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "gitops-repo-path" not in result.stdout


@pytest.mark.parametrize("folder", [".infra/fleet", "Plattform Team/flotte-ä"])
def test_gitops_path_may_name_a_dot_folder_or_one_with_spaces_and_umlauts(
        fleet_repo: Path, tmp_path: Path, cli: Cli, folder: str) -> None:
    top = tmp_path / "repo"
    shutil.copytree(fleet_repo, top / folder, ignore=shutil.ignore_patterns(".git"))
    git(top, "init", "-q", "-b", "main")
    fleet = top / folder
    _set_agent(fleet, "flux", f"'{folder}'")
    assert cli("--repo", str(fleet), "render").exit_code == 0
    docs = list(yaml.safe_load_all((fleet / "fleet/gitops/flux.yaml").read_text()))
    (source,) = [d for d in docs if d["kind"] == "GitRepository"]
    rules = tmp_path / "flux-ignore"
    rules.write_text(source["spec"]["ignore"])
    kept = git(top, "ls-files", "-z", "--others", f"--exclude-from={rules}").split("\0")
    kept = [p for p in kept if p]
    assert kept and all(p.startswith(f"{folder}/fleet/") for p in kept), kept
    assert cli("--repo", str(fleet), "validate").exit_code == 0


@pytest.mark.parametrize(("path", "why"), [
    ("../fleet", "without empty, '.' or '..' segments"),
    ("/platform/fleet", "without a leading or trailing '/'"),
    ("platform/*", "a glob character"),
])
def test_gitops_path_that_names_no_folder_is_refused(fleet_repo: Path, cli: Cli, path: str, why: str) -> None:
    _set_agent(fleet_repo, "fleet", f"'{path}'")
    result = cli("--repo", str(fleet_repo), "validate")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "fleetgen.yaml:" in result.stdout + result.stderr and why in result.stdout + result.stderr


def test_github_and_sarif_name_files_from_the_git_root(monorepo: Path, cli: Cli) -> None:
    """GitHub annotations and code scanning resolve file names against the checkout (the git root),
    not the fleet's folder; text and json keep fleet-relative names."""
    fleet = monorepo / "platform/fleet"
    github = cli("--repo", str(fleet), "validate", "--format", "github").stdout
    assert "::error file=platform/fleet/fleetgen.yaml,line=4," in github
    sarif = json.loads(cli("--repo", str(fleet), "validate", "--format", "sarif").stdout)
    [result] = sarif["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "platform/fleet/fleetgen.yaml"
    text = cli("--repo", str(fleet), "validate").stdout
    assert text.startswith("fleetgen.yaml:4:")


def test_a_fleet_in_a_submodule_is_annotated_from_the_superprojects_top_level(fleet_repo: Path, tmp_path: Path,
                                                                            cli: Cli) -> None:
    """A workflow checks out the superproject; its annotations name the submodule's files from there
    (`vendor/fleet/...`), while gitops-repo-path still reads the submodule's own repository (its
    fleet is at the top level: no finding)."""
    fleet = tmp_path / "fleet-src"
    shutil.copytree(fleet_repo, fleet, ignore=shutil.ignore_patterns(".git"))
    git(fleet, "init", "-q", "-b", "main")
    git(fleet, "add", "-A")
    git(fleet, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "fleet")
    top = tmp_path / "super"
    top.mkdir()
    git(top, "init", "-q", "-b", "main")
    git(top, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(fleet), "vendor/fleet")
    spec = top / "vendor/fleet/clusters/kubevirt/kv-demo.yaml"
    spec.write_text(spec.read_text().replace("replicas: 1", "replicas: 2", 1))  # (an even control plane)
    github = cli("--repo", str(top / "vendor/fleet"), "validate", "--format", "github").stdout
    assert "::error file=vendor/fleet/clusters/kubevirt/kv-demo.yaml,line=" in github, github
    assert "gitops-repo-path" not in github
    text = cli("--repo", str(top / "vendor/fleet"), "validate").stdout
    assert text.startswith("clusters/kubevirt/kv-demo.yaml:"), text


def test_names_that_are_not_utf8_are_validated_rendered_and_reported(fleet_repo: Path, tmp_path: Path,
                                                                    cli: Cli) -> None:
    """A spec file and a monorepo folder whose names are Latin-1 bytes (as old tools write them):
    no crash in the cache keys or the SARIF URI (regression: exit 4, internal error)."""
    top = tmp_path / "repo"
    folder = os.fsdecode(b"caf\xe9")
    shutil.copytree(fleet_repo, top / folder, ignore=shutil.ignore_patterns(".git"))
    git(top, "init", "-q", "-b", "main")
    fleet = top / folder
    spec = fleet / "clusters/kubevirt/kv-demo.yaml"
    spec.rename(spec.with_name(os.fsdecode(b"kv-d\xe9mo.yaml")))
    result = cli("--repo", str(fleet), "validate", "--format", "json")
    assert result.exit_code == 1, result.stdout + result.stderr
    assert [f["rule_id"] for f in json.loads(result.stdout)["findings"]] == ["gitops-repo-path"]
    sarif = cli("--repo", str(fleet), "validate", "--format", "sarif")
    assert sarif.exit_code == 1, sarif.stderr
    [found] = json.loads(sarif.stdout)["runs"][0]["results"]
    assert found["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "caf%E9/fleetgen.yaml"
    assert cli("--repo", str(fleet), "render", "--no-cache").exit_code == 1  # (the same finding, no crash)
