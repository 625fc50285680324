"""The incremental pipeline (content-hash cache, per-cluster work on several processes) changes nothing.

On a generated fleet (bench/generate.py), after each edit of a sequence, the run that reuses the
cache from the previous states must give the output tree and the findings an uncached run gives in
a fresh copy (`--no-cache`), and both must match the whole-fleet pipeline computed in this process
with every object kept (`load_and_render` + `check_fleet`, the reference).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import generate  # noqa: E402  (bench/ is not a package)

from fleetgen.cache import CACHE_DIR, Cache, code_fingerprint  # noqa: E402
from fleetgen.pipeline import load_and_render, open_registry, run_pipeline  # noqa: E402

COUNT = 60
INPUTS = ("fleetgen.yaml", "clusters", "crs", "schemas")


def tree(root: Path) -> dict[str, bytes]:
    """posix path -> bytes of every file under root ({} when it does not exist)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def copy_inputs(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True)
    for name in INPUTS:
        if (src / name).is_dir():
            shutil.copytree(src / name, dst / name)
        elif (src / name).exists():
            shutil.copy2(src / name, dst / name)
    return dst


def findings_of(result) -> list[str]:
    """Every finding of a CheckResult (duplicates kept), as sorted reprs."""
    return sorted(repr(f) for f in result.findings)


def reference(root: Path) -> tuple[str, dict[str, bytes], list[str]]:
    """The JSON report, the rendered files and the findings of the whole-fleet pipeline in this
    process (every object kept)."""
    from fleetgen.report import write_report
    from fleetgen.validate.engine import check_fleet

    outcome = load_and_render(root)
    result = outcome.result
    if outcome.rendered is not None:
        checked = check_fleet(outcome.fleet, outcome.rendered, registry=open_registry(root))
        result.extend(checked.findings)
        result.objects_checked, result.files_checked = checked.objects_checked, checked.files_checked
    buffer = io.StringIO()
    write_report(result, "json", buffer)
    files = {f.path: f.content for f in outcome.rendered.files} if outcome.rendered is not None else {}
    return buffer.getvalue(), files, findings_of(result)


def cache_files(repo: Path) -> list[Path]:
    return sorted(p for p in (repo / CACHE_DIR).rglob("*") if p.is_file())


class Fleet:
    """A generated fleet repository whose cache lives on across the edits."""

    def __init__(self, root: Path, scratch: Path, cli) -> None:
        self.root, self.scratch, self.cli, self.n = root, scratch, cli, 0

    def spec(self, name: str) -> Path:
        return next(self.root.glob(f"clusters/*/{name}.yaml"))

    def edit(self, name: str, old: str, new: str, count: int = 1) -> None:
        path = self.spec(name)
        text = path.read_text()
        assert old in text, f"{old!r} not in {path}"
        path.write_text(text.replace(old, new, count))

    def check(self, *render_args: str, renders: bool = True, cached: int | None = None) -> dict:
        """Render and validate with the cache, compare with a fresh uncached copy and the reference."""
        self.n += 1
        fresh = copy_inputs(self.root, self.scratch / f"fresh-{self.n}")
        got_render = self.cli("--repo", str(self.root), "render", *render_args)
        got_validate = self.cli("--repo", str(self.root), "validate", "--format", "json")
        want_render = self.cli("--repo", str(fresh), "render", "--no-cache")
        want_validate = self.cli("--repo", str(fresh), "validate", "--format", "json", "--no-cache")
        assert not (fresh / CACHE_DIR).exists(), "--no-cache wrote a cache"
        assert got_render.exit_code == want_render.exit_code == (0 if renders else 1), got_render.stdout + got_render.stderr
        assert got_validate.exit_code == want_validate.exit_code
        assert got_validate.stdout == want_validate.stdout
        want_report, want_tree, want_findings = reference(fresh)
        assert got_validate.stdout == want_report
        outcome = run_pipeline(self.root)
        assert findings_of(outcome.result) == want_findings
        if renders:
            assert tree(fresh / "fleet") == want_tree
            assert tree(self.root / "fleet") == want_tree
            check = self.cli("--repo", str(self.root), "render", "--check")
            assert check.exit_code == 0, check.stdout
        if cached is not None:
            assert outcome.cached == cached
        return json.loads(got_validate.stdout)


@pytest.fixture
def fleet(tmp_path: Path, schema_dir: Path, cli) -> Fleet:
    root = tmp_path / "repo"
    generate.generate(COUNT, root)
    shutil.copytree(schema_dir, root / "schemas")
    return Fleet(root, tmp_path, cli)


def test_cached_runs_equal_uncached_runs_through_a_sequence_of_edits(fleet: Fleet) -> None:
    root = fleet.root
    report = fleet.check(cached=COUNT)  # cold, then everything cached
    assert report["summary"]["errors"] == 0
    assert len(Cache(root).keys()) == COUNT + 3  # the clusters, the rest of the tree, the addon payloads, the run
    assert not (root / "fleet" / CACHE_DIR).exists()

    # one pool's replicas
    fleet.edit("kv-00002", "    - name: md-0\n      replicas: 4", "    - name: md-0\n      replicas: 5")
    fleet.check(cached=COUNT)

    # a machine size (a new template name, a rollout)
    fleet.edit("kv-00002", "memory: 16Gi", "memory: 24Gi")
    fleet.check()

    # a new cluster
    text = fleet.spec("kv-00003").read_text().replace("name: kv-00003", "name: kv-new")
    (root / "clusters" / "kubevirt" / "kv-new.yaml").write_text(text)
    fleet.check(cached=COUNT + 1)

    # a new cluster whose pool renders objects of a cached cluster's pool (kv-00002 + md-0 = kv-00002-md + 0)
    text = fleet.spec("kv-00002").read_text()
    clash = root / "clusters" / "kubevirt" / "kv-00002-md.yaml"
    clash.write_text(text.replace("name: kv-00002", "name: kv-00002-md").replace("    - name: md-0\n", "    - name: \"0\"\n"))
    report = fleet.check(renders=False)
    assert sorted((f["rule_id"], f["file"]) for f in report["findings"] if f["severity"] == "error") == [
        ("unique-object-names", "clusters/kubevirt/kv-00002-md.yaml"), ("unique-object-names", "clusters/kubevirt/kv-00002.yaml")]
    clash.unlink()

    # a deleted cluster
    fleet.spec("kv-00003").unlink()
    fleet.check("--allow-delete", "kv-00003")
    assert not any("kv-00003" in p for p in tree(root / "fleet"))

    # labels that change addon selection: no cluster of team-b is monitored any more
    monitored = [p for p in root.glob("clusters/*/*.yaml")
                 if "namespace: team-b" in p.read_text() and "    monitoring: enabled\n" in p.read_text()]
    assert monitored
    for p in monitored:
        p.write_text(p.read_text().replace("    monitoring: enabled\n", ""))
    before = set(tree(root / "fleet"))
    fleet.check()
    assert "addons/team-b/monitoring/addon.yaml" in before - set(tree(root / "fleet"))

    # broken specs: a policy error and a YAML error (nothing rendered), then fixed again
    replicas = re.search(r"controlPlane:\n    replicas: \d", fleet.spec("kv-00004").read_text())
    assert replicas
    fleet.edit("kv-00004", replicas.group(0), "controlPlane:\n    replicas: 2")
    report = fleet.check(renders=False)
    assert any(f["rule_id"] == "cp-replicas-odd" for f in report["findings"])
    good = fleet.spec("kv-00007").read_text()
    fleet.spec("kv-00007").write_text(good.replace("spec:\n", "spec:\n  [broken\n", 1))
    report = fleet.check(renders=False)
    assert any(f["rule_id"] == "parse" for f in report["findings"])
    fleet.spec("kv-00007").write_text(good)
    fleet.edit("kv-00004", "controlPlane:\n    replicas: 2", replicas.group(0))
    fleet.check()

    # fleetgen.yaml defaults (every cluster changes; warnings for the image tags)
    config = root / "fleetgen.yaml"
    config.write_text(config.read_text().replace("kubernetesVersion: v1.33.1", "kubernetesVersion: v1.32.4"))
    report = fleet.check(cached=COUNT)
    assert any(f["rule_id"] == "kubevirt-image-version" for f in report["findings"])

    # a credential in the defaults: reported once, at fleetgen.yaml, though every Proxmox cluster inherits it
    original = config.read_text()
    config.write_text(original + "    proxmox:\n      storage: ghp_abcdefghijklmnopqrstuvwxyz0123456789\n")
    report = fleet.check(renders=False)
    assert [f["file"] for f in report["findings"] if f["rule_id"] == "no-inline-credentials"] == ["fleetgen.yaml"]
    config.write_text(original)

    # the synced schemas change: nothing cached is used
    index = root / "schemas" / "index.json"
    index.write_text(json.dumps(json.loads(index.read_text()), indent=1))
    assert run_pipeline(root).cached == 0
    fleet.check(cached=COUNT)


def test_corrupt_and_foreign_cache_entries_are_ignored(fleet: Fleet, monkeypatch: pytest.MonkeyPatch) -> None:
    root = fleet.root
    fleet.check(cached=COUNT)
    store = Cache(root)
    spots = sorted(store.location(k) for k in store.keys())
    (pack, offset, length), (_, offset2, _) = spots[3], spots[7]
    data = bytearray(pack.read_bytes())
    data[offset + 60 + length // 2] ^= 0xFF                    # one flipped byte in an entry
    data[offset2:offset2 + 4] = b"\0\0\0\0"                   # a damaged frame (its key)
    pack.write_bytes(bytes(data))
    assert run_pipeline(root).cached in (COUNT - 2, COUNT - 1)  # (one of the two may be a fleet-level entry)
    fleet.check(cached=COUNT)

    pack = Cache(root).location(next(iter(Cache(root).keys())))[0]
    pack.write_bytes(pack.read_bytes()[: pack.stat().st_size // 2])   # a truncated pack
    assert run_pipeline(root).cached < COUNT
    fleet.check(cached=COUNT)

    index = root / CACHE_DIR / "v1" / "index"
    index.write_bytes(b"garbage")                               # an unreadable index: an empty cache
    assert run_pipeline(root).cached == 0
    fleet.check(cached=COUNT)

    import fleetgen

    monkeypatch.setattr(fleetgen, "__version__", "0.0.0-other")
    code_fingerprint.cache_clear()
    try:
        assert run_pipeline(root).cached == 0
        fleet.check(cached=COUNT)
    finally:
        monkeypatch.undo()
        code_fingerprint.cache_clear()
    assert run_pipeline(root).cached == COUNT   # the entries of this version are kept meanwhile


def test_a_run_with_errors_writes_nothing(fleet: Fleet) -> None:
    spec = fleet.spec("kv-00002")
    spec.write_text(spec.read_text().replace("spec:\n", "spec:\n  [broken\n", 1))
    fleet.check(renders=False)
    assert cache_files(fleet.root) == []
    spec.write_text(spec.read_text().replace("spec:\n  [broken\n", "spec:\n", 1))
    fleet.check(cached=COUNT)
    before = {p: p.stat().st_mtime_ns for p in cache_files(fleet.root)}
    fleet.check(cached=COUNT)                                 # nothing changed: nothing written
    assert {p: p.stat().st_mtime_ns for p in cache_files(fleet.root)} == before


def test_flux_fleet_with_autoscaling_cached_equals_uncached(tmp_path: Path, schema_dir: Path, cli) -> None:
    root = tmp_path / "repo"
    generate.generate(50, root, agent="flux")
    shutil.copytree(schema_dir, root / "schemas")
    fleet = Fleet(root, tmp_path, cli)
    fleet.check(cached=50)
    autoscaled = next(p for p in root.glob("clusters/*/*.yaml") if "autoscaling:" in p.read_text())
    text = autoscaled.read_text()
    pool = re.search(r"      autoscaling: \{minReplicas: (\d+), maxReplicas: \d+\}\n", text)
    assert pool
    autoscaled.write_text(text.replace(pool.group(0), f"      replicas: {pool.group(1)}\n"))  # no longer autoscaled
    fleet.check(cached=50)
    flux = (root / "fleet" / "gitops" / "flux.yaml").read_text()
    assert "/spec/replicas" in flux  # drift-ignore rules of the autoscaled pools left
