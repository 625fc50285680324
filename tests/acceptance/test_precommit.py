"""fleetgen's pre-commit hooks, end to end, with the real `pre-commit` and real `git commit`.

The hook source is this project's working tree, committed into a throw-away git repository (pre-commit
only installs hooks from a git repository at a rev). pre-commit then builds its own virtualenv and
pip-installs fleetgen from it, exactly as a fleet repository would (`language: python`): this needs
the package index for fleetgen's dependencies, and takes about 15 s once per test session (the
environment is cached in a session-wide PRE_COMMIT_HOME).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
#: What pre-commit needs to pip-install fleetgen from the hook repository.
HOOK_REPO_FILES = ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml", "fleetgen")
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}
KV_SPEC = "clusters/kubevirt/kv-demo.yaml"
#: The status line pre-commit prints per hook, e.g. `fleetgen validate.......Failed`.
STATUS_LINE = re.compile(
    r"^(?P<name>.+?)\.{3,}(?:\(no files to check\))?(?P<status>Passed|Failed|Skipped)$", re.M
)


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository holding the current working tree's fleetgen package and hook manifest, and its commit sha."""
    root = tmp_path_factory.mktemp("hook-repo") / "fleetgen"
    root.mkdir()
    for name in HOOK_REPO_FILES:
        src = REPO_ROOT / name
        if src.is_dir():
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif src.is_file():
            shutil.copy2(src, root / name)
    if not (root / "README.md").exists():  # pyproject's `readme` must exist for pip to build fleetgen
        (root / "README.md").write_text("# fleetgen\n")
    env = {**os.environ, **GIT_IDENTITY}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "fleetgen hooks"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    return root, sha


@pytest.fixture(scope="session")
def hook_config(hook_repo: tuple[Path, str]) -> str:
    """A fleet repository's .pre-commit-config.yaml using both hooks from `hook_repo`, render first."""
    path, sha = hook_repo
    return (
        "repos:\n"
        f"  - repo: {path}\n"
        f"    rev: {sha}\n"
        "    hooks:\n"
        "      - id: fleetgen-render\n"
        "      - id: fleetgen-validate\n"
    )


@pytest.fixture(scope="session")
def pre_commit_home(hook_config: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pre-commit cache with fleetgen's hook environment built once per session (`pre-commit install-hooks`)."""
    home = tmp_path_factory.mktemp("pre-commit-home")
    scratch = tmp_path_factory.mktemp("install-hooks")
    (scratch / ".pre-commit-config.yaml").write_text(hook_config)
    subprocess.run(["git", "init", "-q"], cwd=scratch, check=True)
    env = {**os.environ, **GIT_IDENTITY, "PRE_COMMIT_HOME": str(home)}
    proc = subprocess.run([VENV_BIN / "pre-commit", "install-hooks"], cwd=scratch, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail("pre-commit could not build the fleetgen hook environment (it pip-installs fleetgen and "
                    f"its dependencies, so it needs the package index):\n{proc.stdout}")
    return home


@pytest.fixture
def hooked_fleet(fleet_repo: Path, hook_config: str, pre_commit_home: Path,
                 monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example fleet repository with its output rendered and committed, and fleetgen's hooks installed."""
    monkeypatch.setenv("PRE_COMMIT_HOME", str(pre_commit_home))
    monkeypatch.setenv("PRE_COMMIT_COLOR", "never")
    (fleet_repo / ".pre-commit-config.yaml").write_text(hook_config)
    fleetgen(fleet_repo, "render")
    git(fleet_repo, "add", "-A")
    git(fleet_repo, "commit", "-q", "-m", "render the fleet, add pre-commit hooks")
    subprocess.run([VENV_BIN / "pre-commit", "install"], cwd=fleet_repo, check=True, capture_output=True)
    return fleet_repo


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` and return stdout (raises on failure)."""
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def fleetgen(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the venv's `fleetgen` in `root`, asserting success."""
    proc = subprocess.run([VENV_BIN / "fleetgen", *args], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def commit(root: Path, message: str) -> subprocess.CompletedProcess[str]:
    """`git add -A && git commit` through the installed pre-commit hook; stdout and stderr combined."""
    git(root, "add", "-A")
    return subprocess.run(
        ["git", "commit", "-m", message],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )


def hook_statuses(output: str) -> dict[str, str]:
    """Hook name -> Passed/Failed/Skipped, from pre-commit's status lines."""
    return {m["name"]: m["status"] for m in STATUS_LINE.finditer(output)}


def hook_output(output: str, hook_id: str) -> str:
    """What one hook printed: from its `- hook id:` line to the next hook's status line."""
    start = output.index(f"- hook id: {hook_id}")
    nxt = STATUS_LINE.search(output, start)
    return output[start : nxt.start() if nxt else len(output)]


def edit(root: Path, rel: str, old: str, new: str) -> int:
    """Replace `old` (which must occur once) with `new` in a spec; return the 1-based line where `new` starts."""
    path = root / rel
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} not unique in {rel}"
    path.write_text(text.replace(old, new))
    return text[: text.index(old)].count("\n") + 1


def test_precommit_good_spec_change_rendered_commits(hooked_fleet: Path) -> None:
    before = git(hooked_fleet, "rev-parse", "HEAD")
    edit(hooked_fleet, KV_SPEC, "      replicas: 3\n", "      replicas: 4\n")
    fleetgen(hooked_fleet, "render")

    proc = commit(hooked_fleet, "scale kv-demo md-0 to 4")

    assert proc.returncode == 0, proc.stdout
    assert hook_statuses(proc.stdout) == {"fleetgen render": "Passed", "fleetgen validate": "Passed"}
    assert git(hooked_fleet, "rev-parse", "HEAD") != before
    assert git(hooked_fleet, "status", "--porcelain") == ""


def test_precommit_even_control_plane_replicas_rejected_by_validate_with_file_line(
    hooked_fleet: Path,
) -> None:
    before = git(hooked_fleet, "rev-parse", "HEAD")
    line = edit(hooked_fleet, KV_SPEC, "    replicas: 1\n", "    replicas: 2\n")

    proc = commit(hooked_fleet, "even control plane")

    assert proc.returncode != 0
    assert hook_statuses(proc.stdout)["fleetgen validate"] == "Failed"
    report = hook_output(proc.stdout, "fleetgen-validate")
    assert re.search(rf"^{re.escape(KV_SPEC)}:{line}:\d+: error \[[a-z-]+\] .*replicas.*odd", report, re.M), (
        report
    )
    assert "Traceback" not in proc.stdout
    assert git(hooked_fleet, "rev-parse", "HEAD") == before


def test_precommit_two_minor_upgrade_rejected_against_the_last_commit(hooked_fleet: Path) -> None:
    """The hook validates with `--base HEAD`: skipping a minor version fails the commit, at the spec line."""
    before = git(hooked_fleet, "rev-parse", "HEAD")
    line = edit(hooked_fleet, KV_SPEC, "  hypervisor: kubevirt\n",
                "  hypervisor: kubevirt\n  kubernetesVersion: v1.35.0\n") + 1
    fleetgen(hooked_fleet, "render")

    proc = commit(hooked_fleet, "upgrade kv-demo two minors at once")

    assert proc.returncode != 0
    assert hook_statuses(proc.stdout) == {"fleetgen render": "Passed", "fleetgen validate": "Failed"}
    report = hook_output(proc.stdout, "fleetgen-validate")
    assert re.search(rf"^{re.escape(KV_SPEC)}:{line}:\d+: error \[k8s-upgrade-skip\] .*v1\.33\.1 to v1\.35\.0", report, re.M), report
    assert git(hooked_fleet, "rev-parse", "HEAD") == before


def test_precommit_spec_change_without_render_blocked_then_second_commit_passes(hooked_fleet: Path) -> None:
    before = git(hooked_fleet, "rev-parse", "HEAD")
    edit(hooked_fleet, KV_SPEC, "      replicas: 3\n", "      replicas: 5\n")

    first = commit(hooked_fleet, "scale kv-demo md-0 to 5, forgot to render")

    assert first.returncode != 0
    assert hook_statuses(first.stdout)["fleetgen render"] == "Failed"
    assert "files were modified by this hook" in hook_output(first.stdout, "fleetgen-render")
    assert git(hooked_fleet, "rev-parse", "HEAD") == before
    modified = git(hooked_fleet, "diff", "--name-only").split()
    assert modified and all(p.startswith("fleet/") for p in modified), modified

    second = commit(hooked_fleet, "scale kv-demo md-0 to 5")

    assert second.returncode == 0, second.stdout
    assert hook_statuses(second.stdout) == {"fleetgen render": "Passed", "fleetgen validate": "Passed"}
    assert git(hooked_fleet, "status", "--porcelain") == ""
    fleetgen(hooked_fleet, "render", "--check")


def test_precommit_hand_edit_of_rendered_output_reverted_and_blocked(hooked_fleet: Path) -> None:
    rendered = sorted(p for p in (hooked_fleet / "fleet").rglob("*.yaml") if p.is_file())
    assert rendered
    target = rendered[0]
    original = target.read_text()
    target.write_text(original + "# edited by hand\n")

    proc = commit(hooked_fleet, "hand edit")

    assert proc.returncode != 0
    assert hook_statuses(proc.stdout)["fleetgen render"] == "Failed"
    assert target.read_text() == original


def test_precommit_fleet_in_a_subdirectory_via_args_and_files(
    fleet_repo: Path, hook_repo: tuple[Path, str], pre_commit_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A monorepo: the fleet lives in platform/fleet/ (and says so in `gitops.path`); the config
    overrides only `args` and `files` (pre-commit does not let it override `entry`), as
    .pre-commit-hooks.yaml documents."""
    monkeypatch.setenv("PRE_COMMIT_HOME", str(pre_commit_home))
    monkeypatch.setenv("PRE_COMMIT_COLOR", "never")
    root = fleet_repo.parent / "monorepo"
    (root / "platform").mkdir(parents=True)
    shutil.move(fleet_repo, root / "platform" / "fleet")
    shutil.rmtree(root / "platform" / "fleet" / ".git")
    config = root / "platform/fleet/fleetgen.yaml"  # (the agent reads paths from the git root)
    config.write_text(config.read_text().replace("  branch: main\n", "  branch: main\n  path: platform/fleet\n", 1))
    path, sha = hook_repo
    (root / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {path}\n"
        f"    rev: {sha}\n"
        "    hooks:\n"
        "      - id: fleetgen-render\n"
        "        args: [--repo, platform/fleet]\n"
        r"        files: ^platform/fleet/(fleetgen\.yaml|clusters/.+\.ya?ml|crs/.+|fleet/.+)$" "\n"
        "      - id: fleetgen-validate\n"
        "        args: [--repo, platform/fleet, --base, HEAD]\n"
        r"        files: ^platform/fleet/(fleetgen\.yaml|clusters/.+\.ya?ml|crs/.+|schemas/.+)$" "\n"
    )
    fleetgen(root, "--repo", "platform/fleet", "render")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "monorepo with a fleet")
    subprocess.run([VENV_BIN / "pre-commit", "install"], cwd=root, check=True, capture_output=True)
    spec = f"platform/fleet/{KV_SPEC}"

    line = edit(root, spec, "    replicas: 1\n", "    replicas: 2\n")
    refused = commit(root, "even control plane")

    assert refused.returncode != 0
    assert hook_statuses(refused.stdout)["fleetgen validate"] == "Failed"
    report = hook_output(refused.stdout, "fleetgen-validate")
    assert re.search(rf"^{re.escape(KV_SPEC)}:{line}:\d+: error \[cp-replicas-odd\]", report, re.M), report

    edit(root, spec, "    replicas: 2\n", "    replicas: 3\n")
    blocked = commit(root, "three control-plane machines, not rendered")  # render hook re-renders, fails
    assert hook_statuses(blocked.stdout)["fleetgen render"] == "Failed"
    assert "files were modified by this hook" in blocked.stdout
    passed = commit(root, "three control-plane machines")

    assert passed.returncode == 0, passed.stdout
    assert hook_statuses(passed.stdout) == {"fleetgen render": "Passed", "fleetgen validate": "Passed"}
    assert git(root, "status", "--porcelain") == ""
