"""Tests for fleetgen.schemas.sync: fetch from the mirror, verify, convert, write atomically."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetgen.errors import SchemaSyncError
from fleetgen.schemas.catalog import BUILTIN_CORE, PINNED, CoreSchemas, UpstreamFile
from fleetgen.schemas.sync import is_stale, read_index, sync_schemas

NO_CORE = CoreSchemas(kubernetes_version="1.33", kinds=())
FLEET = next(f for f in PINNED if f.repo == "fleet")
CAPI_CLUSTERS = next(f for f in PINNED if f.path.endswith("cluster.x-k8s.io_clusters.yaml"))


def tree_digest(root: Path) -> dict[str, str]:
    """relpath -> sha256 of every file under root."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def copy_mirror(upstream: Path, dest: Path, files: tuple[UpstreamFile, ...]) -> Path:
    for f in files:
        target = f.mirror_path(dest)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f.mirror_path(upstream), target)
    return dest


def with_sha(f: UpstreamFile, sha256: str) -> UpstreamFile:
    return UpstreamFile(f.org, f.repo, f.version, f.path, sha256)


@pytest.mark.parametrize(
    "relpath",
    [
        "cluster.x-k8s.io/cluster_v1beta2.json",
        "cluster.x-k8s.io/cluster_v1beta1.json",
        "controlplane.cluster.x-k8s.io/kubeadmcontrolplane_v1beta2.json",
        "bootstrap.cluster.x-k8s.io/kubeadmconfigtemplate_v1beta2.json",
        "addons.cluster.x-k8s.io/clusterresourceset_v1beta2.json",
        "infrastructure.cluster.x-k8s.io/kubevirtmachinetemplate_v1alpha1.json",
        "infrastructure.cluster.x-k8s.io/proxmoxmachinetemplate_v1alpha2.json",
        "ipam.cluster.x-k8s.io/inclusterippool_v1alpha2.json",
        "fleet.cattle.io/gitrepo_v1alpha1.json",
        "source.toolkit.fluxcd.io/gitrepository_v1.json",
        "kustomize.toolkit.fluxcd.io/kustomization_v1.json",
        "v1/configmap_v1.json",
        "v1/secret_v1.json",
        "v1/namespace_v1.json",
        "apps/daemonset_v1.json",
    ],
    ids=lambda p: p.split("/")[-1].removesuffix(".json").replace("_", "-"),
)
def test_sync_mirror_writes_kubeconform_layout(schema_dir: Path, relpath: str) -> None:
    schema = json.loads((schema_dir / relpath).read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["kind"]["enum"]


def test_sync_unserved_versions_not_written(schema_dir: Path) -> None:
    assert not (schema_dir / "cluster.x-k8s.io/cluster_v1alpha3.json").exists()


def test_sync_index_maps_api_version_kind_to_file_and_sources(schema_dir: Path) -> None:
    index = read_index(schema_dir)
    assert index is not None
    entry = index["schemas"]["cluster.x-k8s.io/v1beta2/Cluster"]
    assert entry["file"] == "cluster.x-k8s.io/cluster_v1beta2.json"
    assert entry["source"] == CAPI_CLUSTERS.key and entry["storage"] is True
    assert index["schemas"]["v1/ConfigMap"]["file"] == "v1/configmap_v1.json"
    assert {s["sha256"] for s in index["sources"]} == {f.sha256 for f in PINNED}
    for name, entry in index["schemas"].items():
        assert (schema_dir / entry["file"]).is_file(), name
    assert len(index["schemas"]) == len(list(schema_dir.glob("*/*.json")))


def test_sync_core_schemas_are_self_contained(schema_dir: Path) -> None:
    text = (schema_dir / "apps/daemonset_v1.json").read_text()
    assert "/api/_definitions.json" not in text and '"$id"' not in text
    schema = json.loads(text)
    refs = {r.split("/")[-1] for r in __import__("re").findall(r'"\$ref": "([^"]+)"', text)}
    assert refs <= set(schema["$defs"])


def test_sync_twice_output_bytes_identical(upstream: Path, schema_dir: Path, tmp_path: Path) -> None:
    dest = tmp_path / "schemas"
    report = sync_schemas(PINNED, dest, mirror=upstream)
    assert report.source_count == 7 and report.file_count == len(PINNED)
    assert [(b.org, b.repo) for b in report.bundles][-1] == ("kubernetes", "kubernetes-validate")
    assert (
        sum(b.schema_count for b in report.bundles) == report.schema_count == len(list(dest.glob("*/*.json")))
    )
    first = tree_digest(dest)
    assert first == tree_digest(schema_dir)
    sync_schemas(PINNED, dest, mirror=upstream)
    assert tree_digest(dest) == first
    assert all(p.read_bytes().endswith(b"}\n") for p in dest.rglob("*.json"))


def test_sync_sha_mismatch_raises_and_leaves_old_schemas(
    upstream: Path, schema_dir: Path, tmp_path: Path
) -> None:
    mirror = copy_mirror(upstream, tmp_path / "mirror", PINNED)
    corrupt = FLEET.mirror_path(mirror)
    corrupt.write_bytes(corrupt.read_bytes() + b"# tampered\n")
    actual = hashlib.sha256(corrupt.read_bytes()).hexdigest()
    dest = tmp_path / "repo" / "schemas"
    shutil.copytree(schema_dir, dest)
    (dest / "sources.yaml").write_text("# user file\n")
    before = tree_digest(dest)
    with pytest.raises(SchemaSyncError) as err:
        sync_schemas(PINNED, dest, mirror=mirror)
    message = str(err.value)
    assert FLEET.key in message and FLEET.sha256 in message and actual in message
    assert err.value.path == FLEET.key
    assert tree_digest(dest) == before
    assert sorted(p.name for p in dest.iterdir() if p.name.startswith(".")) == []


def test_sync_missing_mirror_file_raises_naming_file(upstream: Path, tmp_path: Path) -> None:
    missing = UpstreamFile(
        "kubernetes-sigs", "cluster-api", "v1.12.11", "config/crd/bases/nope.yaml", "0" * 64
    )
    with pytest.raises(SchemaSyncError, match="nope.yaml: not in the mirror"):
        sync_schemas((CAPI_CLUSTERS, missing), tmp_path / "schemas", mirror=upstream, core=NO_CORE)
    assert not (tmp_path / "schemas" / "cluster.x-k8s.io").exists()


def test_sync_incomplete_mirror_names_every_missing_file(upstream: Path, tmp_path: Path) -> None:
    """A mirror missing several pinned files is fixed in one go: each is named, one per line."""
    missing = [UpstreamFile("kubernetes-sigs", "cluster-api", "v1.12.11", f"config/crd/bases/{name}.yaml", "0" * 64)
               for name in ("nope", "gone")]
    with pytest.raises(SchemaSyncError) as err:
        sync_schemas((missing[0], CAPI_CLUSTERS, missing[1]), tmp_path / "schemas", mirror=upstream, core=NO_CORE)
    lines = str(err.value).splitlines()
    assert [line.split(":")[0] for line in lines] == [m.key for m in missing]
    assert all("not in the mirror" in line for line in lines)
    assert err.value.path == missing[0].key


def test_sync_helm_template_action_raises(tmp_path: Path) -> None:
    body = b"{{- if .Values.crds }}\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n{{- end }}\n"
    f = UpstreamFile(
        "example", "chart", "v1.0.0", "charts/x-crd/templates/crds.yaml", hashlib.sha256(body).hexdigest()
    )
    target = f.mirror_path(tmp_path / "mirror")
    target.parent.mkdir(parents=True)
    target.write_bytes(body)
    with pytest.raises(SchemaSyncError, match=r"crds.yaml:1: Helm template action"):
        sync_schemas((f,), tmp_path / "schemas", mirror=tmp_path / "mirror", core=NO_CORE)


def test_sync_fleet_chart_template_has_no_helm_actions(upstream: Path) -> None:
    assert "{{" not in FLEET.mirror_path(upstream).read_text()


def test_sync_conflicting_definitions_from_two_releases_raise(upstream: Path, tmp_path: Path) -> None:
    newer_path = "core/config/crd/bases/cluster.x-k8s.io_clusters.yaml"
    raw = (upstream / "kubernetes-sigs/cluster-api/v1.14.0" / newer_path).read_bytes()
    newer = UpstreamFile(
        "kubernetes-sigs", "cluster-api", "v1.14.0", newer_path, hashlib.sha256(raw).hexdigest()
    )
    with pytest.raises(SchemaSyncError, match="defined differently"):
        sync_schemas((CAPI_CLUSTERS, newer), tmp_path / "schemas", mirror=upstream, core=NO_CORE)


def test_sync_replaces_previous_generated_tree_and_keeps_user_files(
    upstream: Path, schema_dir: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "schemas"
    shutil.copytree(schema_dir, dest)
    (dest / "sources.yaml").write_text("# kept\n")
    (dest / "README.md").write_text("kept\n")
    sync_schemas((FLEET,), dest, mirror=upstream, core=NO_CORE)
    assert (dest / "sources.yaml").read_text() == "# kept\n" and (dest / "README.md").exists()
    assert sorted(p.name for p in dest.iterdir() if p.is_dir()) == ["fleet.cattle.io"]
    assert set(read_index(dest)["schemas"]) == {f"fleet.cattle.io/v1alpha1/{k}" for k in _fleet_kinds(dest)}


def _fleet_kinds(dest: Path) -> set[str]:
    return {
        json.loads(p.read_text())["properties"]["kind"]["enum"][0]
        for p in (dest / "fleet.cattle.io").glob("*.json")
    }


def test_is_stale_detects_changed_sources(schema_dir: Path, tmp_path: Path) -> None:
    assert not is_stale(PINNED, schema_dir, BUILTIN_CORE)
    assert is_stale(PINNED[1:], schema_dir, BUILTIN_CORE)
    assert is_stale((with_sha(PINNED[0], "f" * 64), *PINNED[1:]), schema_dir, BUILTIN_CORE)
    assert is_stale(PINNED, schema_dir, NO_CORE)
    assert is_stale(PINNED, tmp_path)


@pytest.fixture
def http_mirror(upstream: Path) -> Iterator[str]:
    """The mirror served over HTTP on localhost (a real server, no network beyond loopback)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(upstream))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{{org}}/{{repo}}/{{version}}/{{path}}"
    finally:
        server.shutdown()
        server.server_close()


def test_sync_download_writes_same_schemas_as_mirror(
    http_mirror: str, upstream: Path, tmp_path: Path
) -> None:
    sources = (CAPI_CLUSTERS, FLEET)
    sync_schemas(sources, tmp_path / "http", url_template=http_mirror, core=NO_CORE, timeout_s=5)
    sync_schemas(sources, tmp_path / "disk", mirror=upstream, core=NO_CORE)
    assert tree_digest(tmp_path / "http") == tree_digest(tmp_path / "disk")


def test_sync_download_http_404_raises_without_retrying(http_mirror: str, tmp_path: Path) -> None:
    missing = UpstreamFile(
        "kubernetes-sigs", "cluster-api", "v1.12.11", "config/crd/bases/nope.yaml", "0" * 64
    )
    started = time.monotonic()
    with pytest.raises(SchemaSyncError, match=r"nope.yaml: download failed: HTTP 404"):
        sync_schemas((missing,), tmp_path / "schemas", url_template=http_mirror, core=NO_CORE, timeout_s=5)
    assert time.monotonic() - started < 1.5  # a 404 is not retried
    assert not (tmp_path / "schemas").exists() or not any((tmp_path / "schemas").iterdir())
