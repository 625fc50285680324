"""The whole output tree of a loaded fleet, in memory.

Owns: `render_fleet`, which composes the CAPI renderers (`fleetgen.render.cluster`), the addon
renderer (`fleetgen.render.crs`), the layout (`fleetgen.render.layout`) and the GitOps agent
post-processing and files (`fleetgen.render.gitops`) into one `RenderResult`. It is built in
two steps so that the per-cluster step can be cached and run in parallel (`fleetgen.pipeline`):
`render_cluster_files` (one cluster's bundle directory, which depends on that spec and
fleetgen.yaml only) and `assemble_fleet` (namespaces, addons, the agent's fleet-wide files, the
layout check). Must not write files (see `fleetgen.render.write`), print, or validate against
schemas.

Example:
    >>> fleet, findings = load_fleet(Path("."))                # doctest: +SKIP
    >>> result = render_fleet(fleet)                           # doctest: +SKIP
    >>> [f.path for f in result.files][:2]                     # doctest: +SKIP
    ['addons/clusters/baseline/addon.yaml', 'addons/clusters/baseline/fleet.yaml']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fleetgen.findings import Finding, Severity
from fleetgen.render.base import OutputFile, RenderedObject, RenderResult
from fleetgen.render.crs import render_addons
from fleetgen.render.gitops import fleet as fleet_agent
from fleetgen.render.gitops import is_capi_cluster, mark_objects, render_agent_files
from fleetgen.render.layout import (
    ADDON_FILE,
    CLUSTER_FILE,
    CLUSTERS_DIR,
    FLEET_BUNDLE_FILE,
    NAMESPACES_DIR,
    NAMESPACES_FILE,
    Bundle,
    addon_dir,
    addons_namespace_dir,
    cluster_dir,
    cluster_key,
    data_file,
    forbidden_dirs,
    objects_file,
)
from fleetgen.spec.load import Fleet, LoadedCluster

if TYPE_CHECKING:
    from fleetgen.sourcemap import SourceMap
    from fleetgen.spec.models import FleetConfig

__all__ = ["assemble_fleet", "render_cluster_files", "render_fleet"]

RULE_LAYOUT = "output-layout"

#: Whether an agent's files outside the cluster directories depend on the cluster bundles: Fleet's
#: do not (`gitops/gitrepo.yaml` and the other bundles' `fleet.yaml`), Flux's do
#: (`gitops/flux.yaml` holds a Kustomization per cluster). Unknown agents: assume they do.
_AGENT_READS_CLUSTER_BUNDLES = {"fleet": False, "flux": True}


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


def render_cluster_files(cluster: LoadedCluster, config: FleetConfig, config_source: SourceMap) -> tuple[OutputFile, ...]:
    """The files of one cluster's bundle directory: its objects file and the GitOps agent's files there.

    They depend on this cluster, fleetgen.yaml and nothing else, so `fleetgen.pipeline` computes
    (and caches) them per cluster; `assemble_fleet` puts them into the whole tree.

    Args:
        cluster: a loaded spec.
        config: fleetgen.yaml (the GitOps agent).
        config_source: positions in fleetgen.yaml.

    Returns:
        The files, sorted by path: `clusters/<ns>/<name>/cluster.yaml` (every CAPI object, marked for
        the agent, with its objects) and the agent's files of that directory (Fleet `fleet.yaml`,
        Flux `kustomization.yaml`).

    Raises:
        RenderError: from `render_cluster`, when the spec cannot be rendered at all.
    """
    from fleetgen.render.cluster import render_cluster

    objects = render_cluster(cluster)
    directory = cluster_dir(cluster.namespace, cluster.name)
    file = objects_file(f"{directory}/{CLUSTER_FILE}", mark_objects(objects, config.gitops.agent))
    bundle = Bundle("cluster", directory, cluster.namespace, cluster.name, (file,))
    return tuple(sorted([file, *_bundle_agent_files(bundle, config, config_source)], key=lambda f: f.path))


def _bundle_agent_files(bundle: Bundle, config: FleetConfig, config_source: SourceMap) -> list[OutputFile]:
    """The agent's files inside one bundle's directory; they depend on that bundle alone."""
    if config.gitops.agent == "fleet":
        # what `gitops.fleet.render_agent_files` writes per bundle, without its fleet-wide GitRepo
        return [data_file(f"{bundle.dir}/{FLEET_BUNDLE_FILE}", fleet_agent.bundle_options(bundle))]
    agent_files, _ = render_agent_files([bundle], config, config_source)
    prefix = bundle.dir + "/"
    return [f for f in agent_files if f.path.startswith(prefix)]


def assemble_fleet(fleet: Fleet, clusters: Sequence[tuple[LoadedCluster, Sequence[OutputFile]]]) -> RenderResult:
    """Put the clusters' files (`render_cluster_files`) together with everything fleet-wide.

    Args:
        fleet: the loaded fleet.
        clusters: `(cluster, its bundle files)` for every cluster of `fleet.clusters`, in that
            order. The objects file may hold every object, or only those of the kinds code
            outside the cluster reads (`fleetgen.cache.FLEET_LEVEL_KINDS`: the CAPI Cluster,
            whose labels select addons, MachineDeployments for the agent's drift rules, and
            ConfigMaps, Secrets and ClusterResourceSets); the result is the same.

    Returns:
        The RenderResult `render_fleet` documents.
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
    own_agent_files: list[OutputFile] = []
    for cluster, bundle_files in clusters:
        directory = cluster_dir(cluster.namespace, cluster.name)
        main = f"{directory}/{CLUSTER_FILE}"
        objects = [o for f in bundle_files if f.path == main for o in f.objects]
        cluster_labels.append((cluster.namespace, _cluster_labels(cluster, objects)))
        cluster_bundles.append(Bundle("cluster", directory, cluster.namespace, cluster.name,
                                      tuple(f for f in bundle_files if f.path == main)))
        own_agent_files.extend(f for f in bundle_files if f.path != main)

    rendered_addons, addon_findings = render_addons(fleet.addons, cluster_labels)
    findings.extend(addon_findings)
    for (ns, name), objects in rendered_addons.items():
        directory = addon_dir(ns, name)
        file = objects_file(f"{directory}/{ADDON_FILE}", mark_objects(objects, agent, keep=False))
        addon_bundles.append(Bundle("addon", directory, ns, name, (file,)))

    bundles += addon_bundles + cluster_bundles
    # The agent's files inside a cluster's directory come with the cluster (made from all its
    # objects); the fleet-wide ones are made here, from every bundle when the agent needs them.
    agent_bundles = bundles if _AGENT_READS_CLUSTER_BUNDLES.get(agent, True) else [b for b in bundles if b.kind != "cluster"]
    agent_files, agent_findings = render_agent_files(agent_bundles, config, fleet.config_source)
    findings.extend(agent_findings)
    in_clusters = {(c.namespace, c.name) for c, _ in clusters}
    agent_files = [f for f in agent_files if cluster_key(f.path) not in in_clusters] + own_agent_files

    files: list[OutputFile] = [f for b in bundles for f in b.files] + agent_files
    files.sort(key=lambda f: f.path)
    bad = forbidden_dirs(f.path for f in files) if agent == "fleet" else []
    if bad:
        findings.extend(_layout_findings(fleet, bad))
    return RenderResult(tuple(files), tuple(sorted(c.name for c in fleet.clusters)), tuple(findings))


def _layout_findings(fleet: Fleet, bad: list[str]) -> list[Finding]:
    """One `output-layout` error per forbidden directory (`forbidden_dirs`), at the field that names
    it: a cluster's `metadata.namespace` (`clusters/templates/`, `addons/templates/`; each spec
    in that namespace) or `metadata.name` (`clusters/<ns>/templates/`), an addon's
    `metadata.name` (`addons/<ns>/templates/`), else fleetgen.yaml's `outputDir`."""
    producers: dict[str, list[tuple[SourceMap, str]]] = {}
    for c in fleet.clusters:
        for directory in (f"{CLUSTERS_DIR}/{c.namespace}", addons_namespace_dir(c.namespace)):
            producers.setdefault(directory, []).append((c.source, "/metadata/namespace"))
        producers.setdefault(cluster_dir(c.namespace, c.name), []).append((c.source, "/metadata/name"))
    for a in fleet.addons:
        for c in fleet.clusters:
            producers.setdefault(addon_dir(c.namespace, a.name), []).append((a.source, "/metadata/name"))
    findings: list[Finding] = []
    seen: set[tuple[str, int, int]] = set()
    for directory in bad:
        shown = f"{fleet.config.output_dir}/{directory}/"
        for source, pointer in producers.get(directory) or [(fleet.config_source, "/outputDir")]:
            position = source.lookup(pointer)
            if (position.file, position.line, position.col) in seen:
                continue
            seen.add((position.file, position.line, position.col))
            field = pointer.strip("/").replace("/", ".")
            findings.append(Finding(
                RULE_LAYOUT, Severity.ERROR,
                f"{field}: the output would contain a directory named 'templates' ({shown}), which Fleet "
                "Helm-renders; choose another name", position, pointer=pointer))
    return findings


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
    config, source = fleet.config, fleet.config_source
    return assemble_fleet(fleet, [(c, render_cluster_files(c, config, source)) for c in fleet.clusters])
