"""`plan` compares only the part of the tree that can differ from the base, with the same result.

The reference is the plan from every object of both sides: the working tree rendered whole
(`load_and_render`), the committed output parsed whole from git, the transition rules run on all
of it, every object diffed and grouped. `build_plan` skips the files whose bytes are the same on
both sides; whatever the edit, its clusters, fleet-wide changes, findings and notes must be the
reference's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import copy_repo, generated_repo, git

from fleetgen.pipeline import load_and_render, run_pipeline
from fleetgen.vcs.plan import diff_objects, group_changes
from fleetgen.vcs.plan_build import build_plan, load_base_objects, objects_from_render, transition_findings

COUNT = 12


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory, schema_dir: Path) -> Path:
    """A generated fleet with its output rendered and committed."""
    return generated_repo(tmp_path_factory.mktemp("part") / "repo", COUNT, schema_dir, render=True)


@pytest.fixture
def repo(committed: Path, tmp_path: Path) -> Path:
    return copy_repo(committed, tmp_path)


def _specs(root: Path, hypervisor: str) -> list[Path]:
    return sorted((root / "clusters" / hypervisor).glob("*.yaml"))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def _commit(root: Path) -> None:
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "edit")


def _scale(root: Path) -> None:
    _edit(_specs(root, "proxmox")[0], "      replicas: 3", "      replicas: 5")


def _resize(root: Path) -> None:
    path = _specs(root, "kubevirt")[0]
    path.write_text(re.sub(r"memory: (\d+)Gi", lambda m: f"memory: {int(m[1]) * 2}Gi", path.read_text(), count=1))


def _upgrade_two_minors(root: Path) -> None:
    _edit(_specs(root, "proxmox")[1], "\nspec:\n", "\nspec:\n  kubernetesVersion: v1.35.1\n")


def _add(root: Path) -> None:
    src = _specs(root, "kubevirt")[1]
    name = src.stem
    (src.parent / "kv-new.yaml").write_text(src.read_text().replace(f"name: {name}", "name: kv-new", 1))


def _delete(root: Path) -> None:
    _specs(root, "kubevirt")[-1].unlink()


def _move(root: Path) -> None:
    _edit(_specs(root, "proxmox")[-1], "  namespace: team-", "  namespace: moved-team-")


def _label_selects_addon(root: Path) -> None:
    path = next(p for p in _specs(root, "kubevirt") if "monitoring:" not in p.read_text())
    _edit(path, "  labels:\n", "  labels:\n    monitoring: enabled\n")


def _addon_payload(root: Path) -> None:
    path = root / "crs" / "baseline" / "namespace.yaml"
    path.write_text(path.read_text() + "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: extra-ns\n")


def _hand_edited_base(root: Path) -> None:
    """The committed output of an unchanged cluster differs from its rendering (an older fleetgen)."""
    out = sorted((root / "fleet" / "clusters").rglob("cluster.yaml"))[3]
    _edit(out, "replicas: ", "replicas: 9")
    _commit(root)


def _stray_base_files(root: Path) -> None:
    (root / "fleet" / "stray.yaml").write_text("a: [unclosed\n")
    (root / "fleet" / "extra.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: team-a\n")
    _commit(root)


def _several(root: Path) -> None:
    _scale(root)
    _resize(root)
    _delete(root)
    _addon_payload(root)


#: edit -> (how, the plan's summary line).
EDITS: dict[str, tuple[Callable[[Path], None], str]] = {
    "none": (lambda root: None, "no changes"),
    "scale": (_scale, "1 cluster changed: 1 scale"),
    "resize": (_resize, "1 cluster changed: 1 rollout"),
    "+2 minor": (_upgrade_two_minors, "1 cluster changed: 1 forbidden"),
    "add": (_add, "1 cluster changed: 1 create"),
    "delete": (_delete, "1 cluster changed: 1 delete; fleet-wide: 2 objects changed"),
    "move": (_move, "2 clusters changed: 1 create, 1 delete; fleet-wide: 3 objects changed"),
    "label selects an addon": (_label_selects_addon, "1 cluster changed: 1 in-place"),
    "addon payload": (_addon_payload, "fleet-wide: 4 objects changed"),
    "hand-edited base": (_hand_edited_base, "1 cluster changed: 1 scale"),
    "stray base files": (_stray_base_files, "fleet-wide: 1 object changed"),
    "several": (_several, "3 clusters changed: 1 delete, 1 scale, 1 rollout; fleet-wide: 6 objects changed"),
}


def _reference(root: Path) -> tuple[object, ...]:
    """(clusters, fleet-wide, findings, notes) of the plan from every object of both sides."""
    checked = run_pipeline(root, base_ref="HEAD", cache=False, complete=True)
    whole = load_and_render(root)
    assert whole.rendered is not None, whole.result.findings
    head = objects_from_render(whole.rendered, "fleet")
    base, _, source, notes = load_base_objects(root, "HEAD")
    assert source == "committed"
    result = checked.result
    result.extend(transition_findings(whole.fleet, whole.rendered, base))
    clusters, fleet_wide = group_changes(diff_objects(base, head, result.findings), base, head)
    return clusters, fleet_wide, result.sorted(), tuple(notes)


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_the_plan_of_the_changed_part_is_the_plan_of_everything(repo: Path, edit: str) -> None:
    how, summary = EDITS[edit]
    how(repo)

    plan = build_plan(repo, base_ref="HEAD")
    clusters, fleet_wide, findings, notes = _reference(repo)

    assert plan.base_source == "committed"
    assert plan.clusters == clusters
    assert plan.fleet_wide == fleet_wide
    assert plan.result.sorted() == findings
    assert plan.notes[:len(notes)] == notes  # (then the note that fleet/ is stale, the same either way)
    assert plan.summary_line() == summary
