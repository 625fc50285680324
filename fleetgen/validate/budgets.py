"""Size budgets of the rendered output: what the API server, etcd, Helm and Fleet refuse to store.

Owns: the size rules over a `RenderResult` (`configmap-size`, `last-applied-size`,
`fleet-bundle-size`) and the size estimates behind them. Must not render, write files, or look at
payload contents beyond their sizes (payload validity is `fleetgen.validate.payload`).

Rules:

* `configmap-size` (error): a rendered `v1 ConfigMap` or `v1 Secret` whose data exceeds 1 MiB
  (1,048,576 bytes). The API server sums the byte length of every `data` value plus the decoded
  length of every `binaryData` value (for a Secret: the decoded `data` values, `stringData` merged
  in) and rejects the object above `MaxSecretSize`. A ClusterResourceSet payload ConfigMap over it can
  never be created; split the addon across more resource files or install it as a Helm chart
  (projectcalico/calico#9517: the 1.6 MB tigera-operator.yaml does not fit).
  Source: https://kubernetes.io/docs/concepts/configuration/configmap/ ("cannot exceed 1 MiB");
  kubernetes/kubernetes `pkg/apis/core/validation/validation.go` `ValidateConfigMap`/`ValidateSecret`.
* `last-applied-size`: a rendered object whose compact JSON exceeds 262,144 bytes cannot be applied
  with client-side `kubectl apply`, which copies the whole object into the
  `kubectl.kubernetes.io/last-applied-configuration` annotation, and all annotations of an object
  are capped at 262,144 bytes ("metadata.annotations: Too long: must have at most 262144 bytes";
  kubernetes/kubectl#712, kubernetes/kubernetes#85840, fluxcd/flux2#1301).
  **Decision:** neither GitOps agent applies client-side. Flux applies with server-side apply (no
  annotation). Fleet deploys each bundle as a Helm release: Helm creates objects and updates them with
  a three-way patch against the manifest stored in its release Secret, with no annotation
  (rancher/fleet@v0.16.1 `internal/helmdeployer/install.go`). The ClusterResourceSet controller,
  which applies the payload objects inside the workload cluster, creates them (ApplyOnce) or JSON
  merge-patches them (Reconcile) (kubernetes-sigs/cluster-api
  `exp/addons/internal/controllers/clusterresourceset_scope.go`). So by default the rule reports
  nothing; pass `client_side_apply=True` (a repository that is also applied by hand with
  `kubectl apply -f fleet/`) to get a warning per object, with the hint to use `--server-side`.
* `fleet-bundle-size` (Fleet agent only; warning above 700 KiB, error above 1 MiB): Fleet turns
  each bundle directory into one `Bundle` object holding every file, and deploys it as one Helm
  release. Two stored objects grow with it, and both are estimated:
  the **Bundle**: its JSON as is, or, once the JSON reaches 1,000,000 bytes, each file
  gzip-compressed and base64-encoded (rancher/fleet `internal/bundlereader/read.go` `size(bundle) < 1000000`,
  `loaddirectory.go` `content.Base64GZ`); it must fit etcd's request limit (~1.5 MiB:
  "etcdserver: request is too large", rancher/fleet#3482, rancher/rancher#43404) and the API
  server's 3 MiB body limit ("Request entity too large: limit is 3145728", rancher/fleet#1650);
  and the **Helm release Secret** (`sh.helm.release.v1.*`): base64 of the gzipped release JSON,
  which holds the chart's files (base64 in JSON) *and* the rendered manifest, so every file counts
  twice, against the Secret limit of 1 MiB ("data: Too long: must have at most 1048576 bytes",
  helm/helm#6711, helm/helm#7126). The larger of the files' gzip size and the release Secret
  estimate is compared with the budget (the release Secret is nearly always the larger: about 0.43x
  the raw YAML for Calico, against 0.12x for plain gzip). Mitigations:
  split bundles, `.fleetignore`, OCI storage for bundles (`GitRepo.spec.ociRegistrySecret`,
  rancher/fleet#2114).

Positions: a ConfigMap/Secret finding points at the spec field that produced its largest data key
(`RenderedObject.spec_position("/data/<key>")`, the addon.yaml `spec.resources[i]` line when the CRS
renderer maps it, else addon.yaml itself); a cluster bundle at the cluster spec's `metadata.name`;
another bundle at the spec field of its largest object. `rendered` names the output file (and the
line where the object's document starts) or the bundle directory.

Example:
    >>> [f.rule_id for f in check_budgets(fleet, render_fleet(fleet))]   # doctest: +SKIP
    ['configmap-size']
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from fleetgen.findings import Finding, ObjectRef, Position, Severity
from fleetgen.render.base import OutputFile, RenderedObject, RenderResult
from fleetgen.sourcemap import escape_token
from fleetgen.spec.load import Fleet

#: ConfigMap/Secret data limit (`MaxSecretSize`, 1 MiB).
CONFIGMAP_MAX_BYTES = 1_048_576
#: Total size of an object's annotations; client-side apply puts the whole object into one.
LAST_APPLIED_MAX_BYTES = 262_144
#: Fleet stores bundle files gzip+base64 once the Bundle's JSON reaches this size.
FLEET_COMPRESS_THRESHOLD_BYTES = 1_000_000
#: Budget of a Fleet bundle's compressed size: warning above, error above the hard limit.
FLEET_BUNDLE_WARN_BYTES = 700 * 1024
FLEET_BUNDLE_ERROR_BYTES = 1_048_576
#: Helm compresses release records with gzip.BestCompression (helm `pkg/storage/driver/util.go`).
_HELM_GZIP_LEVEL = 9
#: Go's compress/gzip default level, as used by Fleet's `content.Base64GZ`.
_FLEET_GZIP_LEVEL = 6
#: Bundle JSON around the resources (metadata, targets, options); small next to any payload.
_BUNDLE_OVERHEAD_BYTES = 1024

RULE_CONFIGMAP = "configmap-size"
RULE_LAST_APPLIED = "last-applied-size"
RULE_FLEET_BUNDLE = "fleet-bundle-size"


def human_bytes(n: int) -> str:
    """Format a size for messages.

    Args:
        n: a size in bytes.

    Returns:
        `"1.10 MiB"` for 1153434, `"700.0 KiB"` for 716800, `"512 B"` for 512.
    """
    if n >= 1_048_576:
        return f"{n / 1_048_576:.2f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} B"


def _compact_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _decoded_len(value: str) -> int:
    """Byte length of a base64 value once decoded (its text length if it is not valid base64)."""
    try:
        return len(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return len(value.encode())


def data_sizes(manifest: dict[str, Any]) -> dict[str, int]:
    """Bytes each data key of a v1 ConfigMap or Secret counts against the 1 MiB limit.

    Args:
        manifest: a `v1 ConfigMap` or `v1 Secret` as plain data.

    Returns:
        JSON pointer of the key (`/data/calico.yaml`, `/binaryData/x`, `/stringData/y`) -> bytes:
        UTF-8 length for ConfigMap `data` and Secret `stringData`, decoded length for `binaryData` and
        Secret `data`. A Secret key in both `data` and `stringData` counts once (stringData wins).
        Empty for other kinds.

    Units:
        bytes.

    Source:
        kubernetes/kubernetes `pkg/apis/core/validation/validation.go` (`ValidateConfigMap`, `ValidateSecret`).
    """
    if manifest.get("apiVersion") != "v1" or manifest.get("kind") not in ("ConfigMap", "Secret"):
        return {}
    out: dict[str, int] = {}
    secret = manifest["kind"] == "Secret"
    raw_string_data = manifest.get("stringData") if secret else None
    string_data: dict[str, Any] = raw_string_data if isinstance(raw_string_data, dict) else {}
    for field in ("data", "binaryData", "stringData"):
        values = manifest.get(field)
        if not isinstance(values, dict) or (field == "stringData" and not secret):
            continue
        for key, value in values.items():
            if field == "data" and secret and key in string_data:
                continue
            text = value if isinstance(value, str) else json.dumps(value)
            encoded = field == "binaryData" or (field == "data" and secret)
            out[f"/{field}/{escape_token(key)}"] = _decoded_len(text) if encoded else len(text.encode())
    return out


def _document_lines(file: OutputFile) -> list[int]:
    """1-based start line of each object's document in a rendered file (1s when unknown)."""
    n = len(file.objects)
    if not n:
        return []
    lines = file.content.decode("utf-8", "replace").split("\n")
    starts = [i + 1 for i, line in enumerate(lines) if line == "---" or line.startswith("--- ")]
    if len(starts) == n:
        return [s + 1 for s in starts]
    if len(starts) == n - 1 and lines and not lines[0].startswith("---"):
        return [1] + [s + 1 for s in starts]
    return [1] * n


def _rendered_path(fleet: Fleet, path: str) -> str:
    return str(PurePosixPath(fleet.config.output_dir) / path)


def _largest_data_pointer(obj: RenderedObject) -> str:
    sizes = data_sizes(obj.manifest)
    return max(sizes, key=lambda p: (sizes[p], p)) if sizes else ""


def _check_configmaps(fleet: Fleet, rendered: RenderResult) -> list[Finding]:
    out = []
    for file in rendered.files:
        for index, obj in enumerate(file.objects):
            sizes = data_sizes(obj.manifest)
            total = sum(sizes.values())
            if total <= CONFIGMAP_MAX_BYTES:
                continue
            pointer = _largest_data_pointer(obj)
            ref = obj.ref
            out.append(Finding(
                RULE_CONFIGMAP, Severity.ERROR,
                f"{ref.kind} {ref.namespace + '/' if ref.namespace else ''}{ref.name}: data holds "
                f"{human_bytes(total)} ({total:,} bytes), over the 1 MiB ({CONFIGMAP_MAX_BYTES:,} bytes) limit of a "
                f"{ref.kind}; the API server rejects it",
                obj.spec_position(pointer), pointer=pointer, object=ref,
                rendered=Position(_rendered_path(fleet, file.path), _document_lines(file)[index], 1),
                hint="split the addon into more resource files (each becomes its own ConfigMap), or install "
                     "an addon this large as a Helm chart (Fleet HelmOp, CAAPH HelmChartProxy) instead of a ClusterResourceSet"))
    return out


def _check_last_applied(fleet: Fleet, rendered: RenderResult) -> list[Finding]:
    out = []
    for file in rendered.files:
        for index, obj in enumerate(file.objects):
            size = len(_compact_json(obj.manifest))
            if size <= LAST_APPLIED_MAX_BYTES:
                continue
            pointer = _largest_data_pointer(obj)
            ref = obj.ref
            out.append(Finding(
                RULE_LAST_APPLIED, Severity.WARNING,
                f"{ref.kind} {ref.namespace + '/' if ref.namespace else ''}{ref.name}: {human_bytes(size)} as JSON, over "
                f"the {LAST_APPLIED_MAX_BYTES:,}-byte annotation limit that client-side `kubectl apply` hits "
                "(last-applied-configuration)",
                obj.spec_position(pointer), pointer=pointer, object=ref,
                rendered=Position(_rendered_path(fleet, file.path), _document_lines(file)[index], 1),
                hint="apply this repository with `kubectl apply --server-side` (or let the GitOps agent apply it)"))
    return out


@dataclass(frozen=True)
class BundleEstimate:
    """Estimated stored sizes of one Fleet bundle directory.

    Attributes:
        path: the bundle directory, relative to the output directory (`clusters/clusters/kv-demo`).
        files: its files, sorted by path.
        json_bytes: the Bundle's JSON with the files inline (uncompressed).
        bundle_bytes: the Bundle as Fleet stores it: `json_bytes` below 1,000,000, else with every file
            gzip+base64 encoded.
        gzip_bytes: the sum of the files' gzip sizes (what "compressed" means for the Bundle).
        helm_release_bytes: the Helm release Secret's data: base64(gzip(release JSON)), the release
            holding every file twice (chart files, base64 in JSON, and the rendered manifest).
    """

    path: str
    files: tuple[OutputFile, ...]
    json_bytes: int
    bundle_bytes: int
    gzip_bytes: int
    helm_release_bytes: int

    @property
    def compressed_bytes(self) -> int:
        """The size compared with the budget: the larger of the gzipped files and the Helm release Secret."""
        return max(self.gzip_bytes, self.helm_release_bytes)


#: Upper bound of (stored size / raw size) for a bundle: the Helm release holds every file twice
#: (base64 chart files, 4/3, plus the manifest), gzip can expand incompressible data slightly, and
#: the result is base64'd again (4/3): (4/3 + 1) * 1.01 * 4/3 < 3.2.
_MAX_EXPANSION = 3.2


def estimate_fleet_bundle(path: str, files: Iterable[OutputFile]) -> BundleEstimate:
    """Estimate the stored sizes of one Fleet bundle.

    Args:
        path: the bundle directory, relative to the output directory.
        files: every file of the bundle directory (paths relative to the output directory).

    Returns:
        A BundleEstimate. Compression is Python's zlib at the levels Fleet (6) and Helm (9) use, so
        the numbers are estimates within a few percent of Go's.

    Units:
        bytes.

    Source:
        rancher/fleet v0.16.1 `internal/bundlereader/read.go` (compress at >= 1,000,000 bytes),
        `internal/bundlereader/loaddirectory.go` (`content.Base64GZ`, encoding `base64+gz`);
        helm/helm v3 `pkg/storage/driver/util.go` (`encodeRelease`: JSON, gzip BestCompression, base64).
    """
    ordered = tuple(sorted(files, key=lambda f: f.path))
    json_bytes = _BUNDLE_OVERHEAD_BYTES
    compressed_bundle = _BUNDLE_OVERHEAD_BYTES
    gzip_bytes = 0
    chart_files = []
    for f in ordered:
        name = f.path[len(path) + 1:] if f.path.startswith(path + "/") else f.path
        text = f.content.decode("utf-8", "replace")
        json_bytes += len(_compact_json({"name": name, "content": text})) + 1
        gz = len(gzip.compress(f.content, compresslevel=_FLEET_GZIP_LEVEL, mtime=0))
        gzip_bytes += gz
        compressed_bundle += len(_compact_json({"name": name, "encoding": "base64+gz"})) + 4 * ((gz + 2) // 3) + 14
        chart_files.append({"name": name, "data": base64.b64encode(f.content).decode()})
    manifest = "\n---\n".join(f.content.decode("utf-8", "replace") for f in ordered if f.objects)
    release = _compact_json({"name": PurePosixPath(path).name, "chart": {"files": chart_files}, "manifest": manifest})
    helm_release_bytes = 4 * ((len(gzip.compress(release, compresslevel=_HELM_GZIP_LEVEL, mtime=0)) + 2) // 3)
    bundle_bytes = json_bytes if json_bytes < FLEET_COMPRESS_THRESHOLD_BYTES else compressed_bundle
    return BundleEstimate(path, ordered, json_bytes, bundle_bytes, gzip_bytes, helm_release_bytes)


def _parent(path: str) -> str:
    """The parent directory of a relative posix path, "." at the top (as `PurePosixPath.parent`)."""
    head, slash, _ = path.rpartition("/")
    return head if slash and head else "."


def fleet_bundle_dirs(rendered: RenderResult) -> dict[str, list[OutputFile]]:
    """Group the output files by the Fleet bundle they end up in.

    A directory holding a `fleet.yaml` is a bundle (its files and subdirectories without their own
    fleet.yaml belong to it, as in Fleet). Files outside any such directory fall back to the output
    layout: `clusters/<ns>/<cluster>/` and `addons/<ns>/<addon>/` are one bundle each; any other file
    belongs to its parent directory.

    Returns:
        Bundle directory (relative to the output directory; "" for the root) -> its files, sorted.
    """
    roots = {_parent(f.path) for f in rendered.files if f.path.rpartition("/")[2] in ("fleet.yaml", "fleet.yml")}
    groups: dict[str, list[OutputFile]] = {}
    for f in rendered.files:
        # the deepest directory holding a fleet.yaml (walk up the parents: O(depth), not O(roots))
        home = None
        d = f.path
        while d != ".":
            d = _parent(d)
            if d in roots:
                home = d
                break
        if home is None:
            parts = f.path.split("/")
            home = "/".join(parts[:3]) if len(parts) >= 4 and parts[0] in ("clusters", "addons") else _parent(f.path)
        groups.setdefault("" if home == "." else home, []).append(f)
    return {k: sorted(v, key=lambda f: f.path) for k, v in sorted(groups.items())}


def _bundle_position(fleet: Fleet, estimate: BundleEstimate) -> tuple[Position, str, ObjectRef | None]:
    objects = [o for f in estimate.files for o in f.objects]
    names = {(o.ref.namespace, o.cluster) for o in objects if o.cluster}
    if len(names) == 1:
        namespace, name = next(iter(names))
        for cluster in fleet.clusters:
            if (cluster.namespace, cluster.name) == (namespace, name):
                return cluster.source.lookup("/metadata/name"), "/metadata/name", None
    if objects:
        biggest = max(objects, key=lambda o: len(_compact_json(o.manifest)))
        pointer = _largest_data_pointer(biggest)
        return biggest.spec_position(pointer), pointer, biggest.ref
    return Position(_rendered_path(fleet, estimate.path)), "", None


def _check_fleet_bundles(fleet: Fleet, rendered: RenderResult) -> list[Finding]:
    out = []
    for path, files in fleet_bundle_dirs(rendered).items():
        if sum(len(f.content) for f in files) * _MAX_EXPANSION + 4096 <= FLEET_BUNDLE_WARN_BYTES:
            continue  # even fully incompressible, its stored forms stay under the warning budget
        est = estimate_fleet_bundle(path, files)
        size = est.compressed_bytes
        if size <= FLEET_BUNDLE_WARN_BYTES:
            continue
        severity = Severity.ERROR if size > FLEET_BUNDLE_ERROR_BYTES else Severity.WARNING
        limit = "over the 1 MiB limit" if severity is Severity.ERROR else "over the 700 KiB budget (limit 1 MiB)"
        position, pointer, ref = _bundle_position(fleet, est)
        out.append(Finding(
            RULE_FLEET_BUNDLE, severity,
            f"Fleet bundle {_rendered_path(fleet, path)}/ ({len(est.files)} files, {human_bytes(est.json_bytes)} as JSON) "
            f"would be stored in objects of up to about {human_bytes(size)}, {limit}: its Helm release Secret "
            f"(every file twice, gzip + base64) about {human_bytes(est.helm_release_bytes)}, the Bundle about "
            f"{human_bytes(est.bundle_bytes)}",
            position, pointer=pointer, object=ref, rendered=Position(_rendered_path(fleet, path)),
            hint="move large addons out of this bundle (fewer clusters per namespace, or a Helm chart via Fleet "
                 "HelmOp), or store bundles in OCI (GitRepo.spec.ociRegistrySecret); see rancher/fleet#1650, #3482"))
    return out


def check_budgets(fleet: Fleet, rendered: RenderResult, *, client_side_apply: bool = False) -> list[Finding]:
    """Check every size budget of the rendered output.

    Args:
        fleet: the loaded fleet (GitOps agent, output directory, cluster spec positions).
        rendered: the render result; its files' paths are relative to the output directory.
        client_side_apply: True if the output is (also) applied with client-side `kubectl apply`;
            only then is `last-applied-size` reported (see the module docstring for why).

    Returns:
        Findings sorted by position: `configmap-size` errors (any agent), `last-applied-size`
        warnings (only with `client_side_apply`), and `fleet-bundle-size` warnings/errors (only when
        `gitops.agent` is `fleet`).

    Source:
        https://kubernetes.io/docs/concepts/configuration/configmap/; kubernetes/kubectl#712;
        rancher/fleet#1650, rancher/fleet#3482; helm/helm#6711.
    """
    findings = _check_configmaps(fleet, rendered)
    if client_side_apply:
        findings.extend(_check_last_applied(fleet, rendered))
    if fleet.config.gitops.agent == "fleet":
        findings.extend(_check_fleet_bundles(fleet, rendered))
    return sorted(findings, key=Finding.sort_key)
