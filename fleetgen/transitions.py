"""Transition checks against a git base ref, run only on what changed since it.

Owns: `transition_findings`, what `validate --base REF` adds to a run without a base: the
`transition`-scope policy rules (immutable templates and fields, +1 minor upgrades, CRS strategy
and selector, IP pools) and the CRDs' CEL rules that read `oldSelf`. Must not print or write
anything but its temporary directory.

Why it can skip most of the fleet: both kinds of check report only objects whose manifest differs
between the base revision and the working tree. The policy rules compare through
`fleetgen.policy.objects.transitions`, which skips equal manifests; an `oldSelf` rule on an equal
object compares a value with itself (the pinned CRDs' are all `self == oldSelf`), and the API
server's validation ratcheting does not fail unchanged fields either. A spec file whose bytes are
the same at the base, under the same fleetgen.yaml, renders the same objects (rendering depends on
nothing else), so only the specs that differ are read from git, loaded and rendered, on both
sides; the rest of the tree (namespaces, addons, the agent's files) is assembled on both sides
from every cluster. The whole pipeline (`fleetgen.pipeline._run_whole`) gives the same findings,
slower; it is used when this cannot be sure (see `transition_findings`).

Example:
    >>> outcome = run_pipeline(root)                                    # doctest: +SKIP
    >>> outcome.result.extend(transition_findings(root, "origin/main", outcome, registry))  # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from fleetgen.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from fleetgen.findings import Finding
    from fleetgen.pipeline import PipelineOutcome
    from fleetgen.render.base import OutputFile, RenderResult
    from fleetgen.schemas.registry import SchemaRegistry
    from fleetgen.spec.load import Fleet, LoadedCluster

#: A regular file in a git tree (a spec compared by its blob id).
_REGULAR_MODES = (0o100644, 0o100755)
#: Outside `clusters/`, what loading a revision reads (see `fleetgen.vcs.repo.FLEET_SOURCE_PATHS`).
_OTHER_SOURCES = ("fleetgen.yaml", "crs", "schemas/sources.yaml")
_OPTIONAL_OLD_SELF = re.compile(rb'"optionalOldSelf"\s*:\s*true')


def config_changed(root: Path, ref: str) -> bool:
    """True if fleetgen.yaml at git `ref` differs from the working tree's (or is missing there).

    Then every cluster may render differently, nothing can be skipped, and the whole pipeline
    (one render of each revision) is the faster way to the same findings.

    Raises:
        VcsError: not a git repository, or `ref` does not exist.
    """
    from fleetgen.vcs.repo import open_repo

    with open_repo(root) as repo:
        sha = repo.resolve(ref)
        committed = repo.read_file(sha, "fleetgen.yaml") if sha is not None else None
    if committed is None:
        return False
    try:
        return committed != (root / "fleetgen.yaml").read_bytes()
    except OSError:
        return True  # (the whole pipeline reports the missing or unreadable fleetgen.yaml)


class _NoBase(Exception):
    """The base revision has no fleet, or its fleet does not load: nothing to compare against."""


def transition_findings(root: Path, ref: str, outcome: PipelineOutcome,
                        registry: SchemaRegistry) -> list[Finding] | None:
    """The transition findings of the working tree against git `ref`.

    Args:
        root: the fleet repository root.
        ref: any git revision (`HEAD`, `origin/main`, a sha).
        outcome: the run without a base on the working tree (`run_pipeline(root)`), whose specs
            loaded and rendered (`outcome.rendered` is set).
        registry: synced schemas (for the CEL rules).

    Returns:
        The findings, unsorted (`CheckResult` sorts them); [] when `ref` has no fleetgen.yaml or
        its fleet does not load (as on create: `fleetgen.pipeline.base_context` is None); None
        when only the whole pipeline gives the exact answer: symbolic links under clusters/ (at
        `ref` or in the working tree), or a schema with `optionalOldSelf` rules (which also run,
        differently, without an old object).

    Raises:
        VcsError: not a git repository, or `ref` does not exist.
    """
    from fleetgen.policy import RULES, rule_scope, run_rules
    from fleetgen.policy.base import PolicyContext
    from fleetgen.spec.discover import CLUSTERS_DIR
    from fleetgen.vcs.repo import blob_sha, open_repo

    assert outcome.rendered is not None
    if _has_optional_old_self(registry):
        return None
    current = outcome.fleet
    config_bytes = (root / "fleetgen.yaml").read_bytes()
    tmp = Path(tempfile.mkdtemp(prefix="fleetgen-base-"))
    try:
        base_root = tmp / "fleet"
        base_root.mkdir()
        with open_repo(root) as repo:
            sha = repo.resolve(ref)
            committed_config = repo.read_file(sha, "fleetgen.yaml") if sha is not None else None
            if sha is None or committed_config is None:
                return []
            same_config = committed_config == config_bytes
            base_blobs = repo.tree_blobs(sha, CLUSTERS_DIR)
            if any(mode not in _REGULAR_MODES for mode, _ in base_blobs.values()):
                return None
            unchanged: dict[str, LoadedCluster] = {}
            through_link = _link_finder(root)
            for cluster in current.clusters:
                path = root / cluster.path
                if through_link(cluster.path):
                    return None  # reached through a symbolic link
                blob = base_blobs.get(cluster.path)
                if same_config and blob is not None and blob[1] == blob_sha(path.read_bytes()):
                    unchanged[cluster.path] = cluster
            changed_at_base = [rel for rel in base_blobs if rel not in unchanged]
            repo.materialize(sha, base_root, [*_OTHER_SOURCES, *changed_at_base])
        try:
            base_fleet, base_files = _load_base(base_root, unchanged, outcome.rendered.files)
        except _NoBase:
            return []
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    from fleetgen.render import assemble_fleet, render_cluster_files

    base_rendered = assemble_fleet(base_fleet, [(c, base_files[c.path]) for c in base_fleet.clusters])
    current_files = {c.path: render_cluster_files(c, current.config, current.config_source)
                     for c in current.clusters if c.path not in unchanged}
    now = _part(outcome.rendered, current_files.values())
    then = _part(base_rendered, [base_files[c.path] for c in base_fleet.clusters if c.path not in unchanged])
    findings = run_rules(PolicyContext(current, now, PolicyContext(base_fleet, then)),
                         [r for r in RULES if rule_scope(r) == "transition"])
    findings.extend(_cel_transitions(now, then, registry, current.config.output_dir))
    return findings


def _link_finder(root: Path) -> Callable[[str], bool]:
    """A test of whether a path relative to `root` (posix) is, or lies under, a symbolic link; the
    folders' answers are remembered (a fleet's specs share a few folders)."""
    base = os.fspath(root)
    folders: dict[str, bool] = {}

    def through_link(rel: str) -> bool:
        parts = rel.split("/")
        for i in range(1, len(parts)):
            folder = "/".join(parts[:i])
            if folder not in folders:
                folders[folder] = os.path.islink(os.path.join(base, folder))
            if folders[folder]:
                return True
        return os.path.islink(os.path.join(base, rel))

    return through_link


def _load_base(base_root: Path, unchanged: dict[str, LoadedCluster],
               current_files: tuple[OutputFile, ...]) -> tuple[Fleet, dict[str, tuple[OutputFile, ...]]]:
    """The base fleet: the unchanged clusters as loaded now, the other specs and every addon as
    committed; and each cluster's bundle files (the unchanged ones' from the working tree's run).

    Raises:
        _NoBase: the base has no fleetgen.yaml, or a spec or addon there does not load.
    """
    from fleetgen.errors import RenderError
    from fleetgen.findings import Severity
    from fleetgen.render import render_cluster_files
    from fleetgen.render.layout import cluster_key
    from fleetgen.spec.discover import ADDON_FILE, discover_addon_dirs, discover_cluster_files
    from fleetgen.spec.load import Fleet, _duplicate_names, load_addon, load_cluster, load_config

    def fails(problems: list[Finding]) -> bool:
        return any(p.severity is Severity.ERROR for p in problems)

    try:
        config, config_source = load_config(base_root)
    except ConfigError as err:
        raise _NoBase from err
    clusters = list(unchanged.values())
    files: dict[str, tuple[OutputFile, ...]] = {}
    for path in discover_cluster_files(base_root):
        loaded, problems = load_cluster(base_root, path, config, config_source)
        if loaded is None or fails(problems):
            raise _NoBase
        clusters.append(loaded)
        try:
            files[loaded.path] = render_cluster_files(loaded, config, config_source)
        except RenderError as err:
            raise _NoBase from err
    if fails(_duplicate_names(clusters)):
        raise _NoBase
    addons = []
    for addon_dir in discover_addon_dirs(base_root):
        if not (addon_dir / ADDON_FILE).exists():
            continue  # not an addon at the base revision (reported there, not here)
        addon, problems = load_addon(base_root, addon_dir)
        if addon is None or fails(problems):
            raise _NoBase
        addons.append(addon)
    by_cluster: dict[tuple[str, str], list[OutputFile]] = {}
    for f in current_files:
        key = cluster_key(f.path)
        if key is not None:
            by_cluster.setdefault(key, []).append(f)
    for cluster in unchanged.values():
        files[cluster.path] = tuple(by_cluster.get((cluster.namespace, cluster.name), ()))
    clusters.sort(key=lambda c: (c.namespace, c.name, c.path))
    addons.sort(key=lambda a: a.name)
    return Fleet(base_root, config, config_source, tuple(clusters), tuple(addons)), files


def _part(rendered: RenderResult, cluster_files: Iterable[Sequence[OutputFile]]) -> RenderResult:
    """The changed clusters' bundle files (every object) and every file outside the bundles."""
    from fleetgen.render.base import RenderResult
    from fleetgen.validate.engine import rest_of

    files = [f for group in cluster_files for f in group]
    files.extend(rest_of(rendered).files)
    return RenderResult(tuple(sorted(files, key=lambda f: f.path)), rendered.clusters)


def _cel_transitions(now: RenderResult, then: RenderResult, registry: SchemaRegistry,
                     output_dir: str) -> list[Finding]:
    """The `oldSelf` CEL rules of every object that exists in both parts with another manifest."""
    from fleetgen.findings import Position
    from fleetgen.policy.objects import identity
    from fleetgen.validate.cel import check_cel

    old = {identity(o): o.manifest for _, o in then.objects()}
    findings: list[Finding] = []
    for out_file, obj in now.objects():
        before = old.get(identity(obj))
        if before is None or before == obj.manifest:
            continue
        schema = registry.schema_for(obj.ref.api_version, obj.ref.kind)
        if schema is None:
            continue
        where = Position(f"{output_dir}/{out_file.path}")
        for f in check_cel(obj, schema, old=before, transition_only=True):
            findings.append(f if f.rendered else f.replace(rendered=where))
    return findings


def _has_optional_old_self(registry: SchemaRegistry) -> bool:
    """True if a schema of the registry has a rule with `optionalOldSelf: true` (none of the
    pinned CRDs has): such a rule runs without an old object too, so it cannot be split off."""
    for location in registry.locations:
        for path in sorted(location.glob("*/*_*.json")) if location.is_dir() else ():
            if _OPTIONAL_OLD_SELF.search(path.read_bytes()):
                return True
    return False
