"""Minimal-diff spec edits (`fleetgen.spec.edit`): one integer changes, nothing else does."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from fleetgen.spec.edit import (
    EditError,
    ScaleRefusedError,
    UnknownTargetError,
    prepare_control_plane_scale,
    prepare_pool_scale,
    set_int,
)
from fleetgen.spec.load import load_fleet

REPO_ROOT = Path(__file__).resolve().parents[3]

BLOCK = """\
# a block-style spec
spec:
  controlPlane:
    replicas: 3            # odd: stacked etcd
    machine:
      cpus: 4
      memory: "8Gi"
  workers:
    - name: md-0
      replicas: 3          # three workers
      machine: {cpus: 2, memory: 4Gi}
    - name: md-1
      machine:
        cpus: 2
        memory: 4Gi
"""

FLOW = """\
spec:
  controlPlane: {replicas: 1, machine: {cpus: 2, memory: 4Gi}}
  workers:
    - {name: md-0, replicas: 3, machine: {cpus: 2, memory: 4Gi}}   # flow pool
    - {name: md-1, machine: {cpus: 2, memory: 4Gi}}
"""


def changed_lines(old: str, new: str) -> tuple[list[str], list[str]]:
    """(removed lines, added lines) of a unified diff."""
    diff = list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0))
    minus = [d[1:] for d in diff if d.startswith("-") and not d.startswith("---")]
    plus = [d[1:] for d in diff if d.startswith("+") and not d.startswith("+++")]
    return minus, plus


@pytest.mark.parametrize(("text", "path", "old_line", "new_line"), [
    (BLOCK, ("spec", "workers", 0, "replicas"),
     "      replicas: 3          # three workers", "      replicas: 5          # three workers"),
    (BLOCK, ("spec", "controlPlane", "replicas"),
     "    replicas: 3            # odd: stacked etcd", "    replicas: 5            # odd: stacked etcd"),
    (FLOW, ("spec", "workers", 0, "replicas"),
     "    - {name: md-0, replicas: 3, machine: {cpus: 2, memory: 4Gi}}   # flow pool",
     "    - {name: md-0, replicas: 5, machine: {cpus: 2, memory: 4Gi}}   # flow pool"),
    (FLOW, ("spec", "controlPlane", "replicas"),
     "  controlPlane: {replicas: 1, machine: {cpus: 2, memory: 4Gi}}",
     "  controlPlane: {replicas: 5, machine: {cpus: 2, memory: 4Gi}}"),
], ids=["block-pool", "block-control-plane", "flow-pool", "flow-control-plane"])
def test_set_int_existing_value_changes_exactly_one_line(text: str, path: tuple, old_line: str, new_line: str) -> None:
    edit = set_int(text, path, 5, file="a.yaml")
    assert changed_lines(text, edit.text) == ([old_line], [new_line])
    assert not edit.inserted
    assert edit.text.splitlines()[edit.line - 1] == new_line


def test_set_int_same_value_is_a_noop() -> None:
    edit = set_int(BLOCK, ("spec", "workers", 0, "replicas"), 3, file="a.yaml")
    assert edit.text == BLOCK
    assert edit.old_value == 3


def test_set_int_missing_key_in_block_sequence_item_inserts_one_line() -> None:
    edit = set_int(BLOCK, ("spec", "workers", 1, "replicas"), 2, file="a.yaml")
    assert changed_lines(BLOCK, edit.text) == ([], ["      replicas: 2"])
    assert edit.text.splitlines()[edit.line - 1] == "      replicas: 2"
    assert edit.inserted and edit.old_value is None


def test_set_int_missing_key_in_flow_mapping_adds_an_entry() -> None:
    edit = set_int(FLOW, ("spec", "workers", 1, "replicas"), 2, file="a.yaml")
    assert changed_lines(FLOW, edit.text) == (
        ["    - {name: md-1, machine: {cpus: 2, memory: 4Gi}}"],
        ["    - {replicas: 2, name: md-1, machine: {cpus: 2, memory: 4Gi}}"])


def test_set_int_missing_key_in_block_mapping_goes_above_comments_of_the_first_key() -> None:
    text = "spec:\n  controlPlane:   # cp\n    # size of each machine\n    machine: {cpus: 2}\n"
    edit = set_int(text, ("spec", "controlPlane", "replicas"), 3, file="a.yaml")
    assert edit.text == "spec:\n  controlPlane:   # cp\n    replicas: 3\n    # size of each machine\n    machine: {cpus: 2}\n"
    assert edit.line == 3


def test_set_int_missing_parent_mapping_inserts_nested_lines_with_the_file_indent() -> None:
    text = "spec:\n    hypervisor: kubevirt\n"
    edit = set_int(text, ("spec", "controlPlane", "replicas"), 1, file="a.yaml")
    assert edit.text == "spec:\n    controlPlane:\n        replicas: 1\n    hypervisor: kubevirt\n"


def test_set_int_keeps_crlf_line_endings() -> None:
    text = BLOCK.replace("\n", "\r\n")
    edit = set_int(text, ("spec", "workers", 1, "replicas"), 2, file="a.yaml")
    assert "      replicas: 2\r\n" in edit.text
    assert edit.text.count("\r\n") == text.count("\r\n") + 1


@pytest.mark.parametrize("value", ["*n", '"3"', "!!int 3"], ids=["alias", "quoted", "tagged"])
def test_set_int_refuses_values_that_are_not_plain_integers(value: str) -> None:
    text = f"n: &n 3\nspec:\n  replicas: {value}\n"
    with pytest.raises(EditError) as exc:
        set_int(text, ("spec", "replicas"), 4, file="a.yaml")
    assert str(exc.value).startswith("a.yaml:3:")


def test_set_int_unknown_list_item_is_an_edit_error() -> None:
    with pytest.raises(EditError):
        set_int(BLOCK, ("spec", "workers", 7, "replicas"), 4, file="a.yaml")


# --------------------------------------------------------------------------------------------
# scale requests on a copy of the example fleet


@pytest.fixture
def fleet_dir(tmp_path: Path) -> Path:
    root = tmp_path / "fleet"
    root.mkdir()
    shutil.copy2(REPO_ROOT / "fleetgen.yaml", root / "fleetgen.yaml")
    shutil.copytree(REPO_ROOT / "clusters", root / "clusters")
    shutil.copytree(REPO_ROOT / "crs", root / "crs")
    return root


def test_prepare_pool_scale_changes_one_line_of_the_spec(fleet_dir: Path) -> None:
    fleet, findings = load_fleet(fleet_dir)
    assert not findings
    edit = prepare_pool_scale(fleet, "kv-demo", "md-0", 4)
    old, new = edit.old_bytes.decode(), edit.new_bytes.decode()
    minus, plus = changed_lines(old, new)
    assert [m.strip() for m in minus] == ["replicas: 3"] and [p.strip() for p in plus] == ["replicas: 4"]
    assert edit.describe() == f"scaled kv-demo/md-0 3 → 4 (clusters/kubevirt/kv-demo.yaml:{edit.line})"
    assert (fleet_dir / edit.rel).read_bytes() == edit.old_bytes  # nothing written yet
    edit.apply()
    assert (fleet_dir / edit.rel).read_bytes() == edit.new_bytes
    edit.restore()
    assert (fleet_dir / edit.rel).read_bytes() == edit.old_bytes


def test_prepare_pool_scale_unknown_cluster_lists_known_names(fleet_dir: Path) -> None:
    fleet, _ = load_fleet(fleet_dir)
    with pytest.raises(UnknownTargetError) as exc:
        prepare_pool_scale(fleet, "nope", "md-0", 4)
    assert str(exc.value) == "unknown cluster 'nope'; known: kv-demo, pve-demo"
    assert exc.value.exit_code == 2


def test_prepare_pool_scale_unknown_pool_lists_known_pools(fleet_dir: Path) -> None:
    fleet, _ = load_fleet(fleet_dir)
    with pytest.raises(UnknownTargetError, match=r"unknown pool 'md-9' in cluster kv-demo; known: md-0"):
        prepare_pool_scale(fleet, "kv-demo", "md-9", 4)


def test_prepare_pool_scale_autoscaled_pool_is_refused(fleet_dir: Path) -> None:
    spec = fleet_dir / "clusters/kubevirt/kv-demo.yaml"
    spec.write_text(spec.read_text().replace("      replicas: 3\n", "      autoscaling: {minReplicas: 1, maxReplicas: 6}\n"))
    fleet, findings = load_fleet(fleet_dir)
    assert not findings
    with pytest.raises(ScaleRefusedError) as exc:
        prepare_pool_scale(fleet, "kv-demo", "md-0", 4)
    assert "pool md-0 is autoscaled (1..6); change autoscaling.minReplicas/maxReplicas instead" in str(exc.value)
    assert exc.value.exit_code == 1


def test_prepare_control_plane_scale_even_count_is_refused(fleet_dir: Path) -> None:
    fleet, _ = load_fleet(fleet_dir)
    with pytest.raises(ScaleRefusedError) as exc:
        prepare_control_plane_scale(fleet, "kv-demo", 2)
    assert str(exc.value).endswith("spec.controlPlane.replicas: must be odd for stacked etcd, got 2")
    assert str(exc.value).startswith("clusters/kubevirt/kv-demo.yaml:")


def test_prepare_control_plane_scale_inherited_from_defaults_inserts_the_key(fleet_dir: Path) -> None:
    config = fleet_dir / "fleetgen.yaml"
    config.write_text(config.read_text().replace("    kubernetesVersion: v1.33.1\n",
                                                 "    kubernetesVersion: v1.33.1\n    controlPlane:\n      replicas: 1\n"))
    spec = fleet_dir / "clusters/kubevirt/kv-demo.yaml"
    spec.write_text(spec.read_text().replace("    replicas: 1\n    machine: {cpus: 2, memory: 4Gi}\n",
                                             "    machine: {cpus: 2, memory: 4Gi}\n"))
    fleet, findings = load_fleet(fleet_dir)
    assert not findings
    edit = prepare_control_plane_scale(fleet, "kv-demo", 3)
    minus, plus = changed_lines(edit.old_bytes.decode(), edit.new_bytes.decode())
    assert minus == [] and plus == ["    replicas: 3"]
    assert edit.inserted and edit.old_value == 1
    assert "inherited from fleetgen.yaml" in edit.note
    assert config.read_text().count("replicas: 1") == 1  # the defaults are untouched


def test_prepare_control_plane_scale_same_value_is_a_noop(fleet_dir: Path) -> None:
    fleet, _ = load_fleet(fleet_dir)
    edit = prepare_control_plane_scale(fleet, "kv-demo", 1)
    assert edit.noop
