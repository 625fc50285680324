"""The whole-run cache: what the last clean run over exactly these inputs found and wrote.

Owns: the key of a whole run (`run_key`: every per-cluster key of `fleetgen.cache` plus the
bytes of every addon file), the `RunSummary` stored under it (findings, counts, the path and
sha256 of every output file) and `lookup`, which answers `validate` and `render` over unchanged
inputs from one entry, before anything is parsed: no spec model, YAML parser, renderer or schema
is loaded. Must not render or validate; never raises for a missing or corrupt cache (a miss).

`fleetgen.pipeline` stores the summary when a run without a base ref ends without errors (with
the per-cluster entries, in the same `Cache.commit`). A run whose inputs include a symlink (a
spec file, or anything inside an addon folder) has no run key: what a link points at is part of
its result, so such a run always takes the per-cluster path.

The summary is the run's result, not the output directory's state: `render` still compares the
files on disk with the stored digests (`fleetgen.render.write.tree_matches`) and renders for
real when anything differs, so a hand-edited or deleted output file is always noticed.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fleetgen.findings import CheckResult
from fleetgen.readfile import NotRegularFileError, read_regular

_TAG = "run-summary-1"


@dataclass(frozen=True)
class RunSummary:
    """What a clean run without a base ref produced, as `validate` and `render` report it.

    Attributes:
        result: every finding of the run (warnings and infos: a run with errors is not stored)
            and the counts of objects and files checked.
        output_dir: the output directory, relative to the repository root (fleetgen.yaml's).
        clusters: how many cluster specs the fleet has.
        addons: how many addons.
        files: every output file: path relative to `output_dir` -> sha256 of its bytes (32 bytes).
    """

    result: CheckResult
    output_dir: str
    clusters: int
    addons: int
    files: dict[str, bytes] = field(default_factory=dict)


def addon_files_digest(root: Path, addon_dirs: Sequence[Path]) -> bytes | None:
    """sha256 over the path and bytes of every file inside the addon folders, in path order.

    Returns:
        32 bytes; None when an addon folder or anything inside it is a symlink, or a file
        cannot be read (no run key then).
    """
    h = hashlib.sha256()
    for addon_dir in addon_dirs:
        if os.path.islink(addon_dir):
            return None
        for dirpath, dirnames, filenames in os.walk(addon_dir):
            dirnames.sort()
            for name in (*dirnames, *filenames):
                if os.path.islink(os.path.join(dirpath, name)):
                    return None
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                try:
                    data = read_regular(path)
                except NotRegularFileError:  # (a FIFO or socket no addon lists: not an input)
                    data = b"\0not a regular file"
                except OSError:
                    return None
                rel = os.path.relpath(path, root).encode("utf-8", "surrogateescape")
                h.update(len(rel).to_bytes(8, "little") + rel + len(data).to_bytes(8, "little"))
                h.update(data)
    return h.digest()


def run_key(*, code: str, schemas: str, config: bytes, spec_keys: Sequence[str | None],
            addons: bytes | None, git_placement: str | None = None) -> str | None:
    """The key of a whole run without a base ref.

    Args:
        code: `fleetgen.cache.code_fingerprint()`.
        schemas: `fleetgen.cache.schemas_fingerprint(...)` of the schema directories in use.
        config: the bytes of fleetgen.yaml.
        git_placement: `fleetgen.spec.discover.git_placement_key(...)`: the fleet's folder in its git
            repository and the repository's remotes (`gitops-repo-path` reads them), None outside git.
        spec_keys: `fleetgen.cache.spec_keys(...)` of every spec file, in discovery order (each
            covers the file's path and bytes).
        addons: `addon_files_digest(...)`.

    Returns:
        64 hex digits; None when a spec key or the addon digest is None.
    """
    from fleetgen.cache import content_key

    if addons is None or any(k is None for k in spec_keys):
        return None
    where = "outside git" if git_placement is None else f"git placement {git_placement}"
    return content_key("run", code, schemas, config, where, addons, *(k for k in spec_keys if k is not None))


def encode_summary(summary: RunSummary) -> bytes:
    """The bytes of a summary (see `decode_summary`)."""
    from fleetgen.cache import encode_findings

    result = summary.result
    return marshal.dumps((_TAG, encode_findings([result.findings]), result.objects_checked, result.files_checked,
                          summary.output_dir, summary.clusters, summary.addons, tuple(summary.files.items())), 4)


def decode_summary(data: bytes | memoryview) -> RunSummary:
    """A summary from `encode_summary` bytes.

    Raises:
        Exception: any error of malformed data (callers treat it as a miss).
    """
    from fleetgen.cache import decode_findings

    tag, findings, objects_checked, files_checked, output_dir, clusters, addons, files = marshal.loads(data)
    if tag != _TAG:
        raise ValueError(f"not a run summary: {tag!r}")
    (found,), _ = decode_findings(findings)
    result = CheckResult(list(found), objects_checked, files_checked)
    return RunSummary(result, output_dir, clusters, addons, dict(files))


def output_digests(files: Sequence[tuple[str, bytes]]) -> dict[str, bytes]:
    """path -> sha256 of the bytes, for `RunSummary.files`."""
    return {path: hashlib.sha256(content).digest() for path, content in files}


@dataclass(frozen=True)
class RunInputs:
    """The inputs of a run without a base ref, as bytes and keys (nothing parsed), read once.

    `lookup` answers from them; `fleetgen.pipeline.run_pipeline(..., inputs=...)` reuses them
    on a miss instead of reading and hashing every spec file again.

    Attributes:
        config: the bytes of fleetgen.yaml.
        paths: the spec files, as `fleetgen.spec.discover.discover_cluster_files` lists them.
        code: `fleetgen.cache.code_fingerprint()`.
        schemas: `fleetgen.cache.schemas_fingerprint(...)` of the schema directories searched.
        spec_keys: `fleetgen.cache.spec_keys(...)`, one per path.
        key: `run_key(...)`, None when the run has no key (a symlinked input).
    """

    config: bytes
    paths: list[Path]
    code: str
    schemas: str
    spec_keys: list[str | None]
    key: str | None


def read_inputs(root: Path, schema_locations: Sequence[Path] = ()) -> RunInputs | None:
    """Read and hash the inputs of a run at `root` (fleetgen.yaml, specs, addon folders, schemas).

    Args:
        root: the fleet repository root.
        schema_locations: the `--schema-location` directories, as `fleetgen.pipeline.run_pipeline`
            gets them.

    Returns:
        The inputs; None when fleetgen.yaml cannot be read (the pipeline reports that).
    """
    from fleetgen.cache import code_fingerprint, schemas_fingerprint, spec_keys
    from fleetgen.spec.discover import (
        CONFIG_FILE,
        SCHEMAS_DIR,
        discover_addon_dirs,
        discover_cluster_files,
        git_placement_key,
    )

    try:
        config = read_regular(root / CONFIG_FILE)
    except OSError:
        return None
    locations = [Path(p) for p in schema_locations] + [root / SCHEMAS_DIR]  # as `fleetgen.pipeline` searches them
    code = code_fingerprint()
    schemas = schemas_fingerprint(locations)
    paths = discover_cluster_files(root)
    keys = spec_keys(root, paths, code=code, schemas=schemas, config=config)
    key = run_key(code=code, schemas=schemas, config=config, spec_keys=keys,
                  addons=addon_files_digest(root, discover_addon_dirs(root)), git_placement=git_placement_key(root))
    return RunInputs(config, paths, code, schemas, keys, key)


def lookup(root: Path, schema_locations: Sequence[Path] = (), *, inputs: RunInputs | None = None) -> RunSummary | None:
    """The summary of the last clean run over exactly the inputs now at `root`, if stored.

    Args:
        root: the fleet repository root.
        schema_locations: the `--schema-location` directories (ignored when `inputs` is given).
        inputs: `read_inputs(root, schema_locations)`, when the caller already has them.

    Returns:
        The stored summary, or None (no such run, a symlinked input, an unreadable or corrupt cache).
    """
    from fleetgen.cache import Cache

    if inputs is None:
        inputs = read_inputs(root, schema_locations)
    if inputs is None or inputs.key is None:
        return None
    payload = Cache(root).get(inputs.key)
    if payload is None:
        return None
    try:
        return decode_summary(payload)
    except Exception:  # noqa: BLE001 - a corrupt or foreign entry is a miss
        return None
