"""One cluster name in two namespaces: two clusters, as the API server sees them.

A CAPI Cluster is named within its namespace; fleetgen's output paths, GitOps bundle names and
ClusterResourceSets are per namespace too. So two specs with the same name in different namespaces
are a valid fleet (no finding), render side by side, and commands that take a cluster name ask for
`NAMESPACE/NAME` when a bare name is ambiguous.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Cli = Callable[..., Any]

KV_SPEC = "clusters/kubevirt/kv-demo.yaml"
TWIN_SPEC = "clusters/kubevirt/kv-demo-team-b.yaml"


@pytest.fixture(params=["fleet", "flux"])
def twin_repo(fleet_repo: Path, request: pytest.FixtureRequest) -> Path:
    """The example fleet plus kv-demo again, in namespace team-b, for each GitOps agent."""
    text = (fleet_repo / KV_SPEC).read_text()
    assert text.count("  name: kv-demo\n") == 1
    (fleet_repo / TWIN_SPEC).write_text(text.replace("  name: kv-demo\n", "  name: kv-demo\n  namespace: team-b\n"))
    if request.param == "flux":
        config = fleet_repo / "fleetgen.yaml"
        config.write_text(config.read_text().replace("agent: fleet ", "agent: flux  "))
    return fleet_repo


def test_same_name_in_two_namespaces_is_valid_and_renders_both(twin_repo: Path, cli: Cli) -> None:
    result = cli("--repo", str(twin_repo), "validate")
    assert result.exit_code == 0, result.stdout
    assert "errors: 0, warnings: 0" in result.stdout
    assert cli("--repo", str(twin_repo), "render").exit_code == 0
    for namespace in ("clusters", "team-b"):
        assert (twin_repo / "fleet" / "clusters" / namespace / "kv-demo" / "cluster.yaml").is_file()
    if (twin_repo / "fleet" / "gitops" / "kustomization.yaml").is_file():  # flux: the whole tree builds
        subprocess.run(["kubectl", "kustomize", str(twin_repo / "fleet" / "gitops")], check=True, capture_output=True)


def test_scale_asks_for_the_namespace_when_the_name_is_ambiguous(twin_repo: Path, cli: Cli) -> None:
    before = (twin_repo / KV_SPEC).read_text()
    ambiguous = cli("--repo", str(twin_repo), "scale", "kv-demo", "md-0", "4")
    assert ambiguous.exit_code == 2
    assert ("cluster 'kv-demo' is ambiguous: it is used in several namespaces; give one of "
            "clusters/kv-demo, team-b/kv-demo") in ambiguous.stderr
    assert (twin_repo / KV_SPEC).read_text() == before
    result = cli("--repo", str(twin_repo), "scale", "team-b/kv-demo", "md-0", "4")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert (twin_repo / KV_SPEC).read_text() == before
    assert "      replicas: 4\n" in (twin_repo / TWIN_SPEC).read_text()


def test_scale_of_an_unknown_cluster_lists_a_shared_name_with_its_namespaces(twin_repo: Path, cli: Cli) -> None:
    result = cli("--repo", str(twin_repo), "scale", "x/y/z", "md-0", "4")
    assert result.exit_code == 2
    assert "unknown cluster 'x/y/z'; known: clusters/kv-demo, pve-demo, team-b/kv-demo" in result.stderr


def test_same_name_in_one_namespace_is_refused(twin_repo: Path, cli: Cli) -> None:
    twin = twin_repo / TWIN_SPEC
    twin.write_text(twin.read_text().replace("  namespace: team-b\n", "  namespace: clusters\n"))
    result = cli("--repo", str(twin_repo), "validate")
    assert result.exit_code == 1
    # (both copies are reported, each naming the other)
    assert (f"{KV_SPEC}:5:3: error [unique-cluster-names] metadata.name: cluster 'kv-demo' in namespace 'clusters' "
            f"is also defined in {TWIN_SPEC}") in result.stdout
    assert (f"{TWIN_SPEC}:5:3: error [unique-cluster-names] metadata.name: cluster 'kv-demo' in namespace 'clusters' "
            f"is also defined in {KV_SPEC}") in result.stdout


@pytest.mark.parametrize("agent", ["fleet", "flux"])
def test_bundle_names_that_two_namespaces_share_are_refused(fleet_repo: Path, cli: Cli, agent: str) -> None:
    """Namespace a-b with cluster c and namespace a with cluster b-c: both bundles would be named
    fleetgen-cluster-a-b-c (a Fleet Bundle; a Flux Kustomization, which `kubectl kustomize` refuses
    twice). Each spec gets an error at its name and nothing is written."""
    text = (fleet_repo / KV_SPEC).read_text()
    for namespace, name in (("a-b", "c"), ("a", "b-c")):
        (fleet_repo / f"clusters/kubevirt/{name}.yaml").write_text(
            text.replace("  name: kv-demo\n", f"  name: {name}\n  namespace: {namespace}\n"))
    if agent == "flux":
        config = fleet_repo / "fleetgen.yaml"
        config.write_text(config.read_text().replace("agent: fleet ", "agent: flux  "))
    result = cli("--repo", str(fleet_repo), "validate")
    assert result.exit_code == 1, result.stdout
    kind = "Bundle" if agent == "fleet" else "Kustomization"
    for spec, other in (("c", "a/b-c"), ("b-c", "a-b/c")):
        assert (f"clusters/kubevirt/{spec}.yaml:5:3: error [unique-object-names] metadata.name: renders {kind} "
                f"fleet-local/fleetgen-cluster-a-b-c, which cluster {other} ") in result.stdout, result.stdout
    before = sorted(p.relative_to(fleet_repo) for p in (fleet_repo / "fleet").rglob("*"))
    assert cli("--repo", str(fleet_repo), "render").exit_code == 1
    assert sorted(p.relative_to(fleet_repo) for p in (fleet_repo / "fleet").rglob("*")) == before
