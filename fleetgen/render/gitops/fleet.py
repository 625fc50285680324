"""Fleet (rancher/fleet v0.16.1) agent files: a `fleet.yaml` per bundle and the `GitRepo`.

Owns: the bundle options written beside each bundle directory and the `fleet.cattle.io/v1alpha1`
`GitRepo` in `gitops/gitrepo.yaml`. Must not do I/O or change the objects of a bundle.

How Fleet reads the tree: the GitRepo's `paths` are `<out>/namespaces`, `<out>/addons` and
`<out>/clusters`. Fleet walks each path and turns every sub-directory holding a `fleet.yaml`
into its own bundle; a path root without a `fleet.yaml` and without loose manifests produces no
bundle of its own (rancher/fleet v0.16.1 `internal/cmd/cli/apply/apply.go`
`shouldCreateBundleForThisPath`). So adding or removing a cluster or addon never changes the
GitRepo: only directories come and go.

Example:
    >>> files, findings = render_agent_files(bundles, config, config_source)   # doctest: +SKIP
    >>> [f.path for f in files][-1]                                             # doctest: +SKIP
    'gitops/gitrepo.yaml'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fleetgen.findings import Finding, Severity
from fleetgen.render.base import OutputFile, RenderedObject
from fleetgen.render.gitops import NAME_PREFIX, SCP_LIKE_URL, is_autoscaled_machine_deployment, short_name
from fleetgen.render.layout import (
    ADDONS_DIR,
    CLUSTERS_DIR,
    FLEET_BUNDLE_FILE,
    GITOPS_DIR,
    GITREPO_FILE,
    NAMESPACES_DIR,
    Bundle,
    data_file,
    objects_file,
    repo_path,
)
from fleetgen.sourcemap import SourceMap
from fleetgen.spec import models

GITREPO_API_VERSION = "fleet.cattle.io/v1alpha1"
RULE_GIT_URL = "fleet-git-url"
#: A URL with a scheme (`https://`, `ssh://`, `git://`); with `SCP_LIKE_URL` (`[user@]host:path`),
#: the forms that name a remote repository. Anything else is a local path to git and go-git.
_SCHEME_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://.+$")
HELM_RELEASE_NAME_MAX = 53
"""Fleet bundle names double as Helm release names, which Helm caps at 53 characters."""

NAMESPACES_BUNDLE_DEFAULT_NAMESPACE = "default"
"""`defaultNamespace` of the namespaces bundle: its objects are cluster-scoped, and Helm keeps
the release record in this namespace, which exists on every cluster."""


def bundle_name(bundle: Bundle) -> str:
    """The deterministic Fleet bundle name (`fleet.yaml` `name`) of a bundle.

    Args:
        bundle: a namespaces, addon or cluster bundle.

    Returns:
        `fleetgen-namespaces`, `fleetgen-addon-<ns>-<addon>` or `fleetgen-cluster-<ns>-<cluster>`,
        shortened with a hash suffix to at most 53 characters.

    Source:
        rancher/fleet v0.16.1 `internal/bundlereader/read.go` (fleet.yaml `name` replaces the
        generated bundle name) and `internal/names/name.go` (`MaxHelmReleaseNameLen = 53`);
        FIELD.md §1.18.
    """
    if bundle.kind == "namespaces":
        return short_name([NAME_PREFIX, "namespaces"], HELM_RELEASE_NAME_MAX)
    return short_name([NAME_PREFIX, bundle.kind, bundle.namespace, bundle.name], HELM_RELEASE_NAME_MAX)


def namespaces_bundle_name() -> str:
    """Name of the namespaces bundle, which cluster and addon bundles depend on."""
    return short_name([NAME_PREFIX, "namespaces"], HELM_RELEASE_NAME_MAX)


def compare_patches(objects: Sequence[RenderedObject]) -> list[dict[str, Any]]:
    """`diff.comparePatches` that hide `/spec/replicas` of autoscaled MachineDeployments.

    Args:
        objects: the objects of one cluster bundle.

    Returns:
        One patch per autoscaled MachineDeployment, in document order; empty if none.

    Source:
        rancher/fleet v0.16.1 `pkg/apis/fleet.cattle.io/v1alpha1` (`ComparePatch`); FIELD.md
        §1.1 and §1.21 (the autoscaler owns replicas; drift there would mark the bundle Modified).
    """
    out = []
    for obj in objects:
        m = obj.manifest
        if is_autoscaled_machine_deployment(m):
            meta = m.get("metadata", {})
            out.append({
                "apiVersion": m["apiVersion"],
                "kind": m["kind"],
                "namespace": meta.get("namespace", ""),
                "name": meta.get("name", ""),
                "jsonPointers": ["/spec/replicas"],
            })
    return out


def bundle_options(bundle: Bundle) -> dict[str, Any]:
    """The `fleet.yaml` of one bundle.

    Args:
        bundle: a namespaces, addon or cluster bundle.

    Returns:
        fleet.yaml data: `name`, `defaultNamespace`, `dependsOn` (addon and cluster bundles
        wait for the namespaces bundle, so their namespaces exist and belong to it), for the
        namespaces bundle `helm.takeOwnership` (adopt Namespaces that already exist, such as
        `default`), and, for clusters with autoscaled pools, `diff.comparePatches`. No `keepResources`
        of its own (the GitRepo's applies to every bundle); every object but the Cluster, its
        MachineDeployments and MachineHealthChecks carries `helm.sh/resource-policy: keep` (see
        `fleetgen.render.gitops`).

    Source:
        rancher/fleet v0.16.1 `pkg/apis/fleet.cattle.io/v1alpha1/fleetyaml.go` (`FleetYAML`,
        `BundleSpec`, `BundleDeploymentOptions`); FIELD.md §4.2.
    """
    data: dict[str, Any] = {"name": bundle_name(bundle)}
    data["defaultNamespace"] = bundle.namespace or NAMESPACES_BUNDLE_DEFAULT_NAMESPACE
    if bundle.kind == "namespaces":
        # A Namespace may exist before its bundle does (`default`, or one created by hand); Helm
        # refuses to adopt an object without its release annotations unless told to.
        data["helm"] = {"takeOwnership": True}
    else:
        data["dependsOn"] = [{"name": namespaces_bundle_name()}]
    if bundle.kind == "cluster":
        patches = compare_patches(bundle.objects)
        if patches:
            data["diff"] = {"comparePatches": patches}
    return data


def gitrepo_name() -> str:
    """Name of the GitRepo (`fleetgen`): fixed, so a repository move never renames it."""
    return NAME_PREFIX


def render_gitrepo(config: models.FleetConfig, config_source: SourceMap) -> RenderedObject:
    """The Fleet `GitRepo` that makes the management cluster reconcile the output tree.

    Args:
        config: fleetgen.yaml (`gitops.repo`, `branch`, `namespace`, `interval`, `secretRef`,
            `outputDir`).
        config_source: positions in fleetgen.yaml.

    Returns:
        A RenderedObject holding a `fleet.cattle.io/v1alpha1` GitRepo in `gitops.namespace`
        (default `fleet-local`, the management cluster's own workspace) with `paths` covering
        the three bundle roots, `pollingInterval`, `clientSecretName` when `gitops.secretRef`
        is set, and `keepResources: true` (deleting the GitRepo keeps every deployed object;
        Fleet copies it into every bundle, so a cluster whose files are removed keeps running
        too, and `plan` says how to delete it: `fleetgen.vcs.plan.delete_text`).

    Source:
        rancher/fleet v0.16.1 charts/fleet-crd/templates/crds.yaml (gitrepos.fleet.cattle.io);
        FIELD.md §4.1 and §4.5.
    """
    gitops = config.gitops
    out = config.git_output_dir
    spec: dict[str, Any] = {
        "repo": gitops.repo,
        "branch": gitops.branch,
        "paths": [repo_path(out, NAMESPACES_DIR), repo_path(out, ADDONS_DIR), repo_path(out, CLUSTERS_DIR)],
        "pollingInterval": gitops.interval,
    }
    if gitops.secret_ref:
        spec["clientSecretName"] = gitops.secret_ref
    spec["keepResources"] = True
    manifest = {
        "apiVersion": GITREPO_API_VERSION,
        "kind": "GitRepo",
        "metadata": {"name": gitrepo_name(), "namespace": gitops.resolved_namespace},
        "spec": spec,
    }
    origin = {
        "": "/gitops",
        "/metadata/namespace": "/gitops/namespace",
        "/spec/repo": "/gitops/repo",
        "/spec/branch": "/gitops/branch",
        "/spec/paths": "/outputDir",
        "/spec/pollingInterval": "/gitops/interval",
        "/spec/clientSecretName": "/gitops/secretRef",
    }
    return RenderedObject(manifest, config_source, origin)


def render_agent_files(bundles: Sequence[Bundle], config: models.FleetConfig, config_source: SourceMap) -> tuple[list[OutputFile], list[Finding]]:
    """Fleet's files: a `fleet.yaml` beside every bundle, and `gitops/gitrepo.yaml`.

    Args:
        bundles: every bundle of the output tree.
        config: fleetgen.yaml.
        config_source: positions in fleetgen.yaml.

    Returns:
        (files, findings); findings: `fleet-git-url` (`check_git_url`).
    """
    files = [data_file(f"{b.dir}/{FLEET_BUNDLE_FILE}", bundle_options(b)) for b in bundles]
    files.append(objects_file(f"{GITOPS_DIR}/{GITREPO_FILE}", [render_gitrepo(config, config_source)]))
    return files, check_git_url(config, config_source)


def check_git_url(config: models.FleetConfig, config_source: SourceMap) -> list[Finding]:
    """Fleet clones `gitops.repo` in a pod on the management cluster: it must name a remote
    repository, by a URL with a scheme or scp-style `git@host:path`.

    Returns:
        One `fleet-git-url` error at `gitops.repo` for a scheme-less `host/path` or a local path
        (the GitRepo's schema takes any non-empty string; the clone fails at runtime), else [].

    Source:
        rancher/fleet v0.16.1 GitRepo `spec.repo` (`minLength: 1`, no pattern); git-clone(1) "GIT
        URLS" (a URL without `scheme://` and without a `:` before the first `/` is a local path).
    """
    url = config.gitops.repo
    if _SCHEME_URL.match(url) or ((scp := SCP_LIKE_URL.match(url)) and scp["path"]):
        return []
    return [Finding(RULE_GIT_URL, Severity.ERROR,
                    f"gitops.repo: {url!r} names no remote repository (git reads it as a local path, which "
                    "Fleet's clone on the management cluster cannot find); write https://host/path, ssh://host/path "
                    "or git@host:path",
                    config_source.lookup("/gitops/repo"), pointer="/gitops/repo")]
