"""Fetch, verify and convert the pinned CRDs into the synced `schemas/` directory.

Owns: `sync_schemas` (the only code in fleetgen that may touch the network), the generated tree's
layout and `index.json`, and the staleness check. Must not print; progress goes to `logging`.

Layout written under `dest` (kubeconform/CRDs-catalog compatible, see `catalog.schema_relpath`):

    dest/index.json                                   what was synced from what (see below)
    dest/cluster.x-k8s.io/cluster_v1beta2.json        one file per served CRD version
    dest/fleet.cattle.io/gitrepo_v1alpha1.json
    dest/v1/configmap_v1.json                         core kinds: kubeconform's Group for `v1` is `v1`
    dest/apps/daemonset_v1.json

so `kubeconform -schema-location 'schemas/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json'`
reads the same files. Bytes are deterministic: `json.dumps(sort_keys=True, indent=2)` plus `\\n`.

`index.json` records the sources (with sha256), the core-kind settings, the converter version, a
digest over all three (`sourcesDigest`, compared by `is_stale`) and, per `apiVersion/Kind`, the file
and where it came from.

Atomicity: every file is fetched, verified and converted, and the new tree written into a staging
directory inside `dest`, before anything in `dest` changes; so a failed fetch, sha256 mismatch or
parse error leaves the old schemas as they were. Then the generated entries are swapped in by
renames (old ones moved aside first, restored if a rename fails). `dest/sources.yaml` and any
file that is not a generated entry are never touched.

Example:
    >>> report = sync_schemas(load_sources(root), root / "schemas", mirror=Path("../shared/upstream"))
    >>> report.schema_count
    81
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import socket
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleetgen.errors import SchemaSyncError
from fleetgen.schemas.catalog import BUILTIN_CORE, RAW_URL_TEMPLATE, CoreSchemas, UpstreamFile, schema_relpath
from fleetgen.schemas.convert import CONVERTER_VERSION, ConversionError, crd_to_json_schemas

log = logging.getLogger(__name__)

INDEX_FILE = "index.json"
INDEX_API_VERSION = "fleetgen.dev/v1alpha1"
INDEX_KIND = "SchemaIndex"
#: Largest upstream file accepted (the biggest pinned CRD file is ~2 MB).
MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024
_STAGING_PREFIX = ".sync-"
#: Helm template actions (`{{ ... }}`); a chart template with these cannot be read as plain YAML.
_HELM_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)
_HELM_COMMENT_LINE = re.compile(r"^\s*\{\{-?\s*/\*.*?\*/\s*-?\}\}\s*$", re.M | re.S)


@dataclass(frozen=True)
class BundleReport:
    """What one upstream release contributed.

    Attributes:
        label: what users read, e.g. `kubernetes-sigs/cluster-api v1.12.11`, or for the core kinds
            `core kinds, Kubernetes 1.33 (kubernetes-validate 1.37.0)`.
        org: GitHub organisation (`kubernetes` for the core kinds).
        repo: repository (`kubernetes-validate` for the core kinds).
        version: tag, or `v1.33` for the core kinds.
        file_count: upstream files read.
        schema_count: JSON schema files written.
    """

    label: str
    org: str
    repo: str
    version: str
    file_count: int
    schema_count: int


@dataclass(frozen=True)
class SyncReport:
    """The result of a sync.

    Attributes:
        dest: the directory written.
        bundles: one BundleReport per upstream release in source order, then the core kinds.
        schema_count: JSON schema files written in total.
        source_count: upstream releases (org/repo/version) synced, core kinds not counted.
        file_count: upstream files read.
        elapsed_s: wall time of the sync, seconds.
    """

    dest: Path
    bundles: tuple[BundleReport, ...]
    schema_count: int
    source_count: int
    file_count: int
    elapsed_s: float


def sources_digest(sources: Sequence[UpstreamFile], core: CoreSchemas = BUILTIN_CORE) -> str:
    """sha256 over the pinned sources, the core-kind settings and the converter version.

    Args:
        sources: the pinned files, in any order.
        core: the core-kind settings.

    Returns:
        64 hex digits; equal for equal inputs whatever their order.
    """
    payload = {
        "converter": CONVERTER_VERSION,
        "sources": sorted(f.key + "@" + f.sha256 for f in sources),
        "core": {
            "kubernetesVersion": core.kubernetes_version,
            "kinds": sorted("/".join(k) for k in core.kinds),
        },
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def read_index(dest: Path) -> dict[str, Any] | None:
    """The `index.json` of a synced schema directory, or None if absent or unreadable."""
    try:
        data = json.loads((dest / INDEX_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("kind") == INDEX_KIND else None


def is_stale(sources: Sequence[UpstreamFile], dest: Path, core: CoreSchemas = BUILTIN_CORE) -> bool:
    """Whether `dest` was not synced from exactly these sources (or never synced).

    Args:
        sources: the pinned files (`load_sources`).
        dest: the synced schema directory (`registry.default_schema_dir`).
        core: the core-kind settings (`load_core_schemas`).

    Returns:
        True when `dest/index.json` is missing or its `sourcesDigest` differs.
    """
    index = read_index(dest)
    return index is None or index.get("sourcesDigest") != sources_digest(sources, core)


def _fetch(f: UpstreamFile, mirror: Path | None, timeout_s: float, attempts: int, url_template: str) -> bytes:
    """Read one pinned file from the mirror, or download it (bounded retries on transient errors)."""
    if mirror is not None:
        path = f.mirror_path(mirror)
        try:
            return path.read_bytes()
        except FileNotFoundError as err:
            raise SchemaSyncError(f"{f.key}: not in the mirror (expected {path})", path=f.key) from err
        except OSError as err:
            raise SchemaSyncError(f"{f.key}: cannot read {path}: {err.strerror}", path=f.key) from err
    url = url_template.format(org=f.org, repo=f.repo, version=f.version, path=f.path)
    last = ""
    for attempt in range(1, attempts + 1):
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "fleetgen-schemas-sync"})
            with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 (https URL from the catalog)
                data: bytes = response.read(MAX_DOWNLOAD_BYTES + 1)
            if len(data) > MAX_DOWNLOAD_BYTES:
                raise SchemaSyncError(
                    f"{f.key}: larger than {MAX_DOWNLOAD_BYTES} bytes; refusing", path=f.key
                )
            return data
        except urllib.error.HTTPError as err:
            last = f"HTTP {err.code} {err.reason}"
            if err.code < 500 and err.code != 429:
                break  # 404 and friends will not get better
        except (urllib.error.URLError, TimeoutError, OSError) as err:
            reason = getattr(err, "reason", err)
            last = f"{reason}"
            if isinstance(reason, socket.gaierror):
                break  # the host name does not resolve: offline, retrying will not help
        if attempt < attempts:
            log.info("fetching %s failed (%s); retrying", url, last)
            time.sleep(min(2.0 * attempt, 5.0))
    raise SchemaSyncError(
        f"{f.key}: download failed: {last} ({url}); check the network, or use --mirror DIR", path=f.key
    )


def _is_helm_template(path: str) -> bool:
    """Whether a pinned path is a Helm chart template (`.../templates/...`).

    Only those are checked for `{{ }}`: plain CRD files legitimately contain `{{ }}` in
    descriptions (CAPI's ClusterClass documents Go templates such as `{{ .cluster.name }}`).
    """
    return "/templates/" in "/" + path


def _check_template(f: UpstreamFile, text: str) -> str:
    """Refuse Helm-templated YAML that cannot be read as-is; drop whole-line template comments.

    The Fleet CRDs ship as the Helm chart template `charts/fleet-crd/templates/crds.yaml`. At the
    pinned v0.16.1 it has no `{{ }}` actions, so it is plain YAML. A later chart that adds actions
    (conditionals, values) would need rendering: that is refused rather than guessed.
    """
    stripped = _HELM_COMMENT_LINE.sub("", text)
    match = _HELM_ACTION.search(stripped)
    if match:
        line = stripped.count("\n", 0, match.start()) + 1
        raise SchemaSyncError(
            f"{f.key}:{line}: Helm template action {match.group(0)!r}; fleetgen reads plain CRD YAML only, "
            "so pin a rendered CRD file (for example the release asset) instead",
            path=f.key,
        )
    return stripped


def _parse_crds(f: UpstreamFile, raw: bytes) -> list[dict[str, Any]]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SchemaSyncError(f"{f.key}: not UTF-8 text", path=f.key) from err
    if _is_helm_template(f.path):
        text = _check_template(f, text)
    try:
        docs = [d for d in yaml.load_all(text, Loader=loader) if d is not None]
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise SchemaSyncError(
            f"{f.key}{where}: invalid YAML: {getattr(err, 'problem', None) or err}", path=f.key
        ) from err
    crds = [d for d in docs if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"]
    if not crds:
        raise SchemaSyncError(f"{f.key}: no CustomResourceDefinition in the file", path=f.key)
    return crds


def _dumps(schema: dict[str, Any]) -> bytes:
    return (json.dumps(schema, sort_keys=True, indent=2) + "\n").encode("utf-8")


def _raise_all(problems: Sequence[SchemaSyncError]) -> None:
    """Raise one SchemaSyncError naming every problem, one line each (the first's `path`); none: return."""
    if problems:
        raise SchemaSyncError("\n".join(str(p) for p in problems), path=problems[0].path)


def sync_schemas(
    sources: Sequence[UpstreamFile],
    dest: Path,
    *,
    mirror: Path | None = None,
    core: CoreSchemas = BUILTIN_CORE,
    timeout_s: float = 30.0,
    attempts: int = 3,
    url_template: str = RAW_URL_TEMPLATE,
) -> SyncReport:
    """Fetch the pinned CRDs, verify them, convert them and write the JSON schemas under `dest`.

    Args:
        sources: the pinned files (`catalog.load_sources`), in the order they are reported.
        dest: the schema directory, normally `<repo>/schemas`; created if missing.
        mirror: a local directory laid out `{org}/{repo}/{version}/{path}`; when given, nothing
            is downloaded.
        core: the core Kubernetes kinds to add from kubernetes-validate (`catalog.load_core_schemas`).
        timeout_s: per-request network timeout, seconds.
        attempts: download attempts per file for transient errors (5xx, 429, timeouts); >= 1.
        url_template: download URL with `{org}`, `{repo}`, `{version}`, `{path}` placeholders;
            the default is raw.githubusercontent.com (an HTTP mirror of the same layout also works).

    Returns:
        A SyncReport with one BundleReport per (org, repo, version), then one for the core kinds.

    Raises:
        SchemaSyncError: a file is missing from the mirror or cannot be downloaded, its sha256
            differs from the pinned one (the message names the file, expected and actual; every
            missing file of a mirror, and every mismatch, one per line), it is
            not UTF-8 YAML with at least one CRD, a served version cannot be converted, two sources
            produce the same schema file with different content, or `dest` cannot be written. In
            every case `dest` is left as it was.

    Source:
        STYLE.md §5; DESIGN.md "Pinned upstream versions" (download URL and mirror layout).
    """
    started = time.monotonic()
    if attempts < 1:
        raise ValueError("attempts must be >= 1")
    if mirror is None:
        pool = ThreadPoolExecutor(max_workers=8)
        futures = [pool.submit(_fetch, f, None, timeout_s, attempts, url_template) for f in sources]
        try:
            raws = [future.result() for future in futures]
        finally:  # on the first failure, do not wait for (or retry) the rest
            pool.shutdown(wait=True, cancel_futures=True)
    else:  # a local read is cheap: read every file, so each missing or unreadable one is named
        raws, problems = [], []
        for f in sources:
            try:
                raws.append(_fetch(f, mirror, timeout_s, attempts, url_template))
            except SchemaSyncError as err:
                problems.append(err)
        _raise_all(problems)

    files: dict[str, bytes] = {}  # relpath -> content
    owner: dict[str, str] = {}  # relpath -> source key
    entries: dict[str, dict[str, Any]] = {}
    per_bundle: dict[tuple[str, str, str], list[int]] = {}
    mismatches = []
    for f, raw in zip(sources, raws, strict=True):  # verify everything before converting anything
        actual = hashlib.sha256(raw).hexdigest()
        if actual != f.sha256:
            mismatches.append(SchemaSyncError(
                f"{f.key}: sha256 mismatch: expected {f.sha256}, got {actual}; the upstream file changed "
                "or the mirror is corrupt (update schemas/sources.yaml only after reviewing the change)",
                path=f.key,
            ))
    _raise_all(mismatches)
    for f, raw in zip(sources, raws, strict=True):
        counts = per_bundle.setdefault(f.bundle, [0, 0])
        counts[0] += 1
        for crd in _parse_crds(f, raw):
            try:
                converted = crd_to_json_schemas(crd)
            except ConversionError as err:
                raise SchemaSyncError(f"{f.key}: {err}", path=f.key) from err
            for c in converted:
                rel = schema_relpath(c.api_version, c.kind)
                content = _dumps(c.schema)
                if rel in files and files[rel] != content:
                    raise SchemaSyncError(
                        f"{c.api_version} {c.kind} is defined differently by {owner[rel]} and {f.key}; "
                        "pin one of them (sync the other into a separate --schema-location directory)",
                        path=f.key,
                    )
                if rel not in files:
                    counts[1] += 1
                files[rel] = content
                owner[rel] = f.key
                entries[f"{c.api_version}/{c.kind}"] = {
                    "file": rel,
                    "source": f.key,
                    "storage": c.storage,
                    "deprecated": c.deprecated,
                }

    from fleetgen.schemas.core import load_core_schemas, package_version

    core_schemas = load_core_schemas(core)
    for cs in core_schemas:
        rel = schema_relpath(cs.api_version, cs.kind)
        if rel in files:
            raise SchemaSyncError(
                f"{cs.api_version} {cs.kind} is both a pinned CRD ({owner[rel]}) and a core kind", path=rel
            )
        files[rel] = _dumps(cs.schema)
        owner[rel] = cs.origin
        entries[f"{cs.api_version}/{cs.kind}"] = {"file": rel, "source": cs.origin}

    index = {
        "apiVersion": INDEX_API_VERSION,
        "kind": INDEX_KIND,
        "converterVersion": CONVERTER_VERSION,
        "sourcesDigest": sources_digest(sources, core),
        "sources": [
            {"org": f.org, "repo": f.repo, "version": f.version, "path": f.path, "sha256": f.sha256}
            for f in sources
        ],
        "core": {
            "package": "kubernetes-validate",
            "packageVersion": package_version() if core.kinds else "",
            "kubernetesVersion": core.kubernetes_version,
            "kinds": ["/".join(k) for k in core.kinds],
        },
        "schemas": entries,
    }
    files[INDEX_FILE] = _dumps(index)
    _write_tree(dest, files)

    bundles = [
        BundleReport(f"{o}/{r} {v}", o, r, v, n_files, n_schemas)
        for (o, r, v), (n_files, n_schemas) in per_bundle.items()
    ]
    if core_schemas:
        label = f"core kinds, Kubernetes {core.kubernetes_version} (kubernetes-validate {package_version()})"
        n = len(core_schemas)
        bundles.append(
            BundleReport(label, "kubernetes", "kubernetes-validate", f"v{core.kubernetes_version}", n, n)
        )
    report = SyncReport(
        dest=dest,
        bundles=tuple(bundles),
        schema_count=len(files) - 1,
        source_count=len(per_bundle),
        file_count=len(sources),
        elapsed_s=time.monotonic() - started,
    )
    log.info(
        "synced %d schemas from %d sources into %s in %.2fs",
        report.schema_count,
        report.source_count,
        dest,
        report.elapsed_s,
    )
    return report


def _write_tree(dest: Path, files: dict[str, bytes]) -> None:
    """Write `files` (relpath -> bytes) as the generated tree of `dest`, swapping it in by renames."""
    try:
        dest.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=dest))
    except OSError as err:
        raise SchemaSyncError(f"cannot write {dest}: {err.strerror}", path=dest) from err
    old = staging.with_name(staging.name + "-old")
    try:
        for rel, content in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        # Top-level generated entries: group directories and index.json, new and previously synced.
        new_top = {rel.split("/", 1)[0] for rel in files}
        previous = read_index(dest)
        old_top = set()
        if previous is not None:
            old_top = {
                str(e.get("file", "")).split("/", 1)[0] for e in (previous.get("schemas") or {}).values()
            }
            old_top.add(INDEX_FILE)
        old_top = {name for name in old_top if name and not name.startswith(".") and name != "sources.yaml"}
        old.mkdir()
        moved: list[str] = []
        placed: list[str] = []
        try:
            for name in sorted(old_top | new_top):
                if (dest / name).exists():
                    os.replace(dest / name, old / name)
                    moved.append(name)
            for name in sorted(new_top):
                os.replace(staging / name, dest / name)
                placed.append(name)
        except OSError:
            for name in placed:  # roll back: new entries out, old entries back
                shutil.rmtree(dest / name, ignore_errors=True) if (dest / name).is_dir() else (
                    dest / name
                ).unlink(missing_ok=True)
            for name in moved:
                os.replace(old / name, dest / name)
            raise
    except OSError as err:
        raise SchemaSyncError(f"cannot write {dest}: {err.strerror or err}", path=dest) from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
