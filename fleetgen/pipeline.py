"""The pipeline every command shares: load the fleet, render it, check it.

Owns: the order of those steps and the rule that nothing is rendered from invalid specs; loading
the base revision for transition checks; splitting the work per cluster, caching it and running
it on several processes. Commands in `fleetgen.cli` call `run_pipeline` and then decide what to
write or print. Must not print or write the output tree (it writes only the cache).

How a run without a base ref works (`run_pipeline`):

1. per spec file, a key (`fleetgen.cache.cluster_key`: fleetgen's code, the spec's path and bytes,
   fleetgen.yaml, the schemas) finds its `ClusterEntry` in `<root>/.fleetgen-cache/`; every other
   spec is loaded, rendered into its bundle directory (`fleetgen.render.render_cluster_files`),
   dumped and checked on its own (`fleetgen.validate.engine.check_cluster`: schemas, CEL, the
   `cluster`-scope policy rules, its bundle's size budgets) -- on a pool of forked processes when
   there are many (`PARALLEL_MIN_CLUSTERS`), the results coming back as bytes;
2. the fleet is put together as `load_fleet` does (duplicate names, addons);
3. the tree is assembled (`fleetgen.render.assemble_fleet`: namespaces, addons, the agent's
   fleet-wide files), and the checks that look across clusters or outside them run
   (`check_assembled`: `fleet`-scope rules, addon payloads, the rest of the tree; the last two
   cached by their own inputs);
4. when the run found no error, the new entries are written (`Cache.commit`), with the run's
   summary under the key of all its inputs (`fleetgen.run_cache`: `validate` and `render` answer
   a run over the same inputs from it without calling this module); a run with errors writes
   nothing.

The findings and the bytes of every file are those of the whole-fleet pipeline (`load_and_render`
then `check_fleet`), which still runs with a base ref.
"""

from __future__ import annotations

import gc
import hashlib
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fleetgen.errors import ConfigError
from fleetgen.findings import CheckResult

if TYPE_CHECKING:
    from fleetgen.cache import Cache, ClusterEntry
    from fleetgen.findings import Finding
    from fleetgen.policy.base import PolicyContext
    from fleetgen.render.base import RenderResult
    from fleetgen.run_cache import RunInputs
    from fleetgen.schemas.registry import SchemaRegistry
    from fleetgen.sourcemap import SourceMap
    from fleetgen.spec.load import Fleet, LoadedAddon
    from fleetgen.spec.models import FleetConfig
    from fleetgen.validate.engine import RestChecks


@dataclass
class PipelineOutcome:
    """What one pipeline run produced.

    Attributes:
        fleet: the loaded fleet (only the specs and addons that loaded cleanly).
        rendered: the rendered tree, or None when loading found errors (nothing is rendered then).
        result: every finding (load, render, schema, CEL, policy, payload, budget).
        complete: True when every file of `rendered` holds all its objects; False when the
            per-cluster work was cached or ran in other processes, so a cluster's objects file
            holds only the kinds in `fleetgen.cache.FLEET_LEVEL_KINDS` (paths and bytes are
            always complete).
        cached: how many spec files' results came from the cache.
    """

    fleet: Fleet
    rendered: RenderResult | None
    result: CheckResult = field(default_factory=CheckResult)
    complete: bool = True
    cached: int = 0


def open_registry(root: Path, schema_locations: Sequence[Path] = ()) -> SchemaRegistry:
    """The schema registry: `--schema-location` dirs first, then the repository's `schemas/`.

    Raises:
        ConfigError: no synced schemas anywhere (exit 2), with the command that fixes it.
    """
    from fleetgen.schemas.registry import SchemaRegistry, default_schema_dir

    locations = [Path(p) for p in schema_locations] + [default_schema_dir(root)]
    if not _has_schemas(locations):
        raise ConfigError(f"no JSON schemas in {default_schema_dir(root)}; run `fleetgen schemas sync` "
                          "(or `fleetgen schemas sync --mirror DIR` offline)")
    return SchemaRegistry(locations)


def load_and_render(root: Path) -> PipelineOutcome:
    """Load the fleet at `root` and render it when the specs are valid (no schema checks).

    Raises:
        ConfigError: fleetgen.yaml is missing or invalid.
    """
    from fleetgen.render import render_fleet
    from fleetgen.spec.load import load_fleet

    fleet, findings = load_fleet(root)
    outcome = PipelineOutcome(fleet, None)
    outcome.result.extend(findings)
    outcome.result.files_checked = len(fleet.clusters) + len(fleet.addons)
    if outcome.result.has_errors:
        return outcome
    outcome.rendered = render_fleet(fleet)
    return outcome


def base_context(root: Path, ref: str) -> PolicyContext | None:
    """Load and render the fleet as committed at git `ref`, for transition checks.

    Returns:
        The base PolicyContext, or None when the ref has no fleet or its specs do not load
        (then there is nothing to compare against, as on create).

    Raises:
        VcsError: not a git repository, or `ref` does not exist.
    """
    from fleetgen.policy.base import PolicyContext
    from fleetgen.vcs.repo import checkout_tree

    with checkout_tree(root, ref) as base_root:
        if not (base_root / "fleetgen.yaml").is_file():
            return None
        try:
            base = load_and_render(base_root)
        except ConfigError:
            return None
    if base.rendered is None:
        return None
    return PolicyContext(base.fleet, base.rendered)


def run_pipeline(root: Path, *, registry: SchemaRegistry | None = None, base_ref: str | None = None,
                 schema_locations: Sequence[Path] = (), cache: bool = True, jobs: int | None = None,
                 inputs: RunInputs | None = None, complete: bool = False) -> PipelineOutcome:
    """Load, render and check the fleet at `root`.

    Without a base ref the work is split per cluster (see the module docstring): each spec's
    results come from the cache in `<root>/.fleetgen-cache/` when its key matches, else they
    are computed, on several processes for a large fleet, and stored. The findings, the files
    and their bytes are the same either way; only `outcome.rendered` differs: a cluster's
    objects file then holds only the objects of the kinds in `fleetgen.cache.FLEET_LEVEL_KINDS`
    (`outcome.complete` is False). With a base ref, the transition checks are added to that
    run's findings by `fleetgen.transitions`, which renders only the specs that differ from the
    base on both sides; when it cannot (see there), when fleetgen.yaml differs from the base's
    (every cluster changes), or when `complete` is set, everything is computed in this process,
    uncached, every object kept.

    Args:
        root: the fleet repository root.
        registry: schemas to validate against (default: `open_registry(root, schema_locations)`);
            a registry passed in disables the cache (its schemas cannot be fingerprinted).
        base_ref: a git ref whose rendered fleet provides the "old" objects for transition rules.
        schema_locations: extra schema directories searched before `schemas/`.
        cache: read and write the cache (`--no-cache` turns it off).
        jobs: processes for the per-cluster work (default: the CPUs this process may use).
        inputs: `fleetgen.run_cache.read_inputs(root, schema_locations)` when the caller already
            read them (after a `fleetgen.run_cache.lookup` miss); read here otherwise.
        complete: with a base ref, keep every object of the tree in `outcome.rendered` (`plan`
            diffs them); the findings are the same either way.

    Returns:
        The outcome; `outcome.result.has_errors` tells whether anything may be written. Invalid
        `defaults` in fleetgen.yaml are findings there (rule `spec`), with no cluster loaded.

    Raises:
        ConfigError: fleetgen.yaml invalid (outside `defaults`) or no schemas synced (exit 2).
        VcsError: `base_ref` cannot be read.
        RenderError: a spec cannot be rendered at all.
    """
    from fleetgen.errors import DefaultsError

    try:
        return _run_pipeline(root, registry=registry, base_ref=base_ref, schema_locations=schema_locations, cache=cache,
                             jobs=jobs, inputs=inputs, complete=complete)
    except DefaultsError as err:  # (bad input, reported like a spec's problems: nothing is rendered)
        from fleetgen.spec.load import Fleet

        outcome = PipelineOutcome(Fleet(root, err.config, err.source, (), ()), None)  # type: ignore[arg-type]
        outcome.result.extend(err.findings)
        return outcome


def _run_pipeline(root: Path, *, registry: SchemaRegistry | None, base_ref: str | None, schema_locations: Sequence[Path],
                  cache: bool, jobs: int | None, inputs: RunInputs | None, complete: bool) -> PipelineOutcome:
    """`run_pipeline`, which reports a `DefaultsError` as findings."""
    from fleetgen.schemas.registry import default_schema_dir

    with _collector_paused():
        locations = [Path(p) for p in schema_locations] + [default_schema_dir(root)]
        if base_ref is not None and not complete:
            from fleetgen.transitions import config_changed

            complete = config_changed(root, base_ref)
        if complete or (registry is None and not _has_schemas(locations)):
            # (without schemas: the whole pipeline reports the spec problems, else raises)
            return _run_whole(root, registry=registry, base_ref=base_ref, schema_locations=schema_locations)
        outcome = _run_incremental(root, registry=registry, schema_locations=schema_locations,
                                   use_cache=cache and registry is None, jobs=jobs, inputs=inputs)
        if base_ref is None or outcome.rendered is None:
            return outcome
        from fleetgen.transitions import transition_findings

        found = transition_findings(root, base_ref, outcome, registry or open_registry(root, schema_locations))
        if found is None:
            return _run_whole(root, registry=registry, base_ref=base_ref, schema_locations=schema_locations)
        outcome.result.extend(found)
        return outcome


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one run.

    A run builds tens of thousands of long-lived objects (specs, positions, findings, decoded
    cache entries) and little cyclic garbage; with the collector on, the growing heap is walked
    again and again (a quarter of a cached run's time). It is switched back on afterwards.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _run_whole(root: Path, *, registry: SchemaRegistry | None, base_ref: str | None,
               schema_locations: Sequence[Path]) -> PipelineOutcome:
    """Every step on the whole fleet in this process, every object kept (`outcome.complete`)."""
    from fleetgen.validate.engine import check_fleet

    outcome = load_and_render(root)
    if outcome.rendered is None:
        return outcome
    if registry is None:
        registry = open_registry(root, schema_locations)
    base = base_context(root, base_ref) if base_ref else None
    checked = check_fleet(outcome.fleet, outcome.rendered, registry=registry, base=base)
    outcome.result.extend(checked.findings)
    outcome.result.objects_checked = checked.objects_checked
    outcome.result.files_checked = checked.files_checked
    return outcome


def _has_schemas(locations: Sequence[Path]) -> bool:
    return any(p.is_dir() and any(p.iterdir()) for p in locations if p.exists())


# ---------------------------------------------------------------------------------------------
# The incremental pipeline
# ---------------------------------------------------------------------------------------------

#: Below this many specs to compute, the work stays in this process (a pool costs more than it saves).
PARALLEL_MIN_CLUSTERS = 48

#: Set in the parent before the worker processes fork: (root, config, config source, registry).
_WORKER_STATE: tuple[Path, FleetConfig, SourceMap, SchemaRegistry] | None = None


def compute_cluster(root: Path, path: Path, config: FleetConfig, config_source: SourceMap,
                    registry: SchemaRegistry) -> ClusterEntry:
    """Everything one spec file contributes to a run: load, render, dump and check it.

    Args:
        root: the fleet repository root.
        path: the spec file.
        config: fleetgen.yaml.
        config_source: positions in fleetgen.yaml.
        registry: synced schemas.

    Returns:
        The entry: load findings only when the spec does not load; the RenderError message when
        it cannot be rendered; else its bundle files (every object kept) and its findings.
    """
    from fleetgen.cache import ClusterEntry
    from fleetgen.errors import RenderError
    from fleetgen.render import render_cluster_files
    from fleetgen.spec.load import Fleet, load_cluster
    from fleetgen.validate.engine import check_cluster

    rel = path.relative_to(root).as_posix()
    loaded, problems = load_cluster(root, path, config, config_source)
    if loaded is None:
        return ClusterEntry(rel, tuple(problems))
    try:
        files = render_cluster_files(loaded, config, config_source)
    except RenderError as err:
        return ClusterEntry(rel, (), loaded, str(err))
    checks = check_cluster(Fleet(root, config, config_source, (loaded,), ()), files, registry=registry)
    return ClusterEntry(rel, (), loaded, None, files, checks.object_count, checks.objects, checks.rules, checks.budgets)


def _compute_chunk(paths: list[Path]) -> list[bytes]:
    """Worker: `compute_cluster` for each path, encoded (`fleetgen.cache.encode_entry`)."""
    from fleetgen.cache import encode_entry

    gc.enable()  # (paused in the parent; the objects inherited from it are frozen, not walked)
    assert _WORKER_STATE is not None
    root, config, config_source, registry = _WORKER_STATE
    return [encode_entry(compute_cluster(root, p, config, config_source, registry)) for p in paths]


#: The signals that stop a run: the parent handles them, its workers ignore them.
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _quiet_worker() -> None:
    """Pool initializer: a worker ignores SIGINT and SIGTERM, which the parent handles for the
    whole run (`timeout` and Ctrl-C signal the process group): the parent stops the workers
    (`_stop_workers`), so no worker prints a traceback or is left running. They are blocked
    from the fork until here (`_compute_all`), then ignored and unblocked."""
    for signum in _STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


def _stop_workers(pool: Any) -> None:
    """Kill the pool's worker processes and let it go without waiting for their work.

    Killed first, then shut down without cancelling: the pool's management thread then fails the
    pending work as "broken" instead of tripping over cancelled futures. That thread is given a
    moment to finish (so the interpreter's exit does not wait on it), and what it may raise while
    the run is being stopped is not printed."""
    import threading

    manager = getattr(pool, "_executor_manager_thread", None)  # (CPython's ProcessPoolExecutor)
    if manager is not None:
        previous = threading.excepthook

        def quiet(args: Any) -> None:
            if args.thread is not manager:
                previous(args)

        threading.excepthook = quiet
    call_queue = getattr(pool, "_call_queue", None)
    if call_queue is not None:  # (its feeder thread may be stuck on a full pipe to a dead worker:
        with suppress(Exception):  # neither the pool nor the exit handlers may wait for it)
            call_queue.cancel_join_thread()
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with suppress(Exception):
            process.kill()
    with suppress(Exception):
        pool.shutdown(wait=False)
    if manager is not None:
        manager.join(timeout=5)
        if not manager.is_alive():  # (done: nothing more of it to keep quiet)
            threading.excepthook = previous


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _compute_all(root: Path, todo: list[tuple[Path, str | None]], config: FleetConfig, config_source: SourceMap,
                 registry: SchemaRegistry, store: Cache | None, jobs: int | None) -> list[ClusterEntry]:
    """Compute the entries of the spec files in `todo` (path, cache key or None), in order, and
    hand them to `store` under their keys.

    Few of them, or one CPU: in this process. Else on a pool of forked worker processes (Linux
    only: forking is what makes it cheap, and it is only safe there), after the first spec is done
    here so that the workers inherit what it loaded (schemas read, CEL rules compiled).
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from fleetgen.cache import decode_entry, encode_entry

    global _WORKER_STATE
    jobs = _usable_cpus() if jobs is None else jobs
    parallel = jobs >= 2 and len(todo) >= PARALLEL_MIN_CLUSTERS and sys.platform.startswith("linux")
    out: list[ClusterEntry] = []
    for path, key in todo if not parallel else todo[:1]:
        entry = compute_cluster(root, path, config, config_source, registry)
        if store is not None and key is not None:
            store.put(key, encode_entry(entry))
        out.append(entry)
    if not parallel:
        return out
    rest = todo[1:]
    size = max(4, -(-len(rest) // (jobs * 32)))  # small chunks: the workers finish together (within ~15 ms)
    chunks = [rest[i:i + size] for i in range(0, len(rest), size)]
    _WORKER_STATE = (root, config, config_source, registry)
    # Objects that exist now are shared with the workers; keep their collector from walking (and
    # so copying) all of them.
    frozen = gc.get_freeze_count() == 0
    if frozen:
        gc.freeze()
    try:
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_quiet_worker)
        try:
            # (futures, not `pool.map`: map's iterator cancels the pending futures when an interrupt
            # unwinds it, and CPython's pool thread then fails on them with InvalidStateError)
            # (the workers are forked while submitting: with SIGINT and SIGTERM blocked, none arrives
            # in a child before `_quiet_worker` ignores them; the parent gets them once unblocked)
            held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
            try:
                futures = [pool.submit(_compute_chunk, [p for p, _ in c]) for c in chunks]
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, held)
            for chunk, future in zip(chunks, futures, strict=True):
                for (_, key), blob in zip(chunk, future.result(), strict=True):
                    if store is not None and key is not None:
                        store.put(key, blob)
                    out.append(decode_entry(blob))
        except BaseException:
            _stop_workers(pool)  # (Ctrl-C, SIGTERM, a failure: no worker outlives the run, none is waited for)
            raise
        pool.shutdown()
    finally:
        _WORKER_STATE = None
        if frozen:
            gc.unfreeze()
    return out


def _addons_digest(addons: Sequence[LoadedAddon]) -> bytes:
    """Everything of the loaded addons that checks read: path, model, positions, payload files."""
    h = hashlib.sha256()
    for a in addons:
        h.update(repr((a.path, a.addon.model_dump_json(), a.source.file, sorted(a.source.positions.items()))).encode())
        for name, content in a.files.items():
            h.update(repr((name, len(content))).encode())
            h.update(content)
    return h.digest()


def _rest_key(code: str, schemas: str, config: bytes, addons: bytes, rest: RenderResult) -> str:
    """Key of `check_rest`: the files outside the clusters' directories (bytes, and for each object
    its owner and the spec positions its origin map can point at), fleetgen.yaml and the addons."""
    from fleetgen.cache import content_key

    parts: list[bytes | str] = ["rest", code, schemas, config, addons]
    for f in rest.files:
        parts += [f.path, f.content]
        for o in f.objects:
            origin = sorted(o.origin.items())
            parts.append(repr((o.cluster, origin, [o.source.lookup(v) for _, v in origin])))
    return content_key(*parts)


def _payloads_key(code: str, config: bytes, addons: bytes, fleet: Fleet) -> str:
    """Key of `check_payloads`: the addons, fleetgen.yaml, and the labels and version of every cluster."""
    from fleetgen.cache import content_key

    clusters = sorted((sorted(c.spec.metadata.labels.items()), c.spec.spec.kubernetes_version) for c in fleet.clusters)
    return content_key("payloads", code, config, addons, repr(clusters))


def _run_incremental(root: Path, *, registry: SchemaRegistry | None,
                     schema_locations: Sequence[Path], use_cache: bool, jobs: int | None,
                     inputs: RunInputs | None) -> PipelineOutcome:
    """`run_pipeline` without a base: per-cluster results cached, computed in parallel when many."""
    from fleetgen.cache import (
        CACHE_DIR,
        Cache,
        decode_entry,
        encode_findings,
    )
    from fleetgen.errors import RenderError
    from fleetgen.render import assemble_fleet
    from fleetgen.render.layout import cluster_dir
    from fleetgen.run_cache import RunSummary, encode_summary, output_digests, read_inputs
    from fleetgen.spec.load import (
        Fleet,
        _duplicate_names,
        discover_addon_dirs,
        discover_cluster_files,
        load_addon,
        load_config,
    )
    from fleetgen.validate.engine import ClusterChecks, check_assembled, check_rest, rest_of

    config, config_source = load_config(root)
    store = Cache(root) if use_cache and config.output_dir != CACHE_DIR else None
    if store is not None and inputs is None:
        inputs = read_inputs(root, schema_locations)
    if store is None or inputs is None:
        store, inputs = None, None
        paths = discover_cluster_files(root)
        config_bytes, code, schemas = b"", "", ""
        keys: list[str | None] = [None] * len(paths)
        summary_key = None
    else:
        paths, config_bytes, code, schemas = inputs.paths, inputs.config, inputs.code, inputs.schemas
        keys, summary_key = inputs.spec_keys, inputs.key

    # 1. per cluster: from the cache, else computed (and stored)
    entries: list[ClusterEntry | None] = [None] * len(paths)
    if store is not None:
        for i, (path, key) in enumerate(zip(paths, keys, strict=True)):
            payload = store.get(key) if key is not None else None
            if payload is not None:
                try:
                    entry = decode_entry(payload)
                except Exception:  # noqa: BLE001 - a corrupt or foreign entry is a miss
                    continue
                if entry.path == path.relative_to(root).as_posix():
                    entries[i] = entry
    misses = [i for i, e in enumerate(entries) if e is None]
    if misses:
        if registry is None:
            registry = open_registry(root, schema_locations)
        computed = _compute_all(root, [(paths[i], keys[i]) for i in misses], config, config_source, registry, store, jobs)
        for i, entry in zip(misses, computed, strict=True):
            entries[i] = entry

    # 2. the fleet, as load_fleet builds it
    done = [e for e in entries if e is not None]
    findings = [f for e in done for f in e.load_findings]
    loaded = [e for e in done if e.cluster is not None]
    findings.extend(_duplicate_names([e.cluster for e in loaded if e.cluster is not None]))
    addons: list[LoadedAddon] = []
    for addon_dir in discover_addon_dirs(root):
        loaded_addon, problems = load_addon(root, addon_dir)
        findings.extend(problems)
        if loaded_addon:
            addons.append(loaded_addon)
    loaded.sort(key=lambda e: (e.cluster.namespace, e.cluster.name, e.cluster.path))  # type: ignore[union-attr]
    addons.sort(key=lambda a: a.name)
    clusters = tuple(e.cluster for e in loaded if e.cluster is not None)
    fleet = Fleet(root, config, config_source, clusters, tuple(addons))
    outcome = PipelineOutcome(fleet, None, complete=False, cached=len(paths) - len(misses))
    outcome.result.extend(findings)
    outcome.result.files_checked = len(fleet.clusters) + len(fleet.addons)
    if outcome.result.has_errors:
        return outcome  # (nothing is written for a run with errors, the cache included)

    # 3. the whole tree, then the fleet-level checks (those of the rest of the tree cached too)
    for e in loaded:
        if e.render_error is not None:
            raise RenderError(e.render_error)
    rendered = assemble_fleet(fleet, [(c, e.files) for e, c in zip(loaded, clusters, strict=True)])
    rest: RestChecks | None = None
    payloads: list[Finding] | None = None
    rest_key = payloads_key = ""
    if store is not None:
        addons_digest = _addons_digest(fleet.addons)
        rest_key = _rest_key(code, schemas, config_bytes, addons_digest, rest_of(rendered))
        payloads_key = _payloads_key(code, config_bytes, addons_digest, fleet)
        rest = _read_rest(store, rest_key)
        payloads = _read_payloads(store, payloads_key)
    if rest is None or payloads is None:
        if registry is None:
            registry = open_registry(root, schema_locations)
    if rest is None:
        rest = check_rest(fleet, rest_of(rendered), registry=registry)  # type: ignore[arg-type]
        if store is not None:
            store.put(rest_key, encode_findings([rest.rules, rest.budgets], rest.objects))
    if payloads is None:
        from fleetgen.validate.payload import check_payloads

        payloads = check_payloads(fleet)
        if store is not None:
            store.put(payloads_key, encode_findings([payloads]))
    checks = [(cluster_dir(c.namespace, c.name),
               ClusterChecks(e.object_findings, e.rule_findings, e.budget_findings, e.object_count))
              for e, c in zip(loaded, clusters, strict=True)]
    checked = check_assembled(fleet, rendered, checks, registry=registry, rest=rest, payloads=payloads)  # type: ignore[arg-type]
    outcome.rendered = rendered
    outcome.result.extend(checked.findings)
    outcome.result.objects_checked = checked.objects_checked
    outcome.result.files_checked = checked.files_checked
    if store is not None and not outcome.result.has_errors:
        used = [*(k for k in keys if k is not None), rest_key, payloads_key]
        if summary_key is not None:
            if store.get(summary_key) is None:
                summary = RunSummary(outcome.result, config.output_dir, len(fleet.clusters), len(fleet.addons),
                                     output_digests([(f.path, f.content) for f in rendered.files]))
                store.put(summary_key, encode_summary(summary))
            used.append(summary_key)
        store.commit(used)
    return outcome


def _read_rest(store: Cache, key: str) -> RestChecks | None:
    from fleetgen.cache import decode_findings
    from fleetgen.validate.engine import RestChecks

    payload = store.get(key)
    if payload is None:
        return None
    try:
        (rules, budgets), objects = decode_findings(payload)
    except Exception:  # noqa: BLE001 - a corrupt entry is a miss
        return None
    return RestChecks(tuple(objects), rules, budgets)


def _read_payloads(store: Cache, key: str) -> list[Finding] | None:
    from fleetgen.cache import decode_findings

    payload = store.get(key)
    if payload is None:
        return None
    try:
        (found,), _ = decode_findings(payload)
    except Exception:  # noqa: BLE001 - a corrupt entry is a miss
        return None
    return list(found)
