"""Inputs fleetgen cannot read: a FIFO where a spec should be, a folder without read permission.

Each is one clear problem at its file (exit 1; exit 2 for fleetgen.yaml), never a hang, an
internal error or a spec that silently disappears from the fleet (which would make `render`
offer to delete its cluster). The CLI runs in a subprocess with a timeout: a FIFO would block an
in-process run forever. As root, permissions are checked with the capabilities that bypass them
dropped (`setpriv`, util-linux), as for any other user.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: Capabilities that let root read any file; dropped so that chmod 000 means what it says.
_NO_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search"]


def fleetgen(repo: Path, *argv: str, unprivileged: bool = False) -> subprocess.CompletedProcess[str]:
    prefix = _NO_DAC if unprivileged and os.geteuid() == 0 else []
    return subprocess.run([*prefix, sys.executable, "-m", "fleetgen", *argv], cwd=repo, capture_output=True,
                          text=True, timeout=120, check=False)


def output_digest(repo: Path) -> str:
    h = hashlib.sha256()
    for path in sorted((repo / "fleet").rglob("*")):
        if path.is_file():
            h.update(path.relative_to(repo).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


@pytest.fixture
def repo(fleet_repo: Path) -> Path:
    assert fleetgen(fleet_repo, "render").returncode == 0
    return fleet_repo


def assert_one_problem(repo: Path, line: str, *, code: int = 1, unprivileged: bool = False) -> None:
    """validate and render (with the cache, and validate without) each report `line`, exit `code`,
    and leave fleet/ as it was."""
    before = output_digest(repo)
    for argv in (("validate",), ("validate", "--no-cache"), ("render",)):
        result = fleetgen(repo, *argv, unprivileged=unprivileged)
        both = result.stdout + result.stderr
        assert result.returncode == code, (argv, both)
        assert line in both, (argv, both)
        assert "internal error" not in both and "Traceback" not in both
    assert output_digest(repo) == before


def test_a_fifo_named_like_a_spec_is_refused_not_waited_on(repo: Path) -> None:
    os.mkfifo(repo / "clusters/kubevirt/fifo.yaml")
    assert_one_problem(repo, "clusters/kubevirt/fifo.yaml:1:1: error [parse] cannot read the file: "
                             "not a regular file (a FIFO)")


def test_a_fifo_in_an_addon_folder_is_ignored_unless_the_addon_ships_it(repo: Path) -> None:
    os.mkfifo(repo / "crs/calico/notes.fifo")
    for argv in (("validate",), ("render", "--check")):
        result = fleetgen(repo, *argv)
        assert result.returncode == 0, result.stdout + result.stderr
    addon = repo / "crs/calico/addon.yaml"
    text = addon.read_text()
    assert "  resources:\n" in text
    addon.write_text(text.replace("  resources:\n", "  resources:\n    - notes.fifo\n", 1))
    line = text.splitlines().index("  resources:") + 2
    assert_one_problem(repo, f"crs/calico/addon.yaml:{line}:7: error [parse] spec.resources[0]: cannot read "
                             "crs/calico/notes.fifo: not a regular file (a FIFO)")


@pytest.mark.parametrize("what", ["fifo", "folder"])
def test_fleetgen_yaml_that_is_not_a_file_is_a_configuration_error(repo: Path, what: str) -> None:
    config = repo / "fleetgen.yaml"
    config.unlink()
    os.mkfifo(config) if what == "fifo" else config.mkdir()
    assert_one_problem(repo, f"fleetgen: error: fleetgen.yaml:1:1: cannot read the file: not a regular file "
                             f"(a {'FIFO' if what == 'fifo' else 'folder'})", code=2)


@pytest.mark.parametrize(("path", "mode", "line", "code"), [
    ("clusters/proxmox", 0, "clusters/proxmox: error [parse] cannot read the folder: Permission denied", 1),
    ("clusters/proxmox", 0o444, "clusters/proxmox/pve-demo.yaml:1:1: error [parse] cannot read the file: "
                                "Permission denied", 1),  # (listed, not entered)
    ("crs/calico", 0, "crs/calico: error [parse] cannot read the folder: Permission denied", 1),
    ("crs/calico/calico-installation.yaml", 0, "error [parse] spec.resources[0]: cannot read "
                                               "crs/calico/calico-installation.yaml: Permission denied", 1),
    ("fleetgen.yaml", 0, "fleetgen: error: fleetgen.yaml:1:1: cannot read the file: Permission denied", 2),
])
def test_an_input_without_read_permission_is_one_problem(repo: Path, path: str, mode: int, line: str,
                                                         code: int) -> None:
    """Before, an unreadable clusters/ folder dropped its specs (validate passed; render offered
    --allow-delete for their clusters), and the others ended in an internal error."""
    target = repo / path
    restore = target.stat().st_mode
    target.chmod(mode)
    try:
        assert_one_problem(repo, line, code=code, unprivileged=True)
    finally:
        target.chmod(restore)


def test_a_fifo_in_place_of_a_synced_schema_is_a_missing_schema_not_a_hang(repo: Path) -> None:
    schema = repo / "schemas/cluster.x-k8s.io/cluster_v1beta2.json"
    schema.unlink()
    os.mkfifo(schema)
    result = fleetgen(repo, "validate", "--no-cache")
    assert result.returncode == 1, result.stdout + result.stderr
    assert ("error [schema-missing] Cluster kv-demo: no schema for Cluster cluster.x-k8s.io/v1beta2; cannot read "
            f"{schema}: not a regular file (a FIFO)") in result.stdout


def test_a_fifo_in_place_of_an_output_file_does_not_block_validate(repo: Path) -> None:
    """validate reads fleet/ to check files that differ from the rendering; a FIFO there is not one."""
    output = repo / "fleet/gitops/gitrepo.yaml"
    output.unlink()
    os.mkfifo(output)
    for argv in (("validate",), ("validate", "--no-cache")):
        result = fleetgen(repo, *argv)
        assert result.returncode == 0, result.stdout + result.stderr
