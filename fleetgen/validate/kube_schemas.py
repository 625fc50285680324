"""Core Kubernetes schemas at run time, from the `kubernetes-validate` package, with compiled validators.

Owns: finding the schema of a built-in kind (`apps/v1 Deployment`, `v1 ConfigMap`, ...) for a
cluster's Kubernetes version, validating objects against it with jsonschema-rs, and turning
validation errors into `(JSON pointer, message)` pairs. Must not read fleet files, decide severities
or build `Finding`s (callers do: `fleetgen.validate.payload` for addon payloads, the validator for
rendered ConfigMaps/Namespaces). `fleetgen.schemas.core` copies selected kinds out of the same package
into `schemas/` at sync time; this module reads the package directly so that *any* core kind an addon
ships can be checked without a sync.

How the package stores its schemas (kubernetes-validate 1.37.0; one directory per Kubernetes minor,
`kubernetes_validate/kubernetes-json-schema/v1.25.0-local[-strict]` ... `v1.37.0-local[-strict]`):

* `<kind>-<first DNS label of the group>-<version>.json`, one per kind, whose `$ref`s point at
  `/api/_definitions.json#/$defs/<definition>` (resolved against its `$id`
  `https://kubernetes.io/api/<kind>/<group>/<version>`), plus
* `_definitions.json` (`$id` `https://kubernetes.io/api/_definitions.json`, JSON Schema 2020-12), whose
  `$defs` hold every OpenAPI definition, each top-level kind tagged with
  `x-kubernetes-group-version-kind`, and whose own `$ref`s are document-local (`#/$defs/...`).

The `-strict` directories set `additionalProperties: false` on every object, so an unknown field
(`spce:` in a DaemonSet) fails: the API server would drop it silently (its default field validation
for non-kubectl clients such as the ClusterResourceSet controller is `Warn`), which is data loss.

Lookup goes through `_definitions.json` (indexed by the exact group, version and kind), never through
file names: a file name keeps only the group's first DNS label, so a CRD group such as
`apps.example.com` would collide with the built-in `apps` group.

Validation registers `_definitions.json` once per Kubernetes minor in a jsonschema-rs `Registry`
and compiles `{"$ref": "<definitions>#/$defs/<kind definition>"}` per kind (about 3 ms each,
memoized per (minor, apiVersion, kind)). Formats are not asserted (Kubernetes' `int-or-string`,
`date-time` etc. are annotations here; the API server has its own parsers).

Example:
    >>> validate_core({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": 1}}, "v1.33.1")
    [('/data/a', 'data.a: expected string, got integer 1')]
    >>> schema_version_for("v1.40.2"), available_versions()[0]
    ('1.37', '1.25')
"""

from __future__ import annotations

import importlib.util
import json
import re
from functools import cache, lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import jsonschema_rs

from fleetgen.errors import SchemaNotFoundError
from fleetgen.schemas.core import collect_refs
from fleetgen.schemas.messages import violations_of

#: PyPI distribution and import package that ship the schemas.
PACKAGE = "kubernetes-validate"
_MODULE = "kubernetes_validate"
_SCHEMA_ROOT = "kubernetes-json-schema"
#: `$id` of `_definitions.json`; kind schemas reference it as `/api/_definitions.json`.
DEFINITIONS_URI = "https://kubernetes.io/api/_definitions.json"

_DIR_RE = re.compile(r"^v(\d+)\.(\d+)\.0-local-strict$")
_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$")
#: Longest rendering of an offending value inside a message.
_MAX_VALUE_CHARS = 60
#: Most enum options listed in a message.
_MAX_OPTIONS = 8

Violation = tuple[str, str]
"""`(JSON pointer into the object, short lower-case message starting with the dotted field path)`."""


def package_version() -> str:
    """Installed version of kubernetes-validate, or "" when it is not installed."""
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return ""


@lru_cache(maxsize=1)
def _schema_root() -> Path | None:
    """`<site-packages>/kubernetes_validate/kubernetes-json-schema`, None when the package is missing.

    Found without importing the package: its `__init__` imports its validator, and with it the
    pure-Python jsonschema (some 30 ms of every run's start-up that fleetgen never uses).
    """
    spec = importlib.util.find_spec(_MODULE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / _SCHEMA_ROOT


def minor_key(minor: str) -> tuple[int, int]:
    """Sort key of a `"<major>.<minor>"` string: `"1.9"` < `"1.33"`."""
    major, _, rest = minor.partition(".")
    return int(major), int(rest)


@lru_cache(maxsize=1)
def available_versions() -> tuple[str, ...]:
    """Kubernetes minors the installed package has strict schemas for, oldest first.

    Returns:
        Tuple of `"<major>.<minor>"` strings, e.g. `("1.25", ..., "1.37")` for kubernetes-validate 1.37.0;
        empty when the package is missing.
    """
    root = _schema_root()
    if root is None or not root.is_dir():
        return ()
    found = []
    for entry in root.iterdir():
        m = _DIR_RE.match(entry.name)
        if m and entry.joinpath("_definitions.json").is_file():
            found.append(f"{m.group(1)}.{m.group(2)}")
    return tuple(sorted(found, key=minor_key))


def schema_version_for(kubernetes_version: str) -> str:
    """The schema minor used for a cluster version: the newest available one not newer than it.

    A cluster older than the oldest bundled minor gets the oldest (the closest there is).

    Args:
        kubernetes_version: `v1.33.1`, `1.33`, `v1.33.0-rc.1` or `v1.33.1+k3s1`.

    Returns:
        `"<major>.<minor>"`, e.g. `"1.33"`.

    Raises:
        ValueError: the version does not start with `<major>.<minor>`.
        SchemaNotFoundError: kubernetes-validate is not installed (or ships no schemas).

    Source:
        the same rule as `kubernetes_validate.utils.validate` (latest version not newer than the desired one).
    """
    m = _VERSION_RE.match(kubernetes_version.strip())
    if not m:
        raise ValueError(f"not a Kubernetes version: {kubernetes_version!r}")
    wanted = (int(m.group(1)), int(m.group(2)))
    versions = available_versions()
    if not versions:
        raise SchemaNotFoundError(("", ""), hint=f"core Kubernetes schemas need the {PACKAGE} package (pip install {PACKAGE})")
    older = [v for v in versions if minor_key(v) <= wanted]
    return older[-1] if older else versions[0]


def is_exact_version(kubernetes_version: str) -> bool:
    """Whether the package has schemas for exactly this cluster minor (no fallback to an older one).

    Args:
        kubernetes_version: the cluster's version, e.g. `v1.33.1`.

    Returns:
        True for 1.25 to 1.37 with kubernetes-validate 1.37.0; False for older or newer minors, an
        unparsable version, or a missing package. Callers report "not served" only when True: a kind
        added after the newest bundled minor is not an error.
    """
    try:
        minor = schema_version_for(kubernetes_version)
    except (ValueError, SchemaNotFoundError):
        return False
    m = _VERSION_RE.match(kubernetes_version.strip())
    return m is not None and minor == f"{int(m.group(1))}.{int(m.group(2))}"


class _Definitions:
    """The parsed `_definitions.json` of one minor, its GVK index and its jsonschema-rs registry."""

    def __init__(self, minor: str) -> None:
        root = _schema_root()
        assert root is not None, "only minors that available_versions() lists are loaded"
        path = root / f"v{minor}.0-local-strict" / "_definitions.json"
        self.minor = minor
        self.origin = f"{PACKAGE} {package_version()}:v{minor}.0-local-strict/_definitions.json"
        self.doc: dict[str, Any] = json.loads(path.read_bytes())
        self.defs: dict[str, Any] = self.doc["$defs"]
        self.by_gvk: dict[tuple[str, str, str], str] = {}
        for name, schema in self.defs.items():
            for gvk in schema.get("x-kubernetes-group-version-kind") or ():
                key = (gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", ""))
                # The kind's own definition carries apiVersion/kind properties; shared types such as
                # meta/v1 WatchEvent list many GVKs but describe none of them as a resource.
                if "kind" in (schema.get("properties") or {}) and key not in self.by_gvk:
                    self.by_gvk[key] = name
        self.groups = frozenset(g for g, _, _ in self.by_gvk)
        self._registry: Any = None

    @property
    def registry(self) -> Any:
        """jsonschema-rs Registry holding `_definitions.json` (built on first use: ~5 ms)."""
        if self._registry is None:
            self._registry = jsonschema_rs.Registry([(DEFINITIONS_URI, self.doc)])
        return self._registry


@cache
def _definitions(minor: str) -> _Definitions:
    return _Definitions(minor)


def split_api_version(api_version: str) -> tuple[str, str]:
    """Split an apiVersion into group and version.

    Args:
        api_version: e.g. `apps/v1`, `v1`.

    Returns:
        `(group, version)`: `("apps", "v1")`, `("", "v1")` for the core group.
    """
    group, _, version = api_version.rpartition("/")
    return group, version


#: Dotted built-in groups that Kubernetes removed before the oldest bundled minor (1.25), so that an
#: old manifest using them is reported as "not served" rather than mistaken for a CRD kind.
#: Source: Kubernetes deprecated API migration guide (settings.k8s.io/v1alpha1 removed in 1.20,
#: auditregistration.k8s.io/v1alpha1 in 1.19).
REMOVED_BUILTIN_GROUPS = frozenset({"settings.k8s.io", "auditregistration.k8s.io"})


@lru_cache(maxsize=1)
def _all_groups() -> frozenset[str]:
    """Dotted groups of the oldest and newest bundled minors (two loads, not thirteen; no group
    has come and gone between them)."""
    versions = available_versions()
    groups: set[str] = set(REMOVED_BUILTIN_GROUPS)
    for minor in {versions[0], versions[-1]} if versions else set():
        groups |= _definitions(minor).groups
    return frozenset(groups)


def is_builtin_group(group: str) -> bool:
    """True if an API group is served by Kubernetes itself rather than by a CRD or an aggregated API.

    A group without a dot is always built in (a CRD's group must contain a dot); a dotted group is
    built in if the oldest or newest bundled Kubernetes minor serves a kind in it, or it is in
    REMOVED_BUILTIN_GROUPS (e.g. `rbac.authorization.k8s.io`, not `snapshot.storage.k8s.io`, which is
    a CRD, nor `metrics.k8s.io`, an aggregated API).

    Source:
        kubernetes apiextensions-apiserver validation: "spec.group: should be a domain with at least one dot".
    """
    return "." not in group or group in _all_groups()


def definition_name(kubernetes_version: str, api_version: str, kind: str) -> str | None:
    """Name of the OpenAPI definition of a built-in kind.

    Args:
        kubernetes_version: the cluster's version (closest bundled minor not newer is used).
        api_version: e.g. `apps/v1`.
        kind: e.g. `Deployment`.

    Returns:
        e.g. `io.k8s.api.apps.v1.Deployment`, or None if that version does not serve the kind.

    Raises:
        ValueError: the Kubernetes version cannot be parsed.
        SchemaNotFoundError: kubernetes-validate is not installed.
    """
    defs = _definitions(schema_version_for(kubernetes_version))
    group, version = split_api_version(api_version)
    return defs.by_gvk.get((group, version, kind))


def served_api_versions(kubernetes_version: str, group: str, kind: str) -> list[str]:
    """The apiVersions under which Kubernetes serves a kind of a group.

    Args:
        kubernetes_version: the cluster's version (closest bundled minor not newer is used).
        group: API group, "" for the core group.
        kind: e.g. `PodDisruptionBudget`.

    Returns:
        Sorted apiVersions, e.g. `["policy/v1"]` on 1.33; empty if none.

    Raises:
        ValueError: the Kubernetes version cannot be parsed.
        SchemaNotFoundError: kubernetes-validate is not installed.
    """
    defs = _definitions(schema_version_for(kubernetes_version))
    return sorted(f"{g}/{v}" if g else v for g, v, k in defs.by_gvk if g == group and k == kind)


def _core_schema(minor: str, api_version: str, kind: str) -> dict[str, Any] | None:
    defs = _definitions(minor)
    group, version = split_api_version(api_version)
    name = defs.by_gvk.get((group, version, kind))
    if name is None:
        return None
    needed: dict[str, Any] = {}
    todo = {f"#/$defs/{name}"}
    while todo:
        ref = todo.pop()
        dep = ref.rsplit("/", 1)[-1]
        if dep in needed or dep not in defs.defs:
            continue
        needed[dep] = defs.defs[dep]
        collect_refs(defs.defs[dep], todo)
    return {
        "$schema": defs.doc.get("$schema", "https://json-schema.org/draft/2020-12/schema"),
        "$ref": f"#/$defs/{name}",
        "type": "object",
        "x-kubernetes-group-version-kind": [{"group": group, "version": version, "kind": kind}],
        "$comment": f"from {defs.origin}",
        "$defs": {k: needed[k] for k in sorted(needed)},
    }


def core_schema(kubernetes_version: str, api_version: str, kind: str) -> dict[str, Any] | None:
    """The strict JSON schema of a built-in kind for a cluster version, self-contained.

    Args:
        kubernetes_version: the cluster's version (`v1.33.1`); the closest bundled minor not newer
            than it is used (see `schema_version_for`).
        api_version: e.g. `apps/v1`, `v1`.
        kind: e.g. `Deployment`.

    Returns:
        A draft 2020-12 schema dict (`$ref` to the kind's definition plus the transitive closure of
        the definitions it uses in `$defs`; every object has `additionalProperties: false`), or None
        if that Kubernetes version does not serve this apiVersion and kind (a CRD kind, a removed or
        misspelled API). The dict is memoized and shared: do not mutate it.

    Raises:
        ValueError: the Kubernetes version cannot be parsed.
        SchemaNotFoundError: kubernetes-validate is not installed.

    Source:
        PyPI kubernetes-validate, `kubernetes_validate/kubernetes-json-schema/v<minor>.0-local-strict/_definitions.json`.
    """
    return _core_schema(schema_version_for(kubernetes_version), api_version, kind)


@lru_cache(maxsize=512)
def _validator(minor: str, api_version: str, kind: str) -> Any:
    defs = _definitions(minor)
    group, version = split_api_version(api_version)
    name = defs.by_gvk.get((group, version, kind))
    if name is None:
        return None
    schema = {"$ref": f"{DEFINITIONS_URI}#/$defs/{name}", "type": "object"}
    return jsonschema_rs.Draft202012Validator(schema, registry=defs.registry, validate_formats=False)


def validate_core(obj: dict[str, Any], kubernetes_version: str) -> list[Violation]:
    """Validate one object against the strict core schema of its apiVersion and kind.

    Args:
        obj: a Kubernetes object as plain data, with string `apiVersion` and `kind`.
        kubernetes_version: the cluster's version; the closest bundled minor not newer than it is used.

    Returns:
        `(pointer, message)` pairs, sorted by pointer, empty if the object is valid. An unknown field
        is reported at its own pointer (`/spec/spce`); a missing required field at its parent object.

    Raises:
        SchemaNotFoundError: that Kubernetes version serves no such apiVersion/kind (check with
            `core_schema` first), or kubernetes-validate is missing.
        ValueError: the Kubernetes version cannot be parsed.

    Source:
        PyPI kubernetes-validate (strict variant), validated with jsonschema-rs (draft 2020-12).
    """
    api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
    minor = schema_version_for(kubernetes_version)
    validator = _validator(minor, api_version, kind)
    if validator is None:
        raise SchemaNotFoundError((api_version, kind), hint=f"Kubernetes {minor} does not serve it")
    return sorted(set(violations_of(validator.iter_errors(obj), optional_null=True)))
