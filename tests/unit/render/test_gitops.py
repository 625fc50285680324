"""GitOps agent rendering (`fleetgen.render.gitops`): markers, Fleet bundles + GitRepo, Flux objects."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleetgen.render import render_fleet
from fleetgen.render.base import RenderedObject, RenderResult
from fleetgen.render.gitops import (
    FLEET_KEEP,
    FLUX_PRUNE_DISABLED,
    FLUX_SUBSTITUTE_DISABLED,
    is_capi_cluster,
    is_prunable,
    mark_objects,
    short_name,
)
from fleetgen.render.gitops.flux import scp_to_ssh_url
from fleetgen.sourcemap import SourceMap
from fleetgen.spec.load import load_fleet

REPO_ROOT = Path(__file__).resolve().parents[3]


def example_fleet(root: Path, *, agent: str = "fleet", repo: str | None = None, extra_gitops: str = "",
                  autoscale: bool = False) -> Path:
    """A copy of the project's example fleet, with the GitOps settings replaced."""
    root.mkdir(parents=True)
    for name in ("clusters", "crs"):
        shutil.copytree(REPO_ROOT / name, root / name)
    text = (REPO_ROOT / "fleetgen.yaml").read_text()
    text = text.replace("agent: fleet ", f"agent: {agent} ")
    if agent == "flux":
        text = text.replace("namespace: fleet-local", "namespace: flux-system")
    if repo is not None:
        text = text.replace("repo: https://git.example.com/platform/fleet.git", f"repo: {repo!r}")
    if extra_gitops:
        text = text.replace("  branch: main\n", "  branch: main\n" + extra_gitops)
    (root / "fleetgen.yaml").write_text(text)
    if autoscale:
        kv = root / "clusters" / "kubevirt" / "kv-demo.yaml"
        kv.write_text(kv.read_text().replace("      replicas: 3\n", "      autoscaling: {minReplicas: 1, maxReplicas: 6}\n"))
    return root


def render(root: Path) -> RenderResult:
    fleet, findings = load_fleet(root)
    assert findings == []
    return render_fleet(fleet)


def doc(result: RenderResult, path: str) -> Any:
    return yaml.safe_load(result.by_path()[path].content)


def docs(result: RenderResult, path: str) -> list[Any]:
    return list(yaml.safe_load_all(result.by_path()[path].content))


def annotations(manifest: dict[str, Any]) -> dict[str, str]:
    return manifest.get("metadata", {}).get("annotations", {}) or {}


# --------------------------------------------------------------------------------------------
# markers


@pytest.mark.parametrize(("agent", "marker"), [("fleet", FLEET_KEEP), ("flux", FLUX_PRUNE_DISABLED)], ids=["fleet", "flux"])
def test_every_cluster_object_but_cluster_pools_and_health_checks_carries_the_keep_marker(tmp_path: Path, agent: str,
                                                                                          marker: tuple[str, str]) -> None:
    # a pool removed from the spec must be pruned (its Machines deleted), a health check switched off too
    result = render(example_fleet(tmp_path / "f", agent=agent))
    key, value = marker
    cluster_files = [f for f in result.files if f.path.startswith("clusters/") and f.path.endswith("/cluster.yaml")]
    assert len(cluster_files) == 2
    for f in cluster_files:
        manifests = [o.manifest for o in f.objects]
        assert manifests == list(yaml.safe_load_all(f.content))  # the file holds exactly the marked objects
        kinds = {m["kind"] for m in manifests}
        assert {"Cluster", "MachineDeployment", "KubeadmControlPlane"} <= kinds, kinds
        for m in manifests:
            if is_prunable(m):
                assert m["kind"] in ("Cluster", "MachineDeployment", "MachineHealthCheck")
                assert key not in annotations(m), m["kind"]
            else:
                assert annotations(m).get(key) == value, m["kind"]
    for m in docs(result, "namespaces/namespaces.yaml"):
        assert annotations(m).get(key) == value


@pytest.mark.parametrize("agent", ["fleet", "flux"])
def test_addon_objects_are_not_keep_marked_so_a_renamed_crs_is_pruned(tmp_path: Path, agent: str) -> None:
    result = render(example_fleet(tmp_path / "f", agent=agent))
    for m in docs(result, "addons/clusters/calico/addon.yaml"):
        assert FLEET_KEEP[0] not in annotations(m) and FLUX_PRUNE_DISABLED[0] not in annotations(m)


def test_flux_substitute_marker_only_on_objects_with_placeholders() -> None:
    source = SourceMap("x.yaml")
    script = RenderedObject({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "s"},
                             "data": {"run.sh": "echo ${HOSTNAME}\n"}}, source)
    plain = RenderedObject({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "p", "annotations": {"a": "b"}},
                            "data": {"x": "$HOME"}}, source)
    flux = mark_objects([script, plain], "flux")
    assert annotations(flux[0].manifest) == {FLUX_PRUNE_DISABLED[0]: "disabled", FLUX_SUBSTITUTE_DISABLED[0]: "disabled"}
    assert annotations(flux[1].manifest) == {"a": "b", FLUX_PRUNE_DISABLED[0]: "disabled"}
    fleet = mark_objects([script], "fleet")
    assert annotations(fleet[0].manifest) == {"helm.sh/resource-policy": "keep"}
    assert "annotations" not in script.manifest["metadata"]  # the input is not modified


def test_capi_cluster_is_recognised_by_group_and_kind() -> None:
    assert is_capi_cluster({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster"})
    assert not is_capi_cluster({"apiVersion": "fleet.cattle.io/v1alpha1", "kind": "Cluster"})
    assert not is_capi_cluster({"apiVersion": "infrastructure.cluster.x-k8s.io/v1alpha1", "kind": "KubevirtCluster"})


def test_short_name_hashes_long_names_within_the_limit() -> None:
    assert short_name(["fleetgen", "cluster", "ns", "a"], 53) == "fleetgen-cluster-ns-a"
    long_a = short_name(["fleetgen", "cluster", "n" * 40, "a" * 30], 53)
    long_b = short_name(["fleetgen", "cluster", "n" * 40, "a" * 29 + "b"], 53)
    assert len(long_a) <= 53 and len(long_b) <= 53 and long_a != long_b
    assert long_a == short_name(["fleetgen", "cluster", "n" * 40, "a" * 30], 53)
    assert not long_a.startswith("-") and "--" not in long_a


# --------------------------------------------------------------------------------------------
# Fleet


def test_fleet_yaml_beside_every_bundle(tmp_path: Path) -> None:
    result = render(example_fleet(tmp_path / "f"))
    bundle_dirs = sorted(p.rsplit("/", 1)[0] for p in result.by_path() if p.endswith("/fleet.yaml"))
    assert bundle_dirs == ["addons/clusters/baseline", "addons/clusters/calico", "clusters/clusters/kv-demo",
                           "clusters/clusters/pve-demo", "namespaces"]
    assert doc(result, "namespaces/fleet.yaml") == {"name": "fleetgen-namespaces", "defaultNamespace": "default",
                                                  "helm": {"takeOwnership": True}}
    assert doc(result, "clusters/clusters/kv-demo/fleet.yaml") == {
        "name": "fleetgen-cluster-clusters-kv-demo",
        "defaultNamespace": "clusters",
        "dependsOn": [{"name": "fleetgen-namespaces"}],
    }
    assert doc(result, "addons/clusters/calico/fleet.yaml")["dependsOn"] == [{"name": "fleetgen-namespaces"}]
    names = [doc(result, p)["name"] for p in result.by_path() if p.endswith("/fleet.yaml")]
    assert len(set(names)) == len(names) and all(len(n) <= 53 for n in names)
    assert not any("templates" in p.split("/") for p in result.by_path())


def test_fleet_compare_patches_hide_replicas_of_autoscaled_pools(tmp_path: Path) -> None:
    result = render(example_fleet(tmp_path / "f", autoscale=True))
    md = next(o.manifest for o in result.by_path()["clusters/clusters/kv-demo/cluster.yaml"].objects
              if o.manifest["kind"] == "MachineDeployment")
    assert "replicas" not in md["spec"]
    assert doc(result, "clusters/clusters/kv-demo/fleet.yaml")["diff"] == {"comparePatches": [{
        "apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineDeployment", "namespace": "clusters",
        "name": md["metadata"]["name"], "jsonPointers": ["/spec/replicas"]}]}
    assert "diff" not in doc(result, "clusters/clusters/pve-demo/fleet.yaml")


def test_fleet_gitrepo_covers_bundle_roots(tmp_path: Path) -> None:
    result = render(example_fleet(tmp_path / "f", extra_gitops="  secretRef: git-auth\n  interval: 5m\n"))
    assert doc(result, "gitops/gitrepo.yaml") == {
        "apiVersion": "fleet.cattle.io/v1alpha1",
        "kind": "GitRepo",
        "metadata": {"name": "fleetgen", "namespace": "fleet-local"},
        "spec": {
            "repo": "https://git.example.com/platform/fleet.git",
            "branch": "main",
            "paths": ["fleet/namespaces", "fleet/addons", "fleet/clusters"],
            "pollingInterval": "5m",
            "clientSecretName": "git-auth",
            "keepResources": True,
        },
    }


def test_fleet_gitrepo_defaults_to_fleet_local_and_accepts_scp_urls(tmp_path: Path) -> None:
    root = example_fleet(tmp_path / "f", repo="git@git.example.com:platform/fleet.git")
    cfg = root / "fleetgen.yaml"
    cfg.write_text(cfg.read_text().replace("  namespace: fleet-local ", "  # no namespace "))
    result = render(root)
    assert result.findings == ()
    gitrepo = doc(result, "gitops/gitrepo.yaml")
    assert gitrepo["metadata"]["namespace"] == "fleet-local"
    assert gitrepo["spec"]["repo"] == "git@git.example.com:platform/fleet.git"


def test_gitops_config_does_not_change_when_a_cluster_is_added(tmp_path: Path) -> None:
    for agent, path in (("fleet", "gitops/gitrepo.yaml"), ("flux", "gitops/flux.yaml")):
        root = example_fleet(tmp_path / agent, agent=agent)
        before = render(root)
        spec = root / "clusters" / "kubevirt" / "kv-demo.yaml"
        (root / "clusters" / "kubevirt" / "kv-two.yaml").write_text(spec.read_text().replace("name: kv-demo", "name: kv-two"))
        after = render(root)
        assert "clusters/clusters/kv-two/cluster.yaml" in after.by_path()
        if agent == "fleet":
            assert after.by_path()[path].content == before.by_path()[path].content
            assert "clusters/clusters/kv-two/fleet.yaml" in after.by_path()
        else:  # one more Kustomization; the GitRepository is unchanged
            assert docs(after, path)[0] == docs(before, path)[0]
            assert len(docs(after, path)) == len(docs(before, path)) + 1


def test_bundle_and_kustomization_names_do_not_depend_on_the_repo_url(tmp_path: Path) -> None:
    for agent in ("fleet", "flux"):
        a = render(example_fleet(tmp_path / f"{agent}-a", agent=agent))
        b = render(example_fleet(tmp_path / f"{agent}-b", agent=agent, repo="https://elsewhere.example.org/x/y.git"))
        changed = [p for p, f in a.by_path().items() if f.content != b.by_path()[p].content]
        assert changed == (["gitops/gitrepo.yaml"] if agent == "fleet" else ["gitops/flux.yaml"])


# --------------------------------------------------------------------------------------------
# Flux


def test_flux_objects(tmp_path: Path) -> None:
    result = render(example_fleet(tmp_path / "f", agent="flux", autoscale=True, extra_gitops="  secretRef: git-auth\n"))
    assert result.findings == ()
    assert not [p for p in result.by_path() if p.endswith("/fleet.yaml") or p.startswith("gitops/gitrepo")]
    objs = docs(result, "gitops/flux.yaml")
    assert [(o["kind"], o["metadata"]["name"]) for o in objs] == [
        ("GitRepository", "fleetgen"),
        ("Kustomization", "fleetgen-namespaces"),
        ("Kustomization", "fleetgen-addons-clusters"),
        ("Kustomization", "fleetgen-cluster-clusters-kv-demo"),
        ("Kustomization", "fleetgen-cluster-clusters-pve-demo"),
    ]
    assert {o["metadata"]["namespace"] for o in objs} == {"flux-system"}
    repo = objs[0]
    assert repo["apiVersion"] == "source.toolkit.fluxcd.io/v1"
    assert repo["spec"] == {"interval": "1m", "url": "https://git.example.com/platform/fleet.git",
                            "ref": {"branch": "main"}, "secretRef": {"name": "git-auth"}, "ignore": "/*\n!/fleet/\n"}
    ns_ks, addons_ks, kv_ks, pve_ks = (o["spec"] for o in objs[1:])
    for ks in (ns_ks, addons_ks, kv_ks, pve_ks):
        assert ks["prune"] is True and ks["wait"] is True and ks["interval"] == "1m"
        assert ks["sourceRef"] == {"kind": "GitRepository", "name": "fleetgen"}
    assert ns_ks["path"] == "./fleet/namespaces" and "dependsOn" not in ns_ks and ns_ks["deletionPolicy"] == "Orphan"
    assert addons_ks["path"] == "./fleet/addons/clusters" and addons_ks["dependsOn"] == [{"name": "fleetgen-namespaces"}]
    assert addons_ks["deletionPolicy"] == "Orphan"
    assert kv_ks["path"] == "./fleet/clusters/clusters/kv-demo" and kv_ks["dependsOn"] == [{"name": "fleetgen-namespaces"}]
    assert kv_ks["deletionPolicy"] == "Delete"
    assert kv_ks["healthCheckExprs"] == [{
        "apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster",
        "current": "status.conditions.exists(e, e.type == 'Available' && e.status == 'True')"}]
    assert kv_ks["ignore"] == [{"paths": ["/spec/replicas"], "target": {
        "group": "cluster.x-k8s.io", "kind": "MachineDeployment", "name": "kv-demo-md-0", "namespace": "clusters"}}]
    assert "ignore" not in pve_ks
    # kustomization.yaml in every directory a Kustomization points at
    assert doc(result, "gitops/kustomization.yaml") == {"apiVersion": "kustomize.config.k8s.io/v1beta1",
                                                        "kind": "Kustomization", "resources": ["flux.yaml"]}
    assert doc(result, "namespaces/kustomization.yaml")["resources"] == ["namespaces.yaml"]
    assert doc(result, "addons/clusters/kustomization.yaml")["resources"] == ["baseline/addon.yaml", "calico/addon.yaml"]
    assert doc(result, "clusters/clusters/kv-demo/kustomization.yaml")["resources"] == ["cluster.yaml"]
    for o in objs[1:]:
        path = o["spec"]["path"].removeprefix("./fleet/")
        assert f"{path}/kustomization.yaml" in result.by_path()


@pytest.mark.parametrize(("url", "suggestion"), [
    ("git@github.com:org/fleet.git", "ssh://git@github.com/org/fleet.git"),
    ("github.com:org/fleet.git", "ssh://github.com/org/fleet.git"),
], ids=["user-at-host", "host-only"])
def test_flux_scp_style_url_is_an_error_finding(tmp_path: Path, url: str, suggestion: str) -> None:
    result = render(example_fleet(tmp_path / "f", agent="flux", repo=url))
    assert [(f.rule_id, f.severity.value, str(f.position), f.pointer) for f in result.findings] == [
        ("flux-git-url", "error", "fleetgen.yaml:6:3", "/gitops/repo")]
    assert suggestion in result.findings[0].message
    assert scp_to_ssh_url(url) == suggestion
    assert scp_to_ssh_url("https://x/y") is None


@pytest.mark.parametrize("url", ["https://git.example.com/a.git", "http://git/a", "ssh://git@host/org/repo.git"],
                         ids=["https", "http", "ssh"])
def test_flux_accepts_http_https_and_ssh_urls(tmp_path: Path, url: str) -> None:
    assert render(example_fleet(tmp_path / "f", agent="flux", repo=url)).findings == ()


# --------------------------------------------------------------------------------------------
# against the pinned CRD schemas


@pytest.mark.parametrize("agent", ["fleet", "flux"])
def test_gitops_objects_and_fleet_yaml_validate_against_the_pinned_schemas(tmp_path: Path, schema_dir: Path, agent: str) -> None:
    from fleetgen.schemas.registry import SchemaRegistry

    registry = SchemaRegistry([schema_dir])
    result = render(example_fleet(tmp_path / "f", agent=agent, autoscale=True, extra_gitops="  secretRef: git-auth\n"))
    checked = set()
    for path in ("gitops/gitrepo.yaml", "gitops/flux.yaml"):
        if path in result.by_path():
            for manifest in docs(result, path):
                assert registry.validate(manifest) == [], (path, manifest["kind"])
                checked.add(manifest["kind"])
    assert checked == ({"GitRepo"} if agent == "fleet" else {"GitRepository", "Kustomization"})
    if agent == "fleet":  # fleet.yaml is a BundleSpec plus name/labels (rancher/fleet fleetyaml.go)
        for path in result.by_path():
            if path.endswith("/fleet.yaml"):
                options = doc(result, path)
                bundle = {"apiVersion": "fleet.cattle.io/v1alpha1", "kind": "Bundle",
                          "metadata": {"name": options.pop("name")}, "spec": options}
                assert registry.validate(bundle) == [], path


def test_flux_cluster_health_expression_requires_available_true() -> None:
    import cel

    from fleetgen.render.gitops.flux import CLUSTER_AVAILABLE_EXPR

    program = cel.compile(CLUSTER_AVAILABLE_EXPR)

    def healthy(conditions: list[dict[str, str]]) -> bool:
        return bool(program.execute({"status": {"conditions": conditions}}))

    assert healthy([{"type": "Available", "status": "True"}])
    assert not healthy([{"type": "Available", "status": "False"}])
    assert not healthy([{"type": "InfrastructureReady", "status": "True"}])  # provisioning: no Available yet


@pytest.mark.parametrize("url", ["git.example.com/platform/fleet.git", "/srv/git/fleet.git", "fleet"])
def test_fleet_url_naming_no_remote_repository_is_an_error_finding(tmp_path: Path, url: str) -> None:
    """Fleet's GitRepo schema takes any string, but git reads these as local paths: the clone on
    the management cluster fails, so the PR must."""
    result = render(example_fleet(tmp_path / "f", agent="fleet", repo=url))
    assert [(f.rule_id, f.severity.value, str(f.position), f.pointer) for f in result.findings] == [
        ("fleet-git-url", "error", "fleetgen.yaml:6:3", "/gitops/repo")]
    assert "names no remote repository" in result.findings[0].message


@pytest.mark.parametrize("url", ["https://git.example.com/platform/fleet.git", "ssh://git@git.example.com/p/f.git",
                                 "git@github.com:org/fleet.git", "github.com:org/fleet.git", "git://host/f.git",
                                 "git@git.example.com:/srv/git/fleet.git"])
def test_fleet_accepts_every_remote_url_form(tmp_path: Path, url: str) -> None:
    assert render(example_fleet(tmp_path / "f", agent="fleet", repo=url)).findings == ()
