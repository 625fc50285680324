"""A render stopped by a signal while it writes fleet/: the old output stays whole.

`timeout`, a cancelled CI job and `docker stop` send SIGTERM; a user presses Ctrl-C (SIGINT).
Either is sent to a real `fleetgen render` process the moment its first temporary file appears
under fleet/, on a generated fleet where every cluster's file changes. The process must exit with
its message (143 or 130), and fleet/ must hold exactly the old files, with no temporary or backup
file left.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import generate  # noqa: E402  (bench/ is not a package)

COUNT = 120


def tree(out: Path) -> dict[str, str]:
    """Every file under out, dot-files included: path -> sha256."""
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture
def fleet(tmp_path: Path, schema_dir: Path) -> Path:
    root = tmp_path / "repo"
    generate.generate(COUNT, root)
    shutil.copytree(schema_dir, root / "schemas")
    done = subprocess.run([sys.executable, "-m", "fleetgen", "render"], cwd=root, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    config = root / "fleetgen.yaml"
    text = config.read_text()
    assert "kubernetesVersion: v1.33.1" in text
    config.write_text(text.replace("kubernetesVersion: v1.33.1", "kubernetesVersion: v1.33.2"))  # every cluster changes
    return root


def _first_temporary_file(out: Path, process: subprocess.Popen[str], deadline: float) -> bool:
    """Poll the first cluster bundle folders until a temporary file of the write appears."""
    folders = sorted(p for p in (out / "clusters").glob("*/*") if p.is_dir())[:3]
    while time.monotonic() < deadline and process.poll() is None:
        for folder in folders:
            with os.scandir(folder) as entries:
                if any(".fleetgen-tmp-" in e.name for e in entries):
                    return True
        time.sleep(0.0005)
    return False


@pytest.mark.parametrize(("signum", "code", "message"), [(signal.SIGTERM, 143, "fleetgen: terminated"),
                                                          (signal.SIGINT, 130, "fleetgen: interrupted")],
                         ids=["SIGTERM", "SIGINT"])
def test_a_signal_during_the_write_leaves_the_old_output_whole(fleet: Path, signum: int, code: int,
                                                               message: str) -> None:
    out = fleet / "fleet"
    before = tree(out)
    process = subprocess.Popen([sys.executable, "-m", "fleetgen", "render", "--no-cache"], cwd=fleet,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert _first_temporary_file(out, process, time.monotonic() + 120), "the write never started"
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == code, stdout + stderr
    assert stderr.strip().splitlines()[-1] == message
    assert tree(out) == before


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def test_sigterm_to_the_process_group_stops_the_worker_processes_too(fleet: Path) -> None:
    """`timeout` and CI runners signal the whole process group, worker processes included (a cold
    run of this many clusters computes them on a pool of forked workers). The run stops with its
    message, no worker prints a traceback or is left running, and fleet/ is untouched."""
    out = fleet / "fleet"
    before = tree(out)
    process = subprocess.Popen([sys.executable, "-m", "fleetgen", "render", "--no-cache"], cwd=fleet,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(_children(process.pid)) < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.002)
        workers = _children(process.pid)
        assert len(workers) >= 2, "the worker processes were not started"
        time.sleep(0.02)  # (the workers are computing; a signal while they are being forked is not covered)
        for _ in range(3):  # (as a runner's repeated termination requests arrive)
            os.killpg(process.pid, signal.SIGTERM)
            time.sleep(0.003)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 143, stdout + stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == "fleetgen: terminated"
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
    assert tree(out) == before
