"""A run over unchanged inputs is answered from the stored run summary, and never hides a change.

`validate` and `render` first look up the summary of the last clean run over exactly the same
inputs (`fleetgen.run_cache.lookup`). These tests pin what a user relies on: the report is the one
an uncached run prints, any change to an input is a miss, and `render` still notices an output
tree that does not hold the summary's bytes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from fleetgen.run_cache import lookup

SPEC = "clusters/kubevirt/kv-demo.yaml"
CLUSTER_FILE = "fleet/clusters/clusters/kv-demo/cluster.yaml"


def rendered(root: Path, cli) -> None:
    result = cli("--repo", str(root), "render")
    assert result.exit_code == 0, result.stdout + result.stderr


def output_digests(root: Path) -> dict[str, bytes]:
    out = root / "fleet"
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).digest()
            for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_validate_after_render_prints_what_an_uncached_run_prints(fleet_repo: Path, cli, fmt: str) -> None:
    rendered(fleet_repo, cli)
    summary = lookup(fleet_repo)
    assert summary is not None, "a clean render stores the run summary"
    assert summary.files == output_digests(fleet_repo)
    assert (summary.clusters, summary.addons, summary.output_dir) == (2, 2, "fleet")

    cached = cli("--repo", str(fleet_repo), "validate", "--format", fmt)
    uncached = cli("--repo", str(fleet_repo), "validate", "--format", fmt, "--no-cache")
    assert (cached.exit_code, cached.stdout) == (uncached.exit_code, uncached.stdout)
    assert cached.exit_code == 0


def test_warnings_are_reported_again_from_the_summary(fleet_repo: Path, cli) -> None:
    spec = fleet_repo / SPEC
    spec.write_text(spec.read_text().replace("container-disk:v1.33.1", "container-disk:v1.32.4"))
    rendered(fleet_repo, cli)
    assert lookup(fleet_repo) is not None
    cached = cli("--repo", str(fleet_repo), "validate")
    uncached = cli("--repo", str(fleet_repo), "validate", "--no-cache")
    assert "warning [kubevirt-image-version]" in cached.stdout
    assert cached.stdout == uncached.stdout
    again = cli("--repo", str(fleet_repo), "render")
    assert "warning [kubevirt-image-version]" in again.stdout
    assert "0 files written" in again.stdout


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


EDITS = {
    "a comment in a spec": lambda root: _append(root / SPEC, "# reviewed\n"),
    "a new spec file": lambda root: (root / "clusters/kubevirt/kv-two.yaml").write_text(
        (root / SPEC).read_text().replace("name: kv-demo", "name: kv-two")),
    "a deleted spec file": lambda root: (root / SPEC).unlink(),
    "an addon payload": lambda root: _append(root / "crs/baseline/platform-rbac.yaml", "# reviewed\n"),
    "a new file in an addon folder": lambda root: (root / "crs/baseline/notes.txt").write_text("later\n"),
    "fleetgen.yaml": lambda root: _append(root / "fleetgen.yaml", "# reviewed\n"),
    "a synced schema": lambda root: os.utime(next((root / "schemas").rglob("*.json")), ns=(1, 1)),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_any_change_to_an_input_is_a_miss(fleet_repo: Path, cli, edit: str) -> None:
    rendered(fleet_repo, cli)
    assert lookup(fleet_repo) is not None
    EDITS[edit](fleet_repo)
    assert lookup(fleet_repo) is None


def test_another_schema_location_is_a_miss(fleet_repo: Path, cli, tmp_path: Path) -> None:
    rendered(fleet_repo, cli)
    extra = tmp_path / "extra-schemas"
    extra.mkdir()
    assert lookup(fleet_repo) is not None
    assert lookup(fleet_repo, [extra]) is None


def test_a_symlink_in_an_addon_folder_means_no_summary(fleet_repo: Path, cli) -> None:
    (fleet_repo / "crs/baseline/link.txt").symlink_to(fleet_repo / "fleetgen.yaml")
    rendered(fleet_repo, cli)
    assert lookup(fleet_repo) is None
    again = cli("--repo", str(fleet_repo), "validate")
    assert again.exit_code == 0, again.stdout


def test_a_run_with_errors_stores_no_summary(fleet_repo: Path, cli) -> None:
    spec = fleet_repo / SPEC
    spec.write_text(spec.read_text().replace("controlPlane:\n    replicas: 1", "controlPlane:\n    replicas: 2"))
    for _ in range(2):
        result = cli("--repo", str(fleet_repo), "validate")
        assert result.exit_code == 1
        assert f"{SPEC}:" in result.stdout and "[cp-replicas-odd]" in result.stdout
        assert lookup(fleet_repo) is None


OUTPUT_EDITS = {
    "a hand-edited file": (lambda root: _append(root / CLUSTER_FILE, "# hand edit\n"), "changed"),
    "a deleted file": (lambda root: (root / CLUSTER_FILE).unlink(), "added"),
    "a stray file": (lambda root: (root / "fleet/clusters/clusters/kv-demo/extra.yaml").write_text("x: 1\n"), "removed"),
}


@pytest.mark.parametrize("edit", sorted(OUTPUT_EDITS))
def test_render_notices_an_output_tree_that_differs_from_the_summary(fleet_repo: Path, cli, edit: str) -> None:
    rendered(fleet_repo, cli)
    before = output_digests(fleet_repo)
    change, kind = OUTPUT_EDITS[edit]
    change(fleet_repo)
    assert lookup(fleet_repo) is not None  # the inputs did not change: only the output did

    check = cli("--repo", str(fleet_repo), "render", "--check")
    assert check.exit_code == 1
    assert "fleet/ is stale: 1 file differ" in check.stdout
    changed = "fleet/clusters/clusters/kv-demo/extra.yaml" if kind == "removed" else CLUSTER_FILE
    assert f"  {kind:<8} {changed}" in check.stdout

    repair = cli("--repo", str(fleet_repo), "render")
    assert repair.exit_code == 0
    assert "1 file written" in repair.stdout or "1 removed" in repair.stdout
    assert output_digests(fleet_repo) == before
    assert cli("--repo", str(fleet_repo), "render", "--check").stdout == "fleet/ is up to date\n"
