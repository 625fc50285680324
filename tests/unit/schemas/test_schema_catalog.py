"""Tests for fleetgen.schemas.catalog: the pinned set, sources.yaml and the file layout."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from fleetgen.errors import ConfigError
from fleetgen.schemas.catalog import (
    BUILTIN_CORE,
    PINNED,
    load_core_schemas,
    load_sources,
    render_sources_yaml,
    schema_relpath,
)

#: DESIGN.md "Pinned upstream versions", exactly.
DESIGN_BUNDLES = {
    ("kubernetes-sigs", "cluster-api", "v1.12.11"),
    ("kubernetes-sigs", "cluster-api-provider-kubevirt", "v0.11.2"),
    ("ionos-cloud", "cluster-api-provider-proxmox", "v0.9.0"),
    ("kubernetes-sigs", "cluster-api-ipam-provider-in-cluster", "v1.0.3"),
    ("rancher", "fleet", "v0.16.1"),
    ("fluxcd", "source-controller", "v1.9.1"),
    ("fluxcd", "kustomize-controller", "v1.9.4"),
}


def write_sources(root: Path, text: str) -> None:
    (root / "schemas").mkdir(parents=True, exist_ok=True)
    (root / "schemas" / "sources.yaml").write_text(text)


def test_catalog_pinned_sha256_match_mirror(upstream: Path) -> None:
    for f in PINNED:
        path = f.mirror_path(upstream)
        assert path.is_file(), f"{f.key} missing from the mirror"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == f.sha256, f.key


def test_catalog_pinned_bundles_are_design_versions_only() -> None:
    assert {f.bundle for f in PINNED} == DESIGN_BUNDLES
    assert not any(
        "v1.14.0" in f.key or "/templates/cluster-template" in f.key or "calico" in f.key for f in PINNED
    )


def test_catalog_pinned_covers_every_mirrored_crd_file_of_pinned_versions(upstream: Path) -> None:
    pinned = {f.key for f in PINNED}
    for org, repo, version in DESIGN_BUNDLES:
        base = upstream / org / repo / version
        for path in base.rglob("*.yaml"):
            rel = path.relative_to(base).as_posix()
            if "/crd/bases/" in f"/{rel}" or rel == "charts/fleet-crd/templates/crds.yaml":
                assert f"{org}/{repo}/{version}/{rel}" in pinned


def test_catalog_upstream_file_url_is_raw_github() -> None:
    f = next(f for f in PINNED if f.path.endswith("cluster.x-k8s.io_clusters.yaml"))
    assert f.url == (
        "https://raw.githubusercontent.com/kubernetes-sigs/cluster-api/v1.12.11/"
        "config/crd/bases/cluster.x-k8s.io_clusters.yaml"
    )


def test_load_sources_without_file_returns_builtin_set(tmp_path: Path) -> None:
    assert load_sources(tmp_path) == PINNED
    assert load_core_schemas(tmp_path) == BUILTIN_CORE


def test_render_sources_yaml_roundtrip_returns_same_sources(tmp_path: Path) -> None:
    write_sources(tmp_path, render_sources_yaml())
    assert load_sources(tmp_path) == PINNED
    assert load_core_schemas(tmp_path) == BUILTIN_CORE


GOOD_HEAD = """apiVersion: fleetgen.dev/v1alpha1
kind: SchemaSources
sources:
  - org: rancher
    repo: fleet
    version: v0.16.1
    files:
      - path: charts/fleet-crd/templates/crds.yaml
"""
GOOD_SHA = "        sha256: " + "a" * 64 + "\n"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (GOOD_HEAD + "        sha256: abc\n", 9, "64 lower-case hex"),
        (GOOD_HEAD + GOOD_SHA + "    branch: main\n", 10, "unknown field 'branch'"),
        (GOOD_HEAD.replace("SchemaSources", "FleetConfig") + GOOD_SHA, 2, "expected SchemaSources"),
        (GOOD_HEAD.replace("charts/fleet-crd", "../charts") + GOOD_SHA, 8, "relative POSIX path"),
        (GOOD_HEAD + GOOD_SHA + GOOD_HEAD.splitlines(True)[7] + GOOD_SHA, 10, "listed twice"),
        (GOOD_HEAD + "       sha256: [\n", 9, "yaml"),
        (GOOD_HEAD.replace("    version: v0.16.1\n", "") + GOOD_SHA, 4, "missing required field 'version'"),
        (GOOD_HEAD + GOOD_SHA + "core:\n  kubernetesVersion: latest\n  kinds: []\n", 11, "MAJOR.MINOR"),
        (
            GOOD_HEAD + GOOD_SHA + 'core:\n  kubernetesVersion: "1.33"\n  kinds: [ConfigMap]\n',
            12,
            "apiVersion/Kind",
        ),
    ],
    ids=[
        "bad-sha",
        "unknown-field",
        "wrong-kind",
        "path-escape",
        "duplicate",
        "yaml-syntax",
        "missing-version",
        "core-version",
        "core-kind",
    ],
)
def test_load_sources_bad_file_raises_config_error_with_line(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    write_sources(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_sources(tmp_path)
        load_core_schemas(tmp_path)
    assert err.value.path == "schemas/sources.yaml"
    assert err.value.line == line, str(err.value)
    assert f"schemas/sources.yaml:{line}: " in str(err.value)
    assert fragment in str(err.value)


def test_load_core_schemas_explicit_empty_kinds_returns_none(tmp_path: Path) -> None:
    write_sources(tmp_path, GOOD_HEAD + GOOD_SHA + 'core:\n  kubernetesVersion: "1.32"\n  kinds: []\n')
    core = load_core_schemas(tmp_path)
    assert core.kubernetes_version == "1.32"
    assert core.kinds == ()


@pytest.mark.parametrize(
    ("api_version", "kind", "expected"),
    [
        ("cluster.x-k8s.io/v1beta2", "Cluster", "cluster.x-k8s.io/cluster_v1beta2.json"),
        ("fleet.cattle.io/v1alpha1", "GitRepo", "fleet.cattle.io/gitrepo_v1alpha1.json"),
        ("v1", "ConfigMap", "v1/configmap_v1.json"),
        ("apps/v1", "DaemonSet", "apps/daemonset_v1.json"),
    ],
    ids=["capi", "fleet", "core-v1", "apps"],
)
def test_schema_relpath_kubeconform_layout_returns_group_kind_version(
    api_version: str, kind: str, expected: str
) -> None:
    assert schema_relpath(api_version, kind) == expected


@pytest.mark.parametrize(
    ("api_version", "kind"), [("../v1", "X"), ("v1", ""), ("a/b/c", "../x")], ids=["dotdot", "empty", "slash"]
)
def test_schema_relpath_unsafe_input_raises_value_error(api_version: str, kind: str) -> None:
    with pytest.raises(ValueError):
        schema_relpath(api_version, kind)


def test_render_sources_yaml_all_digit_sha_roundtrips_as_string(tmp_path: Path) -> None:
    sources = (dataclasses.replace(PINNED[0], sha256="0" * 64),)
    write_sources(tmp_path, render_sources_yaml(sources))
    assert load_sources(tmp_path) == sources
