"""Build `PolicyContext`s from YAML text: the shared test fixture of the policy tests.

A *case* is one multi-document YAML file (or string). Each document is one of:

* a `FleetConfig` (optional; a minimal one is used otherwise);
* a `ClusterSpec` or an `Addon` (validated with the real models; an addon's resources get empty
  payloads unless `files` are passed);
* anything else: a rendered Kubernetes object, given an identity origin map so that a finding on
  a rendered field is positioned at that field in the case file itself.

`<case>.base.yaml` next to a case file (or `base=` text) is the base revision, for transition rules.
Expectations are comments anywhere in a case file: `# expect: LINE:COL RULE-ID`.
"""

from __future__ import annotations

import re
from pathlib import Path

from fleetgen.errors import RenderError
from fleetgen.policy.base import PolicyContext
from fleetgen.render import render_fleet
from fleetgen.render.base import OutputFile, RenderedObject, RenderResult
from fleetgen.sourcemap import SourceMap
from fleetgen.spec import models
from fleetgen.spec.load import Fleet, LoadedAddon, LoadedCluster
from fleetgen.yamlio import dump_documents, load_yaml

EXPECT = re.compile(r"#\s*expect:\s*(\d+):(\d+)\s+([a-z0-9-]+)")

DEFAULT_CONFIG = {
    "apiVersion": "fleetgen.dev/v1alpha1",
    "kind": "FleetConfig",
    "gitops": {"agent": "fleet", "repo": "https://git.example.com/platform/fleet.git"},
}


def context_from_yaml(text: str, *, path: str = "case.yaml", base: str | None = None,
                      files: dict[str, dict[str, bytes]] | None = None) -> PolicyContext:
    """A PolicyContext from case text (and optional base-revision text).

    Args:
        text: the multi-document case.
        path: the file name positions report.
        base: the base revision's case text, or None.
        files: addon name -> resource name -> payload bytes.
    """
    ctx = _context(text, path, files or {})
    if base is not None:
        base_path = path.removesuffix(".yaml") + ".base.yaml"
        ctx = PolicyContext(ctx.fleet, ctx.rendered, _context(base, base_path, files or {}))
    return ctx


def context_from_file(case: Path, *, relative_to: Path) -> PolicyContext:
    """A PolicyContext from a case file and its `.base.yaml` sibling, if any."""
    rel = case.relative_to(relative_to).as_posix()
    base = case.with_name(case.name.removesuffix(".yaml") + ".base.yaml")
    return context_from_yaml(case.read_text(), path=rel, base=base.read_text() if base.is_file() else None)


def expectations(text: str) -> list[tuple[int, int, str]]:
    """The `# expect: LINE:COL RULE` tuples of a case, sorted."""
    return sorted((int(m.group(1)), int(m.group(2)), m.group(3)) for m in EXPECT.finditer(text))


def _context(text: str, path: str, files: dict[str, dict[str, bytes]]) -> PolicyContext:
    config = models.FleetConfig.model_validate(DEFAULT_CONFIG)
    config_source = SourceMap("fleetgen.yaml")
    clusters: list[LoadedCluster] = []
    addons: list[LoadedAddon] = []
    objects: list[RenderedObject] = []
    for doc in load_yaml(text.encode(), path, allow_empty=True):
        data = doc.data
        if data is None:
            continue  # an empty document (`---` followed by `---`)
        kind = data.get("kind") if isinstance(data, dict) else None
        if kind == "FleetConfig":
            config, config_source = models.FleetConfig.model_validate(data), doc.source
        elif kind == "ClusterSpec":
            clusters.append(LoadedCluster(models.ClusterSpec.model_validate(data), doc.source, path, ""))
        elif kind == "Addon":
            addon = models.Addon.model_validate(data)
            payload = files.get(addon.metadata.name, {})
            addons.append(LoadedAddon(addon, doc.source, f"crs/{addon.metadata.name}/addon.yaml",
                                      {name: payload.get(name, b"") for name in addon.spec.resources}))
        else:
            origin = {pointer: pointer for pointer in doc.source.positions}
            origin[""] = ""
            cluster = ""
            objects.append(RenderedObject(data, doc.source, origin, cluster))
    clusters.sort(key=lambda c: (c.namespace, c.name, c.path))
    addons.sort(key=lambda a: a.name)
    fleet = Fleet(Path("."), config, config_source, tuple(clusters), tuple(addons))
    rendered_files = ()
    if objects:
        content = dump_documents([o.manifest for o in objects]).encode()
        rendered_files = (OutputFile(path, content, tuple(objects)),)
    elif clusters:  # (specs alone: the rules see what fleetgen renders from them, if it renders them)
        try:
            return PolicyContext(fleet, render_fleet(fleet))
        except RenderError:
            pass
    return PolicyContext(fleet, RenderResult(rendered_files, tuple(c.name for c in clusters)))


def findings_tuples(findings) -> list[tuple[int, int, str]]:  # type: ignore[no-untyped-def]
    """(line, col, rule_id) of each finding, sorted."""
    return sorted((f.position.line, f.position.col, f.rule_id) for f in findings)


def write_fleet(root: Path, *, clusters: dict[str, str], addons: dict[str, dict[str, str]] | None = None,
                config: str | None = None) -> Path:
    """Write a fleet repository: fleetgen.yaml, clusters/<name>.yaml, crs/<addon>/<file>."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "fleetgen.yaml").write_text(config or (
        "apiVersion: fleetgen.dev/v1alpha1\nkind: FleetConfig\n"
        "gitops: {agent: fleet, repo: https://git.example.com/platform/fleet.git}\n"
        "defaults:\n  metadata: {namespace: clusters}\n  spec: {kubernetesVersion: v1.33.1}\n"))
    for name, text in clusters.items():
        target = root / "clusters" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    for addon, addon_files in (addons or {}).items():
        folder = root / "crs" / addon
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in addon_files.items():
            (folder / name).write_text(text)
    return root


def kubevirt_cluster(name: str = "kv-a", *, namespace: str = "clusters", version: str = "v1.33.1", cp_replicas: int = 1,
                     workers: list[dict] | None = None, labels: dict[str, str] | None = None,
                     network: dict | None = None, image: str | None = None) -> str:
    """A KubeVirt ClusterSpec document as YAML text."""
    spec: dict = {"hypervisor": "kubevirt", "kubernetesVersion": version}
    if network is not None:
        spec["clusterNetwork"] = network
    spec["controlPlane"] = {"replicas": cp_replicas, "machine": {"cpus": 2, "memory": "4Gi"}}
    spec["workers"] = workers if workers is not None else [{"name": "md-0", "replicas": 2, "machine": {"cpus": 2, "memory": "4Gi"}}]
    spec["kubevirt"] = {"image": image or f"quay.io/capk/ubuntu-2404-container-disk:{version}"}
    return _document("ClusterSpec", name, namespace, labels, spec)


def proxmox_cluster(name: str = "pve-a", *, namespace: str = "clusters", host: str = "10.10.10.9",
                    addresses: list[str] | None = None, prefix: int = 24, gateway: str = "10.10.10.1",
                    bridge: str = "vmbr0", labels: dict[str, str] | None = None, network: dict | None = None,
                    extra: dict | None = None) -> str:
    """A Proxmox ClusterSpec document as YAML text."""
    spec: dict = {"hypervisor": "proxmox", "kubernetesVersion": "v1.33.1"}
    if network is not None:
        spec["clusterNetwork"] = network
    spec["controlPlane"] = {"replicas": 1, "machine": {"cpus": 2, "memory": "4Gi", "diskSize": "20Gi"}}
    spec["proxmox"] = {"sourceNode": "pve1", "templateID": 100, "controlPlaneEndpoint": {"host": host, "port": 6443},
                       "ipv4": {"addresses": addresses or ["10.10.10.10-10.10.10.20"], "prefix": prefix, "gateway": gateway},
                       "dnsServers": ["10.10.10.1"], "bridge": bridge, **(extra or {})}
    return _document("ClusterSpec", name, namespace, labels, spec)


def addon(name: str, selector: dict, *, strategy: str = "Reconcile", resources: list[str] | None = None) -> str:
    """An Addon document as YAML text."""
    body = {"apiVersion": "fleetgen.dev/v1alpha1", "kind": "Addon", "metadata": {"name": name},
            "spec": {"clusterSelector": selector, "strategy": strategy, "resources": resources or ["manifest.yaml"]}}
    return dump_documents([body])


def _document(kind: str, name: str, namespace: str, labels: dict[str, str] | None, spec: dict) -> str:
    metadata: dict = {"name": name, "namespace": namespace}
    if labels:
        metadata["labels"] = labels
    return dump_documents([{"apiVersion": "fleetgen.dev/v1alpha1", "kind": kind, "metadata": metadata, "spec": spec}])
