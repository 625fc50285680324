"""Flux (source-controller v1.9.1, kustomize-controller v1.9.4) agent files.

Owns: `kustomization.yaml` (kustomize.config.k8s.io/v1beta1) in every directory a Flux
Kustomization points at, and `gitops/flux.yaml` + `gitops/kustomization.yaml` holding the
`source.toolkit.fluxcd.io/v1` `GitRepository` and one `kustomize.toolkit.fluxcd.io/v1`
`Kustomization` per bundle: the namespaces, the addons of each namespace, and each cluster.
Must not do I/O or change the objects of a bundle.

`gitops/` is applied once by hand (`kubectl apply -k fleet/gitops`) or, better, by a root
Kustomization of the user's Flux bootstrap pointing at `./fleet/gitops`; then adding a cluster
(a new Kustomization in `gitops/flux.yaml`) needs no manual step.

Kustomization policy (FIELD.md §1.8, §1.9, §1.22, §4.4, §4.5):

- every Kustomization: `prune: true`, `wait: true`, the fleet's `interval`, a `sourceRef` to
  the GitRepository;
- clusters: `dependsOn` the namespaces Kustomization; `healthCheckExprs` judging a
  `cluster.x-k8s.io` `Cluster` by its `Available` condition (v1beta2 has no `Ready`);
  `spec.ignore` of `/spec/replicas` for autoscaled MachineDeployments; `deletionPolicy: Delete`:
  deleting the Kustomization deletes only what may be pruned, which is the `Cluster` alone
  (every other object carries `kustomize.toolkit.fluxcd.io/prune: disabled`), so CAPI tears the
  cluster down in order. Accidental deletion is guarded at render time (`render` refuses to
  drop a cluster's files without `--allow-delete`);
- namespaces and addons: `deletionPolicy: Orphan` (deleting a Namespace would delete every
  Cluster in it; addon objects never need deleting by the agent); addons `dependsOn` namespaces.

Example:
    >>> files, findings = render_agent_files(bundles, config, config_source)   # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fleetgen.findings import Finding, Severity
from fleetgen.render.base import OutputFile, RenderedObject
from fleetgen.render.gitops import (
    CAPI_GROUP,
    NAME_PREFIX,
    group_of,
    is_autoscaled_machine_deployment,
    short_name,
)
from fleetgen.render.layout import (
    FLUX_FILE,
    GITOPS_DIR,
    KUSTOMIZATION_FILE,
    NAMESPACES_DIR,
    Bundle,
    addons_namespace_dir,
    data_file,
    objects_file,
    repo_path,
)
from fleetgen.sourcemap import SourceMap
from fleetgen.spec import models

GIT_REPOSITORY_API_VERSION = "source.toolkit.fluxcd.io/v1"
KUSTOMIZATION_API_VERSION = "kustomize.toolkit.fluxcd.io/v1"
KUSTOMIZE_CONFIG_API_VERSION = "kustomize.config.k8s.io/v1beta1"
CAPI_API_VERSION = "cluster.x-k8s.io/v1beta2"

LABEL_VALUE_MAX = 63
"""Kustomization names become the `kustomize.toolkit.fluxcd.io/name` label of every applied object."""

RULE_GIT_URL = "flux-git-url"

GIT_URL_PATTERN = re.compile(r"^(http|https|ssh)://.*$")
"""`GitRepository.spec.url` pattern (source-controller v1.9.1 `api/v1/gitrepository_types.go`)."""

_SCP_URL = re.compile(r"^(?:(?P<user>[^@/]+)@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")

CLUSTER_AVAILABLE_EXPR = "status.conditions.exists(e, e.type == 'Available' && e.status == 'True')"
"""CEL health check of a v1beta2 Cluster: its `Available` condition is True (FIELD.md §1.22).

`exists`, not `filter(...).all(...)`: the latter is vacuously true while the Cluster has
conditions but no `Available` one yet, which would report a provisioning cluster as healthy.
"""


def git_repository_name() -> str:
    """Name of the GitRepository (`fleetgen`): fixed, so a repository move never renames it."""
    return NAME_PREFIX


def kustomization_name(bundle: Bundle) -> str:
    """The Flux Kustomization name of a bundle (at most 63 characters, hash-shortened).

    Args:
        bundle: a namespaces, addon or cluster bundle; all addon bundles of one namespace
            share one Kustomization.

    Returns:
        `fleetgen-namespaces`, `fleetgen-addons-<ns>` or `fleetgen-cluster-<ns>-<cluster>`.
    """
    if bundle.kind == "namespaces":
        return short_name([NAME_PREFIX, "namespaces"], LABEL_VALUE_MAX)
    if bundle.kind == "addon":
        return short_name([NAME_PREFIX, "addons", bundle.namespace], LABEL_VALUE_MAX)
    return short_name([NAME_PREFIX, "cluster", bundle.namespace, bundle.name], LABEL_VALUE_MAX)


def scp_to_ssh_url(url: str) -> str | None:
    """`git@host:org/repo.git` -> `ssh://git@host/org/repo.git`; None if `url` is not scp-style."""
    if "://" in url:
        return None
    m = _SCP_URL.match(url)
    if not m:
        return None
    user = f"{m.group('user')}@" if m.group("user") else ""
    return f"ssh://{user}{m.group('host')}/{m.group('path')}"


def check_git_url(config: models.FleetConfig, config_source: SourceMap) -> list[Finding]:
    """Flux accepts only `http://`, `https://` and `ssh://` URLs; scp-style is an error.

    Args:
        config: fleetgen.yaml.
        config_source: positions in fleetgen.yaml.

    Returns:
        One `flux-git-url` error at `gitops.repo` when the URL does not match, else [].

    Source:
        fluxcd/source-controller v1.9.1 config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml
        (`spec.url` pattern `^(http|https|ssh)://.*$`); FIELD.md §1.27.
    """
    url = config.gitops.repo
    if GIT_URL_PATTERN.match(url):
        return []
    suggestion = scp_to_ssh_url(url)
    fix = f"; write it as {suggestion}" if suggestion else "; use an http://, https:// or ssh:// URL"
    return [Finding(RULE_GIT_URL, Severity.ERROR,
                    f"gitops.repo: Flux accepts only http://, https:// or ssh:// URLs, got {url!r}{fix}",
                    config_source.lookup("/gitops/repo"), pointer="/gitops/repo")]


def _origin() -> dict[str, str]:
    return {"": "/gitops", "/metadata/namespace": "/gitops/namespace", "/spec/interval": "/gitops/interval",
            "/spec/path": "/outputDir", "/spec/url": "/gitops/repo", "/spec/ref": "/gitops/branch",
            "/spec/secretRef": "/gitops/secretRef"}


def render_git_repository(config: models.FleetConfig, config_source: SourceMap) -> RenderedObject:
    """The Flux GitRepository of the fleet repository.

    Args:
        config: fleetgen.yaml (`gitops.repo`, `branch`, `namespace`, `interval`, `secretRef`).
        config_source: positions in fleetgen.yaml.

    Returns:
        A RenderedObject holding a `source.toolkit.fluxcd.io/v1` GitRepository in
        `gitops.namespace` (default `flux-system`); `spec.ignore` keeps only the output
        directory in the artifact (the specs, addons and schemas are not needed in-cluster).

    Source:
        fluxcd/source-controller v1.9.1 config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml;
        FIELD.md §4.3.
    """
    gitops = config.gitops
    spec: dict[str, Any] = {
        "interval": gitops.interval,
        "url": gitops.repo,
        "ref": {"branch": gitops.branch},
    }
    if gitops.secret_ref:
        spec["secretRef"] = {"name": gitops.secret_ref}
    spec["ignore"] = ignore_all_but(config.git_output_dir)
    manifest = {
        "apiVersion": GIT_REPOSITORY_API_VERSION,
        "kind": "GitRepository",
        "metadata": {"name": git_repository_name(), "namespace": gitops.resolved_namespace},
        "spec": spec,
    }
    return RenderedObject(manifest, config_source, _origin())


def ignore_all_but(directory: str) -> str:
    """A GitRepository `spec.ignore` (gitignore syntax) keeping only `directory` of the repository.

    Git cannot re-include a path whose parent directory is excluded, so every parent is
    re-included and its other entries excluded again: `a/b` gives
    `/*`, `!/a/`, `/a/*`, `!/a/b/`.
    """
    lines = ["/*"]
    parts = directory.split("/")
    for depth in range(len(parts)):
        prefix = "/".join(parts[:depth + 1])
        if depth:
            lines.append(f"/{'/'.join(parts[:depth])}/*")
        lines.append(f"!/{prefix}/")
    return "\n".join(lines) + "\n"


def ignore_rules(objects: Sequence[RenderedObject]) -> list[dict[str, Any]]:
    """`spec.ignore` rules hiding `/spec/replicas` of autoscaled MachineDeployments from drift.

    Args:
        objects: the objects of one cluster bundle.

    Returns:
        One rule per autoscaled MachineDeployment, in document order; empty if none.

    Source:
        fluxcd/kustomize-controller v1.9.4 docs/spec/v1/kustomizations.md "Ignore Rules";
        FIELD.md §1.1.
    """
    rules = []
    for obj in objects:
        m = obj.manifest
        if is_autoscaled_machine_deployment(m):
            meta = m.get("metadata", {})
            target = {"group": group_of(m), "kind": "MachineDeployment", "name": meta.get("name", "")}
            if meta.get("namespace"):
                target["namespace"] = meta["namespace"]
            rules.append({"paths": ["/spec/replicas"], "target": target})
    return rules


def render_kustomization(
    *, name: str, path: str, config: models.FleetConfig, config_source: SourceMap,
    depends_on: Sequence[str] = (), deletion_policy: str, objects: Sequence[RenderedObject] = (),
    health_check_clusters: bool = False,
) -> RenderedObject:
    """One Flux Kustomization.

    Args:
        name: the Kustomization name (`kustomization_name`).
        path: the directory it builds, relative to the repository root (`./fleet/...`).
        config: fleetgen.yaml.
        config_source: positions in fleetgen.yaml.
        depends_on: names of Kustomizations (same namespace) that must be Ready first.
        deletion_policy: `Delete` or `Orphan` (see the module docstring).
        objects: the objects it applies (for drift-ignore rules).
        health_check_clusters: add the CEL health check of CAPI Clusters.

    Returns:
        A RenderedObject holding a `kustomize.toolkit.fluxcd.io/v1` Kustomization.

    Source:
        fluxcd/kustomize-controller v1.9.4 config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml;
        FIELD.md §4.4.
    """
    spec: dict[str, Any] = {
        "interval": config.gitops.interval,
        "path": path,
        "prune": True,
        "wait": True,
        "deletionPolicy": deletion_policy,
        "sourceRef": {"kind": "GitRepository", "name": git_repository_name()},
    }
    if depends_on:
        spec["dependsOn"] = [{"name": d} for d in depends_on]
    if health_check_clusters:
        spec["healthCheckExprs"] = [{"apiVersion": CAPI_API_VERSION, "kind": "Cluster", "current": CLUSTER_AVAILABLE_EXPR}]
    rules = ignore_rules(objects)
    if rules:
        spec["ignore"] = rules
    manifest = {
        "apiVersion": KUSTOMIZATION_API_VERSION,
        "kind": "Kustomization",
        "metadata": {"name": name, "namespace": config.gitops.resolved_namespace},
        "spec": spec,
    }
    return RenderedObject(manifest, config_source, _origin())


def kustomize_config(resources: Sequence[str]) -> dict[str, Any]:
    """A kustomization.yaml listing `resources` (paths relative to its directory)."""
    return {"apiVersion": KUSTOMIZE_CONFIG_API_VERSION, "kind": "Kustomization", "resources": list(resources)}


def _rel_to(base: str, path: str) -> str:
    return path[len(base) + 1:] if path.startswith(base + "/") else path


def render_agent_files(bundles: Sequence[Bundle], config: models.FleetConfig, config_source: SourceMap) -> tuple[list[OutputFile], list[Finding]]:
    """Flux's files for a set of bundles.

    Args:
        bundles: every bundle of the output tree, in path order.
        config: fleetgen.yaml.
        config_source: positions in fleetgen.yaml.

    Returns:
        (files, findings). files: `namespaces/kustomization.yaml`,
        `addons/<ns>/kustomization.yaml` (listing `<addon>/addon.yaml` of that namespace),
        `clusters/<ns>/<cluster>/kustomization.yaml`, `gitops/flux.yaml` (GitRepository, then
        Kustomizations: namespaces, addons per namespace, clusters) and
        `gitops/kustomization.yaml`. findings: `flux-git-url` when `gitops.repo` is scp-style.
    """
    out = config.git_output_dir
    findings = check_git_url(config, config_source)
    files: list[OutputFile] = []
    kustomizations: list[RenderedObject] = []
    ns_bundle = next((b for b in bundles if b.kind == "namespaces"), None)
    depends = [kustomization_name(ns_bundle)] if ns_bundle else []
    if ns_bundle:
        files.append(data_file(f"{NAMESPACES_DIR}/{KUSTOMIZATION_FILE}",
                               kustomize_config([_rel_to(ns_bundle.dir, f.path) for f in ns_bundle.files])))
        kustomizations.append(render_kustomization(
            name=kustomization_name(ns_bundle), path=f"./{repo_path(out, NAMESPACES_DIR)}", config=config,
            config_source=config_source, deletion_policy="Orphan", objects=ns_bundle.objects))
    addon_groups: dict[str, list[Bundle]] = {}
    for b in bundles:
        if b.kind == "addon":
            addon_groups.setdefault(b.namespace, []).append(b)
    for ns in sorted(addon_groups):
        group = addon_groups[ns]
        base = addons_namespace_dir(ns)
        resources = [_rel_to(base, f.path) for b in group for f in b.files]
        files.append(data_file(f"{base}/{KUSTOMIZATION_FILE}", kustomize_config(resources)))
        kustomizations.append(render_kustomization(
            name=kustomization_name(group[0]), path=f"./{repo_path(out, base)}", config=config,
            config_source=config_source, depends_on=depends, deletion_policy="Orphan",
            objects=[o for b in group for o in b.objects]))
    for b in bundles:
        if b.kind != "cluster":
            continue
        files.append(data_file(f"{b.dir}/{KUSTOMIZATION_FILE}", kustomize_config([_rel_to(b.dir, f.path) for f in b.files])))
        objects = b.objects
        kustomizations.append(render_kustomization(
            name=kustomization_name(b), path=f"./{repo_path(out, b.dir)}", config=config, config_source=config_source,
            depends_on=depends, deletion_policy="Delete", objects=objects,
            health_check_clusters=any(o.manifest.get("kind") == "Cluster" and group_of(o.manifest) == CAPI_GROUP for o in objects)))
    files.append(objects_file(f"{GITOPS_DIR}/{FLUX_FILE}", [render_git_repository(config, config_source), *kustomizations]))
    files.append(data_file(f"{GITOPS_DIR}/{KUSTOMIZATION_FILE}", kustomize_config([FLUX_FILE])))
    return files, findings
