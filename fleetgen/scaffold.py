"""Scaffolding a new fleet repository (`fleetgen init`).

Owns: the starter files (fleetgen.yaml, an example ClusterSpec, crs/, schemas/sources.yaml,
.gitignore) and creating them without ever overwriting a file. Must not print; the CLI reports
what was created and what was skipped.

Example:
    >>> report = scaffold(Path("my-fleet"))        # doctest: +SKIP
    >>> report.created[:2]                          # doctest: +SKIP
    ('.gitignore', 'clusters/example.yaml')
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fleetgen.errors import ConfigError

FLEETGEN_YAML = """\
# Fleet-wide settings for fleetgen (https://git.example.com/platform/fleetgen).
apiVersion: fleetgen.dev/v1alpha1
kind: FleetConfig
gitops:
  agent: fleet                 # fleet | flux
  repo: https://git.example.com/platform/fleet.git   # this repository, as the GitOps agent clones it
  branch: main
  # namespace: fleet-local     # where the GitRepo (Fleet) or GitRepository (Flux, flux-system) lives
  # interval: 1m               # how often the agent polls the repository
  # secretRef: git-auth        # an existing Secret with git credentials (never commit credentials)
  # path: platform/fleet       # the folder of the git repository holding this file, if not its top level
defaults:                      # deep-merged under every ClusterSpec; the spec wins
  metadata:
    namespace: clusters        # management-cluster namespace of the Cluster objects
  spec:
    kubernetesVersion: v1.33.1
# outputDir: fleet             # rendered output, committed; never edit it by hand
"""

EXAMPLE_CLUSTER = """\
# An example workload cluster on KubeVirt. One ClusterSpec per file; sub-folders are allowed
# (e.g. clusters/kubevirt/, clusters/prod/). Render with `fleetgen render`.
apiVersion: fleetgen.dev/v1alpha1
kind: ClusterSpec
metadata:
  name: example                # becomes the CAPI Cluster name (RFC 1123 label, <= 63 chars)
  labels:                      # copied onto the Cluster; addons in crs/ select clusters by label
    env: dev
spec:
  hypervisor: kubevirt         # kubevirt | proxmox
  controlPlane:
    replicas: 1                # odd (stacked etcd)
    machine: {cpus: 2, memory: 4Gi}
  workers:
    - name: md-0
      replicas: 2
      machine: {cpus: 2, memory: 4Gi}
  kubevirt:
    image: quay.io/capk/ubuntu-2404-container-disk:v1.33.1   # containerDisk matching kubernetesVersion
"""

CRS_README = """\
# Addons

One folder per addon: `crs/<addon>/addon.yaml` plus the manifest files it ships. fleetgen renders
each addon into a ClusterResourceSet (and ConfigMaps carrying the files) in every namespace that
holds a cluster the selector matches.

```yaml
apiVersion: fleetgen.dev/v1alpha1
kind: Addon
metadata: {name: calico}       # must match the folder name
spec:
  clusterSelector: {matchLabels: {cni: calico}}
  strategy: Reconcile          # or ApplyOnce (the upstream default)
  resources: [calico.yaml]     # files in this folder; never a Secret with data
```
"""

GITIGNORE = """\
# fleetgen's content-hash cache of render/validate results.
.fleetgen-cache/
"""


def _sources_yaml() -> str:
    from fleetgen.schemas.catalog import render_sources_yaml

    return render_sources_yaml()


#: path (posix, relative to the new repository) -> text, or a function producing it lazily.
SCAFFOLD_FILES: Mapping[str, str | Callable[[], str]] = {
    ".gitignore": GITIGNORE,
    "clusters/example.yaml": EXAMPLE_CLUSTER,
    "crs/README.md": CRS_README,
    "fleetgen.yaml": FLEETGEN_YAML,
    "schemas/sources.yaml": _sources_yaml,
}


@dataclass(frozen=True)
class ScaffoldReport:
    """What `scaffold` did.

    Attributes:
        created: paths written (posix, relative to the repository), sorted.
        skipped: paths that already existed and were left alone, sorted.
    """

    created: tuple[str, ...]
    skipped: tuple[str, ...]


def scaffold(root: Path, files: Mapping[str, str | Callable[[], str]] = SCAFFOLD_FILES) -> ScaffoldReport:
    """Create the starter files of a fleet repository under `root`, never overwriting a file.

    Args:
        root: the repository directory; created when missing.
        files: path -> content (or a function returning it); default SCAFFOLD_FILES.

    Returns:
        Which files were created and which were skipped because they existed.

    Raises:
        ConfigError: `root` exists and is not a directory, is a dangling symlink, or a file cannot
            be created (exit 2).
    """
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root}: exists and is not a directory")
    if root.is_symlink() and not root.exists():
        raise ConfigError(f"{root}: is a symlink to {os.readlink(root)}, which does not exist; create that directory first")
    created: list[str] = []
    skipped: list[str] = []
    for rel in sorted(files):
        path = root.joinpath(*PurePosixPath(rel).parts)
        if path.exists() or path.is_symlink():
            skipped.append(rel)
            continue
        entry = files[rel]
        content = entry if isinstance(entry, str) else entry()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "x", encoding="utf-8", newline="\n") as fh:  # "x": never overwrite, even in a race
                fh.write(content)
        except FileExistsError:
            skipped.append(rel)
            continue
        except OSError as err:
            raise ConfigError(f"cannot create {path}: {os.strerror(err.errno) if err.errno else err}") from err
        created.append(rel)
    return ScaffoldReport(tuple(created), tuple(skipped))
