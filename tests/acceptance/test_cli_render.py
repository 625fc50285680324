"""Acceptance tests for `fleetgen render [--check] [--allow-delete CLUSTER]` on a real git fleet repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SPEC = "clusters/kubevirt/kv-demo.yaml"


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def stats(root: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_render_writes_the_tree_and_prints_a_summary(fleet_repo: Path, cli) -> None:
    result = cli("--repo", str(fleet_repo), "render")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "rendered 2 clusters, 2 addons: 11 files written, 0 unchanged, 0 removed"
    assert result.stderr == ""
    assert (fleet_repo / "fleet" / "clusters" / "clusters" / "kv-demo" / "cluster.yaml").is_file()
    assert (fleet_repo / "fleet" / "gitops" / "gitrepo.yaml").is_file()


def test_render_again_writes_only_changed_files(fleet_repo: Path, cli) -> None:
    assert cli("--repo", str(fleet_repo), "render").exit_code == 0
    out = fleet_repo / "fleet"
    before = stats(out)
    again = cli("--repo", str(fleet_repo), "render")
    assert again.stdout.splitlines()[-1] == "rendered 2 clusters, 2 addons: 0 files written, 11 unchanged, 0 removed"
    assert stats(out) == before
    edit(fleet_repo / SPEC, "      replicas: 3\n", "      replicas: 4\n")
    scaled = cli("--repo", str(fleet_repo), "render")
    assert scaled.exit_code == 0, scaled.stdout
    assert scaled.stdout.splitlines()[-1] == "rendered 2 clusters, 2 addons: 1 file written, 10 unchanged, 0 removed"
    after = stats(out)
    assert [p for p in before if after[p] != before[p]] == ["clusters/clusters/kv-demo/cluster.yaml"]


def test_render_check_exit_codes_fresh_and_stale(fleet_repo: Path, cli) -> None:
    stale = cli("--repo", str(fleet_repo), "render", "--check")
    assert stale.exit_code == 1
    assert stale.stdout.splitlines()[0] == "fleet/ is stale: 11 files differ from the specs; run `fleetgen render`"
    assert "  added    fleet/clusters/clusters/kv-demo/cluster.yaml" in stale.stdout
    assert not (fleet_repo / "fleet").exists()  # --check writes nothing
    assert cli("--repo", str(fleet_repo), "render").exit_code == 0
    fresh = cli("--repo", str(fleet_repo), "render", "--check")
    assert (fresh.exit_code, fresh.stdout) == (0, "fleet/ is up to date\n")
    before = tree(fleet_repo / "fleet")
    edit(fleet_repo / SPEC, "      replicas: 3\n", "      replicas: 5\n")
    (fleet_repo / "fleet" / "stray.yaml").write_text("hand edit\n")
    changed = cli("--repo", str(fleet_repo), "render", "--check")
    assert changed.exit_code == 1
    assert changed.stdout.splitlines()[1:] == [
        "  changed  fleet/clusters/clusters/kv-demo/cluster.yaml",
        "  removed  fleet/stray.yaml",
    ]
    assert tree(fleet_repo / "fleet") == {**before, "stray.yaml": b"hand edit\n"}


def test_render_refuses_to_drop_a_cluster_without_allow_delete(fleet_repo: Path, cli) -> None:
    assert cli("--repo", str(fleet_repo), "render").exit_code == 0
    before = tree(fleet_repo / "fleet")
    (fleet_repo / SPEC).unlink()
    refused = cli("--repo", str(fleet_repo), "render")
    assert refused.exit_code == 1
    assert refused.stderr.startswith("fleetgen: error: refusing to delete the output of 1 cluster(s) no longer in the specs: "
                                     "clusters/kv-demo (fleet/clusters/clusters/kv-demo/)")
    assert "fleetgen: error: if the deletion is intended, rerun with --allow-delete kv-demo" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert tree(fleet_repo / "fleet") == before
    allowed = cli("--repo", str(fleet_repo), "render", "--allow-delete", "kv-demo")
    assert allowed.exit_code == 0, allowed.stderr
    assert allowed.stdout.splitlines()[-1].endswith(" removed") and " 2 removed" in allowed.stdout
    assert not (fleet_repo / "fleet" / "clusters" / "clusters" / "kv-demo").exists()
    assert (fleet_repo / "fleet" / "clusters" / "clusters" / "pve-demo" / "cluster.yaml").is_file()


def test_render_invalid_spec_prints_findings_and_writes_nothing(fleet_repo: Path, cli) -> None:
    edit(fleet_repo / SPEC, "    replicas: 1\n    machine: {cpus: 2, memory: 4Gi}\n", "    replicas: 0\n    machine: {cpus: 2, memory: 4Gi}\n")
    result = cli("--repo", str(fleet_repo), "render")
    assert result.exit_code == 1
    assert "clusters/kubevirt/kv-demo.yaml:15:5: error [spec] spec.controlPlane.replicas: input should be greater than or equal to 1, got 0" in result.stdout
    assert "fleet/ not written" in result.stderr
    assert not (fleet_repo / "fleet").exists()
    check = cli("--repo", str(fleet_repo), "render", "--check")
    assert check.exit_code == 1
    assert "fleet/ not checked: fix the errors above" in check.stderr and "not written" not in check.stderr


def test_render_refuses_an_addon_shipping_a_secret(fleet_repo: Path, cli) -> None:
    (fleet_repo / "crs" / "calico" / "creds.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: kube-system\nstringData:\n  token: hunter2\n")
    edit(fleet_repo / "crs" / "calico" / "addon.yaml", "    - calico-installation.yaml\n",
         "    - calico-installation.yaml\n    - creds.yaml\n")
    result = cli("--repo", str(fleet_repo), "render")
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if "[no-inline-secrets]" in line]
    assert len(lines) == 1, result.stdout  # reported once, although render and validate both check it
    assert lines[0].startswith("crs/calico/creds.yaml:2:1: error [no-inline-secrets] v1 Secret creds")
    assert "hunter2" not in result.stdout
    assert not (fleet_repo / "fleet").exists()


def test_render_flux_with_scp_url_is_an_error(fleet_repo: Path, cli) -> None:
    edit(fleet_repo / "fleetgen.yaml", "agent: fleet ", "agent: flux  ")
    edit(fleet_repo / "fleetgen.yaml", "repo: https://git.example.com/platform/fleet.git", "repo: git@git.example.com:platform/fleet.git")
    result = cli("--repo", str(fleet_repo), "render")
    assert result.exit_code == 1
    assert ("fleetgen.yaml:6:3: error [flux-git-url] gitops.repo: Flux accepts only http://, https:// or ssh:// URLs, "
            "got 'git@git.example.com:platform/fleet.git'; write it as ssh://git@git.example.com/platform/fleet.git") in result.stdout
    assert not (fleet_repo / "fleet").exists()
    # one problem, one finding: the GitRepository's spec.url pattern failure is the same problem
    for command in (("render",), ("validate",), ("validate", "--no-cache")):
        out = cli("--repo", str(fleet_repo), *command)
        assert out.exit_code == 1
        findings = [line for line in out.stdout.splitlines() if line.startswith("fleetgen.yaml:")]
        assert len(findings) == 1 and "[flux-git-url]" in findings[0], (command, out.stdout)
        assert "errors: 1," in out.stdout, out.stdout


def test_render_flux_agent_writes_kustomizations(fleet_repo: Path, cli) -> None:
    edit(fleet_repo / "fleetgen.yaml", "agent: fleet ", "agent: flux  ")
    edit(fleet_repo / "fleetgen.yaml", "namespace: fleet-local", "namespace: flux-system")
    result = cli("--repo", str(fleet_repo), "render")
    assert result.exit_code == 0, result.stdout + result.stderr
    out = fleet_repo / "fleet"
    assert (out / "gitops" / "flux.yaml").is_file() and (out / "gitops" / "kustomization.yaml").is_file()
    assert not list(out.rglob("fleet.yaml"))


def _render_in_subprocess(root: Path, seed: str) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    proc = subprocess.run([sys.executable, "-m", "fleetgen", "--repo", str(root), "render"],
                          env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return tree(root / "fleet")


@pytest.mark.parametrize("agent", ["fleet", "flux"])
def test_render_is_byte_identical_across_hash_seeds(fleet_repo: Path, tmp_path: Path, agent: str) -> None:
    import shutil

    if agent == "flux":
        edit(fleet_repo / "fleetgen.yaml", "agent: fleet ", "agent: flux  ")
    other = tmp_path / "copy"
    shutil.copytree(fleet_repo, other, ignore=shutil.ignore_patterns(".git"))
    first = _render_in_subprocess(fleet_repo, "1")
    second = _render_in_subprocess(other, "4242")
    assert first == second
    assert len(first) == 11


def test_repo_after_the_subcommand_is_the_fleet_root_and_wins_over_the_global_one(
    fleet_repo: Path, tmp_path: Path, cli
) -> None:
    elsewhere = tmp_path / "not-a-fleet"
    elsewhere.mkdir()

    rendered = cli("--repo", str(elsewhere), "render", "--repo", str(fleet_repo))
    validated = cli("validate", "--repo", str(fleet_repo), cwd=elsewhere)
    wrong = cli("--repo", str(fleet_repo), "validate", "--repo", str(elsewhere))

    assert rendered.exit_code == 0, rendered.stderr
    assert (fleet_repo / "fleet" / "gitops" / "gitrepo.yaml").is_file()
    assert validated.exit_code == 0, validated.stderr
    assert "errors: 0" in validated.stdout
    assert wrong.exit_code != 0
    assert f"{elsewhere}: not a fleet repository" in wrong.stderr


def test_repo_after_a_nested_subcommand(fleet_repo: Path, tmp_path: Path, upstream: Path, cli) -> None:
    shutil.rmtree(fleet_repo / "schemas" / "cluster.x-k8s.io")
    (fleet_repo / "schemas" / "index.json").unlink()

    synced = cli("schemas", "sync", "--mirror", str(upstream), "--repo", str(fleet_repo), cwd=tmp_path)

    assert synced.exit_code == 0, synced.stderr
    assert (fleet_repo / "schemas" / "index.json").is_file()
    assert (fleet_repo / "schemas" / "cluster.x-k8s.io" / "cluster_v1beta2.json").is_file()
    assert not (tmp_path / "schemas").exists()


def test_validate_reads_the_core_schemas_without_importing_their_package(fleet_repo: Path) -> None:
    """kubernetes-validate's `__init__` imports pure-Python jsonschema (~30 ms per run, every
    pre-commit run); fleetgen only reads the schema files it ships, checking addon payloads too."""
    code = (
        "import sys\n"
        "from fleetgen.cli import main\n"
        "try:\n"
        "    main(['--repo', sys.argv[1], 'validate', '--no-cache'])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        "loaded = [m for m in ('kubernetes_validate', 'jsonschema') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
        "import fleetgen.validate.kube_schemas as k\n"
        "assert k.available_versions(), 'the core schemas were found'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(fleet_repo)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "errors: 0" in proc.stdout
