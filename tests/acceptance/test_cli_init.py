"""Acceptance tests for `fleetgen init [DIR]`: scaffold a fleet repository, never overwrite a file."""

from __future__ import annotations

from pathlib import Path

from fleetgen.schemas.catalog import PINNED, load_sources, render_sources_yaml
from fleetgen.spec.load import load_fleet

SCAFFOLD = [".gitignore", "clusters/example.yaml", "crs/README.md", "fleetgen.yaml", "schemas/sources.yaml"]


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_init_scaffolds_a_fleet_repository(tmp_path: Path, cli) -> None:
    target = tmp_path / "my-fleet"
    result = cli("init", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[:5] == [f"created {p}" for p in SCAFFOLD]
    assert "then run `fleetgen schemas sync` and `fleetgen render`" in result.stdout
    assert sorted(files(target)) == SCAFFOLD
    fleet, findings = load_fleet(target)
    assert findings == []
    assert [c.name for c in fleet.clusters] == ["example"] and fleet.config.gitops.agent == "fleet"
    assert (target / "schemas" / "sources.yaml").read_text() == render_sources_yaml()
    assert load_sources(target) == PINNED


def test_validate_before_sync_says_once_per_finding_to_sync(tmp_path: Path, cli) -> None:
    """Regression: each schema-missing message ended with the advice to sync twice."""
    target = tmp_path / "my-fleet"
    assert cli("init", str(target)).exit_code == 0
    result = cli("--repo", str(target), "validate")
    assert result.exit_code == 1, result.stdout + result.stderr
    missing = [line for line in result.stdout.splitlines() if "[schema-missing]" in line]
    assert missing and all(line.count("fleetgen schemas sync") == 1 for line in missing), missing


def test_init_defaults_to_the_repo_directory(tmp_path: Path, cli) -> None:
    result = cli("--repo", str(tmp_path), "init")
    assert result.exit_code == 0
    assert sorted(files(tmp_path)) == SCAFFOLD


def test_init_never_overwrites_and_says_what_it_skipped(tmp_path: Path, cli) -> None:
    (tmp_path / "fleetgen.yaml").write_text("# mine\n")
    (tmp_path / "clusters").mkdir()
    (tmp_path / "clusters" / "example.yaml").write_text("# my cluster\n")
    result = cli("init", str(tmp_path))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:5] == [
        "created .gitignore", "created crs/README.md", "created schemas/sources.yaml",
        "skipped clusters/example.yaml (exists)", "skipped fleetgen.yaml (exists)",
    ]
    assert (tmp_path / "fleetgen.yaml").read_text() == "# mine\n"
    assert (tmp_path / "clusters" / "example.yaml").read_text() == "# my cluster\n"
    before = files(tmp_path)
    again = cli("init", str(tmp_path))
    assert again.exit_code == 0
    assert [line for line in again.stdout.splitlines() if line.startswith("skipped")] == [f"skipped {p} (exists)" for p in SCAFFOLD]
    assert again.stdout.splitlines()[-1].startswith("nothing to do")
    assert files(tmp_path) == before


def test_init_then_sync_then_render_succeeds(tmp_path: Path, cli, upstream: Path) -> None:
    assert cli("init", str(tmp_path)).exit_code == 0
    assert cli("--repo", str(tmp_path), "schemas", "sync", "--mirror", str(upstream)).exit_code == 0
    result = cli("--repo", str(tmp_path), "render")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("rendered 1 cluster, 0 addons: ")
    assert (tmp_path / "fleet" / "clusters" / "clusters" / "example" / "cluster.yaml").is_file()
    assert cli("--repo", str(tmp_path), "render", "--check").exit_code == 0


def test_init_into_a_file_is_a_usage_error(tmp_path: Path, cli) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    result = cli("init", str(target))
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr


def test_init_into_a_dangling_symlink_is_a_usage_error(tmp_path: Path, cli) -> None:
    target = tmp_path / "link"
    target.symlink_to(tmp_path / "missing")
    result = cli("init", str(target))
    assert result.exit_code == 2
    assert f"{target}: is a symlink to {tmp_path / 'missing'}, which does not exist" in result.stderr
    assert not (tmp_path / "missing").exists()
