"""Output layout (`fleetgen.render.layout`) and the tree `render_fleet` builds from the example fleet."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from fleetgen.render import render_fleet
from fleetgen.render.base import RenderedObject
from fleetgen.render.layout import (
    addon_dir,
    cluster_dir,
    cluster_key,
    data_file,
    forbidden_dirs,
    objects_file,
    repo_path,
)
from fleetgen.sourcemap import SourceMap
from fleetgen.spec.load import load_fleet

REPO_ROOT = Path(__file__).resolve().parents[3]

FLEET_TREE = [
    "addons/clusters/baseline/addon.yaml",
    "addons/clusters/baseline/fleet.yaml",
    "addons/clusters/calico/addon.yaml",
    "addons/clusters/calico/fleet.yaml",
    "clusters/clusters/kv-demo/cluster.yaml",
    "clusters/clusters/kv-demo/fleet.yaml",
    "clusters/clusters/pve-demo/cluster.yaml",
    "clusters/clusters/pve-demo/fleet.yaml",
    "gitops/gitrepo.yaml",
    "namespaces/fleet.yaml",
    "namespaces/namespaces.yaml",
]


def copy_example(root: Path, *, agent: str = "fleet") -> Path:
    root.mkdir(parents=True)
    for name in ("clusters", "crs"):
        shutil.copytree(REPO_ROOT / name, root / name)
    (root / "fleetgen.yaml").write_text((REPO_ROOT / "fleetgen.yaml").read_text().replace("agent: fleet ", f"agent: {agent} "))
    return root


def test_paths_of_bundles() -> None:
    assert cluster_dir("clusters", "kv-demo") == "clusters/clusters/kv-demo"
    assert addon_dir("team-a", "calico") == "addons/team-a/calico"
    assert repo_path("fleet", "clusters") == "fleet/clusters" and repo_path("out") == "out"
    assert cluster_key("clusters/clusters/kv-demo/cluster.yaml") == ("clusters", "kv-demo")
    assert cluster_key("clusters/clusters/kv-demo/fleet.yaml") == ("clusters", "kv-demo")
    assert cluster_key("clusters/stray.yaml") is None
    assert cluster_key("addons/clusters/calico/addon.yaml") is None


def test_example_fleet_tree_with_fleet_agent(tmp_path: Path) -> None:
    fleet, _ = load_fleet(copy_example(tmp_path / "f"))
    result = render_fleet(fleet)
    assert [f.path for f in result.files] == FLEET_TREE
    assert result.clusters == ("kv-demo", "pve-demo")
    assert result.findings == ()


def test_example_fleet_tree_with_flux_agent(tmp_path: Path) -> None:
    fleet, _ = load_fleet(copy_example(tmp_path / "f", agent="flux"))
    result = render_fleet(fleet)
    assert [f.path for f in result.files] == [
        "addons/clusters/baseline/addon.yaml",
        "addons/clusters/calico/addon.yaml",
        "addons/clusters/kustomization.yaml",
        "clusters/clusters/kv-demo/cluster.yaml",
        "clusters/clusters/kv-demo/kustomization.yaml",
        "clusters/clusters/pve-demo/cluster.yaml",
        "clusters/clusters/pve-demo/kustomization.yaml",
        "gitops/flux.yaml",
        "gitops/kustomization.yaml",
        "namespaces/kustomization.yaml",
        "namespaces/namespaces.yaml",
    ]


def test_cluster_file_holds_the_cluster_objects_in_render_order(tmp_path: Path) -> None:
    from fleetgen.render.cluster import render_cluster

    fleet, _ = load_fleet(copy_example(tmp_path / "f"))
    result = render_fleet(fleet)
    for cluster in fleet.clusters:
        f = result.by_path()[f"clusters/{cluster.namespace}/{cluster.name}/cluster.yaml"]
        expected = [(o.ref.kind, o.ref.name) for o in render_cluster(cluster)]
        assert [(o.ref.kind, o.ref.name) for o in f.objects] == expected
        assert [(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(f.content)] == expected
        assert all(o.cluster == cluster.name for o in f.objects)


def test_namespaces_file_lists_each_namespace_holding_clusters(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "f")
    spec = root / "clusters" / "kubevirt" / "kv-demo.yaml"
    spec.write_text(spec.read_text().replace("  name: kv-demo\n", "  name: kv-demo\n  namespace: team-a\n"))
    fleet, _ = load_fleet(root)
    result = render_fleet(fleet)
    namespaces = list(yaml.safe_load_all(result.by_path()["namespaces/namespaces.yaml"].content))
    assert [(n["apiVersion"], n["kind"], n["metadata"]["name"]) for n in namespaces] == [
        ("v1", "Namespace", "clusters"), ("v1", "Namespace", "team-a")]
    assert "clusters/team-a/kv-demo/cluster.yaml" in result.by_path()
    # the namespace object points back at the spec that put a cluster there
    obj = result.by_path()["namespaces/namespaces.yaml"].objects[1]
    assert obj.spec_position("").file == "clusters/kubevirt/kv-demo.yaml"


def test_empty_fleet_renders_only_the_gitops_objects(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "f")
    shutil.rmtree(root / "clusters")
    fleet, _ = load_fleet(root)
    assert [f.path for f in render_fleet(fleet).files] == ["gitops/gitrepo.yaml"]


def test_objects_file_is_deterministic_multidoc_with_one_trailing_newline() -> None:
    source = SourceMap("x.yaml")
    objs = [RenderedObject({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}}, source) for n in ("b", "a")]
    f = objects_file("namespaces/namespaces.yaml", objs)
    assert f.content == b"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n"
    assert f.objects == tuple(objs)
    d = data_file("x/fleet.yaml", {"name": "n", "dependsOn": [{"name": "m"}]})
    assert d.content == b"name: n\ndependsOn:\n- name: m\n" and d.objects == ()


def test_every_rendered_file_ends_with_exactly_one_newline(tmp_path: Path) -> None:
    for agent in ("fleet", "flux"):
        fleet, _ = load_fleet(copy_example(tmp_path / agent, agent=agent))
        for f in render_fleet(fleet).files:
            assert f.content.endswith(b"\n") and not f.content.endswith(b"\n\n"), f.path


def test_forbidden_directory_names() -> None:
    assert forbidden_dirs(["clusters/templates/a/cluster.yaml", "addons/x/templates/addon.yaml", "templates.yaml"]) == [
        "addons/x/templates", "clusters/templates"]
    assert forbidden_dirs(["clusters/clusters/a/cluster.yaml"]) == []


@pytest.mark.parametrize(("agent", "expected"), [("fleet", ["output-layout"]), ("flux", [])], ids=["fleet", "flux"])
def test_namespace_named_templates_is_refused_for_fleet(tmp_path: Path, agent: str, expected: list[str]) -> None:
    root = copy_example(tmp_path / "f", agent=agent)
    cfg = root / "fleetgen.yaml"
    cfg.write_text(cfg.read_text().replace("namespace: clusters", "namespace: templates"))
    fleet, findings = load_fleet(root)
    assert findings == []
    result = render_fleet(fleet)
    assert [f.rule_id for f in result.findings] == expected
    if expected:  # at the namespace's line in fleetgen.yaml's defaults, which every spec inherits
        assert [(f.position.file, f.pointer) for f in result.findings] == [("fleetgen.yaml", "/metadata/namespace")]


def test_cluster_or_addon_named_templates_is_reported_at_its_name(tmp_path: Path) -> None:
    """Regression: the finding pointed at fleetgen.yaml:2:1, not at the spec that names the directory."""
    root = copy_example(tmp_path / "f", agent="fleet")
    spec = root / "clusters/kubevirt/kv-demo.yaml"
    spec.write_text(spec.read_text().replace("name: kv-demo", "name: templates"))
    (root / "crs/calico").rename(root / "crs/templates")
    addon = root / "crs/templates/addon.yaml"
    addon.write_text(addon.read_text().replace("name: calico", "name: templates"))
    fleet, findings = load_fleet(root)
    assert findings == []
    result = render_fleet(fleet)
    assert sorted((str(f.position), f.message.split(":")[0]) for f in result.findings) == [
        ("clusters/kubevirt/kv-demo.yaml:5:3", "metadata.name"), ("crs/templates/addon.yaml:6:3", "metadata.name")]
    assert all("fleet/addons/clusters/templates/" in f.message or "fleet/clusters/clusters/templates/" in f.message
               for f in result.findings)
