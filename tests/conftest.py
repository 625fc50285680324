"""Shared test fixtures: the upstream mirror, synced schemas, example fleets in real git repos, and
an in-process CLI runner that goes through `fleetgen.cli.main` (exit codes and error handling included)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click.testing
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
UPSTREAM = Path(os.environ.get("FLEETGEN_UPSTREAM_MIRROR", REPO_ROOT.parent / "shared" / "upstream"))
EXAMPLE_FILES = ("fleetgen.yaml", "clusters", "crs")


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deterministic git identity and no user/system git config for every test."""
    for key, value in {
        "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


@pytest.fixture(scope="session")
def upstream() -> Path:
    """The pinned upstream mirror (../shared/upstream); the tests need it."""
    if not UPSTREAM.is_dir():
        pytest.fail(f"upstream mirror not found at {UPSTREAM}; set FLEETGEN_UPSTREAM_MIRROR")
    return UPSTREAM


@pytest.fixture(scope="session")
def schema_dir(upstream: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """JSON schemas synced once per session from the mirror with fleetgen's own sync."""
    from fleetgen.schemas.catalog import load_sources
    from fleetgen.schemas.sync import sync_schemas

    dest = tmp_path_factory.mktemp("schemas") / "schemas"
    sync_schemas(load_sources(tmp_path_factory.mktemp("empty")), dest, mirror=upstream)
    return dest


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` and return stdout (raises on failure)."""
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def generated_repo(root: Path, count: int, schema_dir: Path, *, render: bool) -> Path:
    """A git repository at `root` holding bench/generate.py's fleet of `count` clusters, schemas
    synced, one commit; with `render`, its output (fleet/) rendered and committed too, else only
    the cache warmed (`run_pipeline`)."""
    sys.path.insert(0, str(REPO_ROOT / "bench"))
    import generate  # bench/ is not a package

    from fleetgen.pipeline import run_pipeline

    generate.generate(count, root)
    shutil.copytree(schema_dir, root / "schemas")
    if render:
        assert run_cli("--repo", str(root), "render").exit_code == 0
    else:
        run_pipeline(root)  # its cache is committed with the tree: later runs read cached clusters
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "base")
    return root


def copy_repo(src: Path, tmp_path: Path) -> Path:
    """A copy of a repository (symlinks kept), to edit without touching a module-scoped original."""
    dst = tmp_path / "repo"
    shutil.copytree(src, dst, symlinks=True)
    return dst


@pytest.fixture
def fleet_repo(tmp_path: Path, schema_dir: Path) -> Path:
    """A real git repository holding a copy of this project's example fleet, schemas synced, one commit."""
    root = tmp_path / "fleet-repo"
    root.mkdir()
    for name in EXAMPLE_FILES:
        src = REPO_ROOT / name
        if src.is_dir():
            shutil.copytree(src, root / name)
        else:
            shutil.copy2(src, root / name)
    shutil.copytree(schema_dir, root / "schemas")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial fleet")
    return root


@dataclass
class CliResult:
    """What a CLI run printed and returned."""

    exit_code: int
    stdout: str
    stderr: str


def run_cli(*argv: str, cwd: Path | None = None) -> CliResult:
    """Run `fleetgen ARGV` in-process through `fleetgen.cli.main`, capturing output and exit code."""
    from fleetgen.cli import main

    runner = click.testing.CliRunner()
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        with runner.isolation() as streams:
            try:
                main(list(argv))
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
            sys.stdout.flush()
            sys.stderr.flush()
            out, err = (s.getvalue().decode("utf-8", "surrogateescape") for s in streams[:2])  # (as Python decodes file names)
    finally:
        os.chdir(old)
    return CliResult(code, out, err)


@pytest.fixture
def cli() -> Iterator[object]:
    """The `run_cli` function, as a fixture."""
    yield run_cli


@pytest.fixture
def rendered_repo(fleet_repo: Path) -> Path:
    """`fleet_repo` with fleet/ rendered and committed: the base the GitOps agent applied."""
    result = run_cli("--repo", str(fleet_repo), "render")
    assert result.exit_code == 0, result.stdout + result.stderr
    git(fleet_repo, "add", "-A")
    git(fleet_repo, "commit", "-q", "--allow-empty", "-m", "render")
    return fleet_repo


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register `--update-golden` (rewrite tests/golden/*/expected/ from the current rendering)."""
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite the expected trees under tests/golden/ instead of comparing with them; review the diff")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was started with `--update-golden` (or FLEETGEN_UPDATE_GOLDEN=1)."""
    return bool(request.config.getoption("--update-golden")) or os.environ.get("FLEETGEN_UPDATE_GOLDEN") == "1"
