"""`fleetgen commit` end to end on real git repositories: what is staged, the message, refusals."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Cli = Callable[..., Any]

KV_SPEC = "clusters/kubevirt/kv-demo.yaml"
PVE_SPEC = "clusters/proxmox/pve-demo.yaml"


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` and return stdout (raises on failure)."""
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def edit(root: Path, path: str, old: str, new: str) -> None:
    file = root / path
    text = file.read_text()
    assert text.count(old) == 1, (path, old)
    file.write_text(text.replace(old, new))


def committed_files(root: Path, rev: str = "HEAD") -> list[str]:
    listing = git(root, "show", "-z", "--name-only", "--format=", rev)
    return sorted(path.strip("\n") for path in listing.split("\0") if path.strip("\n"))


@pytest.fixture
def rendered_repo(fleet_repo: Path, cli: Cli) -> Path:
    """The example fleet with fleet/ rendered and committed, plus a tracked README."""
    assert cli("--repo", str(fleet_repo), "render").exit_code == 0
    (fleet_repo / "README.md").write_text("fleet\n")
    git(fleet_repo, "add", "-A")
    git(fleet_repo, "commit", "-q", "-m", "render")
    return fleet_repo


def test_commit_stages_only_fleet_paths_and_summarises_the_plan(rendered_repo: Path, cli: Cli) -> None:
    assert cli("--repo", str(rendered_repo), "scale", "kv-demo", "md-0", "4").exit_code == 0
    (rendered_repo / "README.md").write_text("edited, not for this commit\n")
    (rendered_repo / "notes.txt").write_text("untracked\n")
    schema = next((rendered_repo / "schemas").rglob("*.json"))
    schema.write_text(schema.read_text() + "\n")  # a synced schema is not a fleet source
    (rendered_repo / "staged.txt").write_text("the user staged this\n")
    git(rendered_repo, "add", "staged.txt")
    result = cli("--repo", str(rendered_repo), "commit")
    assert result.exit_code == 0, result.stdout + result.stderr
    short = git(rendered_repo, "rev-parse", "--short=7", "HEAD").strip()
    assert result.stdout.strip() == f"[{short}] scale kv-demo/md-0 3→4"
    assert git(rendered_repo, "log", "-1", "--format=%B").strip() == "scale kv-demo/md-0 3→4"
    assert committed_files(rendered_repo) == [KV_SPEC, "fleet/clusters/clusters/kv-demo/cluster.yaml"]
    status = git(rendered_repo, "status", "--porcelain").splitlines()
    assert " M README.md" in status and "?? notes.txt" in status and "A  staged.txt" in status
    assert f" M {schema.relative_to(rendered_repo).as_posix()}" in status
    assert not any(KV_SPEC in line or "fleet/" in line for line in status)


def test_commit_several_changes_writes_a_subject_and_bullets(rendered_repo: Path, cli: Cli) -> None:
    edit(rendered_repo, KV_SPEC, "      replicas: 3\n", "      replicas: 4\n")
    edit(rendered_repo, PVE_SPEC, "      machine: {cpus: 2, memory: 4Gi, diskSize: 20Gi}\n",
         "      machine: {cpus: 2, memory: 8Gi, diskSize: 20Gi}\n")
    assert cli("--repo", str(rendered_repo), "render").exit_code == 0
    result = cli("--repo", str(rendered_repo), "commit")
    assert result.exit_code == 0, result.stdout + result.stderr
    message = git(rendered_repo, "log", "-1", "--format=%B").strip().splitlines()
    assert message[0] == "scale kv-demo/md-0 3→4; rollout pve-demo/md-0 (machine template)"
    assert message[1] == ""
    assert message[2] == "- scale kv-demo/md-0 3 → 4"
    assert message[3].startswith("- rollout pve-demo/md-0: 1 machine replaced (machine template pve-demo-md-0-")
    assert result.stdout.strip().endswith(message[0])


def test_commit_new_cluster_adds_its_spec_and_output(rendered_repo: Path, cli: Cli) -> None:
    text = (rendered_repo / KV_SPEC).read_text().replace("name: kv-demo", "name: kv-2")
    text = text.replace("10.243.0.0/16", "10.244.0.0/16").replace("10.95.0.0/16", "10.96.0.0/16")
    (rendered_repo / "clusters/kubevirt/kv-2.yaml").write_text(text)
    assert cli("--repo", str(rendered_repo), "render").exit_code == 0
    result = cli("--repo", str(rendered_repo), "commit")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert git(rendered_repo, "log", "-1", "--format=%s").strip() == "create cluster kv-2"
    files = committed_files(rendered_repo)
    assert "clusters/kubevirt/kv-2.yaml" in files
    assert "fleet/clusters/clusters/kv-2/cluster.yaml" in files


def test_commit_leaves_out_new_files_that_are_neither_a_spec_nor_an_addon_file(rendered_repo: Path, cli: Cli) -> None:
    """A credentials file dropped beside a spec or an addon is never committed (nor staged); a new
    payload file the addon lists is."""
    (rendered_repo / "clusters/creds.txt").write_text("password: hunter2hunter2\n")
    (rendered_repo / "crs/calico/admin.kubeconfig").write_text("apiVersion: v1\nkind: Config\nusers: []\n")
    (rendered_repo / "crs/baseline/quota.yaml").write_text(
        "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: platform-system}\nspec: {hard: {pods: '10'}}\n")
    edit(rendered_repo, "crs/baseline/addon.yaml", "    - platform-rbac.yaml\n", "    - platform-rbac.yaml\n    - quota.yaml\n")
    assert cli("--repo", str(rendered_repo), "render").exit_code == 0
    result = cli("--repo", str(rendered_repo), "commit")
    assert result.exit_code == 0, result.stdout + result.stderr
    files = committed_files(rendered_repo)
    assert "crs/baseline/quota.yaml" in files and "crs/baseline/addon.yaml" in files
    assert "clusters/creds.txt" not in files and "crs/calico/admin.kubeconfig" not in files
    assert "left out: clusters/creds.txt (neither a cluster spec nor a file an addon lists" in result.stderr
    assert "left out: crs/calico/admin.kubeconfig" in result.stderr
    status = git(rendered_repo, "status", "--porcelain").splitlines()
    assert "?? clusters/creds.txt" in status and "?? crs/calico/admin.kubeconfig" in status


def test_commit_handles_file_names_git_would_quote(rendered_repo: Path, cli: Cli) -> None:
    """A spec named with non-ASCII characters is committed, not "left out"; a stray file whose name
    has a quote, a backslash or an umlaut is left out, and named as it is on disk."""
    text = (rendered_repo / KV_SPEC).read_text().replace("name: kv-demo", "name: kv-2")
    text = text.replace("10.243.0.0/16", "10.244.0.0/16").replace("10.95.0.0/16", "10.96.0.0/16")
    (rendered_repo / "clusters/kubevirt/kv-zwei-ü.yaml").write_text(text)
    stray = 'clusters/geheim "ä" \\x.txt'
    (rendered_repo / stray).write_text("password: hunter2hunter2\n")
    assert cli("--repo", str(rendered_repo), "render").exit_code == 0
    result = cli("--repo", str(rendered_repo), "commit")
    assert result.exit_code == 0, result.stdout + result.stderr
    files = committed_files(rendered_repo)
    assert "clusters/kubevirt/kv-zwei-ü.yaml" in files
    assert stray not in files
    assert f"left out: {stray} (neither" in result.stderr
    assert "kv-zwei" not in result.stderr
    untracked = git(rendered_repo, "status", "-z", "--porcelain").split("\0")
    assert f"?? {stray}" in untracked


def test_commit_refuses_output_with_files_left_by_a_killed_render(rendered_repo: Path, cli: Cli) -> None:
    """A temporary file of a render killed half-way is stale output, not something to commit;
    the next render removes it, also when its cache says the inputs are unchanged."""
    out = rendered_repo / "fleet/clusters/clusters/kv-demo"
    leftover = out / ".cluster.yaml.fleetgen-tmp-abc123"
    leftover.write_bytes((out / "cluster.yaml").read_bytes())
    check = cli("--repo", str(rendered_repo), "render", "--check")
    assert check.exit_code == 1
    assert "leftover fleet/clusters/clusters/kv-demo/.cluster.yaml.fleetgen-tmp-abc123" in check.stdout
    result = cli("--repo", str(rendered_repo), "commit")
    assert result.exit_code == 1
    assert "stale: fleet/clusters/clusters/kv-demo/.cluster.yaml.fleetgen-tmp-abc123" in result.stderr
    assert git(rendered_repo, "diff", "--cached", "--name-only") == ""
    render = cli("--repo", str(rendered_repo), "render")
    assert render.exit_code == 0
    assert render.stdout.splitlines()[-1].endswith(" 0 removed, 1 leftover file of an interrupted render deleted")
    assert not leftover.exists()
    assert cli("--repo", str(rendered_repo), "render", "--check").exit_code == 0


def test_commit_with_nothing_changed_says_so(rendered_repo: Path, cli: Cli) -> None:
    (rendered_repo / "README.md").write_text("only this changed\n")
    head = git(rendered_repo, "rev-parse", "HEAD")
    result = cli("--repo", str(rendered_repo), "commit")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "nothing to commit" in result.stdout
    assert git(rendered_repo, "rev-parse", "HEAD") == head


def test_commit_refuses_a_stale_fleet(rendered_repo: Path, cli: Cli) -> None:
    edit(rendered_repo, KV_SPEC, "      replicas: 3\n", "      replicas: 4\n")  # no render
    head = git(rendered_repo, "rev-parse", "HEAD")
    result = cli("--repo", str(rendered_repo), "commit")
    assert result.exit_code == 1
    assert "fleetgen: error: nothing committed: fleet/ is stale (1 file(s) differ from the specs); " \
           "run `fleetgen render` first" in result.stderr
    assert "stale: fleet/clusters/clusters/kv-demo/cluster.yaml" in result.stderr
    assert git(rendered_repo, "rev-parse", "HEAD") == head
    assert git(rendered_repo, "diff", "--cached", "--name-only") == ""


def test_commit_refuses_when_validation_fails(rendered_repo: Path, cli: Cli) -> None:
    edit(rendered_repo, PVE_SPEC, "{host: 10.10.10.9, port: 6443}", "{host: 10.10.10.12, port: 6443}")
    head = git(rendered_repo, "rev-parse", "HEAD")
    result = cli("--repo", str(rendered_repo), "commit")
    assert result.exit_code == 1
    assert "error [proxmox-vip-in-range]" in result.stdout
    assert "nothing committed: validation failed" in result.stderr
    assert git(rendered_repo, "rev-parse", "HEAD") == head
    assert git(rendered_repo, "diff", "--cached", "--name-only") == ""


def test_commit_of_a_cluster_deletion_needs_allow_delete(rendered_repo: Path, cli: Cli) -> None:
    (rendered_repo / PVE_SPEC).unlink()
    assert cli("--repo", str(rendered_repo), "render", "--allow-delete", "pve-demo").exit_code == 0
    head = git(rendered_repo, "rev-parse", "HEAD")
    result = cli("--repo", str(rendered_repo), "commit")
    assert result.exit_code == 1
    assert "refusing to commit the deletion of cluster clusters/pve-demo" in result.stderr
    assert "rerun with --allow-delete clusters/pve-demo" in result.stderr
    assert git(rendered_repo, "rev-parse", "HEAD") == head
    result = cli("--repo", str(rendered_repo), "commit", "--allow-delete", "pve-demo")
    assert result.exit_code == 0, result.stdout + result.stderr
    message = git(rendered_repo, "log", "-1", "--format=%B")
    assert "delete cluster pve-demo" in message or "DELETE cluster pve-demo" in message
    files = committed_files(rendered_repo)
    assert PVE_SPEC in files and "fleet/clusters/clusters/pve-demo/cluster.yaml" in files
    assert git(rendered_repo, "ls-tree", "-r", "--name-only", "HEAD", "fleet/clusters/clusters/pve-demo") == ""


def test_commit_uses_the_given_message(rendered_repo: Path, cli: Cli) -> None:
    assert cli("--repo", str(rendered_repo), "scale", "kv-demo", "md-0", "2").exit_code == 0
    result = cli("--repo", str(rendered_repo), "commit", "-m", "shrink kv-demo for the weekend")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert git(rendered_repo, "log", "-1", "--format=%B").strip() == "shrink kv-demo for the weekend"


def test_commit_outside_git_is_a_usage_error(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "fleetgen.yaml").write_text("apiVersion: fleetgen.dev/v1alpha1\n")
    result = cli("--repo", str(tmp_path), "commit")
    assert result.exit_code == 2
    assert "is not inside a git repository" in result.stderr


@pytest.mark.parametrize("blank", ["", "   "])
def test_commit_with_a_blank_message_is_a_usage_error_and_stages_nothing(rendered_repo: Path, cli: Cli, blank: str) -> None:
    assert cli("--repo", str(rendered_repo), "scale", "kv-demo", "md-0", "4").exit_code == 0
    head = git(rendered_repo, "rev-parse", "HEAD")
    result = cli("--repo", str(rendered_repo), "commit", "-m", blank)
    assert result.exit_code == 2
    assert "fleetgen: error: the commit message is blank" in result.stderr
    assert git(rendered_repo, "rev-parse", "HEAD") == head
    assert git(rendered_repo, "diff", "--cached", "--name-only") == ""


def test_commit_of_a_deleted_addons_folder_leaves_nothing_behind(rendered_repo: Path, cli: Cli) -> None:
    """Deleting every addon (the whole crs/ folder) commits the folder's removal with its output's:
    a clean clone of HEAD renders what HEAD holds (regression: crs/ stayed staged, out of the commit)."""
    import shutil

    for spec in (rendered_repo / "clusters").rglob("*.yaml"):
        spec.write_text(spec.read_text().replace("    cni: calico\n", ""))
    shutil.rmtree(rendered_repo / "crs")
    assert cli("--repo", str(rendered_repo), "render").exit_code == 0
    result = cli("--repo", str(rendered_repo), "commit", "-m", "drop the addons")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert git(rendered_repo, "status", "--porcelain") == ""
    assert git(rendered_repo, "ls-tree", "--name-only", "HEAD", "--", "crs") == ""


def test_commit_stages_nothing_of_a_sibling_folder_a_glob_would_match(fleet_repo: Path, tmp_path: Path,
                                                                     cli: Cli) -> None:
    """A fleet in `team[1]/` beside `team1/`: git pathspecs are literal, so the commit holds only
    the fleet's own files."""
    import shutil

    top = tmp_path / "mono"
    for folder in ("team[1]", "team1"):
        shutil.copytree(fleet_repo, top / folder, ignore=shutil.ignore_patterns(".git"))
    git(top, "init", "-q", "-b", "main")
    git(top, "remote", "add", "origin", "https://git.example.com/other/mono.git")  # (gitops-repo-path: a warning)
    fleet = top / "team[1]"
    render = cli("--repo", str(fleet), "render")
    assert render.exit_code == 0
    assert ("move the fleet to a folder gitops.path can name: 'team[1]' holds '['" in render.stdout
            and "set gitops.path" not in render.stdout)
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "both")
    (top / "team1/fleetgen.yaml").write_text((top / "team1/fleetgen.yaml").read_text() + "# the other team's edit\n")
    (fleet / "fleetgen.yaml").write_text((fleet / "fleetgen.yaml").read_text() + "# ours\n")
    result = cli("--repo", str(fleet), "commit", "-m", "ours")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert git(top, "show", "--name-only", "--format=", "HEAD").split() == ["team[1]/fleetgen.yaml"]
    assert git(top, "status", "--porcelain") == " M team1/fleetgen.yaml\n"
