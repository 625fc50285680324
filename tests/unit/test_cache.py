"""The per-cluster cache: its key, fingerprints, entry encoding, on-disk store, and the rule scopes it relies on."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest

from fleetgen.cache import (
    CACHE_DIR,
    FLEET_LEVEL_KINDS,
    Cache,
    ClusterEntry,
    PackedSourceMap,
    cluster_key,
    code_fingerprint,
    decode_entry,
    decode_findings,
    encode_entry,
    encode_findings,
    schemas_fingerprint,
)
from fleetgen.findings import Finding, ObjectRef, Position, Severity
from fleetgen.sourcemap import SourceMap

REPO_ROOT = Path(__file__).resolve().parents[2]

KEY_INPUTS = {"code": "c0de", "schemas": "5c4e", "config": b"apiVersion: fleetgen.dev/v1alpha1\n",
              "path": "clusters/a.yaml", "spec": b"kind: ClusterSpec\n"}


# -- the key ----------------------------------------------------------------------------------


def test_cluster_key_is_a_sha256_hex_and_deterministic() -> None:
    key = cluster_key(**KEY_INPUTS)
    assert len(key) == 64 and int(key, 16) >= 0
    assert cluster_key(**KEY_INPUTS) == key


@pytest.mark.parametrize("name", sorted(KEY_INPUTS))
def test_every_input_changes_the_cluster_key(name: str) -> None:
    changed = dict(KEY_INPUTS)
    value = changed[name]
    changed[name] = value + (b" " if isinstance(value, bytes) else "x")
    assert cluster_key(**changed) != cluster_key(**KEY_INPUTS)


def test_cluster_key_parts_cannot_run_into_each_other() -> None:
    a = cluster_key(**{**KEY_INPUTS, "path": "clusters/a", "spec": b".yaml"})
    b = cluster_key(**{**KEY_INPUTS, "path": "clusters/a.yaml", "spec": b""})
    assert a != b


def test_code_fingerprint_covers_the_fleetgen_version(monkeypatch: pytest.MonkeyPatch) -> None:
    import fleetgen

    before = code_fingerprint()
    code_fingerprint.cache_clear()
    monkeypatch.setattr(fleetgen, "__version__", "999.0")
    try:
        assert code_fingerprint() != before
    finally:
        monkeypatch.undo()
        code_fingerprint.cache_clear()
    assert code_fingerprint() == before


def test_code_fingerprint_covers_the_libraries(monkeypatch: pytest.MonkeyPatch) -> None:
    import fleetgen.cache as cache

    before = code_fingerprint()
    code_fingerprint.cache_clear()
    real = cache._module_stamp
    monkeypatch.setattr(cache, "_module_stamp", lambda name: real(name) + ("+" if name == "yaml" else ""))
    try:
        assert code_fingerprint() != before
    finally:
        monkeypatch.undo()
        code_fingerprint.cache_clear()


def _schemas(tmp_path: Path) -> Path:
    root = tmp_path / "schemas"
    (root / "cluster.x-k8s.io").mkdir(parents=True)
    (root / "index.json").write_text(json.dumps({"kind": "SchemaIndex", "sourcesDigest": "a"}))
    (root / "cluster.x-k8s.io" / "cluster_v1beta2.json").write_text("{}")
    return root


def test_schemas_fingerprint_follows_the_index_and_the_schema_files(tmp_path: Path) -> None:
    root = _schemas(tmp_path)
    first = schemas_fingerprint([root])
    assert schemas_fingerprint([root]) == first
    (root / "index.json").write_text(json.dumps({"kind": "SchemaIndex", "sourcesDigest": "b"}))
    second = schemas_fingerprint([root])
    assert second != first
    schema = root / "cluster.x-k8s.io" / "cluster_v1beta2.json"
    schema.write_text('{"type": "object"}')
    assert schemas_fingerprint([root]) != second
    third = schemas_fingerprint([root])
    os.utime(schema, ns=(1, 1))
    assert schemas_fingerprint([root]) != third
    extra = tmp_path / "extra"
    extra.mkdir()
    assert schemas_fingerprint([extra, root]) != schemas_fingerprint([root])


# -- entries ----------------------------------------------------------------------------------


def _finding(i: int = 0) -> Finding:
    return Finding("schema", Severity.ERROR, f"problem {i}", Position("clusters/a.yaml", 3, 5), "/spec/x",
                   ObjectRef("cluster.x-k8s.io/v1beta2", "Cluster", "a", "ns"), Position("fleet/x.yaml", 7, 1), "hint")


def test_an_entry_survives_encoding(tmp_path: Path, schema_dir: Path) -> None:
    from fleetgen.pipeline import compute_cluster
    from fleetgen.schemas.registry import SchemaRegistry
    from fleetgen.spec.load import load_config

    root = tmp_path / "fleet"
    shutil.copytree(REPO_ROOT / "clusters", root / "clusters")
    shutil.copy2(REPO_ROOT / "fleetgen.yaml", root / "fleetgen.yaml")
    config, source = load_config(root)
    spec = sorted((root / "clusters").rglob("*.yaml"))[0]
    entry = compute_cluster(root, spec, config, source, SchemaRegistry([schema_dir]))
    entry = ClusterEntry(entry.path, (), entry.cluster, None, entry.files, entry.object_count,
                         (_finding(1),), (_finding(2), _finding(3)), ())
    back = decode_entry(encode_entry(entry))
    assert back.path == entry.path and back.object_count == entry.object_count
    assert (back.object_findings, back.rule_findings, back.budget_findings) == ((_finding(1),), (_finding(2), _finding(3)), ())
    assert back.cluster is not None and entry.cluster is not None
    assert back.cluster.spec == entry.cluster.spec
    assert (back.cluster.path, back.cluster.digest) == (entry.cluster.path, entry.cluster.digest)
    assert back.cluster.source.positions == entry.cluster.source.positions
    assert [(f.path, f.content) for f in back.files] == [(f.path, f.content) for f in entry.files]
    kept = [(o.manifest, dict(o.origin), o.cluster) for f in entry.files for o in f.objects
            if o.manifest["kind"] in FLEET_LEVEL_KINDS]
    assert kept and [(o.manifest, dict(o.origin), o.cluster) for f in back.files for o in f.objects] == kept
    assert all(o.source is back.cluster.source for f in back.files for o in f.objects)


def test_a_failed_load_survives_encoding() -> None:
    entry = ClusterEntry("clusters/a.yaml", (_finding(),))
    back = decode_entry(encode_entry(entry))
    assert back == entry


def test_fleet_level_findings_survive_encoding() -> None:
    groups, files = decode_findings(encode_findings([[_finding(1)], []], [("addons/x.yaml", [_finding(2)])]))
    assert groups == [(_finding(1),), ()]
    assert files == [("addons/x.yaml", (_finding(2),))]


def test_packed_source_map_looks_up_like_the_original() -> None:
    from fleetgen.cache import _pack_source

    source = SourceMap("clusters/a.yaml", {"": Position("clusters/a.yaml", 1, 1),
                                           "/spec": Position("clusters/a.yaml", 4, 1),
                                           "/spec/version": Position("fleetgen.yaml", 9, 5)})
    packed = PackedSourceMap(*_pack_source(source))
    for pointer in ("", "/spec", "/spec/version", "/spec/version/x", "/metadata/name"):
        assert packed.lookup(pointer) == source.lookup(pointer)
    assert packed.positions == source.positions
    assert pickle.loads(pickle.dumps(packed)) == source


# -- the store --------------------------------------------------------------------------------


def _key(i: int) -> str:
    return f"{i:064x}"


def test_the_store_round_trips_and_writes_only_on_commit(tmp_path: Path) -> None:
    store = Cache(tmp_path)
    store.put(_key(1), b"one")
    store.put(_key(2), b"two")
    assert not (tmp_path / CACHE_DIR).exists()
    store.commit([_key(1), _key(2)])
    assert (tmp_path / CACHE_DIR / ".gitignore").read_text().splitlines()[-1] == "*"
    again = Cache(tmp_path)
    assert bytes(again.get(_key(1)) or b"") == b"one" and bytes(again.get(_key(2)) or b"") == b"two"
    assert again.get(_key(3)) is None
    files = {p: p.stat().st_mtime_ns for p in (tmp_path / CACHE_DIR).rglob("*") if p.is_file()}
    again.commit([_key(1), _key(2)])  # nothing new: nothing written
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / CACHE_DIR).rglob("*") if p.is_file()} == files


def test_damaged_entries_and_index_are_misses(tmp_path: Path) -> None:
    store = Cache(tmp_path)
    for i in range(3):
        store.put(_key(i), f"payload {i}".encode() * 10)
    store.commit([_key(i) for i in range(3)])
    pack, offset, length = Cache(tmp_path).location(_key(1)) or (Path(), 0, 0)
    data = bytearray(pack.read_bytes())
    data[offset + 48 + length - 1] ^= 1
    pack.write_bytes(bytes(data))
    fresh = Cache(tmp_path)
    assert fresh.get(_key(1)) is None
    assert bytes(fresh.get(_key(0)) or b"") == b"payload 0" * 10
    (tmp_path / CACHE_DIR / "v1" / "index").write_bytes(b"FGI1" + b"\0" * 40)
    assert Cache(tmp_path).get(_key(0)) is None
    pack.unlink()
    assert Cache(tmp_path).get(_key(2)) is None


def test_unused_entries_are_kept_a_while_then_dropped(tmp_path: Path) -> None:
    store = Cache(tmp_path)
    for i in range(10):
        store.put(_key(i), b"x")
    store.commit([_key(i) for i in range(10)])
    store = Cache(tmp_path)
    store.put(_key(100), b"y")
    store.commit([_key(100)])  # the ten are kept (another branch may need them)
    assert Cache(tmp_path).keys() == {_key(i) for i in range(10)} | {_key(100)}
    store = Cache(tmp_path)
    for i in range(300):
        store.put(_key(1000 + i), b"z")
    store.commit([_key(1000 + i) for i in range(300)])
    assert len(Cache(tmp_path).keys()) <= 2 * 300 + 256


def test_many_small_packs_are_compacted(tmp_path: Path) -> None:
    for i in range(20):
        store = Cache(tmp_path)
        for j in range(i):
            assert store.get(_key(j)) is not None
        store.put(_key(i), f"entry {i}".encode())
        store.commit([_key(j) for j in range(i + 1)])
    store = Cache(tmp_path)
    assert {bytes(store.get(_key(i)) or b"") for i in range(20)} == {f"entry {i}".encode() for i in range(20)}
    referenced = {store.location(_key(i))[0] for i in range(20)}  # type: ignore[index]
    assert len(referenced) < 16


def test_an_unwritable_store_is_silent(tmp_path: Path) -> None:
    (tmp_path / CACHE_DIR).write_text("a file where the folder should be")
    store = Cache(tmp_path)
    assert store.get(_key(1)) is None
    store.put(_key(1), b"x")
    store.commit([_key(1)])  # no exception


# -- rule scopes ------------------------------------------------------------------------------


def test_every_rule_declares_its_scope() -> None:
    from fleetgen.policy import RULES, rule_scope

    assert all(getattr(rule, "scope", None) in ("cluster", "fleet", "transition") for rule in RULES)
    fleet = {r.id for r in RULES if rule_scope(r) == "fleet"}
    assert fleet == {"proxmox-ip-overlap", "addon-selects-nothing", "cni-addon-missing", "crs-webhook", "gitops-repo-path",
                     "unique-object-names"}
    assert {r.id for r in RULES if rule_scope(r) == "transition"} == {
        "immutable-template", "kcp-immutable-fields", "k8s-upgrade-skip", "crs-immutable", "cluster-immutable",
        "ip-pool-shrink", "control-plane-endpoint-change", "crs-payload-change", "cluster-network-change", "proxmox-rollout-capacity",
        "infrastructure-provider-change", "cluster-removed"}


def test_rules_run_per_cluster_give_the_findings_of_the_whole_fleet(tmp_path: Path) -> None:
    """The example fleet, with problems a cluster-scope rule reports at shared fleetgen.yaml positions."""
    from fleetgen.policy import merge_rule_findings, run_cluster_rules, run_rules
    from fleetgen.policy.base import PolicyContext
    from fleetgen.render import render_cluster_files, render_fleet
    from fleetgen.render.base import RenderResult
    from fleetgen.spec.load import Fleet, load_fleet

    root = tmp_path / "fleet"
    shutil.copytree(REPO_ROOT / "clusters", root / "clusters")
    shutil.copytree(REPO_ROOT / "crs", root / "crs")
    config = (REPO_ROOT / "fleetgen.yaml").read_text()
    line = "    kubernetesVersion: v1.33.1\n"
    assert line in config
    (root / "fleetgen.yaml").write_text(config.replace(
        line, line + "    proxmox:\n      storage: ghp_abcdefghijklmnopqrstuvwxyz0123456789\n"))
    fleet, findings = load_fleet(root)
    assert findings == []
    whole = PolicyContext(fleet, render_fleet(fleet))
    rest_fleet = Fleet(root, fleet.config, fleet.config_source, (), fleet.addons)
    per_cluster = []
    cluster_paths = set()
    for cluster in fleet.clusters:
        files = render_cluster_files(cluster, fleet.config, fleet.config_source)
        cluster_paths.update(f.path for f in files)
        alone = Fleet(root, fleet.config, fleet.config_source, (cluster,), ())
        per_cluster.append(run_cluster_rules(PolicyContext(alone, RenderResult(files, (cluster.name,)))))
    rest = RenderResult(tuple(f for f in whole.rendered.files if f.path not in cluster_paths))
    merged = merge_rule_findings(whole, run_cluster_rules(PolicyContext(rest_fleet, rest)), per_cluster)
    expected = run_rules(whole)
    assert any(f.rule_id == "no-inline-credentials" and f.position.file == "fleetgen.yaml" for f in expected)
    assert merged == expected


def test_a_render_error_is_raised_as_the_whole_pipeline_raises_it(tmp_path: Path, schema_dir: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import fleetgen.render.cluster as render_cluster_module
    from fleetgen.errors import RenderError
    from fleetgen.pipeline import load_and_render, run_pipeline

    root = tmp_path / "fleet"
    for name in ("clusters", "crs"):
        shutil.copytree(REPO_ROOT / name, root / name)
    shutil.copy2(REPO_ROOT / "fleetgen.yaml", root / "fleetgen.yaml")
    shutil.copytree(schema_dir, root / "schemas")
    real = render_cluster_module.render_cluster

    def broken(cluster):  # type: ignore[no-untyped-def]
        if cluster.name == "pve-demo":
            raise RenderError(f"{cluster.path}: cannot be rendered")
        return real(cluster)

    monkeypatch.setattr(render_cluster_module, "render_cluster", broken)
    with pytest.raises(RenderError) as whole:
        load_and_render(root)
    for _ in range(2):
        with pytest.raises(RenderError) as split:
            run_pipeline(root)
        assert str(split.value) == str(whole.value)
    assert not (root / CACHE_DIR).exists()
