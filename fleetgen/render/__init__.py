"""Rendering: a loaded fleet -> the whole output tree, in memory.

Owns: `render_fleet`, which composes the CAPI renderers (`fleetgen.render.cluster`), the addon
renderer (`fleetgen.render.crs`), the layout (`fleetgen.render.layout`) and the GitOps agent
post-processing and files (`fleetgen.render.gitops`) into one `RenderResult`. Must not write
files (see `fleetgen.render.write`), print, or validate against schemas.

Example:
    >>> fleet, findings = load_fleet(Path("."))                # doctest: +SKIP
    >>> result = render_fleet(fleet)                           # doctest: +SKIP
    >>> [f.path for f in result.files][:2]                     # doctest: +SKIP
    ['addons/clusters/baseline/addon.yaml', 'addons/clusters/baseline/fleet.yaml']
"""

from __future__ import annotations

from typing import Any

from fleetgen.findings import Finding, Severity
from fleetgen.render.base import OutputFile, RenderedObject, RenderResult
from fleetgen.render.cluster import render_cluster
from fleetgen.render.crs import render_addons
from fleetgen.render.gitops import is_capi_cluster, mark_objects, render_agent_files
from fleetgen.render.layout import (
    ADDON_FILE,
    CLUSTER_FILE,
    NAMESPACES_DIR,
    NAMESPACES_FILE,
    Bundle,
    addon_dir,
    cluster_dir,
    forbidden_dirs,
    objects_file,
)
from fleetgen.spec.load import Fleet, LoadedCluster

__all__ = ["render_fleet"]

RULE_LAYOUT = "output-layout"


def _cluster_labels(cluster: LoadedCluster, objects: list[RenderedObject]) -> dict[str, str]:
    """Labels of the rendered CAPI Cluster (what a ClusterResourceSet matches), else the spec's."""
    for obj in objects:
        if is_capi_cluster(obj.manifest):
            labels: Any = obj.manifest.get("metadata", {}).get("labels", {})
            return dict(labels or {})
    return dict(cluster.spec.metadata.labels)


def _namespace_objects(clusters: tuple[LoadedCluster, ...]) -> list[RenderedObject]:
    """One `v1 Namespace` per management-cluster namespace that holds clusters, sorted by name."""
    first: dict[str, LoadedCluster] = {}
    for c in clusters:
        first.setdefault(c.namespace, c)
    return [
        RenderedObject({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
                       first[ns].source, {"": "/metadata/namespace"})
        for ns in sorted(first)
    ]


def render_fleet(fleet: Fleet) -> RenderResult:
    """Render every cluster, addon and GitOps object of a fleet into the output tree.

    Args:
        fleet: a loaded fleet (`fleetgen.spec.load.load_fleet`); only specs and addons that
            loaded cleanly are in it, and callers render only when loading found no errors.

    Returns:
        A RenderResult with every file of the output tree (paths relative to
        `fleet.config.output_dir`, sorted): per cluster `clusters/<ns>/<name>/cluster.yaml`
        (its CAPI objects in render order), per addon and namespace
        `addons/<ns>/<addon>/addon.yaml` (ConfigMaps, then the ClusterResourceSet),
        `namespaces/namespaces.yaml`, and the agent's files (see `fleetgen.render.gitops`);
        `clusters` lists the cluster names, sorted; `findings` holds rendering problems
        (`crs-payload-size`, `no-inline-secrets`, `crs-payload-key`, `parse`,
        `flux-git-url`, `output-layout`). Deterministic: the same fleet gives equal bytes.

    Raises:
        RenderError: from `render_cluster`, when a spec cannot be rendered at all.
    """
    config = fleet.config
    agent = config.gitops.agent
    findings: list[Finding] = []
    bundles: list[Bundle] = []
    cluster_labels: list[tuple[str, dict[str, str]]] = []

    namespaces = _namespace_objects(fleet.clusters)
    if namespaces:
        file = objects_file(f"{NAMESPACES_DIR}/{NAMESPACES_FILE}", mark_objects(namespaces, agent))
        bundles.append(Bundle("namespaces", NAMESPACES_DIR, "", "", (file,)))

    addon_bundles: list[Bundle] = []
    cluster_bundles: list[Bundle] = []
    for cluster in fleet.clusters:
        objects = render_cluster(cluster)
        cluster_labels.append((cluster.namespace, _cluster_labels(cluster, objects)))
        directory = cluster_dir(cluster.namespace, cluster.name)
        file = objects_file(f"{directory}/{CLUSTER_FILE}", mark_objects(objects, agent))
        cluster_bundles.append(Bundle("cluster", directory, cluster.namespace, cluster.name, (file,)))

    rendered_addons, addon_findings = render_addons(fleet.addons, cluster_labels)
    findings.extend(addon_findings)
    for (ns, name), objects in rendered_addons.items():
        directory = addon_dir(ns, name)
        file = objects_file(f"{directory}/{ADDON_FILE}", mark_objects(objects, agent, keep=False))
        addon_bundles.append(Bundle("addon", directory, ns, name, (file,)))

    bundles += addon_bundles + cluster_bundles
    agent_files, agent_findings = render_agent_files(bundles, config, fleet.config_source)
    findings.extend(agent_findings)

    files: list[OutputFile] = [f for b in bundles for f in b.files] + agent_files
    files.sort(key=lambda f: f.path)
    bad = forbidden_dirs(f.path for f in files) if agent == "fleet" else []
    if bad:
        dirs = ", ".join(f"{config.output_dir}/{d}/" for d in bad)
        findings.append(Finding(
            RULE_LAYOUT, Severity.ERROR,
            f"the output would contain a directory named 'templates' ({dirs}), which Fleet Helm-renders; "
            "rename the namespace, cluster or addon that produces it",
            fleet.config_source.lookup("/outputDir")))
    return RenderResult(tuple(files), tuple(sorted(c.name for c in fleet.clusters)), tuple(findings))
