"""Layout of the rendered output directory (`fleet/` = `FleetConfig.output_dir`).

Owns: where every rendered object goes, the file and directory names, the `Bundle` unit (one
directory the GitOps agent reconciles as a whole), and serialising objects into file bytes.
Must not decide object contents (renderers do) or touch the disk (`fleetgen.render.write`).

The tree, relative to the output directory::

    namespaces/namespaces.yaml              v1 Namespace of every namespace that holds clusters
    addons/<namespace>/<addon>/addon.yaml    payload ConfigMaps + the ClusterResourceSet
    clusters/<namespace>/<cluster>/cluster.yaml   all CAPI objects of one cluster, render order
    gitops/                                  the agent's bootstrap objects (applied once by hand
                                             or by the user's root Kustomization)

plus, per agent, `fleet.yaml` beside each bundle and `gitops/gitrepo.yaml` (Fleet), or
`kustomization.yaml` in every directory a Flux Kustomization points at and
`gitops/flux.yaml` + `gitops/kustomization.yaml` (Flux). No directory is ever named
`templates` (Fleet would Helm-render it, FIELD.md §1.18).

Example:
    >>> cluster_dir("clusters", "kv-demo")
    'clusters/clusters/kv-demo'
    >>> cluster_key("clusters/clusters/kv-demo/cluster.yaml")
    ('clusters', 'kv-demo')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fleetgen.render.base import OutputFile, RenderedObject
from fleetgen.yamlio import dump_document, dump_documents

CLUSTERS_DIR = "clusters"
ADDONS_DIR = "addons"
NAMESPACES_DIR = "namespaces"
GITOPS_DIR = "gitops"

CLUSTER_FILE = "cluster.yaml"
ADDON_FILE = "addon.yaml"
NAMESPACES_FILE = "namespaces.yaml"
FLEET_BUNDLE_FILE = "fleet.yaml"
KUSTOMIZATION_FILE = "kustomization.yaml"
GITREPO_FILE = "gitrepo.yaml"
FLUX_FILE = "flux.yaml"

FORBIDDEN_DIR_NAMES = frozenset({"templates"})
"""Directory names never written: Fleet moves a bundle's `templates/` into a Helm chart and
renders it, which breaks cloud-init Jinja such as `{{ ds.meta_data.instance_id }}`
(rancher/fleet v0.16.1 `internal/helmdeployer/render/helm.go`, FIELD.md §1.18)."""

BundleKind = Literal["namespaces", "addon", "cluster"]


@dataclass(frozen=True)
class Bundle:
    """One directory of the output tree that the GitOps agent reconciles as a unit.

    Attributes:
        kind: "namespaces", "addon" (one addon in one namespace) or "cluster".
        dir: posix path relative to the output directory, e.g. `clusters/clusters/kv-demo`.
        namespace: the management-cluster namespace ("" for the namespaces bundle).
        name: the cluster or addon name ("" for the namespaces bundle).
        files: the object files of this bundle (paths relative to the output directory).
    """

    kind: BundleKind
    dir: str
    namespace: str
    name: str
    files: tuple[OutputFile, ...]

    @property
    def objects(self) -> list[RenderedObject]:
        """Every object of the bundle, in file then document order."""
        return [o for f in self.files for o in f.objects]


def cluster_dir(namespace: str, name: str) -> str:
    """`clusters/<namespace>/<cluster>`: the bundle directory of one cluster."""
    return f"{CLUSTERS_DIR}/{namespace}/{name}"


def addons_namespace_dir(namespace: str) -> str:
    """`addons/<namespace>`: the directory of every addon rendered into one namespace."""
    return f"{ADDONS_DIR}/{namespace}"


def addon_dir(namespace: str, addon: str) -> str:
    """`addons/<namespace>/<addon>`: the bundle directory of one addon in one namespace."""
    return f"{addons_namespace_dir(namespace)}/{addon}"


def cluster_key(path: str) -> tuple[str, str] | None:
    """The (namespace, cluster) whose bundle holds `path`, or None.

    Args:
        path: posix path relative to the output directory.

    Returns:
        `(namespace, name)` for `clusters/<namespace>/<name>/...`, else None.
    """
    parts = path.split("/")
    if len(parts) >= 4 and parts[0] == CLUSTERS_DIR:
        return parts[1], parts[2]
    return None


def repo_path(output_dir: str, rel: str = "") -> str:
    """Path of an output-tree entry relative to the repository root, e.g. `fleet/clusters`."""
    return f"{output_dir}/{rel}" if rel else output_dir


def objects_file(path: str, objects: Sequence[RenderedObject]) -> OutputFile:
    """A multi-document YAML file holding `objects` in the given order.

    Args:
        path: posix path relative to the output directory.
        objects: the objects, in document order.

    Returns:
        An OutputFile whose bytes are `yamlio.dump_documents` of the manifests (each document
        starts with `---`; the file ends with one newline).
    """
    return OutputFile(path, dump_documents([o.manifest for o in objects]).encode(), tuple(objects))


def data_file(path: str, data: Mapping[str, Any]) -> OutputFile:
    """A single-document YAML file that is not a Kubernetes object (fleet.yaml, kustomization.yaml).

    Args:
        path: posix path relative to the output directory.
        data: plain data, keys in output order.

    Returns:
        An OutputFile with no objects; bytes from `yamlio.dump_document`.
    """
    return OutputFile(path, dump_document(dict(data)).encode())


def forbidden_dirs(paths: Iterable[str]) -> list[str]:
    """Directories among `paths` whose name is in FORBIDDEN_DIR_NAMES, sorted and unique.

    Args:
        paths: posix file paths relative to the output directory.

    Returns:
        Offending directory paths, e.g. `["clusters/templates"]`.
    """
    bad: set[str] = set()
    for path in paths:
        parts = path.split("/")[:-1]
        for i, part in enumerate(parts):
            if part in FORBIDDEN_DIR_NAMES:
                bad.add("/".join(parts[: i + 1]))
    return sorted(bad)
