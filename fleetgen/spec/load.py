"""Loading a fleet repository: fleetgen.yaml, clusters/**/*.yaml and crs/<addon>/.

Owns: file discovery, YAML loading (via `fleetgen.yamlio`), deep-merging `defaults` under each
ClusterSpec, and turning pydantic errors into `Finding`s at the right file and line. Must not
render or apply policy rules.

Example:
    >>> fleet, findings = load_fleet(Path("."))       # doctest: +SKIP
    >>> [c.spec.metadata.name for c in fleet.clusters]  # doctest: +SKIP
    ['kv-demo', 'pve-demo']
"""

from __future__ import annotations

import copy
import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, ValidationError

from fleetgen.errors import ConfigError
from fleetgen.findings import Finding, Position, Severity
from fleetgen.sourcemap import SourceMap, join_pointer, pointer_to_path
from fleetgen.spec import models
from fleetgen.yamlio import YamlLoadError, load_yaml

CONFIG_FILE = "fleetgen.yaml"
CLUSTERS_DIR = "clusters"
ADDONS_DIR = "crs"
ADDON_FILE = "addon.yaml"


@dataclass(frozen=True)
class LoadedCluster:
    """A validated ClusterSpec with the positions of its fields (defaults included).

    Attributes:
        spec: the merged, validated spec.
        source: pointer -> Position; pointers set only by defaults point into fleetgen.yaml.
        path: the spec file, relative to the repository root (posix).
        digest: sha256 of the spec file's bytes (for caches).
    """

    spec: models.ClusterSpec
    source: SourceMap
    path: str
    digest: str

    @property
    def name(self) -> str:
        """The cluster name (metadata.name)."""
        return self.spec.metadata.name

    @property
    def namespace(self) -> str:
        """The management-cluster namespace."""
        return self.spec.metadata.namespace


@dataclass(frozen=True)
class LoadedAddon:
    """A validated Addon and the payload files it ships.

    Attributes:
        addon: the validated Addon.
        source: positions in addon.yaml.
        path: addon.yaml, relative to the repository root.
        files: resource file name -> bytes, in `spec.resources` order.
    """

    addon: models.Addon
    source: SourceMap
    path: str
    files: dict[str, bytes]

    @property
    def name(self) -> str:
        """The addon name (metadata.name)."""
        return self.addon.metadata.name


@dataclass(frozen=True)
class Fleet:
    """Everything a fleet repository declares.

    Attributes:
        root: the repository root.
        config: fleetgen.yaml.
        config_source: positions in fleetgen.yaml.
        clusters: ClusterSpecs sorted by (namespace, name).
        addons: Addons sorted by name.
    """

    root: Path
    config: models.FleetConfig
    config_source: SourceMap
    clusters: tuple[LoadedCluster, ...]
    addons: tuple[LoadedAddon, ...]

    @property
    def output_dir(self) -> Path:
        """Absolute path of the rendered output directory (fleet/ by default)."""
        return self.root / self.config.output_dir


def _all_aliases() -> set[str]:
    names: set[str] = set()
    for obj in vars(models).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            for fname, finfo in obj.model_fields.items():
                names.add(finfo.alias or fname)
    return names


_KNOWN_FIELDS = _all_aliases()


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def findings_from_validation(err: ValidationError, source: SourceMap, *, prefix: tuple[str | int, ...] = ()) -> list[Finding]:
    """Turn a pydantic ValidationError into one Finding per problem (rule id `spec`).

    Args:
        err: the error raised by `Model.model_validate`.
        source: positions of the validated document.
        prefix: path parts to prepend to pydantic's locations.

    Returns:
        Findings whose message starts with the dotted field path, e.g.
        `spec.controlPlane.replicas: must be >= 1, got 0`.
    """
    out = []
    for e in err.errors(include_url=False):
        loc = tuple(prefix) + tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        pointer = join_pointer(loc)
        path = pointer_to_path(pointer) or "(document)"
        kind = e["type"]
        msg = e["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if kind == "extra_forbidden":
            field = str(loc[-1])
            close = difflib.get_close_matches(field, _KNOWN_FIELDS, n=1, cutoff=0.75)
            msg = f"unknown field {field!r}" + (f"; did you mean {close[0]!r}?" if close else "")
        elif kind == "missing":
            msg = "required field is missing"
        elif kind == "value_error":
            pass
        else:
            msg = msg[0].lower() + msg[1:]
            if "input" in e and not isinstance(e["input"], dict | list):
                msg += f", got {_short(e['input'])}"
        if kind == "missing":
            pos = source.lookup(join_pointer(loc[:-1]))
        else:
            pos = source.lookup(pointer)
        out.append(Finding("spec", Severity.ERROR, f"{path}: {msg}", pos, pointer=pointer))
    return out


def deep_merge(base: Any, override: Any) -> Any:
    """Deep-merge `override` onto `base`: mappings merge key by key, anything else is replaced.

    Returns a new structure; neither argument is modified.
    """
    if isinstance(base, dict) and isinstance(override, dict):
        out = {k: copy.deepcopy(v) for k, v in base.items()}
        for k, v in override.items():
            out[k] = deep_merge(out[k], v) if k in out else copy.deepcopy(v)
        return out
    return copy.deepcopy(override)


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _load_single(raw: bytes, rel: str) -> tuple[Any, SourceMap]:
    docs = load_yaml(raw, rel)
    if len(docs) != 1:
        second = docs[1].source.lookup("")
        raise YamlLoadError(Finding("parse", Severity.ERROR, f"expected one YAML document, found {len(docs)}", second))
    return docs[0].data, docs[0].source


def load_config(root: Path) -> tuple[models.FleetConfig, SourceMap]:
    """Load and validate fleetgen.yaml.

    Raises:
        ConfigError: the file is missing or invalid (exit 2); the message lists every problem,
            one per line, with file and line.
    """
    path = root / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(f"{root}: not a fleet repository (no {CONFIG_FILE}); run `fleetgen init` or pass --repo DIR")
    try:
        data, source = _load_single(path.read_bytes(), CONFIG_FILE)
    except YamlLoadError as err:
        raise ConfigError(f"{err.finding.position}: {err.finding.message}") from err
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping (a FleetConfig document)", path=CONFIG_FILE, line=1)
    try:
        config = models.FleetConfig.model_validate(data)
    except ValidationError as err:
        lines = [f"{f.position}: {f.message}" for f in findings_from_validation(err, source)]
        raise ConfigError("\n".join(lines)) from err
    defaults = config.defaults
    if not isinstance(defaults, dict):  # pragma: no cover - the model types it as a dict
        raise ConfigError("defaults must be a mapping", path=CONFIG_FILE)
    return config, source


def _defaults_source(config_source: SourceMap) -> SourceMap:
    """Positions of `defaults.*` re-keyed as if they were fields of a ClusterSpec."""
    out = SourceMap(CONFIG_FILE)
    for ptr, pos in config_source.positions.items():
        if ptr.startswith("/defaults/"):
            out.positions[ptr[len("/defaults"):]] = pos
    return out


def load_cluster(root: Path, path: Path, config: models.FleetConfig, config_source: SourceMap) -> tuple[LoadedCluster | None, list[Finding]]:
    """Load one ClusterSpec file, merge the fleet defaults under it and validate it.

    Returns:
        (the loaded cluster, []) or (None, findings). Findings carry rule id `parse` or `spec`.
    """
    rel = _rel(root, path)
    raw = path.read_bytes()
    try:
        data, source = _load_single(raw, rel)
    except YamlLoadError as err:
        return None, [err.finding]
    if not isinstance(data, dict):
        return None, [Finding("spec", Severity.ERROR, "expected a mapping (a ClusterSpec document)", source.lookup(""))]
    kind = data.get("kind")
    if kind != "ClusterSpec":
        msg = f"kind: expected ClusterSpec in {CLUSTERS_DIR}/, got {_short(kind)}"
        return None, [Finding("spec", Severity.ERROR, msg, source.lookup("/kind"), pointer="/kind")]
    merged = deep_merge(config.defaults, data) if config.defaults else data
    merged_source = source.under(_defaults_source(config_source)) if config.defaults else source
    try:
        spec = models.ClusterSpec.model_validate(merged)
    except ValidationError as err:
        return None, findings_from_validation(err, merged_source)
    duplicates = _duplicate_pools(spec, merged_source)
    if duplicates:
        return None, duplicates
    return LoadedCluster(spec, merged_source, rel, hashlib.sha256(raw).hexdigest()), []


def _duplicate_pools(spec: models.ClusterSpec, source: SourceMap) -> list[Finding]:
    """Pool names must be unique within a cluster: they name the MachineDeployments."""
    seen: dict[str, int] = {}
    out = []
    for i, pool in enumerate(spec.spec.workers):
        if pool.name in seen:
            ptr = f"/spec/workers/{i}/name"
            out.append(Finding("unique-pool-names", Severity.ERROR,
                               f"spec.workers[{i}].name: pool {pool.name!r} is already defined as spec.workers[{seen[pool.name]}]; "
                               "pool names must be unique within a cluster", source.lookup(ptr), pointer=ptr))
        else:
            seen[pool.name] = i
    return out


def _safe_resource(addon_dir: Path, name: str) -> Path | None:
    """The resource file inside addon_dir, or None if the name would escape the folder."""
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in name:
        return None
    path = addon_dir.joinpath(*pure.parts)
    try:
        path.resolve().relative_to(addon_dir.resolve())
    except ValueError:
        return None
    return path


def load_addon(root: Path, addon_dir: Path) -> tuple[LoadedAddon | None, list[Finding]]:
    """Load crs/<addon>/addon.yaml and the resource files it lists.

    Returns:
        (the loaded addon, []) or (None, findings): YAML and model problems, a resource that is
        missing, outside the folder, binary or not UTF-8, or an addon whose name differs from its folder.
    """
    path = addon_dir / ADDON_FILE
    rel = _rel(root, path)
    try:
        data, source = _load_single(path.read_bytes(), rel)
    except YamlLoadError as err:
        return None, [err.finding]
    if not isinstance(data, dict):
        return None, [Finding("spec", Severity.ERROR, "expected a mapping (an Addon document)", source.lookup(""))]
    try:
        addon = models.Addon.model_validate(data)
    except ValidationError as err:
        return None, findings_from_validation(err, source)
    findings: list[Finding] = []
    if addon.metadata.name != addon_dir.name:
        findings.append(Finding("spec", Severity.ERROR,
                                f"metadata.name: {addon.metadata.name!r} must match its folder name {addon_dir.name!r}",
                                source.lookup("/metadata/name"), pointer="/metadata/name"))
    files: dict[str, bytes] = {}
    for i, name in enumerate(addon.spec.resources):
        ptr = f"/spec/resources/{i}"
        pos = source.lookup(ptr)
        file = _safe_resource(addon_dir, name)
        if file is None:
            findings.append(Finding("spec", Severity.ERROR, f"spec.resources[{i}]: {name!r} must be a file inside {_rel(root, addon_dir)}/", pos, pointer=ptr))
            continue
        if not file.is_file():
            findings.append(Finding("spec", Severity.ERROR, f"spec.resources[{i}]: file {_rel(root, file)} does not exist", pos, pointer=ptr))
            continue
        if name in files:
            findings.append(Finding("spec", Severity.ERROR, f"spec.resources[{i}]: {name!r} is listed twice", pos, pointer=ptr))
            continue
        content = file.read_bytes()
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            findings.append(Finding("spec", Severity.ERROR, f"spec.resources[{i}]: {name!r} is not UTF-8 text; a ConfigMap payload must be text", pos, pointer=ptr))
            continue
        if b"\x00" in content:
            findings.append(Finding("spec", Severity.ERROR, f"spec.resources[{i}]: {name!r} is binary; a ConfigMap payload must be text", pos, pointer=ptr))
            continue
        files[name] = content
    if findings:
        return None, findings
    return LoadedAddon(addon, source, rel, files), []


def _duplicate_names(clusters: list[LoadedCluster]) -> list[Finding]:
    first: dict[str, LoadedCluster] = {}
    out = []
    for c in sorted(clusters, key=lambda c: c.path):
        prior = first.get(c.name)
        if prior is None:
            first[c.name] = c
            continue
        out.append(Finding(
            "unique-cluster-names", Severity.ERROR,
            f"metadata.name: cluster {c.name!r} is already defined in {prior.path}; cluster names must be unique across the fleet",
            c.source.lookup("/metadata/name"), pointer="/metadata/name"))
    return out


def discover_cluster_files(root: Path) -> list[Path]:
    """Every clusters/**/*.yaml and *.yml file, sorted by path."""
    base = root / CLUSTERS_DIR
    if not base.is_dir():
        return []
    return sorted(p for p in base.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def discover_addon_dirs(root: Path) -> list[Path]:
    """Every crs/<addon>/ folder that holds an addon.yaml, sorted by name."""
    base = root / ADDONS_DIR
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if (p / ADDON_FILE).is_file())


def load_fleet(root: Path) -> tuple[Fleet, list[Finding]]:
    """Load a whole fleet repository.

    Args:
        root: the fleet repository root (where fleetgen.yaml is).

    Returns:
        (fleet, findings). The fleet holds every spec and addon that loaded cleanly; findings hold
        one entry per problem in the others (rule ids `parse`, `spec`, `unique-cluster-names`).
        Callers must not render when findings contain errors.

    Raises:
        ConfigError: fleetgen.yaml is missing or invalid (exit 2).
    """
    config, config_source = load_config(root)
    findings: list[Finding] = []
    clusters: list[LoadedCluster] = []
    for path in discover_cluster_files(root):
        loaded, problems = load_cluster(root, path, config, config_source)
        findings.extend(problems)
        if loaded:
            clusters.append(loaded)
    findings.extend(_duplicate_names(clusters))
    addons: list[LoadedAddon] = []
    for addon_dir in discover_addon_dirs(root):
        loaded_addon, problems = load_addon(root, addon_dir)
        findings.extend(problems)
        if loaded_addon:
            addons.append(loaded_addon)
    clusters.sort(key=lambda c: (c.namespace, c.name, c.path))
    addons.sort(key=lambda a: a.name)
    return Fleet(root, config, config_source, tuple(clusters), tuple(addons)), findings


def position_of(path: str, line: int = 1) -> Position:
    """A Position at the start of a file line (helper for callers outside this module)."""
    return Position(path, line, 1)
