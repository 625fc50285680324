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

import difflib
import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from fleetgen.errors import ConfigError, DefaultsError
from fleetgen.findings import Finding, Position, Severity
from fleetgen.readfile import read_regular
from fleetgen.sourcemap import SourceMap, join_pointer, pointer_to_path
from fleetgen.spec import models
from fleetgen.spec.discover import (  # noqa: F401 - re-exported: the loader's names
    ADDON_FILE,
    ADDONS_DIR,
    CLUSTERS_DIR,
    CONFIG_FILE,
    discover_addon_dirs,
    discover_cluster_files,
)
from fleetgen.yamlio import YamlLoadError, load_yaml


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
    """A value as the user wrote it in YAML (`null`, `true`, not Python's `None`, `True`), cut to 60."""
    if value is None or isinstance(value, bool):
        return "null" if value is None else str(value).lower()
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _display(text: str, limit: int = 80) -> str:
    """User text (a key, a field path) made safe for a one-line message: control characters escaped, cut to `limit`."""
    head = text[: limit + 1]
    out = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in head)
    return out if len(out) <= limit and len(text) <= limit else out[: limit - 3] + "..."


def _strip(tp: Any) -> Any:
    """`Annotated[X, ...]` and `X | None` -> X (a union of several types is left alone)."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _fields_at(model: type[BaseModel] | None, loc: tuple[str | int, ...]) -> set[str] | None:
    """The field names (aliases) of the model found at `loc` inside `model`, or None if not a model."""
    tp: Any = model
    for part in loc:
        tp = _strip(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            fields = {(f.alias or n): f for n, f in tp.model_fields.items()}
            if not isinstance(part, str) or part not in fields:
                return None
            tp = fields[part].annotation
        elif get_origin(tp) is list and isinstance(part, int):
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict and isinstance(part, str):
            tp = get_args(tp)[1]
        else:
            return None
    tp = _strip(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return {f.alias or n for n, f in tp.model_fields.items()}
    return None


def _suggest(field: str, siblings: set[str] | None) -> str | None:
    """The known field `field` is most likely a misspelling of, if any."""
    if len(field) > 64:
        return None
    close = difflib.get_close_matches(field, sorted(siblings) if siblings is not None else _KNOWN_FIELDS, n=1, cutoff=0.75)
    return close[0] if close else None


def _findings(err: ValidationError, source: SourceMap, prefix: tuple[str | int, ...] = (),
              own: SourceMap | None = None, *, missing: bool = True) -> list[Finding]:
    """`findings_from_validation`, plus: `own` (the spec file's own positions, without the defaults)
    positions missing fields, so they point where the field is added; `missing=False` drops them."""
    model = getattr(models, err.title, None)
    model = model if isinstance(model, type) and issubclass(model, BaseModel) else None
    errors = []
    for e in err.errors(include_url=False):
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and (p.startswith("function-") or p == "[key]")))
        errors.append((e, loc))
    # a misspelt key gives two errors: the unknown key and, when the field is required, the missing one.
    # Report the misspelling only.
    suggestions: dict[tuple[str | int, ...], str] = {}
    for e, loc in errors:
        if e["type"] == "extra_forbidden":
            close = _suggest(str(loc[-1]), _fields_at(model, loc[:-1]) if model else None)
            if close:
                suggestions[loc] = close
    covered = {loc[:-1] + (close,) for loc, close in suggestions.items()}
    out = []
    for e, loc in errors:
        kind = e["type"]
        if kind == "missing" and (not missing or any(loc[: len(c)] == c for c in covered)):
            continue
        full = tuple(prefix) + loc
        pointer = join_pointer(full)
        path = _display(pointer_to_path(pointer) or "(document)", 120)
        msg = e["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        got = f", got {_short(e['input'])}" if "input" in e and not isinstance(e["input"], dict | list) else ""
        if kind == "extra_forbidden":
            close = suggestions.get(loc)
            msg = f"unknown field '{_display(str(loc[-1]), 60)}'" + (f"; did you mean {close!r}?" if close else "; remove it")
        elif kind == "missing":
            msg = "required field is missing"
        elif kind == "value_error":
            pass
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            msg = f"expected a mapping{got}"
        elif kind == "list_type":
            msg = f"expected a list{got}"
        else:
            msg = msg[0].lower() + msg[1:] + got
        if kind == "missing":
            parent = join_pointer(full[:-1])
            pos = own.lookup(parent) if own is not None else source.lookup(parent)
        else:
            pos = source.lookup(pointer)
        out.append(Finding("spec", Severity.ERROR, f"{path}: {msg}", pos, pointer=pointer))
    return out


def findings_from_validation(err: ValidationError, source: SourceMap, *, prefix: tuple[str | int, ...] = ()) -> list[Finding]:
    """Turn a pydantic ValidationError into one Finding per problem (rule id `spec`).

    A misspelt field is one problem: it is reported as an unknown field with the closest field of
    that model (`did you mean 'replicas'?`), and the "required field is missing" error it causes
    is dropped. Keys from the user's file are shown with control characters escaped and cut short.

    Args:
        err: the error raised by `Model.model_validate`.
        source: positions of the validated document.
        prefix: path parts to prepend to pydantic's locations.

    Returns:
        Findings whose message starts with the dotted field path, e.g.
        `spec.controlPlane.replicas: must be >= 1, got 0`.
    """
    return _findings(err, source, tuple(prefix))


def _copy_tree(value: Any) -> Any:
    """A copy of the dicts and lists of loaded YAML data; the scalars (immutable) are shared."""
    if isinstance(value, dict):
        return {k: _copy_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_tree(v) for v in value]
    return value


def deep_merge(base: Any, override: Any) -> Any:
    """Deep-merge `override` onto `base`: mappings merge key by key, anything else is replaced.

    Both are loaded YAML data (dicts, lists, scalars). Returns a new structure; neither argument is
    modified. What comes from `base` is copied (it is shared by every spec it is merged under);
    what comes from `override` is used as it is, so the result shares its collections.
    """
    if isinstance(base, dict) and isinstance(override, dict):
        out = {k: deep_merge(v, override[k]) if k in override else _copy_tree(v) for k, v in base.items()}
        for k, v in override.items():
            if k not in base:
                out[k] = v
        return out
    return override


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _load_single(raw: bytes, rel: str) -> tuple[Any, SourceMap]:
    docs = load_yaml(raw, rel)
    if len(docs) != 1:
        second = docs[1].source.lookup("")
        raise YamlLoadError(Finding("parse", Severity.ERROR, f"expected one YAML document, found {len(docs)}; keep one document per file", second))
    return docs[0].data, docs[0].source


def load_config(root: Path) -> tuple[models.FleetConfig, SourceMap]:
    """Load and validate fleetgen.yaml.

    Raises:
        DefaultsError: only `defaults` is invalid (exit 1; carries the findings).
        ConfigError: the file is missing or invalid (exit 2); the message lists every problem,
            one per line, with file and line.
    """
    path = root / CONFIG_FILE
    if not os.path.lexists(path):
        problem = Finding("spec", Severity.ERROR, f"not a fleet repository (no {CONFIG_FILE}); run "
                          "`fleetgen init` or pass --repo DIR", Position(CONFIG_FILE))
        raise ConfigError(f"{root}: not a fleet repository (no {CONFIG_FILE}); run `fleetgen init` or pass --repo DIR",
                          findings=(problem,))
    try:
        raw = read_regular(path)
    except OSError as err:
        problem = Finding("parse", Severity.ERROR, f"cannot read the file: {err.strerror or err}", Position(CONFIG_FILE, 1, 1))
        raise ConfigError(f"{problem.position}: {problem.message}", findings=(problem,)) from err
    try:
        data, source = _load_single(raw, CONFIG_FILE)
    except YamlLoadError as err:
        raise ConfigError(f"{err.finding.position}: {err.finding.message}", findings=(err.finding,)) from err
    if not isinstance(data, dict):
        problem = Finding("spec", Severity.ERROR, "expected a mapping (a FleetConfig document)", source.lookup(""))
        raise ConfigError(f"{problem.position}: {problem.message}", findings=(problem,))
    raw_defaults = data.get("defaults")
    if "defaults" in data and not isinstance(raw_defaults, dict):  # (null: every entry commented out)
        data = {**data, "defaults": {}}
    try:
        config = models.FleetConfig.model_validate(data)
    except ValidationError as err:
        problems = tuple(findings_from_validation(err, source))
        raise ConfigError("\n".join(f"{f.position}: {f.message}" for f in problems), findings=problems) from err
    if raw_defaults is not None and not isinstance(raw_defaults, dict):
        got = {list: "a list", str: "a string", bool: "a boolean"}.get(type(raw_defaults), "a number")
        problem = Finding("spec", Severity.ERROR, f"defaults: expected a mapping (a partial ClusterSpec), got {got}",
                          source.lookup("/defaults"), pointer="/defaults")
        raise DefaultsError((problem,), config, source)
    defaults = config.defaults
    if defaults:
        # defaults are a partial ClusterSpec: a wrong type or an unknown field there is invalid
        # spec input (exit 1), reported once at fleetgen.yaml's line, not once per cluster inheriting it
        try:
            models.ClusterSpec.model_validate(defaults)
        except ValidationError as err:
            problems = _findings(err, source, ("defaults",), missing=False)
            if problems:
                raise DefaultsError(tuple(problems), config, source) from err
    return config, source


def _defaults_source(config_source: SourceMap) -> SourceMap:
    """Positions of `defaults.*` re-keyed as if they were fields of a ClusterSpec."""
    out = SourceMap(CONFIG_FILE)
    for ptr, pos in config_source.positions.items():
        if ptr.startswith("/defaults/"):
            out.positions[ptr[len("/defaults"):]] = pos
    return out


@functools.lru_cache(maxsize=64)
def _real_root(root: str) -> str:
    """The repository root with symlinks resolved (once per root: every spec file is checked against it)."""
    return os.path.realpath(root)


def _read(root: Path, path: Path, rel: str) -> tuple[bytes | None, list[Finding]]:
    """The bytes of a spec or addon file, or a finding: unreadable, a broken symlink, or a symlink out of the repository.

    A symlink that stays inside the repository is followed; one that leaves it is refused: the file
    would not be in git, so CI and the GitOps agent would not see what was rendered locally.
    """
    where = Position(rel, 1, 1)
    try:
        target = os.path.realpath(path, strict=True)
    except (OSError, RuntimeError) as err:
        if isinstance(err, PermissionError):  # (in a folder that can be listed but not entered)
            return None, [Finding("parse", Severity.ERROR, f"cannot read the file: {err.strerror or err}", where)]
        return None, [Finding("parse", Severity.ERROR, "broken symlink; point it at an existing file or remove it", where)]
    top = _real_root(str(root))
    if not target.startswith(top.rstrip(os.sep) + os.sep):  # the file, or a folder on its path, is a symlink that leaves the repository
        what = "folder" if os.path.isdir(target) else "file"
        return None, [Finding("parse", Severity.ERROR,
                              f"symlink to a {what} outside the repository; fleetgen reads only files in the "
                              f"repository, so copy the {what} in", where)]
    if os.path.isdir(target):  # (a folder fleetgen could not walk: its specs must not silently disappear)
        try:
            os.listdir(target)
        except OSError as err:
            return None, [Finding("parse", Severity.ERROR, f"cannot read the folder: {err.strerror or err}", Position(rel))]
    try:
        return read_regular(path), []
    except OSError as err:
        return None, [Finding("parse", Severity.ERROR, f"cannot read the file: {err.strerror or err}", where)]


def _one_hypervisor(merged: dict[str, Any], source: SourceMap) -> tuple[dict[str, Any], list[Finding]]:
    """Drop the other hypervisor's block: reported when the spec file sets it, silently when only defaults do.

    Validating it would bury the one problem (a block that does not belong) under its missing fields.
    """
    body = merged.get("spec")
    if not isinstance(body, dict) or body.get("hypervisor") not in ("kubevirt", "proxmox"):
        return merged, []
    hypervisor = body["hypervisor"]
    other = "proxmox" if hypervisor == "kubevirt" else "kubevirt"
    if body.get(other) is None:
        return merged, []
    pointer = f"/spec/{other}"
    findings = []
    if pointer in source.positions:
        findings.append(Finding("spec", Severity.ERROR,
                                f"spec.{other}: hypervisor is {hypervisor!r}; remove the spec.{other} block "
                                f"(or set hypervisor: {other})", source.lookup(pointer), pointer=pointer))
    return {**merged, "spec": {k: v for k, v in body.items() if k != other}}, findings


def load_cluster(root: Path, path: Path, config: models.FleetConfig, config_source: SourceMap) -> tuple[LoadedCluster | None, list[Finding]]:
    """Load one ClusterSpec file, merge the fleet defaults under it and validate it.

    Fleet defaults for the other hypervisor's block (`spec.proxmox` under a KubeVirt cluster) do not
    apply and are dropped; the spec file itself setting both blocks is an error.

    Returns:
        (the loaded cluster, []) or (None, findings). Findings carry rule id `parse` or `spec`.
    """
    rel = _rel(root, path)
    raw, problems = _read(root, path, rel)
    if raw is None:
        return None, problems
    try:
        data, source = _load_single(raw, rel)
    except YamlLoadError as err:
        return None, [err.finding]
    if not isinstance(data, dict):
        return None, [Finding("spec", Severity.ERROR, "expected a mapping (a ClusterSpec document)", source.lookup(""))]
    kind = data.get("kind")
    if kind != "ClusterSpec":
        if "kind" not in data:
            msg = "kind: required field is missing; a file in clusters/ holds one ClusterSpec (kind: ClusterSpec)"
        elif kind == "Addon":
            msg = f"kind: expected ClusterSpec in {CLUSTERS_DIR}/, got 'Addon'; an addon lives in {ADDONS_DIR}/<name>/{ADDON_FILE}"
        else:
            msg = f"kind: expected ClusterSpec in {CLUSTERS_DIR}/, got {_short(kind)}"
        problems = [Finding("spec", Severity.ERROR, msg, source.lookup("/kind"), pointer="/kind")]
        api_version = data.get("apiVersion")
        if kind != "Addon" and api_version != models.API_VERSION:  # (one message per problem: a wrong apiVersion too)
            said = "required field is missing" if "apiVersion" not in data else f"input should be {models.API_VERSION!r}, got {_short(api_version)}"
            problems.append(Finding("spec", Severity.ERROR, f"apiVersion: {said}", source.lookup("/apiVersion"),
                                    pointer="/apiVersion"))
        return None, sorted(problems, key=lambda f: f.sort_key())
    merged = deep_merge(config.defaults, data) if config.defaults else data
    merged_source = source.under(_defaults_source(config_source)) if config.defaults else source
    merged, findings = _one_hypervisor(merged, source)
    try:
        spec = models.ClusterSpec.model_validate(merged)
    except ValidationError as err:
        findings += _findings(err, merged_source, own=source)
    if findings:
        return None, findings
    duplicates = _duplicate_pools(spec, merged_source) + _duplicate_taints(spec, merged_source)
    if duplicates:
        return None, duplicates
    return LoadedCluster(spec, merged_source, rel, hashlib.sha256(raw).hexdigest()), []


def _duplicate_taints(spec: models.ClusterSpec, source: SourceMap) -> list[Finding]:
    """A pool's taints must be unique by key and effect: the API server rejects a Node with both.

    One `spec` error at each repeated taint (`spec.workers[i].taints[j]`), naming the first one.
    Source: kubernetes/kubernetes pkg/apis/core/validation (`validateNodeTaints`: "taints must be
    unique by key and effect pair").
    """
    out = []
    for i, pool in enumerate(spec.spec.workers):
        seen: dict[tuple[str, str], int] = {}
        for j, taint in enumerate(pool.taints):
            key = (taint.key, taint.effect)
            if key in seen:
                ptr = f"/spec/workers/{i}/taints/{j}"
                out.append(Finding("spec", Severity.ERROR,
                                   f"spec.workers[{i}].taints[{j}]: {taint.key}:{taint.effect} is set twice (also "
                                   f"taints[{seen[key]}]); taints must be unique by key and effect (the API server "
                                   "rejects the Node)", source.lookup(ptr), pointer=ptr))
            else:
                seen[key] = j
    return out


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


def _no_addon_file(root: Path, addon_dir: Path) -> Finding:
    """The finding for a crs/<addon>/ folder without addon.yaml (at a misnamed addon file when there is one)."""
    folder = _rel(root, addon_dir)
    misnamed = sorted(p.name for p in addon_dir.glob("[Aa]ddon.*") if p.is_file())
    message = f"{folder}/ has no {ADDON_FILE}: every folder under {ADDONS_DIR}/ is one addon, described by its {ADDON_FILE}"
    if misnamed:
        return Finding("spec", Severity.ERROR, f"{message}; rename {misnamed[0]} to {ADDON_FILE}",
                       Position(f"{folder}/{misnamed[0]}", 1, 1))
    return Finding("spec", Severity.ERROR, f"{message}; add one, or move the folder out of {ADDONS_DIR}/",
                   Position(folder))


def load_addon(root: Path, addon_dir: Path) -> tuple[LoadedAddon | None, list[Finding]]:
    """Load crs/<addon>/addon.yaml and the resource files it lists.

    Returns:
        (the loaded addon, []) or (None, findings): YAML and model problems, a resource that is
        missing, outside the folder, binary or not UTF-8, or an addon whose name differs from its folder.
    """
    path = addon_dir / ADDON_FILE
    rel = _rel(root, path)
    try:
        os.listdir(addon_dir)
    except OSError as err:
        return None, [Finding("parse", Severity.ERROR, f"cannot read the folder: {err.strerror or err}",
                              Position(_rel(root, addon_dir)))]
    if not path.exists() and not path.is_symlink():
        return None, [_no_addon_file(root, addon_dir)]
    raw, problems = _read(root, path, rel)
    if raw is None:
        return None, problems
    try:
        data, source = _load_single(raw, rel)
    except YamlLoadError as err:
        return None, [err.finding]
    if not isinstance(data, dict):
        return None, [Finding("spec", Severity.ERROR, "expected a mapping (an Addon document)", source.lookup(""))]
    try:
        addon = models.Addon.model_validate(data)
    except ValidationError as err:
        return None, _findings(err, source)
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
        if not os.path.lexists(file):
            findings.append(Finding("spec", Severity.ERROR, f"spec.resources[{i}]: file {_rel(root, file)} does not exist", pos, pointer=ptr))
            continue
        if name in files:
            findings.append(Finding("spec", Severity.ERROR, f"spec.resources[{i}]: {name!r} is listed twice", pos, pointer=ptr))
            continue
        try:
            content = read_regular(file)
        except OSError as err:
            findings.append(Finding("parse", Severity.ERROR, f"spec.resources[{i}]: cannot read {_rel(root, file)}: "
                                    f"{err.strerror or err}", pos, pointer=ptr))
            continue
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
    """One `unique-cluster-names` error per spec that shares its (namespace, name) with another.

    A CAPI Cluster is named within its namespace (the same name in two namespaces is two
    clusters, as the API server sees it, and fleetgen's output paths and GitOps names include the
    namespace); two specs for one (namespace, name) would render the same objects twice. Every
    spec of such a group gets the finding, at its `metadata.name`, naming the others: either one
    may be the copy to rename, and the one just added is always among them.
    """
    groups: dict[tuple[str, str], list[LoadedCluster]] = {}
    for c in sorted(clusters, key=lambda c: c.path):
        groups.setdefault((c.namespace, c.name), []).append(c)
    out = []
    for (namespace, name), group in groups.items():
        if len(group) < 2:
            continue
        for c in group:
            others = ", ".join(o.path for o in group if o is not c)
            out.append(Finding(
                "unique-cluster-names", Severity.ERROR,
                f"metadata.name: cluster {name!r} in namespace {namespace!r} is also defined in {others}; "
                "a cluster name must be unique within its namespace",
                c.source.lookup("/metadata/name"), pointer="/metadata/name"))
    return sorted(out, key=lambda f: (f.position.file, f.position.line, f.position.col))


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
