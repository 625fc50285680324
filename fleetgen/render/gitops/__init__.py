"""GitOps-agent-specific rendering shared by Fleet and Flux: deletion-safety markers and names.

Owns: the post-processing of rendered objects for the configured agent (never done inside the
CAPI renderers), the names of GitOps objects and bundles, and `render_agent_files`, which
dispatches to `fleet.py` (Fleet `fleet.yaml` + `GitRepo`) or `flux.py` (kustomization.yaml,
`GitRepository` + `Kustomization`s). Must not do I/O.

Deletion safety (FIELD.md §1.8, §4.5): GitOps prune behaves like `kubectl delete -f` on a whole
cluster's objects, which leaves deletions stuck and VMs leaked (templates, infrastructure objects
and credentials vanish while Machines still need them). So every object of a cluster bundle except
the CAPI `Cluster`, its `MachineDeployment`s and its `MachineHealthCheck`s, and every `Namespace`,
carries a "do not prune" marker:

- Fleet: annotation `helm.sh/resource-policy: keep` (Fleet deploys bundles with the Helm SDK,
  which keeps such objects on uninstall and when they leave the bundle);
- Flux: annotation `kustomize.toolkit.fluxcd.io/prune: disabled` (skipped by garbage
  collection, also when the Kustomization itself is deleted).

Removing a cluster's files therefore deletes only its `Cluster` (and the MachineDeployments and
MachineHealthChecks CAPI deletes with it anyway); CAPI's owner references tear down the rest in
order. A MachineDeployment and a MachineHealthCheck are left unmarked because removing one from
the spec must remove it from the management cluster: a pool taken out of `workers` (or renamed)
has its MachineDeployment pruned and CAPI drains and deletes its Machines; a health check switched
off stops remediating. Marked, both would stay forever, the old pool's Machines running next to
the new one's. Pruning them is safe: Machines are deleted through their MachineSets, with the
kept machine and bootstrap templates still in place. ClusterResourceSets and their payload ConfigMaps are deliberately left
unmarked: deleting them never touches workload clusters (CAPI does not delete applied
resources, FIELD.md §1.6), while keeping them would leave a renamed ClusterResourceSet (a
strategy or selector change, see `fleetgen.render.crs`) selecting clusters under its old rules.

Flux only: objects whose serialized form contains `${` also get
`kustomize.toolkit.fluxcd.io/substitute: disabled`, so post-build substitution can never blank
out shell variables in bootstrap scripts (FIELD.md §1.17).

Names: every GitOps object and bundle name is derived from the namespace, cluster and addon
names only (never from the repository URL), because renaming a Fleet bundle or a Flux
Kustomization deletes what the old one deployed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fleetgen.findings import Finding
from fleetgen.render.base import OutputFile, RenderedObject
from fleetgen.render.layout import Bundle
from fleetgen.sourcemap import SourceMap
from fleetgen.spec import models

#: scp-like git URLs, `[user@]host:path` (git's own rule: no `/` before the first `:`, and not `://`).
SCP_LIKE_URL = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?!//)(?P<path>.*)$")

NAME_PREFIX = "fleetgen"
"""Prefix of every GitOps object and bundle name (GitRepo, GitRepository, Kustomization, bundle)."""

FLEET_KEEP = ("helm.sh/resource-policy", "keep")
FLUX_PRUNE_DISABLED = ("kustomize.toolkit.fluxcd.io/prune", "disabled")
FLUX_SUBSTITUTE_DISABLED = ("kustomize.toolkit.fluxcd.io/substitute", "disabled")

AUTOSCALER_MIN_ANNOTATION = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"
AUTOSCALER_MAX_ANNOTATION = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"

CAPI_GROUP = "cluster.x-k8s.io"
CRS_GROUP = "addons.cluster.x-k8s.io"


def short_name(parts: Sequence[str], limit: int) -> str:
    """Join name parts with `-`; if longer than `limit`, truncate and append an 8-hex hash.

    Args:
        parts: RFC 1123 labels, e.g. `["fleetgen", "cluster", "clusters", "kv-demo"]`.
        limit: maximum length (53 for Helm release names, 63 for label values).

    Returns:
        A deterministic RFC 1123 label of at most `limit` characters; distinct inputs keep
        distinct names (the hash covers the full name).

    Source:
        rancher/fleet v0.16.1 `internal/names/name.go` (`MaxHelmReleaseNameLen = 53`, shortened
        with a hash suffix, the same idea).
    """
    name = "-".join(p for p in parts if p)
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('-')}-{digest}"


def group_of(manifest: Mapping[str, Any]) -> str:
    """The API group of a manifest ("" for the core group)."""
    api_version = str(manifest.get("apiVersion", ""))
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def is_capi_cluster(manifest: Mapping[str, Any]) -> bool:
    """True for a `cluster.x-k8s.io` `Cluster`: the object whose removal deletes a workload cluster."""
    return manifest.get("kind") == "Cluster" and group_of(manifest) == CAPI_GROUP


#: `cluster.x-k8s.io` kinds the GitOps agent may prune (see the module docstring): the Cluster, and
#: the pools and health checks a spec change removes.
PRUNABLE_KINDS = frozenset({"Cluster", "MachineDeployment", "MachineHealthCheck"})


def is_prunable(manifest: Mapping[str, Any]) -> bool:
    """True for an object of a cluster bundle that gets no "do not prune" marker (`PRUNABLE_KINDS`)."""
    return manifest.get("kind") in PRUNABLE_KINDS and group_of(manifest) == CAPI_GROUP


def is_autoscaled_machine_deployment(manifest: Mapping[str, Any]) -> bool:
    """True for a MachineDeployment handed to the cluster-autoscaler.

    Such a MachineDeployment carries the autoscaler min/max-size annotations and no
    `spec.replicas` (FIELD.md §1.1); the agent must not reset its replicas.
    """
    if manifest.get("kind") != "MachineDeployment" or group_of(manifest) != CAPI_GROUP:
        return False
    annotations = manifest.get("metadata", {}).get("annotations", {}) or {}
    spec = manifest.get("spec", {}) or {}
    return AUTOSCALER_MAX_ANNOTATION in annotations or AUTOSCALER_MIN_ANNOTATION in annotations or "replicas" not in spec


def _contains_placeholder(value: Any) -> bool:
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, dict):
        return any(_contains_placeholder(k) or _contains_placeholder(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_placeholder(v) for v in value)
    return False


def _annotate(obj: RenderedObject, pairs: Iterable[tuple[str, str]]) -> RenderedObject:
    pairs = list(pairs)
    if not pairs:
        return obj
    manifest = dict(obj.manifest)
    metadata = dict(manifest.get("metadata", {}))  # (a new annotations map below; the rest is shared)
    annotations = dict(metadata.get("annotations", {}) or {})
    for key, value in pairs:
        annotations[key] = value
    metadata["annotations"] = annotations
    manifest["metadata"] = metadata
    return dataclasses.replace(obj, manifest=manifest)


def mark_objects(objects: Sequence[RenderedObject], agent: str, *, keep: bool = True) -> list[RenderedObject]:
    """Add the agent's deletion-safety (and, for Flux, substitution) markers.

    Args:
        objects: rendered objects of one bundle, in order; not modified.
        agent: "fleet" or "flux".
        keep: add the "do not prune" marker (to every object except the `PRUNABLE_KINDS`);
            False for addon bundles (see the module docstring).

    Returns:
        New RenderedObjects in the same order; existing annotations kept, markers appended.

    Source:
        FIELD.md §1.8 and §4.5 (kubernetes-sigs/cluster-api-provider-aws#5107 for the Helm
        keep policy; fluxcd/kustomize-controller v1.9.4 docs/spec/v1/kustomizations.md
        "Garbage collection" and "Post build variable substitution").
    """
    out = []
    for obj in objects:
        pairs: list[tuple[str, str]] = []
        if keep and not is_prunable(obj.manifest):
            pairs.append(FLEET_KEEP if agent == "fleet" else FLUX_PRUNE_DISABLED)
        if agent == "flux" and _contains_placeholder(obj.manifest):
            pairs.append(FLUX_SUBSTITUTE_DISABLED)
        out.append(_annotate(obj, pairs))
    return out


def render_agent_files(bundles: Sequence[Bundle], config: models.FleetConfig, config_source: SourceMap) -> tuple[list[OutputFile], list[Finding]]:
    """The agent-specific files for a set of bundles.

    Args:
        bundles: every bundle of the output tree (namespaces, addons, clusters), in path order.
        config: fleetgen.yaml; `config.gitops.agent` picks Fleet or Flux.
        config_source: positions in fleetgen.yaml (origin of the GitOps objects, findings).

    Returns:
        (files, findings): Fleet -> a `fleet.yaml` per bundle and `gitops/gitrepo.yaml`;
        Flux -> `kustomization.yaml` files and `gitops/flux.yaml` + `gitops/kustomization.yaml`.
    """
    if config.gitops.agent == "flux":
        from fleetgen.render.gitops import flux

        return flux.render_agent_files(bundles, config, config_source)
    from fleetgen.render.gitops import fleet

    return fleet.render_agent_files(bundles, config, config_source)
