"""The `fleetgen` console script (`fleetgen.cli.run`) as a separate process: exit codes, complete
output through a pipe, and a reader that goes away early.

`run` ends the process with `os._exit` after flushing, so these run the real script in a
subprocess rather than `main` in this process.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("fleetgen")
PVE = "clusters/proxmox/pve-demo.yaml"


def fleetgen(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(autouse=True)
def _installed() -> None:
    assert SCRIPT.is_file(), f"{SCRIPT}: the console script is installed by `make install`"


def test_findings_reach_the_pipe_whole_with_exit_code_1(fleet_repo: Path, cli) -> None:
    spec = fleet_repo / PVE
    spec.write_text(spec.read_text().replace("  controlPlane:\n    replicas: 1", "  controlPlane:\n    replicas: 2"))
    proc = fleetgen("--repo", str(fleet_repo), "validate", "--format", "json")
    in_process = cli("--repo", str(fleet_repo), "validate", "--format", "json")
    assert proc.returncode == 1 == in_process.exit_code
    assert proc.stdout == in_process.stdout  # flushed to the last byte
    assert '"rule_id": "cp-replicas-odd"' in proc.stdout
    assert proc.stderr == ""


def test_clean_run_exits_0_and_usage_error_exits_2(fleet_repo: Path) -> None:
    ok = fleetgen("--repo", str(fleet_repo), "render")
    assert (ok.returncode, ok.stderr) == (0, "")
    assert "rendered 2 clusters" in ok.stdout
    bad = fleetgen("validate", "--format", "xml", cwd=fleet_repo)
    assert bad.returncode == 2
    assert "Invalid value for '--format'" in bad.stderr


def test_reader_closing_the_pipe_early_is_not_an_error(fleet_repo: Path) -> None:
    """`fleetgen validate --format json | head -c 100` over a report larger than the pipe buffer:
    no traceback, no 'Exception ignored ...' on stderr, and the exit code of the validation."""
    spec = fleet_repo / "clusters/kubevirt/kv-demo.yaml"
    bad_labels = "".join(f"    bad-{i}: '-{i}-'\n" for i in range(1500))  # one spec finding each
    spec.write_text(spec.read_text().replace("  labels:\n", "  labels:\n" + bad_labels))
    whole = fleetgen("--repo", str(fleet_repo), "validate", "--format", "json")
    assert whole.returncode == 1 and len(whole.stdout) > 256 * 1024  # well over a 64 KiB pipe buffer
    proc = subprocess.run(f"'{SCRIPT}' --repo '{fleet_repo}' validate --format json | head -c 100 >/dev/null; "
                          "exit ${PIPESTATUS[0]}", shell=True, executable="/bin/bash",
                          capture_output=True, text=True, check=False)
    assert proc.stderr == ""
    assert proc.returncode in (0, 1)  # (BrokenPipeError in main is exit 0; a report flushed before is 1)
