"""Acceptance tests for `fleetgen schemas sync`, run in-process through `fleetgen.cli.main`."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

from fleetgen.schemas.catalog import PINNED, render_sources_yaml


def test_cli_schemas_sync_mirror_writes_schemas_and_prints_summary(
    cli, upstream: Path, tmp_path: Path
) -> None:
    result = cli("--repo", str(tmp_path), "schemas", "sync", "--mirror", str(upstream))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "kubernetes-sigs/cluster-api v1.12.11: 34 schemas from 16 files" in lines
    assert "fluxcd/kustomize-controller v1.9.4: 1 schema from 1 file" in lines
    assert lines[-1].startswith("synced ") and lines[-1].endswith(" schemas from 7 sources into schemas/")
    assert result.stderr == ""
    index = json.loads((tmp_path / "schemas" / "index.json").read_text())
    assert "fleet.cattle.io/v1alpha1/GitRepo" in index["schemas"]
    assert (tmp_path / "schemas" / "cluster.x-k8s.io" / "cluster_v1beta2.json").is_file()


def test_cli_schemas_sync_bad_sha_exits_1_and_writes_nothing(cli, upstream: Path, tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    bad = (dataclasses.replace(PINNED[0], sha256="0" * 64), *PINNED[1:])
    (tmp_path / "schemas" / "sources.yaml").write_text(render_sources_yaml(bad))
    result = cli("--repo", str(tmp_path), "schemas", "sync", "--mirror", str(upstream))
    assert result.exit_code == 1
    assert result.stderr.startswith("fleetgen: error: ")
    assert "sha256 mismatch: expected " + "0" * 64 in result.stderr and PINNED[0].key in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in (tmp_path / "schemas").iterdir()) == ["sources.yaml"]


def test_cli_schemas_sync_bad_sources_yaml_exits_2_naming_file_and_line(
    cli, upstream: Path, tmp_path: Path
) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "sources.yaml").write_text(
        "apiVersion: fleetgen.dev/v1alpha1\nkind: SchemaSources\nsources: {}\n"
    )
    result = cli("--repo", str(tmp_path), "schemas", "sync", "--mirror", str(upstream))
    assert result.exit_code == 2
    assert "fleetgen: error: schemas/sources.yaml:3: sources: expected a list, got a mapping" in result.stderr


def test_cli_schemas_sync_missing_mirror_dir_is_usage_error(cli, tmp_path: Path) -> None:
    result = cli("--repo", str(tmp_path), "schemas", "sync", "--mirror", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "--mirror" in result.stderr


def test_cli_schemas_module_import_stays_light() -> None:
    code = (
        "import sys, fleetgen.cli.schemas\n"
        "heavy = [m for m in ('jsonschema_rs', 'yaml', 'ruamel', 'urllib.request', 'fleetgen.schemas.sync') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
