"""Addons -> ClusterResourceSets: ConfigMap payloads plus one ClusterResourceSet per namespace.

Owns: turning `crs/<addon>/` (a `LoadedAddon`) into the ConfigMaps that carry its manifest
files and the `addons.cluster.x-k8s.io/v1beta2` ClusterResourceSet that ships them, for every
management-cluster namespace that holds a matching cluster; the payload size budget; refusing
inline Secrets. Must not do I/O, print, or know about the GitOps agent (markers and layout are
added by `fleetgen.render.gitops` and `fleetgen.render.layout`).

Naming (documented contract, see FIELD.md §1.6): `spec.strategy` and `spec.clusterSelector` of a
ClusterResourceSet are immutable (the CAPI webhook answers "field is immutable"), so fleetgen
encodes both in the name: `<addon>-<hash8>`, where hash8 is the first 8 hex digits of the
sha256 of the canonical JSON `{"clusterSelector": <rendered selector>, "strategy": <strategy>}`
(keys sorted, no whitespace). Changing either yields a new object instead of a rejected update.
The ConfigMaps are named after the ClusterResourceSet: `<crs>` when one is enough, else
`<crs>-1` ... `<crs>-N`.

Payloads: each resource file is one data key (its file name, `/` replaced by `_`), carried
intact. Files are packed in `spec.resources` order into ConfigMaps of at most
`CONFIGMAP_BUDGET_BYTES` of data; a file larger than the budget is split at YAML document
boundaries into keys `<file>.part-01`, `<file>.part-02`, ... (CAPI applies the keys of one
ConfigMap in sorted order and the ConfigMaps in `spec.resources` order, so the parts stay in
file order). A single document that alone exceeds `CONFIGMAP_LIMIT_BYTES` cannot be shipped by
any ClusterResourceSet: finding `crs-payload-size`. So is a data value shorter than
`CRS_MIN_DATA_BYTES` (32): the controller peeks 32 bytes of each value and fails the whole ConfigMap
on less (an empty file, or one short line); a file of at least 32 bytes that holds no object (only
comments) is a `crs-payload-size` warning, since it ships nothing. A value whose first non-space byte
within its first 32 is `[` is read by the controller as one JSON list of objects (`is_json_list`): it is
one document (never split), and when it is not strict JSON the controller silently applies nothing of
it, so that is a `parse` error (`json_list_finding`). Parts of a split file are never
shorter than 32 bytes (a short run of comments is kept with its neighbour). A `kind: Secret` with
`data`/`stringData` in a payload is refused: finding `no-inline-secrets` (no secret is ever rendered
into git).

Example:
    >>> objects, findings = render_addon(addon, "clusters")   # doctest: +SKIP
    >>> [o.manifest["kind"] for o in objects]                 # doctest: +SKIP
    ['ConfigMap', 'ClusterResourceSet']
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fleetgen.findings import Finding, ObjectRef, Position, Severity
from fleetgen.render.base import RenderedObject
from fleetgen.sourcemap import escape_token
from fleetgen.spec import models
from fleetgen.spec.load import LoadedAddon
from fleetgen.yamlio import Document, YamlLoadError, load_yaml

CRS_API_VERSION = "addons.cluster.x-k8s.io/v1beta2"
"""API version of the rendered ClusterResourceSet (cluster-api v1.12.11 serves v1beta2)."""

CONFIGMAP_BUDGET_BYTES = 900 * 1024
"""Data bytes (keys + values) packed into one ConfigMap; leaves headroom under the 1 MiB limit."""

CONFIGMAP_LIMIT_BYTES = 1024 * 1024
"""Hard limit of a ConfigMap's data (API server validation, "must have at most 1048576 bytes")."""

CRS_MAX_RESOURCES = 100
"""`spec.resources` maxItems of a ClusterResourceSet."""

CRS_MIN_DATA_BYTES = 32
"""Shortest ConfigMap data value the ClusterResourceSet controller reads.

Source: kubernetes-sigs/cluster-api `internal/controllers/clusterresourceset/clusterresourceset_helpers.go`
`isJSONList`: `bufio.NewReaderSize(bytes.NewReader(data), 32).Peek(32)` returns io.EOF for a shorter
value, and `objsFromYamlData` returns that error, so the controller applies nothing of the ConfigMap.
"""

ADDON_LABEL = "fleetgen.dev/addon"
"""Label set on every rendered ConfigMap and ClusterResourceSet: the addon name."""

RULE_PAYLOAD_SIZE = "crs-payload-size"
RULE_INLINE_SECRETS = "no-inline-secrets"
RULE_PAYLOAD_KEY = "crs-payload-key"

_DOC_START = re.compile(r"^---(?=[ \t\r\n]|$)", re.MULTILINE)
_DATA_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


@dataclass(frozen=True)
class PayloadChunk:
    """One data key of a payload ConfigMap.

    Attributes:
        key: the ConfigMap data key (the file name, or `<file>.part-NN` for a split file).
        text: the exact text of the file, or of a run of whole YAML documents of it.
        resource_index: index of the file in the addon's `spec.resources`.
    """

    key: str
    text: str
    resource_index: int

    @property
    def size_bytes(self) -> int:
        """Bytes this chunk adds to a ConfigMap's data (key plus UTF-8 value)."""
        return len(self.key.encode()) + len(self.text.encode())


@dataclass(frozen=True)
class PayloadPlan:
    """How one addon's payload is laid out in ConfigMaps (the same for every namespace).

    Attributes:
        configmaps: one tuple of chunks per ConfigMap, in `spec.resources` order.
        findings: problems that make the addon unshippable; when any is an error, nothing
            of this addon is rendered.
    """

    configmaps: tuple[tuple[PayloadChunk, ...], ...]
    findings: tuple[Finding, ...]


def selector_manifest(selector: models.LabelSelector) -> dict[str, Any]:
    """Render a label selector as Kubernetes writes it.

    Args:
        selector: the addon's `spec.clusterSelector` (never empty, the model checks it).

    Returns:
        `{"matchLabels": {...}, "matchExpressions": [...]}` with empty parts left out,
        matchLabels keys sorted, `values` omitted for Exists/DoesNotExist.

    Source:
        kubernetes-sigs/cluster-api v1.12.11,
        config/crd/bases/addons.cluster.x-k8s.io_clusterresourcesets.yaml (spec.clusterSelector)
    """
    out: dict[str, Any] = {}
    if selector.match_labels:
        out["matchLabels"] = {k: selector.match_labels[k] for k in sorted(selector.match_labels)}
    if selector.match_expressions:
        exprs = []
        for req in selector.match_expressions:
            item: dict[str, Any] = {"key": req.key, "operator": req.operator}
            if req.values:
                item["values"] = list(req.values)
            exprs.append(item)
        out["matchExpressions"] = exprs
    return out


def crs_name(addon: models.Addon) -> str:
    """The ClusterResourceSet name of an addon: `<addon>-<hash8 of strategy and selector>`.

    Args:
        addon: the validated Addon.

    Returns:
        A DNS-1123 name of at most 63 + 9 characters, stable as long as the addon's name,
        strategy and clusterSelector are unchanged.

    Source:
        kubernetes-sigs/cluster-api v1.12.11, core webhook `clusterresourceset.go`
        ("field is immutable" for spec.strategy and spec.clusterSelector); FIELD.md §1.6.
    """
    canonical = json.dumps(
        {"clusterSelector": selector_manifest(addon.spec.cluster_selector), "strategy": addon.spec.strategy},
        sort_keys=True,
        separators=(",", ":"),
    )
    return f"{addon.metadata.name}-{hashlib.sha256(canonical.encode()).hexdigest()[:8]}"


def configmap_names(base: str, count: int) -> list[str]:
    """ConfigMap names for a payload of `count` ConfigMaps: `[base]` or `[base-1, ..., base-N]`."""
    if count == 1:
        return [base]
    return [f"{base}-{i}" for i in range(1, count + 1)]


def split_documents(text: str) -> list[tuple[int, str]]:
    """Split YAML text at document-start lines (`---` in column 0), keeping every byte.

    A `---` line cannot occur inside YAML content (YAML 1.2 "c-forbidden"), so the split is
    exact. The first piece holds whatever precedes the first marker (comments, or the first
    document when the file does not start with `---`).

    Args:
        text: a whole payload file.

    Returns:
        `(first line number, 1-based; piece)` in file order; `"".join(pieces) == text`.
    """
    starts = [m.start() for m in _DOC_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    pieces = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        pieces.append((text.count("\n", 0, start) + 1, text[start:end]))
    return pieces


def data_key(resource: str) -> str:
    """The ConfigMap data key of a resource file: its path with `/` replaced by `_`."""
    return resource.replace("/", "_")


def _payload_path(addon: LoadedAddon, resource: str) -> str:
    folder = addon.path.rsplit("/", 1)[0] if "/" in addon.path else ""
    return f"{folder}/{resource}" if folder else resource


def _secret_finding(doc: Document, file: str) -> Finding | None:
    """A `v1 Secret` with `data`/`stringData` values in a payload document -> `no-inline-secrets`.

    The finding is the same (position, pointer, message) as the one `fleetgen.validate.payload`
    reports for the same document, so a run that renders and validates reports it once.
    """
    obj = doc.data
    if not isinstance(obj, dict) or obj.get("kind") != "Secret" or obj.get("apiVersion") != "v1":
        return None
    fields = [f for f in ("data", "stringData") if isinstance(obj.get(f), dict) and obj[f]]
    if not fields:
        return None
    keys = [f"{f}.{k}" for f in fields for k in sorted(obj[f])][:5]
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    namespace = meta.get("namespace") if isinstance(meta, dict) else None
    pos = doc.source.lookup("/kind")
    return Finding(
        RULE_INLINE_SECRETS, Severity.ERROR,
        f"v1 Secret {name or '(unnamed)'} in {file}:{pos.line} ships secret values in git "
        f"({', '.join(keys)}); remove it from the payload and reference an existing Secret instead",
        pos, pointer="/kind",
        object=ObjectRef("v1", "Secret", str(name or ""), str(namespace or "")),
        hint="create the Secret in the workload cluster out of band (External Secrets, Sealed Secrets, SOPS) "
             "and refer to it by name")


def _separator_findings(text: str, file: str) -> list[Finding]:
    """A `---` line followed by anything but spaces or a comment -> one `parse` error per line.

    YAML allows `--- {a: b}`, but the ClusterResourceSet controller splits payloads with
    apimachinery's YAMLReader, which fails the whole resource on such a line.

    Source:
        k8s.io/apimachinery pkg/util/yaml/decoder.go (`YAMLReader.Read`: "invalid Yaml document
        separator"), used by cluster-api util/yaml `ToUnstructured` for CRS payloads.
    """
    out = []
    for n, line in enumerate(text.split("\n"), start=1):
        if line.startswith("---"):
            rest = line[3:].strip()
            if rest and not rest.startswith("#"):
                out.append(Finding(
                    "parse", Severity.ERROR,
                    f"yaml: {rest[:40]!r} after the document separator '---': the ClusterResourceSet controller "
                    "rejects the resource (invalid Yaml document separator); put it on the next line",
                    Position(file, n, 4)))
    return out


#: What Go's `unicode.IsSpace` counts as space (`bytes.TrimLeftFunc` in the controller's `isJSONList`).
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
            "\u2028\u2029\u202f\u205f\u3000"


def is_json_list(raw: bytes) -> bool:
    """Whether the ClusterResourceSet controller reads a payload value as a JSON list.

    Args:
        raw: one ConfigMap data value (a payload file, or a part of one).

    Returns:
        True when it is at least `CRS_MIN_DATA_BYTES` long and its first non-space character within
        those first bytes is `[`; the controller then `json.Unmarshal`s the whole value into a list of
        objects instead of splitting it into YAML documents.

    Source:
        kubernetes-sigs/cluster-api `internal/controllers/clusterresourceset/clusterresourceset_helpers.go`
        (`isJSONList`, `objsFromYamlData`).
    """
    head = raw[:CRS_MIN_DATA_BYTES].decode("utf-8", errors="ignore")
    return len(raw) >= CRS_MIN_DATA_BYTES and head.lstrip(_GO_SPACE).startswith("[")


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # Python's json reads NaN and Infinity; Go's encoding/json does not


def json_list_finding(raw: bytes, file: str) -> Finding | None:
    """A payload the controller reads as a JSON list (`is_json_list`) that is not strict JSON -> `parse` error.

    `objsFromYamlData` ignores the `json.Unmarshal` error and applies nothing of the value, without
    reporting anything: YAML flow syntax (`[{kind: ConfigMap}]`), a trailing comma, a comment or a
    second document after the list all ship nothing.

    Args:
        raw: the payload file's bytes (UTF-8, checked by the loader).
        file: the repository-relative path for the finding.

    Returns:
        A `parse` error at the line and column where JSON decoding stopped, or None.

    Source:
        kubernetes-sigs/cluster-api `clusterresourceset_helpers.go` `objsFromYamlData`
        (`if err = json.Unmarshal(data, &results); err == nil { ... }`).
    """
    if not is_json_list(raw):
        return None
    try:
        json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except json.JSONDecodeError as err:
        problem, line, col = err.msg, err.lineno, err.colno
    except ValueError as err:
        problem, line, col = str(err), 1, 1
    else:
        return None
    return Finding("parse", Severity.ERROR,
                   f"json: {problem}: the file starts with '[', so the ClusterResourceSet controller reads it as one "
                   "JSON list, and as it is not strict JSON the controller applies nothing of it (without an error); "
                   "write strict JSON, or YAML documents", Position(file, line, col))


def _emptiness_finding(addon: LoadedAddon, index: int, resource: str, raw: bytes, docs: list[Document]) -> Finding | None:
    """A file too short for the CRS controller (error) or holding no object (warning), at `spec.resources[i]`.

    Source:
        kubernetes-sigs/cluster-api `clusterresourceset_helpers.go` (`isJSONList` peeks
        `CRS_MIN_DATA_BYTES`; `objsFromYamlData` fails on io.EOF) and `util/yaml/yaml.go`
        `ToUnstructured` (a document of comments only yields no object, without an error).
    """
    ptr = f"/spec/resources/{index}"
    empty = not docs or (len(docs) == 1 and docs[0].data == [] and is_json_list(raw))
    if len(raw) < CRS_MIN_DATA_BYTES:
        what = "is empty" if not raw else f"is {len(raw)} bytes"
        fix = "remove it from spec.resources" if empty else f"add a comment line to make it at least {CRS_MIN_DATA_BYTES} bytes"
        return Finding(RULE_PAYLOAD_SIZE, Severity.ERROR,
                       f"spec.resources[{index}]: {resource} {what}; the ClusterResourceSet controller fails on a "
                       f"payload shorter than {CRS_MIN_DATA_BYTES} bytes (EOF) and applies nothing of the ConfigMap "
                       f"holding it; {fix}", addon.source.lookup(ptr), pointer=ptr)
    if empty:
        return Finding(RULE_PAYLOAD_SIZE, Severity.WARNING,
                       f"spec.resources[{index}]: {resource} ships nothing (no Kubernetes object, only comments or "
                       "empty documents); remove it from spec.resources or add its objects",
                       addon.source.lookup(ptr), pointer=ptr)
    return None


def _scan_file(addon: LoadedAddon, index: int, resource: str, raw: bytes) -> tuple[list[tuple[int, str]], list[Finding]]:
    """Split one payload file into documents and check it: YAML syntax, inline Secrets, size."""
    rel = _payload_path(addon, resource)
    try:
        docs = load_yaml(raw, rel, allow_empty=True, merge_keys=True)
    except YamlLoadError as err:
        return [], [err.finding]
    findings = [f for f in (_secret_finding(d, rel) for d in docs) if f is not None]
    emptiness = _emptiness_finding(addon, index, resource, raw, docs)
    if emptiness is not None:
        findings.append(emptiness)
    text = raw.decode("utf-8")
    findings.extend(_separator_findings(text, rel))
    not_json = json_list_finding(raw, rel)
    if not_json is not None:
        findings.append(not_json)
    pieces = split_documents(text)
    ptr = f"/spec/resources/{index}"
    for n, (line, piece) in enumerate(pieces, start=1):
        size = len(piece.encode())
        # the API server counts the data values only (ValidateConfigMap: totalSize += len(value))
        if size > CONFIGMAP_LIMIT_BYTES:
            findings.append(Finding(
                RULE_PAYLOAD_SIZE, Severity.ERROR,
                f"spec.resources[{index}]: {resource} document {n} (line {line}) is {size} bytes; a ConfigMap holds "
                f"at most {CONFIGMAP_LIMIT_BYTES} bytes (1 MiB), so no ClusterResourceSet can ship it — install this "
                "addon with a HelmChartProxy or a Fleet HelmOp instead, or split the document",
                addon.source.lookup(ptr), pointer=ptr))
    return pieces, findings


def _chunks_of_file(index: int, resource: str, text: str, pieces: list[tuple[int, str]]) -> list[PayloadChunk]:
    key = data_key(resource)
    whole = PayloadChunk(key, text, index)
    if whole.size_bytes <= CONFIGMAP_BUDGET_BYTES:
        return [whole]
    groups: list[str] = []
    current = ""
    for _, piece in pieces:
        if current and len((current + piece).encode()) + len(key) + 9 > CONFIGMAP_BUDGET_BYTES:
            groups.append(current)
            current = ""
        current += piece
    if current:
        groups.append(current)
    groups = _without_short_groups(groups)
    width = max(2, len(str(len(groups))))
    return [PayloadChunk(f"{key}.part-{i:0{width}d}", g, index) for i, g in enumerate(groups, start=1)]


def _has_error(findings: Iterable[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


def _without_short_groups(groups: list[str]) -> list[str]:
    """Join each group shorter than `CRS_MIN_DATA_BYTES` (a lone comment, a trailing `---`) to the next
    one, or the last to the one before, so that no data key is too short for the controller; order
    and bytes are kept. A joined part may exceed CONFIGMAP_BUDGET_BYTES by less than 32 bytes; it then
    gets a ConfigMap of its own, well under CONFIGMAP_LIMIT_BYTES."""
    out: list[str] = []
    carry = ""
    for group in groups:
        group = carry + group
        carry = ""
        if len(group.encode()) < CRS_MIN_DATA_BYTES:
            carry = group
        else:
            out.append(group)
    if carry:
        if out:
            out[-1] += carry
        else:
            out.append(carry)
    return out


def plan_payload(addon: LoadedAddon) -> PayloadPlan:
    """Check an addon's payload files and pack them into ConfigMaps.

    Args:
        addon: the loaded addon; `addon.files` maps each `spec.resources` entry to its bytes
            (UTF-8 text, checked by the loader), in `spec.resources` order.

    Returns:
        The ConfigMap layout (shared by every namespace the addon is rendered into) and the
        findings: `parse` (payload is not YAML), `no-inline-secrets` (a Secret with data),
        `crs-payload-size` (a document over 1 MiB, a file under 32 bytes, more than 100 ConfigMaps;
        a warning for a file that ships no object),
        `crs-payload-key` (a file name that is not a valid ConfigMap key, or two files
        mapping to the same key). Findings point at the payload file line, or at the
        addon.yaml `spec.resources` entry.

    Units:
        CONFIGMAP_BUDGET_BYTES counts UTF-8 bytes of keys plus values (fleetgen's own headroom);
        CONFIGMAP_LIMIT_BYTES and CRS_MIN_DATA_BYTES count the bytes of one value, as the API server
        (ValidateConfigMap sums the values only) and the CRS controller do.

    Source:
        https://kubernetes.io/docs/concepts/configuration/configmap/ (1 MiB);
        kubernetes-sigs/cluster-api v1.12.11 `clusterresourceset_helpers.go` `normalizeData`
        (keys applied in sorted order), `isJSONList` (32-byte peek); FIELD.md §1.5, §1.16.
    """
    findings: list[Finding] = []
    chunks: list[PayloadChunk] = []
    seen_keys: dict[str, str] = {}
    for index, resource in enumerate(addon.addon.spec.resources):
        raw = addon.files.get(resource)
        if raw is None:  # pragma: no cover - the loader refuses addons with missing files
            continue
        ptr = f"/spec/resources/{index}"
        key = data_key(resource)
        if not _DATA_KEY.match(key) or len(key) > 240:
            findings.append(Finding(RULE_PAYLOAD_KEY, Severity.ERROR,
                                    f"spec.resources[{index}]: {resource!r} cannot be a ConfigMap data key; "
                                    "rename the file using letters, digits, '-', '_' and '.' only",
                                    addon.source.lookup(ptr), pointer=ptr))
            continue
        if key in seen_keys:
            findings.append(Finding(RULE_PAYLOAD_KEY, Severity.ERROR,
                                    f"spec.resources[{index}]: {resource!r} and {seen_keys[key]!r} map to the same "
                                    f"ConfigMap data key {key!r}; rename one of them",
                                    addon.source.lookup(ptr), pointer=ptr))
            continue
        seen_keys[key] = resource
        pieces, problems = _scan_file(addon, index, resource, raw)
        findings.extend(problems)
        if not _has_error(problems):
            chunks.extend(_chunks_of_file(index, resource, raw.decode("utf-8"), pieces))
    if _has_error(findings):
        return PayloadPlan((), tuple(findings))
    configmaps: list[list[PayloadChunk]] = []
    used = 0
    for chunk in chunks:
        if configmaps and used + chunk.size_bytes <= CONFIGMAP_BUDGET_BYTES:
            configmaps[-1].append(chunk)
            used += chunk.size_bytes
        else:
            configmaps.append([chunk])
            used = chunk.size_bytes
    if len(configmaps) > CRS_MAX_RESOURCES:
        findings.append(Finding(RULE_PAYLOAD_SIZE, Severity.ERROR,
                                f"spec.resources: the payload needs {len(configmaps)} ConfigMaps of at most "
                                f"{CONFIGMAP_BUDGET_BYTES} bytes; a ClusterResourceSet references at most {CRS_MAX_RESOURCES} — "
                                "ship this addon with a HelmChartProxy or a Fleet HelmOp instead",
                                addon.source.lookup("/spec/resources"), pointer="/spec/resources"))
        return PayloadPlan((), tuple(findings))
    return PayloadPlan(tuple(tuple(c) for c in configmaps), tuple(findings))  # warnings only


def render_addon(addon: LoadedAddon, namespace: str, plan: PayloadPlan | None = None) -> tuple[list[RenderedObject], list[Finding]]:
    """Render one addon into one management-cluster namespace.

    Args:
        addon: the loaded addon.
        namespace: the namespace of the Clusters it selects (a ClusterResourceSet only
            selects Clusters in its own namespace).
        plan: the addon's payload plan, when already computed (it is the same for every
            namespace); computed here otherwise.

    Returns:
        (objects, findings). objects: the payload `v1 ConfigMap`s in `spec.resources` order,
        then the `addons.cluster.x-k8s.io/v1beta2 ClusterResourceSet` that references them;
        empty when the findings hold an error.

    Source:
        kubernetes-sigs/cluster-api v1.12.11,
        config/crd/bases/addons.cluster.x-k8s.io_clusterresourcesets.yaml
    """
    plan = plan if plan is not None else plan_payload(addon)
    if any(f.severity is Severity.ERROR for f in plan.findings):
        return [], list(plan.findings)
    spec = addon.addon.spec
    name = crs_name(addon.addon)
    labels = {ADDON_LABEL: addon.name}
    objects: list[RenderedObject] = []
    names = configmap_names(name, len(plan.configmaps))
    for cm_name, chunks in zip(names, plan.configmaps, strict=True):
        manifest = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": cm_name, "namespace": namespace, "labels": dict(labels)},
            "data": {c.key: c.text for c in chunks},
        }
        origin = {"": "/spec/resources", "/metadata/labels": "/metadata/name"}
        for c in chunks:
            origin[f"/data/{escape_token(c.key)}"] = f"/spec/resources/{c.resource_index}"
        objects.append(RenderedObject(manifest, addon.source, origin))
    crs = {
        "apiVersion": CRS_API_VERSION,
        "kind": "ClusterResourceSet",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": {
            "clusterSelector": selector_manifest(spec.cluster_selector),
            "strategy": spec.strategy,
            "resources": [{"kind": "ConfigMap", "name": n} for n in names],
        },
    }
    crs_origin = {
        "": "",
        "/metadata/name": "/metadata/name",
        "/spec/clusterSelector": "/spec/clusterSelector",
        "/spec/strategy": "/spec/strategy",
        "/spec/resources": "/spec/resources",
    }
    objects.append(RenderedObject(crs, addon.source, crs_origin))
    return objects, list(plan.findings)


def addon_namespaces(addon: models.Addon, clusters: Iterable[tuple[str, Mapping[str, str]]]) -> list[str]:
    """The namespaces that hold at least one Cluster the addon's selector matches.

    Args:
        addon: the validated Addon.
        clusters: `(namespace, labels of the rendered CAPI Cluster)` for every cluster.

    Returns:
        Sorted, unique namespace names.
    """
    selector = addon.spec.cluster_selector
    return sorted({ns for ns, labels in clusters if selector.matches(dict(labels))})


def render_addons(addons: Iterable[LoadedAddon], clusters: Iterable[tuple[str, Mapping[str, str]]]) -> tuple[dict[tuple[str, str], list[RenderedObject]], list[Finding]]:
    """Render every addon into every namespace that holds a matching cluster.

    Args:
        addons: the fleet's addons (sorted by name).
        clusters: `(namespace, labels of the rendered CAPI Cluster)` for every cluster.

    Returns:
        ({(namespace, addon name): [ConfigMap..., ClusterResourceSet]}, findings), the dict
        in (namespace, addon) order. Every payload is checked, even of an addon that matches no
        cluster (which renders nothing); an addon whose payload has an error finding is left
        out everywhere.
    """
    cluster_list = [(ns, dict(labels)) for ns, labels in clusters]
    out: dict[tuple[str, str], list[RenderedObject]] = {}
    findings: list[Finding] = []
    for addon in addons:
        plan = plan_payload(addon)  # checked even when no cluster matches: a Secret is refused anyway
        findings.extend(plan.findings)
        if any(f.severity is Severity.ERROR for f in plan.findings):
            continue
        for ns in addon_namespaces(addon.addon, cluster_list):
            objects, _ = render_addon(addon, ns, plan)
            out[(ns, addon.name)] = objects
    return dict(sorted(out.items())), findings

