"""Validation of what addons ship: the manifests in `crs/<addon>/` that become ClusterResourceSet payloads.

Owns: parsing every addon resource file (multi-document YAML, with positions), the object identity
checks (apiVersion, kind, metadata.name), the no-secrets-in-git check for payloads, and strict
validation of every core Kubernetes object against the schemas of the Kubernetes version of the
clusters the addon selects (via `fleetgen.validate.kube_schemas`). Must not render, read the output
tree, or validate CRD instances (a CRD-defined kind has no schema here; see "Rules" below).

A ClusterResourceSet applies its payload to a workload cluster long after the pull request merged,
with nobody watching; an invalid object there fails (or, for an unknown field, is silently pruned)
only in the controller's log. These checks move that failure to the pull request.

Rules (all positioned at the payload file, line and column of the offending field, e.g.
`crs/calico/calico.yaml:4123:9`):

* A file that is one JSON array of objects is read as those objects, as the CRS controller does
  (`fleetgen.render.crs.is_json_list`: its first non-space byte within the first 32 is `[`).
* `parse` (error): the file is not valid YAML (the position of the syntax error), or it is read as a
  JSON list but is not strict JSON (the controller would silently apply nothing of it), or it holds
  a `%YAML`/`%TAG` directive (the controller cuts payloads at `---` lines, leaving the directive
  without its document); its objects are not checked further.
* `addon-schema` (error): a document is not a mapping, lacks `apiVersion`, `kind` or `metadata.name`,
  does not match the strict core schema (wrong type, unknown field, missing required field), or uses a
  built-in API group with an apiVersion/kind that the cluster's Kubernetes version does not serve
  (e.g. `policy/v1beta1 PodSecurityPolicy` on 1.33), or has metadata `ValidateObjectMeta` rejects: a bad
  label key or value, a bad annotation key, annotations over 262144 bytes in total, a namespace that
  is not a DNS-1123 label (namespaced kinds only: a cluster-scoped object's namespace is dropped), or a name its kind does not allow (a DNS-1123 subdomain for most kinds and
  for custom resources, a DNS-1123 label for a Namespace, a DNS-1035 label for a Service, a path
  segment for RBAC kinds: `system:controller:foo` is fine; `fleetgen.validate.names`), or is an
  apps/v1 Deployment, DaemonSet, StatefulSet or ReplicaSet whose `spec.selector` is empty or does
  not select its Pod template's labels (`_workload_selector`).
* `addon-schema` (info): a kind from a non-built-in group (a CRD instance such as
  `operator.tigera.io/v1 Installation`) whose CRD no addon ships: it is not checked, and its CRD must
  already exist in the workload cluster. When some addon ships the CRD, nothing is reported. A kind
  from a built-in group that only a newer Kubernetes than the bundled schemas knows is also info.
* `no-inline-secrets` (error): a `v1 Secret` with `data` or `stringData` values: no secret value is
  ever committed; reference an existing Secret instead (a data-less Secret, e.g. a
  `kubernetes.io/service-account-token` that the token controller fills in, holds no secret and passes).

Which Kubernetes version: each distinct version of the clusters whose labels match the addon's
`clusterSelector`; when none matches, `defaults.spec.kubernetesVersion` of fleetgen.yaml, else the
newest bundled schema version. The closest bundled schema minor not newer than the cluster's is used
(kubernetes-validate 1.37.0 bundles 1.25 to 1.37).

Caching: parsed files are memoized by (file, sha256 of content), core-schema results by (content
digest, document index, schema minor), and compiled validators per (minor, apiVersion, kind), so the
same payload shipped for several versions, or checked twice in one process, is parsed once. The real
332 KB Calico v3.31.7 manifest (39 objects) parses and validates in about 0.13 s cold (0.05 s of it
YAML parsing, the rest loading the 1.4 MB definitions and compiling 8 validators) and 1 ms warm.

Example:
    >>> fleet, _ = load_fleet(Path("."))                       # doctest: +SKIP
    >>> [str(f.position) for f in check_payloads(fleet)]      # doctest: +SKIP
    ['crs/calico/calico.yaml:4123:9']
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from fleetgen.findings import Finding, ObjectRef, Position, Severity
from fleetgen.policy.labels import (
    format_selector,
    label_key_errors,
    label_value_errors,
    selector_errors,
    selector_is_empty,
    selector_matches,
)
from fleetgen.render.crs import is_json_list, json_list_finding
from fleetgen.sourcemap import SourceMap, escape_token
from fleetgen.spec.load import Fleet, LoadedAddon
from fleetgen.validate import kube_schemas, names
from fleetgen.yamlio import Document, YamlLoadError, load_yaml

RULE_SCHEMA = "addon-schema"
RULE_SECRETS = "no-inline-secrets"
RULE_PARSE = "parse"

#: Files kept in the parse cache (a run touches each payload once; a long-lived process stays bounded).
_PARSE_CACHE_SIZE = 64
#: A YAML directive line (`%YAML 1.2`, `%TAG ! tag:...`). cluster-api util/yaml.ToUnstructured reads a
#: payload with apimachinery's YAMLReader, which cuts it at `---` lines, and yaml.Unmarshal (go-yaml)
#: then refuses the part holding only the directive ("did not find expected <document start>";
#: go-yaml v2 also refuses %YAML 1.2 as "incompatible").
_DIRECTIVE = re.compile(rb"(?m)^%(YAML|TAG)[ \t]")
#: Per-document core-schema results kept.
_RESULT_CACHE_SIZE = 4096


@dataclass(frozen=True)
class _Parsed:
    """One payload file: its documents, or the `parse` finding that stopped it."""

    docs: tuple[Document, ...]
    digest: str
    error: Finding | None = None


_parse_cache: OrderedDict[tuple[str, str], _Parsed] = OrderedDict()
_result_cache: OrderedDict[tuple[str, int, str], tuple[kube_schemas.Violation, ...]] = OrderedDict()


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any, limit: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)


def _json_list_items(docs: tuple[Document, ...], raw: bytes) -> tuple[Document, ...]:
    """A file that is one JSON array (`[{...}, {...}]`) -> one Document per element, positions kept.

    Source:
        cluster-api internal/controllers/clusterresourceset/clusterresourceset_helpers.go
        (`objsFromYamlData`: a payload that `isJSONList` is unmarshalled as a list of objects).
    """
    if len(docs) != 1 or not isinstance(docs[0].data, list) or not is_json_list(raw):
        return docs
    source = docs[0].source
    out = []
    for i, item in enumerate(docs[0].data):
        prefix = f"/{i}"
        positions = {ptr[len(prefix):]: pos for ptr, pos in source.positions.items()
                     if ptr == prefix or ptr.startswith(prefix + "/")}
        out.append(Document(item, SourceMap(source.file, positions)))
    return tuple(out)


def _parse(file: str, raw: bytes) -> _Parsed:
    """Parse one payload file (memoized by path and content digest)."""
    digest = hashlib.sha256(raw).hexdigest()
    key = (file, digest)
    hit = _parse_cache.get(key)
    if hit is not None:
        _parse_cache.move_to_end(key)
        return hit
    try:
        parsed = _Parsed(_json_list_items(tuple(load_yaml(raw, file, allow_empty=True, merge_keys=True)), raw), digest)
    except YamlLoadError as err:
        parsed = _Parsed((), digest, err.finding)
    else:
        not_json = json_list_finding(raw, file)  # the same finding as the renderer's, reported once
        if not_json is not None:
            parsed = _Parsed((), digest, not_json)
        elif (directive := _DIRECTIVE.search(raw)) is not None:
            line = raw.count(b"\n", 0, directive.start()) + 1
            parsed = _Parsed((), digest, Finding(
                "parse", Severity.ERROR,
                f"a YAML {directive.group(1).decode()} directive: the ClusterResourceSet controller splits a payload at "
                "its '---' lines and parses each part alone, so the directive is left without its document and "
                "the whole resource fails to apply; remove the line", Position(file, line, 1)))
    _remember(_parse_cache, key, parsed, _PARSE_CACHE_SIZE)
    return parsed


def _core_violations(digest: str, index: int, minor: str, obj: dict[str, Any]) -> tuple[kube_schemas.Violation, ...]:
    """Core-schema violations of one document (memoized by content digest, document index, minor)."""
    key = (digest, index, minor)
    hit = _result_cache.get(key)
    if hit is None:
        hit = tuple(kube_schemas.validate_core(obj, minor))
        _remember(_result_cache, key, hit, _RESULT_CACHE_SIZE)
    return hit


def payload_path(addon: LoadedAddon, name: str) -> str:
    """Repository-relative path of an addon resource file.

    Args:
        addon: the addon (its `path` is `crs/<addon>/addon.yaml`).
        name: an entry of `spec.resources`.

    Returns:
        e.g. `crs/calico/calico.yaml` (the same path `fleetgen.render.crs` uses in its findings).
    """
    return str(PurePosixPath(addon.path).parent / name)


def addon_kubernetes_versions(fleet: Fleet, addon: LoadedAddon,
                              kubernetes_versions: Mapping[str, str] | None = None) -> list[str]:
    """The Kubernetes versions an addon's payload must be valid for.

    Args:
        fleet: the loaded fleet (its clusters' labels and versions, fleetgen.yaml defaults).
        addon: the addon.
        kubernetes_versions: optional overrides, addon name -> Kubernetes version.

    Returns:
        Sorted distinct versions (`["v1.32.4", "v1.33.1"]`): the override if given; else those of the
        clusters the addon's `clusterSelector` matches; else `defaults.spec.kubernetesVersion`; else the
        newest bundled schema minor. Empty only when kubernetes-validate ships no schemas.
    """
    if kubernetes_versions and addon.name in kubernetes_versions:
        return [kubernetes_versions[addon.name]]
    selector = addon.addon.spec.cluster_selector
    found = {c.spec.spec.kubernetes_version for c in fleet.clusters if selector.matches(c.spec.metadata.labels)}
    if found:
        return sorted(found)
    spec_defaults = fleet.config.defaults.get("spec")
    default = spec_defaults.get("kubernetesVersion") if isinstance(spec_defaults, dict) else None
    if isinstance(default, str) and default:
        return [default]
    versions = kube_schemas.available_versions()
    return [versions[-1]] if versions else []


#: Built-in kinds that are cluster-scoped, as (API group, kind): the API server clears a
#: metadata.namespace they carry instead of validating it (`rest.BeforeCreate` via
#: `EnsureObjectNamespaceMatchesRequestNamespace`), and the ClusterResourceSet controller's client
#: sends no namespace for them. Source: kubernetes/kubernetes v1.33 `kubectl api-resources
#: --namespaced=false` (storage-backed kinds; the review kinds are never applied).
CLUSTER_SCOPED_KINDS = frozenset({
    *(("", k) for k in ("Namespace", "Node", "PersistentVolume", "ComponentStatus")),
    *(("rbac.authorization.k8s.io", k) for k in ("ClusterRole", "ClusterRoleBinding")),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    *(("admissionregistration.k8s.io", k) for k in (
        "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding")),
    *(("storage.k8s.io", k) for k in ("StorageClass", "CSIDriver", "CSINode", "VolumeAttachment", "VolumeAttributesClass")),
    ("scheduling.k8s.io", "PriorityClass"),
    ("node.k8s.io", "RuntimeClass"),
    *(("networking.k8s.io", k) for k in ("IngressClass", "IPAddress", "ServiceCIDR")),
    *(("certificates.k8s.io", k) for k in ("CertificateSigningRequest", "ClusterTrustBundle")),
    *(("flowcontrol.apiserver.k8s.io", k) for k in ("FlowSchema", "PriorityLevelConfiguration")),
    *(("resource.k8s.io", k) for k in ("DeviceClass", "ResourceSlice")),
    ("policy", "PodSecurityPolicy"),
    ("internal.apiserver.k8s.io", "StorageVersion"),
    ("storagemigration.k8s.io", "StorageVersionMigration"),
})


def _shipped_crds(parsed: list[_Parsed]) -> dict[tuple[str, str], str]:
    """(group, kind) -> scope (`Namespaced` | `Cluster`) of every CustomResourceDefinition any addon ships."""
    out: dict[tuple[str, str], str] = {}
    for p in parsed:
        for doc in p.docs:
            obj = doc.data
            if not isinstance(obj, dict) or obj.get("kind") != "CustomResourceDefinition":
                continue
            if not str(obj.get("apiVersion", "")).startswith("apiextensions.k8s.io/"):
                continue
            spec = _mapping(obj.get("spec"))
            names = _mapping(spec.get("names"))
            if isinstance(spec.get("group"), str) and isinstance(names.get("kind"), str):
                out[(spec["group"], names["kind"])] = str(spec.get("scope", "Namespaced"))
    return out


def _cluster_scoped(obj: dict[str, Any], crds: Mapping[tuple[str, str], str]) -> bool:
    """Whether the object's kind is cluster-scoped: built in (`CLUSTER_SCOPED_KINDS`) or by a shipped CRD.

    A custom kind whose CRD no addon ships counts as namespaced (its scope is unknown here).
    """
    group, _ = kube_schemas.split_api_version(str(obj.get("apiVersion", "")))
    key = (group, str(obj.get("kind", "")))
    return key in CLUSTER_SCOPED_KINDS or crds.get(key) == "Cluster"


def _mapping(value: Any) -> dict[str, Any]:
    """`value` if it is a mapping, else an empty one."""
    return value if isinstance(value, dict) else {}


def _ref(obj: dict[str, Any]) -> ObjectRef:
    meta = _mapping(obj.get("metadata"))
    return ObjectRef(str(obj.get("apiVersion", "")), str(obj.get("kind", "")),
                     str(meta.get("name", "") or ""), str(meta.get("namespace", "") or ""))


def _label(obj: dict[str, Any]) -> str:
    ref = _ref(obj)
    return f"{ref.api_version} {ref.kind} {ref.name}".strip()


def _misspelt(mapping: dict[str, Any], field: str, known: tuple[str, ...]) -> str | None:
    """The key of `mapping` (none of `known`) that looks like a misspelling of the missing `field`."""
    close = difflib.get_close_matches(field, [k for k in mapping if isinstance(k, str) and k not in known],
                                      n=1, cutoff=0.75)
    return close[0] if close else None


_IDENTITY_FIELDS = ("apiVersion", "kind", "metadata")
#: ObjectMeta fields a payload object may set, none of them a misspelling of `name`.
_META_FIELDS = ("name", "namespace", "labels", "annotations", "generateName", "finalizers", "ownerReferences")


def _identity(doc: Document, index: int, file: str) -> list[Finding]:
    """apiVersion, kind and metadata.name must be non-empty strings. A missing one whose name a key
    beside it resembles (`metdata:`, `metadata.nme`) is reported at that key, once: the core
    schema's "unknown field" there is the same problem (`_check_addon` leaves it out)."""
    obj = doc.data
    where = f"document {index + 1} of {file}"
    needs = "every payload object needs apiVersion, kind and metadata.name"
    out = []

    def typo_finding(pointer: str, field: str, typo: str) -> Finding:
        label = _label(obj) if isinstance(obj.get("kind"), str) and obj.get("kind") else where
        return Finding(RULE_SCHEMA, Severity.ERROR, f"{label}: {field} is missing; {typo!r} looks like a "
                       f"misspelling of it; {needs}", doc.source.lookup(pointer), pointer=pointer)

    for field, pointer in (("apiVersion", "/apiVersion"), ("kind", "/kind")):
        value = obj.get(field)
        typo = _misspelt(obj, field, _IDENTITY_FIELDS) if field not in obj else None
        if typo is not None:
            out.append(typo_finding(f"/{escape_token(typo)}", field, typo))
        elif not isinstance(value, str) or not value:
            problem = "is missing" if value is None else f"must be a non-empty string, got {value!r}"
            out.append(Finding(RULE_SCHEMA, Severity.ERROR, f"{where}: {field} {problem}; {needs}",
                               doc.source.lookup(pointer if field in obj else ""), pointer=pointer))
    meta = obj.get("metadata")
    typo = _misspelt(obj, "metadata", _IDENTITY_FIELDS) if "metadata" not in obj else None
    if typo is not None:
        out.append(typo_finding(f"/{escape_token(typo)}", "metadata", typo))
        return out
    name = meta.get("name") if isinstance(meta, dict) else None
    typo = _misspelt(meta, "name", _META_FIELDS) if isinstance(meta, dict) and "name" not in meta else None
    if typo is not None:
        out.append(typo_finding(f"/metadata/{escape_token(typo)}", "metadata.name", typo))
    elif not isinstance(name, str) or not name:
        if isinstance(meta, dict) and "generateName" in meta and name is None:
            problem = "is missing (generateName cannot be used: the ClusterResourceSet controller applies by name)"
        else:
            problem = "is missing" if name is None else f"must be a non-empty string, got {name!r}"
        pointer = "/metadata/name" if isinstance(meta, dict) and "name" in meta else "/metadata"
        out.append(Finding(RULE_SCHEMA, Severity.ERROR, f"{_label(obj) or where}: metadata.name {problem}; {needs}",
                           doc.source.lookup(pointer if isinstance(meta, dict) else ""), pointer=pointer))
    return out


#: Total bytes of an object's annotations, keys plus values (apimachinery `TotalAnnotationSizeLimitB`).
ANNOTATIONS_MAX_BYTES = 262_144


def _object_meta(doc: Document, *, cluster_scoped: bool) -> list[Finding]:
    """What `ValidateObjectMeta` rejects in labels, annotations and namespace (not the name: its rule depends on the kind).

    Labels: each key a qualified name, each value a label value; annotations: each key a qualified
    name, keys plus values at most 262144 bytes in total; namespace: a DNS-1123 label, unless the
    kind is cluster-scoped (`cluster_scoped`: the API server then drops the namespace).

    Source:
        k8s.io/apimachinery pkg/api/validation/objectmeta.go (`ValidateObjectMetaAccessor`,
        `ValidateAnnotations`, `ValidateAnnotationsSize`) and pkg/apis/meta/v1/validation
        (`ValidateLabels`). The API server rejects the object, so the ClusterResourceSet fails.
    """
    obj = doc.data
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return []
    label = _label(obj)
    out: list[Finding] = []

    def add(pointer: str, text: str) -> None:
        out.append(Finding(RULE_SCHEMA, Severity.ERROR, f"{label}: {text}", doc.source.lookup(pointer),
                           pointer=pointer, object=_ref(obj)))

    for field in ("labels", "annotations"):
        values = meta.get(field)
        if not isinstance(values, dict):
            continue  # a wrong type is the core schema's finding
        for key, value in values.items():
            pointer = f"/metadata/{field}/{escape_token(str(key))}"
            for problem in label_key_errors(key):
                add(pointer, f"metadata.{field} key {str(key)[:80]!r}: {problem}")
            if field == "labels":
                for problem in label_value_errors(value):
                    add(pointer, f"metadata.labels[{str(key)[:80]!r}]: {problem}")
        if field == "annotations":
            total = sum(len(str(k).encode()) + len(v.encode() if isinstance(v, str) else b"") for k, v in values.items())
            if total > ANNOTATIONS_MAX_BYTES:
                add("/metadata/annotations", f"metadata.annotations: {total} bytes in total, over the {ANNOTATIONS_MAX_BYTES} "
                                             "bytes (256 KiB) the API server accepts")
    namespace = meta.get("namespace")
    if isinstance(namespace, str) and not cluster_scoped and names.dns1123_label_errors(namespace):
        add("/metadata/namespace", f"metadata.namespace {namespace[:80]!r}: must be a DNS-1123 label (at most 63 "
                                   "lower-case alphanumerics or '-', starting and ending alphanumeric)")
    return out


def _object_name(doc: Document) -> list[Finding]:
    """metadata.name the API server refuses for the object's kind -> one `addon-schema` error at the name.

    Most kinds (custom resources too) need a DNS-1123 subdomain, a Namespace a DNS-1123 label, a
    Service a DNS-1035 label; RBAC names are path segments (`system:controller:foo` is valid). A
    missing or non-string name is `_identity`'s finding.

    Source:
        `fleetgen.validate.names.object_name_errors` (kubernetes `ValidateObjectMeta` name functions).
    """
    obj = doc.data
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(name, str) or not name or not isinstance(api_version, str) or not isinstance(kind, str):
        return []
    problems = names.object_name_errors(api_version, kind, name)
    if not problems:
        return []
    return [Finding(RULE_SCHEMA, Severity.ERROR, f"{_label(obj)}: metadata.name {name[:80]!r}: {'; '.join(problems)}",
                    doc.source.lookup("/metadata/name"), pointer="/metadata/name", object=_ref(obj))]


#: apps/v1 workload kinds whose `spec.selector` must select their own Pod template.
_WORKLOAD_KINDS = frozenset({"Deployment", "DaemonSet", "StatefulSet", "ReplicaSet"})


def _workload_selector(doc: Document) -> list[Finding]:
    """An apps/v1 Deployment, DaemonSet, StatefulSet or ReplicaSet whose `spec.selector` does not
    parse, is empty or does not select `spec.template.metadata.labels` -> one `addon-schema` error.

    Source:
        kubernetes/kubernetes pkg/apis/apps/validation/validation.go (`ValidateDeploymentSpec`,
        `ValidateDaemonSetSpec`, `ValidateStatefulSetSpec`, `ValidateReplicaSetSpec`): "empty
        selector is invalid for deployment", "`selector` does not match template `labels`". The API
        server rejects the object, so the ClusterResourceSet fails; and a selector that
        `LabelSelectorAsSelector` cannot parse (`fleetgen.policy.labels.selector_errors`, e.g. `In`
        without values). A selector of the wrong type is the core schema's finding.
    """
    obj = doc.data
    if obj.get("apiVersion") != "apps/v1" or obj.get("kind") not in _WORKLOAD_KINDS:
        return []
    spec = _mapping(obj.get("spec"))
    selector, template = spec.get("selector"), _mapping(spec.get("template"))
    labels = _mapping(template.get("metadata")).get("labels")
    if not isinstance(selector, dict) or (labels is not None and not isinstance(labels, dict)):
        return []
    problems = selector_errors(selector)
    if problems:
        text, pointer = f"spec.selector: {'; '.join(problems)}", "/spec/selector"
    elif selector_is_empty(selector):
        text, pointer = f"spec.selector: empty selector is invalid for {obj['kind'].lower()}", "/spec/selector"
    elif not selector_matches(selector, {str(k): str(v) for k, v in (labels or {}).items()}):
        text = (f"spec.template.metadata.labels: `selector` does not match template `labels` (selector "
                f"{format_selector(selector)!r}); the Pods would not belong to the {obj['kind']}")
        pointer = "/spec/template/metadata/labels" if labels is not None else "/spec/selector"
    else:
        return []
    return [Finding(RULE_SCHEMA, Severity.ERROR, f"{_label(obj)}: {text}", doc.source.lookup(pointer),
                    pointer=pointer, object=_ref(obj))]


def _secret(doc: Document, file: str) -> Finding | None:
    """A v1 Secret carrying values -> `no-inline-secrets`."""
    obj = doc.data
    if obj.get("kind") != "Secret" or obj.get("apiVersion") != "v1":
        return None
    fields = [f for f in ("data", "stringData") if isinstance(obj.get(f), dict) and obj[f]]
    if not fields:
        return None
    keys = [f"{f}.{k}" for f in fields for k in sorted(obj[f])][:5]
    pos = doc.source.lookup("/kind")
    return Finding(
        RULE_SECRETS, Severity.ERROR,
        f"v1 Secret {_ref(obj).name or '(unnamed)'} in {file}:{pos.line} ships secret values in git "
        f"({', '.join(keys)}); remove it from the payload and reference an existing Secret instead",
        pos, pointer="/kind", object=_ref(obj),
        hint="create the Secret in the workload cluster out of band (External Secrets, Sealed Secrets, SOPS) "
             "and refer to it by name")


def _versions_text(minors: list[str]) -> str:
    return f"Kubernetes {', '.join(minors)} schema" + ("s" if len(minors) > 1 else "")


@dataclass
class _Pending:
    """A finding under construction, merged across schema minors."""

    severity: Severity
    text: str
    position: Position
    pointer: str
    object: ObjectRef
    minors: list[str]


def _check_addon(addon: LoadedAddon, files: list[tuple[str, _Parsed]], minors: list[tuple[str, bool]],
                 crds: Mapping[tuple[str, str], str]) -> list[Finding]:
    out: list[Finding] = []
    pending: dict[tuple[Position, str, Severity, str], _Pending] = {}
    # (file, document index) -> (label, document, object, {minor not serving it: the API versions it serves})
    not_served: dict[tuple[str, int], tuple[str, Document, dict[str, Any], dict[str, list[str]]]] = {}
    unchecked: set[tuple[str, str, str]] = set()

    def add(severity: Severity, text: str, doc: Document, pointer: str, obj: dict[str, Any], minor: str) -> None:
        position = doc.source.lookup(pointer)
        key = (position, pointer, severity, text)
        if key in pending:
            if minor not in pending[key].minors:
                pending[key].minors.append(minor)
        else:
            pending[key] = _Pending(severity, text, position, pointer, _ref(obj), [minor])

    for file, parsed in files:
        if parsed.error is not None:
            out.append(parsed.error)
            continue
        for index, doc in enumerate(parsed.docs):
            obj = doc.data
            if not isinstance(obj, dict):
                kind = "a list" if isinstance(obj, list) else f"a {type(obj).__name__}"
                out.append(Finding(RULE_SCHEMA, Severity.ERROR,
                                   f"document {index + 1} of {file}: expected a Kubernetes object (a mapping), got {kind}",
                                   doc.source.lookup(""), pointer=""))
                continue
            identity = _identity(doc, index, file)
            out.extend(identity)
            claimed = {f.pointer for f in identity}  # (a misspelt identity field: reported once, there)
            out.extend(_object_meta(doc, cluster_scoped=_cluster_scoped(obj, crds)))
            out.extend(_object_name(doc))
            out.extend(_workload_selector(doc))
            secret = _secret(doc, file)
            if secret is not None:
                out.append(secret)
            api_version, kind_name = obj.get("apiVersion"), obj.get("kind")
            if not isinstance(api_version, str) or not isinstance(kind_name, str) or not api_version or not kind_name:
                continue
            group, _ = kube_schemas.split_api_version(api_version)
            if (group, kind_name) in crds:
                continue  # a CRD-defined kind: the CRD ships with the fleet, its instances are not checked here
            label = _label(obj)
            for minor, exact in minors:
                if kube_schemas.core_schema(minor, api_version, kind_name) is not None:
                    for pointer, message in _core_violations(parsed.digest, index, minor, obj):
                        if pointer not in claimed:
                            add(Severity.ERROR, f"{label}: {message}", doc, pointer, obj, minor)
                elif kube_schemas.is_builtin_group(group) and exact:
                    # one finding for every version that does not serve it (one problem, one fix)
                    by_minor = not_served.setdefault((file, index), (label, doc, obj, {}))[3]
                    by_minor[minor] = kube_schemas.served_api_versions(minor, group, kind_name)
                elif (file, api_version, kind_name) not in unchecked:
                    unchecked.add((file, api_version, kind_name))
                    why = ("is not a core Kubernetes kind and no addon ships its CustomResourceDefinition; "
                           "its CRD must already exist in the workload cluster"
                           if not kube_schemas.is_builtin_group(group)
                           else f"is unknown to the bundled schemas (newest {minor})")
                    out.append(Finding(RULE_SCHEMA, Severity.INFO, f"{api_version} {kind_name} not checked: it {why}",
                                       doc.source.lookup("/kind"), pointer="/kind", object=_ref(obj)))
    for label, doc, obj, by_minor in not_served.values():
        not_minors = list(by_minor)
        served = list(dict.fromkeys(v for versions in by_minor.values() for v in versions))
        instead = f"; use {' or '.join(served)}" if served else "; check the apiVersion and kind"
        if served and len(not_minors) > 1:
            everywhere = [v for v in served if all(v in versions for versions in by_minor.values())]
            instead = (f"; use {' or '.join(everywhere)}" if everywhere else
                       "; use " + ", ".join(f"{' or '.join(v) or 'none'} on {m}" for m, v in by_minor.items()))
        verb = "does" if len(not_minors) == 1 else "do"
        out.append(Finding(RULE_SCHEMA, Severity.ERROR,
                           f"{label}: Kubernetes {', '.join(not_minors)} {verb} not serve {obj['apiVersion']} {obj['kind']} "
                           f"(removed, not yet added, or misspelled){instead}",
                           doc.source.lookup("/apiVersion" if served else "/kind"),
                           pointer="/apiVersion" if served else "/kind", object=_ref(obj)))
    for p in pending.values():
        suffix = f" ({_versions_text(p.minors)})"
        out.append(Finding(RULE_SCHEMA, p.severity, p.text + suffix, p.position, pointer=p.pointer, object=p.object))
    return out


def check_payloads(fleet: Fleet, *, kubernetes_versions: Mapping[str, str] | None = None) -> list[Finding]:
    """Parse and validate every addon resource file of the fleet.

    Args:
        fleet: the loaded fleet; each `LoadedAddon.files` maps a resource name to its bytes.
        kubernetes_versions: optional overrides, addon name -> Kubernetes version (`v1.33.1`) to check
            that addon's payload against instead of its selected clusters' versions.

    Returns:
        Findings sorted by position: `parse`, `addon-schema` (error or info) and `no-inline-secrets`,
        each positioned at the payload file and the line and column of the offending field
        (`crs/calico/calico.yaml:4123:9`), with `object` naming the Kubernetes object. Empty when all
        payloads are valid.

    Raises:
        SchemaNotFoundError: kubernetes-validate is not installed (it is a fleetgen dependency).
        ValueError: an override in `kubernetes_versions` is not a Kubernetes version.

    Source:
        core schemas: PyPI kubernetes-validate (`kubernetes-json-schema/v<minor>.0-local-strict`);
        CRS apply semantics: kubernetes-sigs/cluster-api `exp/addons/internal/controllers/clusterresourceset_scope.go`.
    """
    parsed_by_addon: list[tuple[LoadedAddon, list[tuple[str, _Parsed]]]] = []
    for addon in fleet.addons:
        files = [(payload_path(addon, name), _parse(payload_path(addon, name), raw)) for name, raw in addon.files.items()]
        parsed_by_addon.append((addon, files))
    crds = _shipped_crds([p for _, files in parsed_by_addon for _, p in files])
    findings: list[Finding] = []
    for addon, files in parsed_by_addon:
        minors: dict[str, bool] = {}
        for version in addon_kubernetes_versions(fleet, addon, kubernetes_versions):
            minor = kube_schemas.schema_version_for(version)
            minors[minor] = minors.get(minor, False) or kube_schemas.is_exact_version(version)
        findings.extend(_check_addon(addon, files, sorted(minors.items(), key=lambda m: kube_schemas.minor_key(m[0])), crds))
    return sorted(findings, key=Finding.sort_key)
