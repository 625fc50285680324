"""Building a plan from a repository: the two object sets it compares, and `build_plan`.

Owns: the base side (the output directory as committed at a git ref, read from git objects, or
the ref's specs rendered when it commits no output), the head side (the working tree's specs
rendered now, i.e. what `fleet/` becomes after `fleetgen render`), the working tree's findings
for the plan, and `build_plan`, which hands both sets to `fleetgen.vcs.plan` for classification.
Must not print, write files or touch the user's checkout (git tree and blob objects are read;
`fleetgen.vcs.repo.checkout_tree` writes a temporary directory only when the base needs one).

Example:
    >>> plan = build_plan(Path("."), base_ref="origin/main")     # doctest: +SKIP
    >>> plan.summary_line()                                        # doctest: +SKIP
    '2 clusters changed: 1 scale, 1 rollout'
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from fleetgen.findings import Finding, Severity
from fleetgen.vcs.plan import (
    CAPI_GROUP,
    CLUSTER_NAME_LABEL,
    FLEET_WIDE,
    Plan,
    PlanObject,
    diff_objects,
    get_in,
    group_changes,
    plain,
)

if TYPE_CHECKING:
    from fleetgen.pipeline import PipelineOutcome
    from fleetgen.render.base import RenderResult
    from fleetgen.spec.load import Fleet

#: git's file mode of a symlink (`fleetgen.vcs.repo.FleetRepo.tree_blobs`).
_SYMLINK_MODE = 0o120000


def _cluster_of(manifest: Mapping[str, Any], path: str, hint: str = "") -> str:
    if hint:
        return hint
    if manifest.get("kind") == "Cluster" and str(manifest.get("apiVersion", "")).startswith(CAPI_GROUP + "/"):
        return str(get_in(manifest, ("metadata", "name")) or "")
    label = get_in(manifest, ("metadata", "labels", CLUSTER_NAME_LABEL))
    if isinstance(label, str) and label:
        return label
    name = get_in(manifest, ("spec", "clusterName"))
    if isinstance(name, str) and name:
        return name
    parts = path.split("/")
    if len(parts) >= 4 and parts[0] == "clusters":  # fleetgen.render.layout: clusters/<ns>/<cluster>/...
        return parts[2]
    return FLEET_WIDE


def objects_from_render(rendered: RenderResult, output_dir: str) -> list[PlanObject]:
    """PlanObjects of a render result.

    Args:
        rendered: `render_fleet(fleet)`.
        output_dir: the output directory name (`fleet`), to build repository-relative file paths.

    Returns:
        One PlanObject per rendered object, in output order.
    """
    out = []
    for f, obj in rendered.objects():
        manifest = plain(obj.manifest)
        out.append(PlanObject(manifest, _cluster_of(manifest, f.path, obj.cluster), f"{output_dir}/{f.path}"))
    return out


def objects_from_tree(root: Path, output_dir: str) -> tuple[list[PlanObject], list[str]]:
    """PlanObjects of a committed output directory.

    Documents without apiVersion/kind/metadata.name (Fleet's `fleet.yaml`) and kustomize
    `Kustomization` files are not objects the agent applies and are skipped.

    Args:
        root: a fleet root (e.g. materialized from a git ref).
        output_dir: the output directory name under `root`.

    Returns:
        (objects in file then document order, notes about files that could not be read).
    """
    from fleetgen.yamlio import YamlLoadError, load_yaml

    base = root / output_dir
    objects: list[PlanObject] = []
    notes: list[str] = []
    if not base.is_dir():
        return objects, notes
    for path in sorted(p for p in base.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml")):
        rel = path.relative_to(base).as_posix()
        try:
            docs = load_yaml(path.read_bytes(), f"{output_dir}/{rel}", allow_empty=True)
        except YamlLoadError as err:
            notes.append(f"base {output_dir}/{rel} is not valid YAML ({err.finding.message}); its objects are ignored")
            continue
        for doc in docs:
            data = doc.data
            if not isinstance(data, dict) or not data.get("apiVersion") or not data.get("kind"):
                continue
            if str(data["apiVersion"]).startswith("kustomize.config.k8s.io/") or not get_in(data, ("metadata", "name")):
                continue
            manifest = plain(data)
            objects.append(PlanObject(manifest, _cluster_of(manifest, rel), f"{output_dir}/{rel}"))
    return objects, notes




def _read_output_dir(base_root: Path) -> str:
    """The output directory named by a materialized fleetgen.yaml ("fleet" when unreadable)."""
    from fleetgen.errors import ConfigError
    from fleetgen.spec.load import load_config

    try:
        config, _ = load_config(base_root)
    except ConfigError:
        return "fleet"
    return config.output_dir


#: A working-tree output file as `load_base_objects` reuses it: repository-relative path
#: (`fleet/...`) -> (git blob sha of its rendered bytes, its PlanObjects in document order).
HeadFiles = Mapping[str, tuple[str, Sequence[PlanObject]]]


def head_files(rendered: RenderResult, output_dir: str, objects: Sequence[PlanObject]) -> dict[str, tuple[str, list[PlanObject]]]:
    """The working tree's output files for `load_base_objects`: path -> (blob sha, objects).

    Args:
        rendered: the complete rendering (`load_and_render`).
        output_dir: the output directory name (`fleet`).
        objects: `objects_from_render(rendered, output_dir)`.
    """
    from fleetgen.vcs.repo import blob_sha

    out: dict[str, tuple[str, list[PlanObject]]] = {
        f"{output_dir}/{f.path}": (blob_sha(f.content), []) for f in rendered.files
    }
    for o in objects:
        if o.file in out:
            out[o.file][1].append(o)
    return out


def _applied(data: Any) -> bool:
    """Whether a document of the output directory is an object the GitOps agent applies."""
    if not isinstance(data, dict) or not data.get("apiVersion") or not data.get("kind"):
        return False
    return not str(data["apiVersion"]).startswith("kustomize.config.k8s.io/") and bool(get_in(data, ("metadata", "name")))


def objects_from_commit(root: Path, sha: str, output_dir: str, head: HeadFiles | None = None,
                        only: Collection[str] | None = None,
                        blobs: Mapping[str, tuple[int, str]] | None = None) -> tuple[list[PlanObject], list[str]] | None:
    """PlanObjects of the output directory as committed at `sha`, read from git objects.

    The same objects, in the same order, as `objects_from_tree` on that revision checked out,
    without writing the tree to disk. A committed file whose blob is byte-identical to the working
    tree's rendering of the same path (`head`) is not parsed: the same bytes hold the same
    objects, so the rendering's are used (fleetgen's YAML writer round-trips; tests compare both).

    Args:
        root: the fleet repository root of the working tree.
        sha: a commit sha.
        output_dir: the output directory name at that commit.
        head: the working tree's output files (`head_files`), or None to parse every file.
        only: read only these files (repository-relative, `fleet/...`); None: every file.
        blobs: the output directory's listing at `sha` (`FleetRepo.tree_blobs`) when the caller
            already read it; read here otherwise.

    Returns:
        (objects, notes about files that could not be read), or None when the output directory
        holds a symlink (`objects_from_tree` on a checkout then follows it).

    Raises:
        VcsError: not a git repository.
    """
    from fleetgen.vcs.repo import open_repo
    from fleetgen.yamlio import YamlLoadError, load_yaml

    objects: list[PlanObject] = []
    notes: list[str] = []
    with open_repo(root) as repo:
        if blobs is None:
            blobs = repo.tree_blobs(sha, output_dir)
        if any(mode == _SYMLINK_MODE for mode, _ in blobs.values()):
            return None
        prefix = PurePosixPath(output_dir)
        for file in sorted(blobs, key=lambda p: PurePosixPath(p).parts):
            if only is not None and file not in only:
                continue
            inner = PurePosixPath(file).relative_to(prefix)
            if inner.suffix not in (".yaml", ".yml"):
                continue
            rel = inner.as_posix()
            blob = blobs[file][1]
            same = head.get(file) if head is not None else None
            if same is not None and same[0] == blob:
                manifests = [o.manifest for o in same[1] if _applied(o.manifest)]
            else:
                try:
                    docs = load_yaml(repo.read_blob(blob), file, allow_empty=True)
                except YamlLoadError as err:
                    notes.append(f"base {file} is not valid YAML ({err.finding.message}); its objects are ignored")
                    continue
                manifests = [plain(doc.data) for doc in docs if _applied(doc.data)]
            objects.extend(PlanObject(m, _cluster_of(m, rel), file) for m in manifests)
    return objects, notes


def load_base_objects(root: Path, ref: str, head: HeadFiles | None = None) -> tuple[list[PlanObject], str | None, str, list[str]]:
    """The objects the GitOps agent applies at `ref`.

    Args:
        root: the fleet repository root of the working tree.
        ref: git revision.
        head: the working tree's output files (`head_files`): committed files with the same bytes
            take their objects from there instead of being parsed again (same result, faster).

    Returns:
        (objects, commit sha or None, source "committed" | "rendered" | "empty", notes).

    Raises:
        VcsError: not a git repository, or unknown ref.
    """
    from fleetgen.errors import ConfigError
    from fleetgen.pipeline import load_and_render
    from fleetgen.vcs.repo import FLEET_SOURCE_PATHS, checkout_tree, open_repo

    with open_repo(root) as repo:
        sha = repo.resolve(ref)
        config_bytes = repo.read_file(ref, "fleetgen.yaml") if sha else None
    if config_bytes is None or sha is None:
        return [], sha, "empty", []
    notes: list[str] = []
    with checkout_tree(root, ref, ("fleetgen.yaml",)) as probe:
        output_dir = _read_output_dir(probe)
    from_git = objects_from_commit(root, sha, output_dir, head)
    if from_git is not None and from_git[0]:
        return from_git[0], sha, "committed", [*notes, *from_git[1]]
    with checkout_tree(root, ref, (*FLEET_SOURCE_PATHS, output_dir)) as base_root:
        committed, tree_notes = objects_from_tree(base_root, output_dir)
        notes.extend(tree_notes)
        if committed:
            return committed, sha, "committed", notes
        try:
            outcome = load_and_render(base_root)
        except ConfigError as err:
            return [], sha, "empty", [f"base {ref}: fleetgen.yaml is invalid ({err}); every object counts as new"]
        if outcome.rendered is None:
            errors = outcome.result.count(Severity.ERROR)
            notes.append(f"base {ref}: {errors} spec problem(s); rendering the specs that load "
                         "(the others count as new)")
            from fleetgen.render import render_fleet

            try:
                rendered = render_fleet(outcome.fleet)
            except Exception as err:  # noqa: BLE001 - an invalid base must not stop the plan
                notes.append(f"base {ref}: cannot render ({err}); every object counts as new")
                return [], sha, "rendered", notes
        else:
            rendered = outcome.rendered
        return objects_from_render(rendered, outcome.fleet.config.output_dir), sha, "rendered", notes


def build_plan(root: Path, *, base_ref: str = "HEAD", schema_locations: Sequence[Path] = ()) -> Plan:
    """Plan the working tree against a git ref: load, render and check both, classify the diff.

    The working tree is checked like `fleetgen validate --base REF` (schemas, policy rules with the
    base revision for transition rules); the base is read from git without touching the checkout.
    When the base commits the output directory under the same fleetgen.yaml, only what can differ
    is compared (`compared_part`), so the cost grows with the change, not with the fleet; the
    plan is the same as when every object is compared (tests compare both).

    Args:
        root: the fleet repository root (a git working tree or a folder inside one).
        base_ref: git revision to compare against (`HEAD`, `origin/main`, a sha).
        schema_locations: extra schema directories searched before `schemas/`.

    Returns:
        The Plan. When the working tree's specs do not load, `valid` is False, `result` holds
        the findings and no object is classified.

    Raises:
        VcsError: not a git repository, or unknown ref (exit 2).
        ConfigError: fleetgen.yaml is invalid or no schemas are synced (exit 2).
    """
    from fleetgen.pipeline import run_pipeline
    from fleetgen.vcs.repo import open_repo

    with open_repo(root) as repo:
        sha = repo.resolve(base_ref)
    # The findings: cached per spec, transition checks on the specs that differ from the base
    # (`fleetgen.transitions`), the same as the whole pipeline's (tests compare them).
    checked = run_pipeline(root, base_ref=base_ref if sha else None, schema_locations=schema_locations)
    if checked.rendered is not None and sha:  # (output files edited by hand: what the agent would apply)
        from fleetgen.vcs.edited_output import edited_output_findings

        checked.result.extend(edited_output_findings(root, base_ref, checked, schema_locations))
    if checked.rendered is None:
        base_objects, sha, source, notes = load_base_objects(root, base_ref)
        return Plan(base_ref, sha, source, result=checked.result, notes=tuple(notes), outcome=checked, valid=False)
    part = compared_part(root, sha, checked) if sha else None
    if part is None:
        return _whole_plan(root, base_ref, checked)
    head, base_objects, notes = part
    head_objects = objects_from_render(head, checked.fleet.config.output_dir)
    plan = Plan(base_ref, sha, "committed", result=checked.result, notes=tuple(notes), outcome=checked)
    plan.result.extend(transition_findings(checked.fleet, head, base_objects))
    return _classified(root, plan, base_objects, head_objects)


def compared_part(root: Path, sha: str, checked: PipelineOutcome) -> tuple[RenderResult, list[PlanObject], list[str]] | None:
    """What a plan must compare: the working tree's part that can differ from the committed output.

    A file whose bytes are the same in the working tree's rendering and in the base commit holds
    the same objects on both sides, so no change. The part keeps, on both sides, the bundle of every
    cluster with a file that differs (all its objects, as a cluster's plan needs them together) and
    every file outside the bundles (namespaces, addons, the agent's files: few, and they name the
    clusters); the base side is the committed files of those paths and of every other file that
    differs (a stray or deleted file).

    Args:
        root: the fleet repository root.
        sha: the base commit.
        checked: the working tree's `run_pipeline` outcome, rendered.

    Returns:
        (head part with every object of its files, base objects of those paths as committed, notes
        about committed files that are not valid YAML); None when only the whole comparison is
        sure: fleetgen.yaml differs at the base (the output directory may too), the committed
        output holds a symlink, or it holds no object (then the base's specs are rendered).

    Raises:
        VcsError: not a git repository.
    """
    from fleetgen.render import render_cluster_files
    from fleetgen.render.base import RenderResult
    from fleetgen.render.layout import cluster_key
    from fleetgen.validate.engine import rest_of
    from fleetgen.vcs.repo import blob_sha, open_repo

    rendered, fleet = checked.rendered, checked.fleet
    assert rendered is not None
    output_dir = fleet.config.output_dir
    prefix = output_dir + "/"
    with open_repo(root) as repo:
        if repo.read_file(sha, "fleetgen.yaml") != (root / "fleetgen.yaml").read_bytes():
            return None
        committed = repo.tree_blobs(sha, output_dir)
    if not committed or any(mode == _SYMLINK_MODE for mode, _ in committed.values()):
        return None
    base_blobs = {file: blob for file, (_, blob) in committed.items()}
    head_blobs = {prefix + f.path: blob_sha(f.content) for f in rendered.files}
    differing = ({p for p, b in head_blobs.items() if base_blobs.get(p) != b}
                 | {p for p, b in base_blobs.items() if head_blobs.get(p) != b})
    changed = {cluster_key(p.removeprefix(prefix)) for p in differing} - {None}
    if checked.complete:
        bundles = [f for f in rendered.files if cluster_key(f.path) in changed]
    else:  # (restored entries keep only some kinds: render the changed clusters' bundles again)
        bundles = [f for c in fleet.clusters if (c.namespace, c.name) in changed
                   for f in render_cluster_files(c, fleet.config, fleet.config_source)]
    head = RenderResult(tuple(sorted([*bundles, *rest_of(rendered).files], key=lambda f: f.path)), rendered.clusters)
    head_objects = objects_from_render(head, output_dir)
    wanted = {prefix + f.path for f in head.files} | differing
    read = objects_from_commit(root, sha, output_dir, head_files(head, output_dir, head_objects), only=wanted,
                               blobs=committed)
    assert read is not None  # (no symlink: checked above)
    base_objects, notes = read
    if not base_objects and set(base_blobs) <= wanted:
        return None  # (the committed output holds no object at all)
    return head, base_objects, notes


def committed_base_findings(root: Path, base_ref: str, checked: PipelineOutcome) -> list[Finding]:
    """The transition rules' findings against the output directory as committed at `base_ref`.

    `run_pipeline(base_ref=...)` compares the working tree with the base's *specs rendered now*.
    What the management cluster holds is what the GitOps agent applied: the base's committed
    output. When that differs from the base's specs (a hand edit under fleet/, output rendered by
    another fleetgen), only this comparison sees, e.g., a machine template changed under its
    content-hash name (CAPK: "KubevirtMachineTemplateSpec is immutable") or a Kubernetes version
    two minors past the committed one. `validate --base` adds these to its findings, as `plan`
    does; the findings sit at the working tree's spec fields. Cost: only the files that differ
    from the commit are compared (`compared_part`), unless fleetgen.yaml differs too.

    Args:
        root: the fleet repository root.
        base_ref: the git ref `validate --base` names.
        checked: the working tree's `run_pipeline` outcome.

    Returns:
        The findings ([] when the specs did not render, the ref has no commit, or the base
        commits no output directory: then the base's rendered specs were the only base).

    Raises:
        VcsError: not a git repository, or unknown ref.
    """
    from fleetgen.pipeline import load_and_render
    from fleetgen.vcs.repo import open_repo

    if checked.rendered is None:
        return []
    with open_repo(root) as repo:
        sha = repo.resolve(base_ref)
    if sha is None:
        return []
    part = compared_part(root, sha, checked)
    if part is not None:
        head, base_objects, _ = part
        return transition_findings(checked.fleet, head, base_objects)
    with open_repo(root) as repo:  # (why not? only the whole comparison can tell, unless nothing is committed)
        if (repo.read_file(sha, "fleetgen.yaml") == (root / "fleetgen.yaml").read_bytes()
                and not repo.tree_blobs(sha, checked.fleet.config.output_dir)):
            return []  # (no committed output: the base's specs rendered were the only base)
    whole = checked if checked.complete else load_and_render(root)
    if whole.rendered is None:  # (only if a spec changed on disk meanwhile)
        return []
    output_dir = whole.fleet.config.output_dir
    head_objects = objects_from_render(whole.rendered, output_dir)
    base_objects, _, source, _ = load_base_objects(root, base_ref, head_files(whole.rendered, output_dir, head_objects))
    if source != "committed":
        return []
    return transition_findings(whole.fleet, whole.rendered, base_objects)


def _whole_plan(root: Path, base_ref: str, checked: PipelineOutcome) -> Plan:
    """The plan from every object of both sides (the base as `load_base_objects` reads it)."""
    from fleetgen.pipeline import PipelineOutcome, load_and_render

    whole = checked if checked.complete else load_and_render(root)
    if whole.rendered is None:  # (the second load fails only if a spec changed on disk meanwhile)
        checked.result.extend(whole.result.findings)
        _, sha, source, notes = load_base_objects(root, base_ref)
        return Plan(base_ref, sha, source, result=checked.result, notes=tuple(notes), outcome=checked, valid=False)
    rendered = whole.rendered
    outcome = PipelineOutcome(whole.fleet, rendered, checked.result, complete=True, cached=checked.cached)
    del checked, whole  # the incremental run's tree (every file's bytes again) is not needed any more
    output_dir = outcome.fleet.config.output_dir
    head_objects = objects_from_render(rendered, output_dir)
    base_objects, sha, source, notes = load_base_objects(root, base_ref, head_files(rendered, output_dir, head_objects))
    plan = Plan(base_ref, sha, source, result=outcome.result, notes=tuple(notes), outcome=outcome)
    if source == "committed":
        plan.result.extend(transition_findings(outcome.fleet, rendered, base_objects))
    return _classified(root, plan, base_objects, head_objects)


def _classified(root: Path, plan: Plan, base_objects: Sequence[PlanObject], head_objects: Sequence[PlanObject]) -> Plan:
    """`plan` with its object changes grouped per cluster, and a note when fleet/ is stale."""
    changes = diff_objects(base_objects, head_objects, plan.result.findings)
    plan.clusters, plan.fleet_wide = group_changes(changes, base_objects, head_objects)
    assert plan.outcome is not None
    stale = _stale_output(root, plan.outcome)
    if stale:
        plan.notes = (*plan.notes, stale)
    return plan


def transition_findings(fleet: Fleet, rendered: RenderResult, base_objects: Sequence[PlanObject]) -> list[Finding]:
    """Run the policy transition rules against the base objects the plan diffs.

    `run_pipeline(base_ref=...)` runs them against the base *specs rendered now*; when the base is
    the committed output directory (what the agent applies), a hand edit or an older fleetgen may
    make it differ, so the rules run again against exactly that base. Duplicate findings are
    dropped by `CheckResult.sorted()`. The rules report only objects whose manifest differs
    between the sides (`fleetgen.transitions`), so both may be the same part of the tree.

    Args:
        fleet: the working tree's loaded fleet.
        rendered: the working tree's rendering, every object of its files (or a part of it:
            `compared_part`).
        base_objects: the committed base objects of the same files (`load_base_objects`).

    Returns:
        Findings of every transition rule (the errors of TRANSITION_RULES make a change forbidden;
        the warnings, such as `cluster-network-change`, tell what the change does not do),
        positioned at the working tree's spec fields. Both sides carry the working tree's specs,
        so the rules that compare specs find nothing here.
    """
    from fleetgen.policy import RULES, rule_scope, run_rules
    from fleetgen.policy.base import PolicyContext

    rules = [r for r in RULES if rule_scope(r) == "transition"]
    base = PolicyContext(fleet, as_render_result(base_objects, fleet.config.output_dir))
    return run_rules(PolicyContext(fleet, rendered, base), rules)


def as_render_result(objects: Sequence[PlanObject], output_dir: str) -> RenderResult:
    """PlanObjects (read from a commit) as a RenderResult, one OutputFile per file, for checks that
    compare with them (transition rules, CEL `oldSelf`); the files' bytes are not kept."""
    from fleetgen.render.base import OutputFile, RenderedObject, RenderResult
    from fleetgen.sourcemap import SourceMap

    prefix = output_dir + "/"
    by_file: dict[str, list[RenderedObject]] = {}
    for o in objects:
        by_file.setdefault(o.file, []).append(RenderedObject(o.manifest, SourceMap(o.file), cluster=o.cluster))
    return RenderResult(tuple(OutputFile(path.removeprefix(prefix), b"", tuple(objs)) for path, objs in sorted(by_file.items())))


def _stale_output(root: Path, outcome: PipelineOutcome) -> str:
    """A note when the working tree's output directory differs from a fresh render ("" if not)."""
    try:
        from fleetgen.render.write import diff_tree
    except ImportError:  # pragma: no cover - render/write.py is part of the package
        return ""
    assert outcome.rendered is not None
    out_dir = outcome.fleet.output_dir
    differences = diff_tree(out_dir, outcome.rendered)
    if differences:
        return (f"{outcome.fleet.config.output_dir}/ in the working tree is stale ({len(differences)} file(s) differ); "
                "run `fleetgen render` before committing")
    return ""
