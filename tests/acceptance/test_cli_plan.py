"""`fleetgen plan` end to end on real git repositories: classification, formats, and a checkout
that is never touched."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

Cli = Callable[..., Any]

KV_SPEC = "clusters/kubevirt/kv-demo.yaml"
PVE_SPEC = "clusters/proxmox/pve-demo.yaml"
#: The example fleet's Fleet GitRepo sets keepResources: true, which Fleet copies into every bundle:
#: a removed cluster's objects stay, so the plan says how to delete the cluster itself.
DELETE_LINE = ("DELETE cluster pve-demo from git: Fleet keeps what a removed bundle deployed (GitRepo keepResources: "
               "true), so the workload cluster keeps running; delete it with `kubectl delete cluster -n clusters "
               "pve-demo` (CAPI then deletes its machines)")


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` and return stdout (raises on failure)."""
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def edit(root: Path, path: str, old: str, new: str, count: int = 1) -> None:
    """Replace `old` by `new` in a file; `old` must occur exactly `count` times."""
    file = root / path
    text = file.read_text()
    assert text.count(old) == count, (path, old)
    file.write_text(text.replace(old, new))


def plan_json(cli: Cli, root: Path, *args: str, code: int = 0) -> dict[str, Any]:
    result = cli("--repo", str(root), "plan", "--format", "json", *args)
    assert result.exit_code == code, result.stdout + result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def cluster_of(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in data["clusters"] if c["name"] == name)


def snapshot(root: Path) -> tuple[str, ...]:
    """What plan must leave alone: HEAD, status, index, stashes, worktrees, branches."""
    return (git(root, "rev-parse", "HEAD"), git(root, "symbolic-ref", "HEAD"),
            git(root, "status", "--porcelain", "--untracked-files=all"), git(root, "ls-files", "--stage"),
            git(root, "stash", "list"), git(root, "worktree", "list", "--porcelain"), git(root, "branch", "-a"))


def test_plan_replicas_change_is_a_scale(rendered_repo: Path, cli: Cli) -> None:
    edit(rendered_repo, KV_SPEC, "      replicas: 3\n", "      replicas: 4\n")
    data = plan_json(cli, rendered_repo)
    assert data["version"] == 1
    assert data["base"]["ref"] == "HEAD" and data["base"]["source"] == "committed"
    assert data["summary"]["text"] == "1 cluster changed: 1 scale"
    (kv,) = data["clusters"]
    assert (kv["name"], kv["action"]) == ("kv-demo", "scale")
    assert [c["text"] for c in kv["changes"]] == ["scale kv-demo/md-0 3 → 4"]
    (obj,) = kv["objects"]
    assert (obj["action"], obj["kind"], obj["name"]) == ("scale", "MachineDeployment", "kv-demo-md-0")
    assert obj["fields"] == [{"path": "spec.replicas", "old": 3, "new": 4}]
    assert any("stale" in n for n in data["notes"])  # fleet/ was not re-rendered


def test_plan_memory_change_is_a_rollout_to_a_new_template(rendered_repo: Path, cli: Cli) -> None:
    edit(rendered_repo, PVE_SPEC, "      machine: {cpus: 2, memory: 4Gi, diskSize: 20Gi}\n",
         "      machine: {cpus: 2, memory: 8Gi, diskSize: 20Gi}\n")
    data = plan_json(cli, rendered_repo)
    pve = cluster_of(data, "pve-demo")
    assert pve["action"] == "rollout"
    (change,) = pve["changes"]
    m = re.fullmatch(r"rollout pve-demo/md-0: 1 machine replaced \(machine template "
                     r"(pve-demo-md-0-[0-9a-f]{8}) → (pve-demo-md-0-[0-9a-f]{8})\)", change["text"])
    assert m, change["text"]
    old_name, new_name = m.groups()
    assert old_name != new_name
    assert change["machines"] == 1
    actions = {(o["action"], o["kind"], o["name"]) for o in pve["objects"]}
    assert ("create", "ProxmoxMachineTemplate", new_name) in actions
    assert ("delete", "ProxmoxMachineTemplate", old_name) in actions
    assert ("rollout", "MachineDeployment", "pve-demo-md-0") in actions
    assert not any(o["kind"] == "KubeadmControlPlane" for o in pve["objects"])  # the control plane is untouched
    assert data["summary"]["machines_replaced"] == 1


def test_plan_new_cluster_is_a_create(rendered_repo: Path, cli: Cli) -> None:
    text = (rendered_repo / KV_SPEC).read_text()
    text = text.replace("name: kv-demo", "name: kv-2").replace("10.243.0.0/16", "10.244.0.0/16").replace(
        "10.95.0.0/16", "10.96.0.0/16")
    (rendered_repo / "clusters/kubevirt/kv-2.yaml").write_text(text)
    data = plan_json(cli, rendered_repo)
    kv2 = cluster_of(data, "kv-2")
    assert kv2["action"] == "create"
    assert [c["text"] for c in kv2["changes"]] == ["create cluster kv-2 (1 control-plane machine, 3 worker machines)"]
    assert {o["action"] for o in kv2["objects"]} == {"create"}
    assert {o["kind"] for o in kv2["objects"]} >= {"Cluster", "KubeadmControlPlane", "MachineDeployment",
                                                    "KubevirtMachineTemplate", "KubevirtCluster"}


def test_plan_deleted_spec_is_flagged_loudly(rendered_repo: Path, cli: Cli) -> None:
    (rendered_repo / PVE_SPEC).unlink()
    result = cli("--repo", str(rendered_repo), "plan")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert f"  {DELETE_LINE}" in result.stdout.splitlines()
    assert "pve-demo (namespace clusters): delete" in result.stdout
    data = plan_json(cli, rendered_repo)
    assert data["summary"]["deleted_clusters"] == ["pve-demo"]
    pve = cluster_of(data, "pve-demo")
    assert {o["action"] for o in pve["objects"]} == {"delete"}
    md = cli("--repo", str(rendered_repo), "plan", "--format", "markdown").stdout
    assert ("> **DELETE cluster pve-demo from git**: Fleet keeps what a removed bundle deployed (GitRepo keepResources: "
            "true), so the workload cluster keeps running;") in md


def test_plan_deleted_spec_under_flux_is_deleted_by_the_agent(fleet_repo: Path, cli: Cli) -> None:
    # Flux prunes the removed Cluster (the rest carries prune: disabled and is torn down by CAPI)
    edit(fleet_repo, "fleetgen.yaml", "agent: fleet ", "agent: flux  ")
    assert cli("--repo", str(fleet_repo), "render").exit_code == 0
    git(fleet_repo, "add", "-A")
    git(fleet_repo, "commit", "-q", "-m", "render with flux")
    (fleet_repo / PVE_SPEC).unlink()
    result = cli("--repo", str(fleet_repo), "plan")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "  DELETE cluster pve-demo: the GitOps agent will delete the workload cluster and its machines" in result.stdout.splitlines()
    md = cli("--repo", str(fleet_repo), "plan", "--format", "markdown").stdout
    assert "> **DELETE cluster pve-demo**: the GitOps agent will delete the workload cluster and its machines." in md


def test_plan_namespace_move_is_a_delete_and_a_create(rendered_repo: Path, cli: Cli) -> None:
    """CAPI has no rename: the Cluster in the old namespace is deleted with its machines."""
    edit(rendered_repo, PVE_SPEC, "  name: pve-demo\n", "  name: pve-demo\n  namespace: edge\n")
    result = cli("--repo", str(rendered_repo), "plan")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[1].startswith("2 clusters changed: 1 create, 1 delete")
    assert "pve-demo (namespace clusters): delete" in result.stdout
    assert "pve-demo (namespace edge): create" in result.stdout
    assert f"  {DELETE_LINE}" in result.stdout.splitlines()
    data = plan_json(cli, rendered_repo)
    assert data["summary"]["deleted_clusters"] == ["pve-demo"]
    old = next(c for c in data["clusters"] if c["namespace"] == "clusters")
    assert {o["action"] for o in old["objects"]} == {"delete"}


def test_plan_names_fleet_wide_objects_with_their_namespace(rendered_repo: Path, cli: Cli) -> None:
    """An addon rendered into two namespaces changes two ConfigMaps of one name: the summary line
    must tell them apart, not list the same object twice."""
    spec = (rendered_repo / KV_SPEC).read_text().replace("  name: kv-demo\n", "  name: kv-edge\n  namespace: edge\n")
    (rendered_repo / "clusters/kubevirt/kv-edge.yaml").write_text(spec)
    assert cli("--repo", str(rendered_repo), "render").exit_code == 0
    git(rendered_repo, "add", "-A")
    git(rendered_repo, "commit", "-q", "-m", "kv-edge")
    edit(rendered_repo, "crs/baseline/platform-rbac.yaml", "name: platform-viewers\nroleRef", "name: platform-readers\nroleRef")
    result = cli("--repo", str(rendered_repo), "plan")
    assert result.exit_code == 0, result.stdout + result.stderr
    (line,) = [x.strip() for x in result.stdout.splitlines() if x.startswith("  update fleet-wide objects:")]
    configmaps = re.findall(r"~ConfigMap ([^ ,]+)", line)
    assert len(configmaps) == 2 and sorted(c.split("/")[0] for c in configmaps) == ["clusters", "edge"], line
    assert configmaps[0].split("/")[1] == configmaps[1].split("/")[1]


def test_plan_label_change_is_in_place(rendered_repo: Path, cli: Cli) -> None:
    edit(rendered_repo, KV_SPEC, "    env: demo\n", "    env: demo\n    team: platform\n")
    data = plan_json(cli, rendered_repo)
    (kv,) = data["clusters"]
    assert kv["action"] == "in-place"
    (obj,) = kv["objects"]
    assert (obj["action"], obj["kind"]) == ("in-place", "Cluster")
    assert obj["fields"] == [{"path": "metadata.labels.team", "old": None, "new": "platform"}]
    assert kv["changes"][0]["text"] == "update kv-demo: ~Cluster kv-demo (no machines replaced)"


def test_plan_same_template_name_with_another_spec_is_forbidden(rendered_repo: Path, cli: Cli) -> None:
    # commit a base whose md-0 template has another spec under the same (content-hash) name, as a
    # hand edit of fleet/ would; the working tree renders the real spec under that name again
    path = rendered_repo / "fleet/clusters/clusters/kv-demo/cluster.yaml"
    docs = list(yaml.safe_load_all(path.read_text()))
    (tpl,) = [d for d in docs if d and d["kind"] == "KubevirtMachineTemplate" and d["metadata"]["name"].startswith("kv-demo-md-0-")]
    tpl["spec"]["template"]["spec"]["virtualMachineBootstrapCheck"] = {"checkStrategy": "none"}
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False, explicit_start=True))
    git(rendered_repo, "commit", "-q", "-am", "hand-edit a machine template")
    result = cli("--repo", str(rendered_repo), "plan")
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "kv-demo (namespace clusters): forbidden" in result.stdout
    name = tpl["metadata"]["name"]
    assert f"  FORBIDDEN KubevirtMachineTemplate {name}: spec.template.spec.virtualMachineBootstrapCheck" in result.stdout
    assert 'changed under the same name; CAPK rejects it ("KubevirtMachineTemplateSpec is immutable"' in result.stdout
    assert f"    ! KubevirtMachineTemplate {name}  [forbidden]" in result.stdout
    # the policy rule runs against the same committed base and points at the spec to fix
    assert re.search(r"clusters/kubevirt/kv-demo\.yaml:\d+:\d+: error \[immutable-template\]", result.stdout), result.stdout
    data = plan_json(cli, rendered_repo, code=1)
    assert data["summary"]["forbidden"] == 1
    assert cluster_of(data, "kv-demo")["action"] == "forbidden"


def test_plan_control_plane_two_minor_upgrade_is_forbidden(rendered_repo: Path, cli: Cli) -> None:
    edit(rendered_repo, KV_SPEC, "  hypervisor: kubevirt\n", "  hypervisor: kubevirt\n  kubernetesVersion: v1.35.0\n")
    edit(rendered_repo, KV_SPEC, "container-disk:v1.33.1", "container-disk:v1.35.0")
    data = plan_json(cli, rendered_repo, code=1)
    kv = cluster_of(data, "kv-demo")
    assert kv["action"] == "forbidden"
    (kcp,) = [o for o in kv["objects"] if o["kind"] == "KubeadmControlPlane"]
    assert kcp["action"] == "forbidden"
    assert kcp["message"].startswith("[k8s-upgrade-skip] spec.version of KubeadmControlPlane clusters/kv-demo-control-plane: "
                                     "cannot update Kubernetes version from v1.33.1 to v1.35.0; upgrade one minor version "
                                     "per change (v1.34.x next)")  # (as validate words it)
    # one minor at a time is a rollout of every machine
    edit(rendered_repo, KV_SPEC, "v1.35.0", "v1.34.0", count=2)
    data = plan_json(cli, rendered_repo)
    kv = cluster_of(data, "kv-demo")
    assert kv["action"] == "rollout"
    texts = [c["text"] for c in kv["changes"]]
    assert any(t.startswith("rollout kv-demo/control-plane: 1 machine replaced (") and "kubernetes version v1.33.1 → v1.34.0" in t
               for t in texts), texts
    assert any(t.startswith("rollout kv-demo/md-0: 3 machines replaced (") for t in texts), texts
    # the workers roll after the control plane (the MachineSet preflight checks hold them), and say so
    (workers,) = [t for t in texts if t.startswith("rollout kv-demo/md-0:")]
    assert "kubernetes version v1.33.1 → v1.34.0, after the control plane: the MachineSet preflight checks" in workers
    assert not any("after the control plane" in t for t in texts if t.startswith("rollout kv-demo/control-plane"))


def test_plan_downgrade_in_the_defaults_is_forbidden_in_every_cluster(rendered_repo: Path, cli: Cli) -> None:
    """One finding for the default both clusters inherit (validate reports it once), and plan marks
    each cluster's control plane forbidden, not only the first one's."""
    edit(rendered_repo, "fleetgen.yaml", "kubernetesVersion: v1.33.1", "kubernetesVersion: v1.32.5")
    data = plan_json(cli, rendered_repo, code=1)
    assert data["summary"]["clusters"]["forbidden"] == 2 and data["summary"]["clusters"]["rollout"] == 0
    for name in ("kv-demo", "pve-demo"):
        cluster = cluster_of(data, name)
        assert cluster["action"] == "forbidden", cluster
        (kcp,) = [o for o in cluster["objects"] if o["kind"] == "KubeadmControlPlane"]
        assert kcp["action"] == "forbidden"
        assert kcp["message"].startswith("[k8s-upgrade-skip] ")


def test_plan_markdown_has_the_summary_line_and_a_section_per_cluster(rendered_repo: Path, cli: Cli) -> None:
    edit(rendered_repo, KV_SPEC, "      replicas: 3\n", "      replicas: 4\n")
    edit(rendered_repo, PVE_SPEC, "      machine: {cpus: 2, memory: 4Gi, diskSize: 20Gi}\n",
         "      machine: {cpus: 2, memory: 8Gi, diskSize: 20Gi}\n")
    result = cli("--repo", str(rendered_repo), "plan", "--format", "markdown")
    assert result.exit_code == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "**fleetgen plan:** 2 clusters changed: 1 scale, 1 rollout"
    assert "### `kv-demo` (clusters) — scale" in lines
    assert "### `pve-demo` (clusters) — rollout" in lines
    assert "- scale kv-demo/md-0 3 → 4" in lines
    assert "| scale | MachineDeployment | `kv-demo-md-0` | `spec.replicas: 3 → 4` |" in lines
    assert lines.index("### `kv-demo` (clusters) — scale") < lines.index("### `pve-demo` (clusters) — rollout")


def test_plan_never_touches_the_checkout(rendered_repo: Path, cli: Cli) -> None:
    edit(rendered_repo, KV_SPEC, "      replicas: 3\n", "      replicas: 4\n")
    git(rendered_repo, "add", KV_SPEC)  # a staged change ...
    edit(rendered_repo, PVE_SPEC, "      replicas: 1\n", "      replicas: 2\n")  # ... an unstaged one ...
    (rendered_repo / "notes.txt").write_text("untracked\n")  # ... and an untracked file
    before = snapshot(rendered_repo)
    spec_bytes = {p: (rendered_repo / p).read_bytes() for p in (KV_SPEC, PVE_SPEC)}
    for args in ((), ("--base", "HEAD~1"), ("--format", "markdown")):
        result = cli("--repo", str(rendered_repo), "plan", *args)
        assert result.exit_code == 0, result.stdout + result.stderr
        assert snapshot(rendered_repo) == before
    assert {p: (rendered_repo / p).read_bytes() for p in (KV_SPEC, PVE_SPEC)} == spec_bytes


def test_plan_against_another_branch_like_ci(rendered_repo: Path, cli: Cli) -> None:
    git(rendered_repo, "checkout", "-q", "-b", "feature")
    assert cli("--repo", str(rendered_repo), "scale", "kv-demo", "md-0", "5").exit_code == 0
    git(rendered_repo, "commit", "-q", "-am", "scale")
    data = plan_json(cli, rendered_repo, "--base", "main")
    assert data["summary"]["text"] == "1 cluster changed: 1 scale"
    assert data["notes"] == []  # fleet/ was re-rendered by scale
    assert plan_json(cli, rendered_repo)["summary"]["text"] == "no changes"


def test_plan_renders_the_base_specs_when_fleet_is_not_committed(fleet_repo: Path, cli: Cli) -> None:
    edit(fleet_repo, KV_SPEC, "      replicas: 3\n", "      replicas: 2\n")
    data = plan_json(cli, fleet_repo)
    assert data["base"]["source"] == "rendered"
    assert data["summary"]["text"] == "1 cluster changed: 1 scale"


def test_plan_unknown_base_is_a_usage_error(rendered_repo: Path, cli: Cli) -> None:
    result = cli("--repo", str(rendered_repo), "plan", "--base", "origin/nope")
    assert result.exit_code == 2
    assert "unknown git ref 'origin/nope'" in result.stderr


def test_a_base_beyond_a_shallow_clone_says_to_fetch_the_history(rendered_repo: Path, tmp_path: Path, cli: Cli) -> None:
    """CI checks out one commit (`fetch-depth: 1`); HEAD~1 and an older sha are then not there."""
    first = git(rendered_repo, "rev-parse", "HEAD").strip()
    edit(rendered_repo, KV_SPEC, "replicas: 3", "replicas: 4")
    git(rendered_repo, "commit", "-q", "-am", "scale")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{rendered_repo}", str(shallow))
    shutil.copytree(rendered_repo / "schemas", shallow / "schemas", dirs_exist_ok=True)
    result = cli("--repo", str(shallow), "plan", "--base", "HEAD~1")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert (f"unknown git ref 'HEAD~1' in {shallow}: this clone is shallow and lacks that history; fetch it "
            "(`git fetch --unshallow`, or `fetch-depth: 0` with actions/checkout)") in result.stderr
    result = cli("--repo", str(shallow), "plan", "--base", first[:12])
    assert (f"unknown git ref {first[:12]!r} in {shallow}: this clone is shallow: if {first[:12]} is an older "
            "commit, fetch it (`git fetch --unshallow`") in result.stderr
    for ref in ("nope", "nope~1"):  # (names nothing: no history to fetch)
        result = cli("--repo", str(shallow), "plan", "--base", ref)
        assert "this clone is shallow" not in result.stderr, result.stderr


def test_plan_invalid_working_tree_prints_findings_and_exits_1(rendered_repo: Path, cli: Cli) -> None:
    edit(rendered_repo, KV_SPEC, "      replicas: 3\n", "      replicas: three\n")
    result = cli("--repo", str(rendered_repo), "plan")
    assert result.exit_code == 1
    assert "the working tree's specs do not load; nothing was planned" in result.stdout
    assert re.search(r"clusters/kubevirt/kv-demo\.yaml:19:\d+: error \[spec\] spec\.workers\[0\]\.replicas", result.stdout)
    data = plan_json(cli, rendered_repo, code=1)
    assert data["valid"] is False and data["findings"]
