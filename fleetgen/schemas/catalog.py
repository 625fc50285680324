"""The pinned upstream schema sources and the on-disk schema layout.

Owns: `UpstreamFile` (one pinned upstream file: org/repo, version, path, sha256), the built-in
pinned set `PINNED` (exactly the versions DESIGN.md pins), `CoreSchemas` (which core Kubernetes
kinds are taken from the `kubernetes-validate` package), reading and writing
`schemas/sources.yaml`, and `schema_relpath`, the kubeconform/CRDs-catalog file layout shared by
`sync` (writer) and `registry` (reader). Must not fetch, convert or validate anything.

Example:
    >>> sources = load_sources(Path("."))          # schemas/sources.yaml, or PINNED
    >>> sources[0].url
    'https://raw.githubusercontent.com/kubernetes-sigs/cluster-api/v1.12.11/config/crd/bases/...'
    >>> schema_relpath("cluster.x-k8s.io/v1beta2", "Cluster")
    'cluster.x-k8s.io/cluster_v1beta2.json'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from fleetgen.errors import ConfigError

#: apiVersion/kind of `schemas/sources.yaml`.
SOURCES_API_VERSION = "fleetgen.dev/v1alpha1"
SOURCES_KIND = "SchemaSources"
#: Where the sources file lives, relative to the fleet repository root.
SOURCES_RELPATH = "schemas/sources.yaml"
#: Real download location of a pinned file (DESIGN.md "Pinned upstream versions").
RAW_URL_TEMPLATE = "https://raw.githubusercontent.com/{org}/{repo}/{version}/{path}"

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
_K8S_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?$")


@dataclass(frozen=True, order=True)
class UpstreamFile:
    """One pinned upstream file holding CustomResourceDefinitions.

    Attributes:
        org: GitHub organisation, e.g. `kubernetes-sigs`.
        repo: GitHub repository, e.g. `cluster-api`.
        version: git tag, e.g. `v1.12.11`.
        path: POSIX path inside the repository, e.g. `config/crd/bases/cluster.x-k8s.io_clusters.yaml`.
        sha256: lower-case hex sha256 of the file's exact bytes.
    """

    org: str
    repo: str
    version: str
    path: str
    sha256: str

    @property
    def url(self) -> str:
        """The real download URL (raw.githubusercontent.com)."""
        return RAW_URL_TEMPLATE.format(org=self.org, repo=self.repo, version=self.version, path=self.path)

    @property
    def key(self) -> str:
        """`org/repo/version/path`: the file's place in a mirror, and its id in messages."""
        return f"{self.org}/{self.repo}/{self.version}/{self.path}"

    @property
    def bundle(self) -> tuple[str, str, str]:
        """`(org, repo, version)`: the release this file belongs to."""
        return (self.org, self.repo, self.version)

    def mirror_path(self, mirror: Path) -> Path:
        """Location of this file in a local mirror laid out `{org}/{repo}/{version}/{path}`."""
        return mirror.joinpath(self.org, self.repo, self.version, *PurePosixPath(self.path).parts)


@dataclass(frozen=True)
class CoreSchemas:
    """Core Kubernetes kinds whose schemas come from the `kubernetes-validate` package.

    Attributes:
        kubernetes_version: `MAJOR.MINOR` of the Kubernetes API the schemas describe, e.g. `1.33`.
        kinds: `(apiVersion, kind)` pairs, e.g. `("v1", "ConfigMap")`, sorted.
    """

    kubernetes_version: str
    kinds: tuple[tuple[str, str], ...]


def _f(org: str, repo: str, version: str, path: str, sha256: str) -> UpstreamFile:
    return UpstreamFile(org, repo, version, path, sha256)


#: The built-in pinned set: every CRD file of exactly the versions DESIGN.md pins. sha256 values
#: were computed from the unmodified upstream files (shared/upstream mirrors them); a test keeps
#: them in step with the mirror. Bumping a version: replace its entries, run the catalog test,
#: log the bump with its date in the changelog.
# fmt: off
PINNED: tuple[UpstreamFile, ...] = (
    # kubernetes-sigs/cluster-api v1.12.11: core, ClusterResourceSet, IPAM claims, kubeadm bootstrap + control plane
    _f("kubernetes-sigs", "cluster-api", "v1.12.11", "config/crd/bases/addons.cluster.x-k8s.io_clusterresourcesetbindings.yaml", "616efa05642ea14820be1a56129a4427a764e584f74a0468c40543e6822d8368"),
    _f("kubernetes-sigs", "cluster-api", "v1.12.11", "config/crd/bases/addons.cluster.x-k8s.io_clusterresourcesets.yaml", "ee28adba359e918360d641a1731c614d6bbe465e694e0bd58430aea67fd1a33a"),
    _f("kubernetes-sigs", "cluster-api", "v1.12.11", "config/crd/bases/cluster.x-k8s.io_clusterclasses.yaml", "d077b523768668c578979ccc480b14beb0073d994d860b5016070cd36ec11dde"),
    _f("kubernetes-sigs", "cluster-api", "v1.12.11", "config/crd/bases/cluster.x-k8s.io_clusters.yaml", "26f3c3d15c0865a690b95d2f75425c40d7a6adf72aba856d6827111a0b3a0a3d"),
    _f("kubernetes-sigs", "cluster-api", "v1.12.11", "config/crd/bases/cluster.x-k8s.io_machinedeployments.yaml", "782e8467ba09bf17affd57c196df2bcaf73f36d14aec3f242c4609beca10f992"),
    _f("kubernetes-sigs", "cluster-api", "v1.12.11", "config/crd/bases/cluster.x-k8s.io_machinedrainrules.yaml", "6c2b3208cbf10b74ff18d9562f15a863ec66a37acf231ba986e453afe6c5a3ab"),
    _f("kubernetes-sigs", "cluster-api", "v1.12.11", "config/crd/bases/cluster.x-k8s.io_machinehealthchecks.yaml", "c2cd0a86b2103a77ae58bf7fde81f1ae4791142527b0951bda54aa093c8a630b"),
    _f("kubernetes-sigs", "cluster-api", "v1.12.11", "config/crd/bases/cluster.x-k8s.io_machinepools.yaml", "453cc3f937a3864009463bedfe76b5772e355c43fd1f609ad543cb7107c29431"),
    _f("kubernetes-sigs", "cluster-api", "v1.12.11", "config/crd/bases/cluster.x-k8s.io_machines.yaml", "9c27134cc79fbb76189309aead3e6576bd0b6be4a8b5253fe90dd035feee826e"),
    _f("kubernetes-sigs", "cluster-api", "v1.12.11", "config/crd/bases/cluster.x-k8s.io_machinesets.yaml", "b6e1198327bc5b5c3dab98bc0c80ffcf71a211bfe88ed446213f598fc14f6a9f"),
    _f("kubernetes-sigs", "cluster-api", "v1.12.11", "config/crd/bases/ipam.cluster.x-k8s.io_ipaddressclaims.yaml", "9eaa81e35808ede7ad3f534949ef264c7780fd9c4fd6b5e7b4a3b41254c9a585"),
    _f("kubernetes-sigs", "cluster-api", "v1.12.11", "config/crd/bases/ipam.cluster.x-k8s.io_ipaddresses.yaml", "44a1d609177ee4df1ef8b53679d5a4d6d7abf423b1653f40a1929e7672b76821"),
    _f("kubernetes-sigs", "cluster-api", "v1.12.11", "bootstrap/kubeadm/config/crd/bases/bootstrap.cluster.x-k8s.io_kubeadmconfigs.yaml", "81ad031de6ce24f25efa52617f5df03651de25197eaa8afa67ed9094c207aa7f"),
    _f("kubernetes-sigs", "cluster-api", "v1.12.11", "bootstrap/kubeadm/config/crd/bases/bootstrap.cluster.x-k8s.io_kubeadmconfigtemplates.yaml", "1a475c53196fe24e7f8ff7c8ad882e3ed507a29689d6f66e5f5f268a1f2fcfe5"),
    _f("kubernetes-sigs", "cluster-api", "v1.12.11", "controlplane/kubeadm/config/crd/bases/controlplane.cluster.x-k8s.io_kubeadmcontrolplanes.yaml", "303d1ed4a6700608132902c2904c62fb23ee380b1f60e9e3eeb72e241b071a1c"),
    _f("kubernetes-sigs", "cluster-api", "v1.12.11", "controlplane/kubeadm/config/crd/bases/controlplane.cluster.x-k8s.io_kubeadmcontrolplanetemplates.yaml", "9e64e08d8f4f3d8292bf0100dfbb15c7e8ca6d91dc4deff2732582ee974a1a09"),
    # kubernetes-sigs/cluster-api-provider-kubevirt v0.11.2 (CAPK)
    _f("kubernetes-sigs", "cluster-api-provider-kubevirt", "v0.11.2", "config/crd/bases/infrastructure.cluster.x-k8s.io_kubevirtclusters.yaml", "865e8c5906bc3f8f32c8340d5300d3039e0d01cc7a10e06cabd089b28981e509"),
    _f("kubernetes-sigs", "cluster-api-provider-kubevirt", "v0.11.2", "config/crd/bases/infrastructure.cluster.x-k8s.io_kubevirtclustertemplates.yaml", "856c87b96cdb988d996c26621e8eb19cefc2f3cacfbbe69c6516e66dbf34abe4"),
    _f("kubernetes-sigs", "cluster-api-provider-kubevirt", "v0.11.2", "config/crd/bases/infrastructure.cluster.x-k8s.io_kubevirtmachines.yaml", "a6369faf1073068d0c895e720901ea2dfbec88691c630773c327e72704c5b1fe"),
    _f("kubernetes-sigs", "cluster-api-provider-kubevirt", "v0.11.2", "config/crd/bases/infrastructure.cluster.x-k8s.io_kubevirtmachinetemplates.yaml", "2acccbdbdb74a8b75e01a5f1252e9da06f8f208abf2b36c3941378552be4b38c"),
    # ionos-cloud/cluster-api-provider-proxmox v0.9.0 (CAPMOX)
    _f("ionos-cloud", "cluster-api-provider-proxmox", "v0.9.0", "config/crd/bases/infrastructure.cluster.x-k8s.io_proxmoxclusters.yaml", "91c27514b7a59a8f4ecfc8374c574d832ff8b9a8bb0e041af5639508306119a9"),
    _f("ionos-cloud", "cluster-api-provider-proxmox", "v0.9.0", "config/crd/bases/infrastructure.cluster.x-k8s.io_proxmoxclustertemplates.yaml", "4c63615951fe82e8c68819bd41b831701d008898e09d1e3331035d870e8ebdae"),
    _f("ionos-cloud", "cluster-api-provider-proxmox", "v0.9.0", "config/crd/bases/infrastructure.cluster.x-k8s.io_proxmoxmachines.yaml", "edb984bc7072763ac2da1d1821908d3b6d6b96ac21474f36678cae43e0007b3e"),
    _f("ionos-cloud", "cluster-api-provider-proxmox", "v0.9.0", "config/crd/bases/infrastructure.cluster.x-k8s.io_proxmoxmachinetemplates.yaml", "43edaf89ff05f4b723f822bf59767de317ebddd66eceef51d24cb62dab99d8d1"),
    # kubernetes-sigs/cluster-api-ipam-provider-in-cluster v1.0.3
    _f("kubernetes-sigs", "cluster-api-ipam-provider-in-cluster", "v1.0.3", "config/crd/bases/ipam.cluster.x-k8s.io_globalinclusterippools.yaml", "367982a08a3b72202e431a6fd949f2872293085f41a1f08bcfb0e1ef01eb11b0"),
    _f("kubernetes-sigs", "cluster-api-ipam-provider-in-cluster", "v1.0.3", "config/crd/bases/ipam.cluster.x-k8s.io_inclusterippools.yaml", "d9cdbc4918becc5fd2629c2d15de9db7beb75bd3029522e419d75d6ce428ca7b"),
    # rancher/fleet v0.16.1: the fleet-crd Helm chart's template (plain YAML, no {{ }} actions at this version)
    _f("rancher", "fleet", "v0.16.1", "charts/fleet-crd/templates/crds.yaml", "1df846a4c365c6ec7591277a3ec8c1f1c13460a43874da821984d34e463bbe8b"),
    # fluxcd/source-controller v1.9.1 (GitRepository, OCIRepository)
    _f("fluxcd", "source-controller", "v1.9.1", "config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml", "39a5a46c81539c992abc53f9be3e5434cd70d50a10d169b1e8a450e0df1c9d09"),
    _f("fluxcd", "source-controller", "v1.9.1", "config/crd/bases/source.toolkit.fluxcd.io_ocirepositories.yaml", "2655834d468e46a533410d9e2bc3f4e7cbf9b4c922b95652012acb09bfb2545a"),
    # fluxcd/kustomize-controller v1.9.4 (Kustomization)
    _f("fluxcd", "kustomize-controller", "v1.9.4", "config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml", "da23ca0e6b4c80d3d26a91583137491e147ef4ef1e2208aece0d0af4ef851974"),
)
# fmt: on

#: Core kinds fleetgen renders (ConfigMap, Secret: ClusterResourceSet payloads; Namespace) or that
#: users commonly ship in addons (the kinds found in the Calico and kindnet manifests).
#: Kubernetes 1.33 matches the example `kubernetesVersion: v1.33.1` in DESIGN.md.
BUILTIN_CORE = CoreSchemas(
    kubernetes_version="1.33",
    kinds=tuple(
        sorted(
            [
                ("v1", "ConfigMap"),
                ("v1", "Namespace"),
                ("v1", "Secret"),
                ("v1", "Service"),
                ("v1", "ServiceAccount"),
                ("apps/v1", "DaemonSet"),
                ("apps/v1", "Deployment"),
                ("apps/v1", "StatefulSet"),
                ("rbac.authorization.k8s.io/v1", "ClusterRole"),
                ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
                ("rbac.authorization.k8s.io/v1", "Role"),
                ("rbac.authorization.k8s.io/v1", "RoleBinding"),
                ("policy/v1", "PodDisruptionBudget"),
                ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
            ]
        )
    ),
)


def schema_relpath(api_version: str, kind: str) -> str:
    """Path of an object's JSON schema inside a schema directory (kubeconform/CRDs-catalog layout).

    The layout is kubeconform's `{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json`, where
    `Group` is the part of apiVersion before `/` and the kind is lower-cased. For core kinds
    (apiVersion without a group, e.g. `v1`) kubeconform's `Group` is the version itself, so
    ConfigMap v1 lives at `v1/configmap_v1.json`; the same template then finds every file.

    Args:
        api_version: e.g. `cluster.x-k8s.io/v1beta2` or `v1`.
        kind: e.g. `Cluster`.

    Returns:
        A POSIX relative path, e.g. `cluster.x-k8s.io/cluster_v1beta2.json`.

    Raises:
        ValueError: if api_version or kind is empty or would escape the directory.

    Source:
        yannh/kubeconform pkg/registry/registry.go (`schemaPath`: Group = groupParts[0]).
    """
    group, _, version = api_version.rpartition("/")
    if not group:
        group = version
    for part in (group, version, kind):
        if not part or not _NAME_RE.match(part) or part in (".", ".."):
            raise ValueError(f"not a usable apiVersion/kind: {api_version!r} {kind!r}")
    return f"{group}/{kind.lower()}_{version}.json"


# --------------------------------------------------------------------------------------------
# schemas/sources.yaml


def render_sources_yaml(sources: tuple[UpstreamFile, ...] = PINNED, core: CoreSchemas = BUILTIN_CORE) -> str:
    """Render a `schemas/sources.yaml` that pins `sources` (what `fleetgen init` writes).

    Args:
        sources: pinned files; grouped by (org, repo, version) in first-seen order, files in order.
        core: the core Kubernetes kinds section.

    Returns:
        YAML text ending with a newline; `load_sources` reads it back to the same tuple.
    """
    lines = [
        "# Pinned upstream CRD sources for `fleetgen schemas sync` (sha256 of each file's exact bytes).",
        "# A file is fetched from https://raw.githubusercontent.com/{org}/{repo}/{version}/{path}",
        "# or read from `--mirror DIR` laid out {org}/{repo}/{version}/{path}.",
        f"apiVersion: {SOURCES_API_VERSION}",
        f"kind: {SOURCES_KIND}",
        "sources:",
    ]
    bundles: dict[tuple[str, str, str], list[UpstreamFile]] = {}
    for f in sources:
        bundles.setdefault(f.bundle, []).append(f)
    for (org, repo, version), files in bundles.items():
        lines += [f"  - org: {org}", f"    repo: {repo}", f"    version: {_quote(version)}", "    files:"]
        for f in files:
            lines += [f"      - path: {_quote(f.path)}", f"        sha256: {_quote(f.sha256)}"]
    lines += [
        "# Core Kubernetes kinds, taken from the schemas bundled with the kubernetes-validate package.",
        "core:",
        f'  kubernetesVersion: "{core.kubernetes_version}"',
        "  kinds:",
    ]
    lines += [f"    - {av}/{kind}" for av, kind in core.kinds]
    return "\n".join(lines) + "\n"


def _quote(value: str) -> str:
    """Quote a scalar when plain YAML would not read it back as the same string."""
    if re.fullmatch(r"[A-Za-z0-9_./-]+", value) and not re.fullmatch(r"[0-9.]+", value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _load_sources_doc(repo_root: Path) -> tuple[dict[str, Any], Any, str] | None:
    """Read schemas/sources.yaml: (data, source map, display path), or None if absent."""
    from fleetgen.yamlio import YamlLoadError, load_yaml

    path = repo_root / SOURCES_RELPATH
    if not path.is_file():
        return None
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"cannot read: {err.strerror}", path=SOURCES_RELPATH) from err
    try:
        docs = load_yaml(raw, SOURCES_RELPATH)
    except YamlLoadError as err:
        pos = err.finding.position
        raise ConfigError(err.finding.message, path=SOURCES_RELPATH, line=pos.line or None) from err
    if len(docs) != 1:
        raise ConfigError(f"expected one YAML document, found {len(docs)}", path=SOURCES_RELPATH)
    data = docs[0].data
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping at the top level", path=SOURCES_RELPATH, line=1)
    return data, docs[0].source, SOURCES_RELPATH


class _Reader:
    """Typed field access into the sources document, raising ConfigError with file and line."""

    def __init__(self, source: Any, display: str) -> None:
        self.source = source
        self.display = display

    def fail(self, pointer: str, message: str) -> ConfigError:
        from fleetgen.sourcemap import pointer_to_path

        line = self.source.lookup(pointer).line or None
        field = pointer_to_path(pointer)
        return ConfigError(f"{field}: {message}" if field else message, path=self.display, line=line)

    def get(self, obj: dict[str, Any], pointer: str, key: str, typ: type, *, required: bool = True) -> Any:
        if key not in obj:
            if required:
                raise self.fail(pointer, f"missing required field {key!r}")
            return None
        value = obj[key]
        if not isinstance(value, typ) or isinstance(value, bool) and typ is not bool:
            raise self.fail(
                f"{pointer}/{key}", f"expected {_TYPE_NAMES.get(typ, typ.__name__)}, got {_type_name(value)}"
            )
        return value

    def only(self, obj: dict[str, Any], pointer: str, allowed: tuple[str, ...]) -> None:
        for key in obj:
            if key not in allowed:
                raise self.fail(
                    f"{pointer}/{key}", f"unknown field {key!r}; expected one of {', '.join(allowed)}"
                )


_TYPE_NAMES = {str: "a string", list: "a list", dict: "a mapping", int: "an integer"}


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def load_sources(repo_root: Path) -> tuple[UpstreamFile, ...]:
    """Load the pinned upstream files from `schemas/sources.yaml`, or the built-in set.

    Args:
        repo_root: the fleet repository root.

    Returns:
        The pinned files in file order (`PINNED` when `schemas/sources.yaml` is absent).

    Raises:
        ConfigError: the file cannot be read or parsed, has the wrong apiVersion/kind, an unknown
            or missing field, a malformed sha256, an unsafe path, or a file listed twice; the
            message names `schemas/sources.yaml` and the line.

    Source:
        Format: DESIGN.md "Repository layout" (`schemas/sources.yaml`); STYLE.md §5.
    """
    loaded = _load_sources_doc(repo_root)
    if loaded is None:
        return PINNED
    data, source, display = loaded
    r = _Reader(source, display)
    r.only(data, "", ("apiVersion", "kind", "sources", "core"))
    if r.get(data, "", "apiVersion", str) != SOURCES_API_VERSION:
        raise r.fail("/apiVersion", f"expected {SOURCES_API_VERSION}, got {data['apiVersion']!r}")
    if r.get(data, "", "kind", str) != SOURCES_KIND:
        raise r.fail("/kind", f"expected {SOURCES_KIND}, got {data['kind']!r}")
    out: list[UpstreamFile] = []
    seen: dict[str, str] = {}
    for i, bundle in enumerate(r.get(data, "", "sources", list)):
        bp = f"/sources/{i}"
        if not isinstance(bundle, dict):
            raise r.fail(bp, f"expected a mapping, got {_type_name(bundle)}")
        r.only(bundle, bp, ("org", "repo", "version", "files"))
        org, repo, version = (r.get(bundle, bp, k, str) for k in ("org", "repo", "version"))
        for key, value in (("org", org), ("repo", repo), ("version", version)):
            if not _NAME_RE.match(value) or value in (".", ".."):
                raise r.fail(f"{bp}/{key}", f"{value!r} is not a valid GitHub {key} name or tag")
        files = r.get(bundle, bp, "files", list)
        if not files:
            raise r.fail(f"{bp}/files", "must list at least one file")
        for j, entry in enumerate(files):
            fp = f"{bp}/files/{j}"
            if not isinstance(entry, dict):
                raise r.fail(fp, f"expected a mapping with path and sha256, got {_type_name(entry)}")
            r.only(entry, fp, ("path", "sha256"))
            path = r.get(entry, fp, "path", str)
            digest = r.get(entry, fp, "sha256", str)
            pure = PurePosixPath(path)
            if not path or pure.is_absolute() or ".." in pure.parts or "\\" in path or str(pure) != path:
                raise r.fail(
                    f"{fp}/path", f"{path!r} must be a normalised relative POSIX path inside the repository"
                )
            if not _SHA256_RE.match(digest):
                raise r.fail(f"{fp}/sha256", "must be 64 lower-case hex digits")
            f = UpstreamFile(org, repo, version, path, digest)
            if f.key in seen:
                raise r.fail(fp, f"{f.key} is listed twice (first at {seen[f.key]})")
            seen[f.key] = fp
            out.append(f)
    if not out:
        raise r.fail("/sources", "must list at least one source")
    return tuple(out)


def load_core_schemas(repo_root: Path) -> CoreSchemas:
    """Load the `core:` section of `schemas/sources.yaml`, or the built-in core kinds.

    Args:
        repo_root: the fleet repository root.

    Returns:
        The core kinds to take from `kubernetes-validate` (`BUILTIN_CORE` when the file or its
        `core:` section is absent; an explicit `kinds: []` means none).

    Raises:
        ConfigError: malformed `core:` section (wrong type, bad version, `apiVersion/Kind`
            entries that do not parse, duplicates), naming the file and line.
    """
    loaded = _load_sources_doc(repo_root)
    if loaded is None or "core" not in loaded[0]:
        return BUILTIN_CORE
    data, source, display = loaded
    r = _Reader(source, display)
    core = r.get(data, "", "core", dict)
    r.only(core, "/core", ("kubernetesVersion", "kinds"))
    version = r.get(core, "/core", "kubernetesVersion", str)
    m = _K8S_VERSION_RE.match(version)
    if not m:
        raise r.fail("/core/kubernetesVersion", f'expected MAJOR.MINOR such as "1.33", got {version!r}')
    kinds: set[tuple[str, str]] = set()
    for i, item in enumerate(r.get(core, "/core", "kinds", list)):
        kp = f"/core/kinds/{i}"
        if not isinstance(item, str) or "/" not in item:
            raise r.fail(kp, f"expected apiVersion/Kind such as v1/ConfigMap, got {item!r}")
        api_version, _, kind = item.rpartition("/")
        try:
            schema_relpath(api_version, kind)
        except ValueError:
            raise r.fail(kp, f"expected apiVersion/Kind such as v1/ConfigMap, got {item!r}") from None
        if (api_version, kind) in kinds:
            raise r.fail(kp, f"{item} is listed twice")
        kinds.add((api_version, kind))
    return CoreSchemas(kubernetes_version=f"{m.group(1)}.{m.group(2)}", kinds=tuple(sorted(kinds)))
