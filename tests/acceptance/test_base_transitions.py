"""`validate --base REF` on what changed gives the findings of the whole pipeline.

`fleetgen.transitions` loads and renders only the specs that differ from the base revision; the
reference is `run_pipeline(..., complete=True)`, which loads, renders and checks both revisions
whole. On a generated fleet in a real git repository, after each edit (committed base = the
generated fleet), both must report the same findings, and the edits that break a transition rule
must be reported at the spec line that made them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import copy_repo, generated_repo

from fleetgen.pipeline import run_pipeline

COUNT = 24


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory, schema_dir: Path) -> Path:
    """A generated fleet, rendered and committed (the base revision), used as a template."""
    return generated_repo(tmp_path_factory.mktemp("base") / "repo", COUNT, schema_dir, render=False)


@pytest.fixture
def repo(committed: Path, tmp_path: Path) -> Path:
    return copy_repo(committed, tmp_path)


def _replace(path: Path, old: str, new: str) -> int:
    """Replace the first `old` in `path`; return the 1-based line where `new` starts."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))
    return text[: text.index(old)].count("\n") + 1


def _first(root: Path, hypervisor: str) -> Path:
    return sorted((root / "clusters" / hypervisor).glob("*.yaml"))[0]


def _spec_upgrade(root: Path) -> tuple[str, int]:
    spec = _first(root, "kubevirt")
    return spec.relative_to(root).as_posix(), _replace(spec, "  hypervisor: kubevirt\n",
                                                         "  hypervisor: kubevirt\n  kubernetesVersion: v1.35.0\n") + 1


def _pool_shrink(root: Path) -> tuple[str, int]:
    spec = _first(root, "proxmox")
    text = spec.read_text()
    start = text.index("addresses: [") + len("addresses: [")
    first, last = text[start:text.index("]", start)].split(",")[0].split("-")
    prefix, _, end = last.rpartition(".")
    line = _replace(spec, f"{first}-{last}", f"{first}-{prefix}.{int(end) - 4}")
    return spec.relative_to(root).as_posix(), line


def _config_upgrade(root: Path) -> tuple[str, int]:
    return "fleetgen.yaml", _replace(root / "fleetgen.yaml", "kubernetesVersion: v1.33.1", "kubernetesVersion: v1.35.0")


def _rename(root: Path) -> None:
    spec = _first(root, "kubevirt")
    spec.rename(spec.with_name("renamed.yaml"))


def _delete(root: Path) -> None:
    _first(root, "kubevirt").unlink()


def _add(root: Path) -> None:
    spec = _first(root, "kubevirt")
    name = spec.stem
    (spec.parent / "added.yaml").write_text(spec.read_text().replace(f"name: {name}", "name: kv-added"))


def _scale(root: Path) -> None:
    _replace(_first(root, "kubevirt"), "    - name: md-0\n      replicas: ", "    - name: md-0\n      replicas: 1")


def _machine(root: Path) -> None:
    _replace(_first(root, "proxmox"), "memory: ", "memory: 2")


EDITS: dict[str, tuple[Callable[[Path], object], str | None]] = {
    "unchanged": (lambda root: None, None),
    "scale": (_scale, None),
    "machine-size": (_machine, None),
    "rename": (_rename, None),
    "delete": (_delete, None),
    "add": (_add, None),
    "spec-plus-two-minor": (_spec_upgrade, "k8s-upgrade-skip"),
    "ip-pool-shrink": (_pool_shrink, "ip-pool-shrink"),
    "config-plus-two-minor": (_config_upgrade, "k8s-upgrade-skip"),
}


@pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
def test_base_findings_equal_the_whole_pipeline(repo: Path, edit: str, cli) -> None:
    change, rule = EDITS[edit]
    where = change(repo)
    fast = run_pipeline(repo, base_ref="HEAD")
    whole = run_pipeline(repo, base_ref="HEAD", complete=True)
    assert [repr(f) for f in fast.result.sorted()] == [repr(f) for f in whole.result.sorted()]
    transition = [f for f in fast.result.sorted() if f.rule_id == rule]
    if rule is None:
        assert not fast.result.has_errors, [str(f.message) for f in fast.result.sorted()]
        return
    assert transition, f"{edit}: no {rule} finding"
    file, line = where  # type: ignore[misc]
    assert {(f.position.file, f.position.line) for f in transition} == {(file, line)}
    result = cli("--repo", str(repo), "validate", "--base", "HEAD")
    assert result.exit_code == (1 if fast.result.has_errors else 0)  # (ip-pool-shrink is a warning)
    assert f"{file}:{line}:" in result.stdout and f"[{rule}]" in result.stdout


def test_base_without_the_edit_reports_no_transition(repo: Path, cli) -> None:
    """The same +2 minor upgrade without --base: nothing to compare against, so no transition finding
    (the check that it is --base that catches it)."""
    _spec_upgrade(repo)
    result = cli("--repo", str(repo), "validate")
    assert "[k8s-upgrade-skip]" not in result.stdout


@pytest.mark.parametrize("link", ["folder", "file"])
def test_specs_reached_through_a_symlink_take_the_whole_pipeline(repo: Path, link: str) -> None:
    """A spec under a symlinked folder (or a symlinked spec) is compared by the whole pipeline, which
    resolves links the way loading does; the findings stay those of the whole pipeline."""
    from fleetgen.pipeline import open_registry
    from fleetgen.transitions import transition_findings

    if link == "folder":  # (a folder of the repository outside clusters/, linked into it)
        (repo / "clusters" / "kubevirt").rename(repo / "kubevirt-specs")
        (repo / "clusters" / "kubevirt").symlink_to("../kubevirt-specs")
    else:
        spec = _first(repo, "kubevirt")
        real = repo / "clusters" / "real.yaml.txt"
        spec.rename(real)
        spec.symlink_to(real)
    outcome = run_pipeline(repo)
    assert outcome.rendered is not None
    assert transition_findings(repo, "HEAD", outcome, open_registry(repo, ())) is None
    fast = run_pipeline(repo, base_ref="HEAD")
    whole = run_pipeline(repo, base_ref="HEAD", complete=True)
    assert [repr(f) for f in fast.result.sorted()] == [repr(f) for f in whole.result.sorted()]
