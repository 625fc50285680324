"""Golden test: `fleetgen render` of this project's example fleet equals tests/golden/example/expected/.

The expected tree is real YAML, reviewed in pull requests. After an intended rendering change,
rewrite it with

    pytest tests/acceptance/test_golden_example.py --update-golden

(or `FLEETGEN_UPDATE_GOLDEN=1 pytest ...`) and review the diff of tests/golden/.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "example" / "expected"


def tree(root: Path) -> dict[str, bytes]:
    """posix path -> bytes of every file under root."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_golden_example_fleet_renders_the_expected_tree(fleet_repo: Path, cli, update_golden: bool) -> None:
    result = cli("--repo", str(fleet_repo), "render")
    assert result.exit_code == 0, result.stdout + result.stderr
    actual = tree(fleet_repo / "fleet")
    if update_golden or os.environ.get("FLEETGEN_UPDATE_GOLDEN") == "1":
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(fleet_repo / "fleet", GOLDEN)
        pytest.skip(f"rewrote {GOLDEN}; review the diff")
    assert GOLDEN.is_dir(), f"{GOLDEN} is missing; run with --update-golden"
    expected = tree(GOLDEN)
    assert sorted(actual) == sorted(expected), "the rendered file set differs from tests/golden/example/expected/"
    for path, data in expected.items():
        if actual[path] != data:
            diff = "".join(difflib.unified_diff(data.decode().splitlines(True), actual[path].decode().splitlines(True),
                                                f"expected/{path}", f"rendered/{path}"))
            pytest.fail(f"{path} differs from the golden file (rerun with --update-golden if intended):\n{diff[:4000]}")


def test_golden_tree_is_stable_across_a_second_render(fleet_repo: Path, cli) -> None:
    assert cli("--repo", str(fleet_repo), "render").exit_code == 0
    first = tree(fleet_repo / "fleet")
    second = cli("--repo", str(fleet_repo), "render")
    assert second.exit_code == 0
    assert f"0 files written, {len(first)} unchanged, 0 removed" in second.stdout
    assert tree(fleet_repo / "fleet") == first
