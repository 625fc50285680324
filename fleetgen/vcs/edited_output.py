"""Output files edited by hand in the working tree, checked against the base revision.

Owns: `edited_output_findings`, which `validate --base REF` adds to its findings. The GitOps agent
applies the output directory as committed, not what the specs render. A file of a cluster's bundle
under `fleet/` whose bytes differ both from the specs' rendering and from REF, while the inputs
render exactly REF's file (or, for a cluster's file, that cluster's spec and fleetgen.yaml are as
at REF), was edited by hand: it is what the pull request would really apply. Each such file gets an `output-edited`
warning at its first differing line (an error when it is no longer YAML), and its objects as they
are on disk are checked like rendered ones (strict schema, CEL with `oldSelf` from REF, the webhook
mirrors and the worker version skew of `fleetgen.policy.OBJECT_RULES`) and by every transition rule
against REF's committed objects, so a machine template edited in place under its content-hash name fails the PR
(`immutable-template`, CAPK "KubevirtMachineTemplateSpec is immutable") at the edited line of the
output file. Output that is merely stale (as at REF, or rendered from an earlier version of a spec
that changed since), new or missing files, and a base that commits no output are
`render --check`'s, not reported here. Must not write files.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from fleetgen.findings import Finding, Position, Severity
from fleetgen.readfile import read_regular

if TYPE_CHECKING:
    from fleetgen.pipeline import PipelineOutcome
    from fleetgen.render.base import OutputFile, RenderResult

RULE_ID = "output-edited"


def edited_output_findings(root: Path, base_ref: str, checked: PipelineOutcome,
                           schema_locations: Sequence[Path] = ()) -> list[Finding]:
    """Findings on output files that differ from the rendering and from `base_ref`.

    Args:
        root: the fleet repository root.
        base_ref: the git ref `validate --base` names.
        checked: the working tree's `run_pipeline` outcome.
        schema_locations: the `--schema-location` directories, as the pipeline got them.

    Returns:
        One `output-edited` warning per such file, at its first line that differs from the
        rendering, plus, for its objects as on disk, the strict schema, CEL (with `oldSelf` from
        the committed objects) and `OBJECT_RULES` findings its rendering has not, and the
        transition rules' findings against the committed objects, positioned in the output file
        ([] when the specs did not render, the ref has no commit, or no output file is edited).

    Raises:
        VcsError: not a git repository, or unknown ref.
        ConfigError: no synced schemas (exit 2).
    """
    from fleetgen.render.layout import cluster_key
    from fleetgen.spec.discover import CONFIG_FILE
    from fleetgen.vcs.repo import blob_sha, open_repo

    if checked.rendered is None:
        return []
    output_dir = checked.fleet.config.output_dir
    differing = _differing(root, checked)
    if not differing:  # (the common case, right after `fleetgen render`: git is not read)
        return []
    specs = {(c.namespace, c.name): c.path for c in checked.fleet.clusters}
    with open_repo(root) as repo:
        sha = repo.resolve(base_ref)
        if sha is None:
            return []
        committed = repo.tree_blobs(sha, output_dir)
        same_config = repo.read_file(sha, CONFIG_FILE) == (root / CONFIG_FILE).read_bytes()
        unchanged: dict[str, bool] = {}  # spec path -> its bytes are as at the base
        edited = []
        for f, data in differing:
            at_base = committed.get(f"{output_dir}/{f.path}")
            if at_base is None or at_base[1] == blob_sha(data):
                continue  # (a new file, or as committed at the base: stale, not edited)
            if blob_sha(f.content) == at_base[1]:
                edited.append((f, data, True))  # (the inputs still render exactly the base's file)
                continue
            spec = specs.get(cluster_key(f.path) or ("", ""))
            if spec is None or not same_config:
                continue  # (addons, namespaces and the agent's files depend on every input; new settings: any file may differ)
            # a cluster's file whose spec and settings are as at the base, rendered otherwise there
            # (by another fleetgen): edited all the same
            if spec not in unchanged:
                unchanged[spec] = repo.read_file(sha, spec) == (root / spec).read_bytes()
            if unchanged[spec]:  # (else: rendered from an earlier version of the spec, stale)
                edited.append((f, data, False))
    if not edited:
        return []
    findings: list[Finding] = []
    files: list[tuple[OutputFile, OutputFile]] = []  # (as on disk, as rendered), both positioned in the file
    for f, data, renders_as_base in edited:
        parsed, problem = _parse(output_dir, f, data)
        findings.append(_edited(f"{output_dir}/{f.path}", f.content, data, base_ref, problem.message if problem else "",
                                renders_as_base=renders_as_base, cluster_file=cluster_key(f.path) is not None))
        if parsed is not None:
            as_rendered, _ = _parse(output_dir, f, f.content)
            if as_rendered is not None:
                files.append((parsed, as_rendered))
    findings.extend(_object_findings(root, sha, checked, files, committed, schema_locations))
    return findings


def _differing(root: Path, checked: PipelineOutcome) -> list[tuple[OutputFile, bytes]]:
    """The rendered files whose bytes on disk differ, with those bytes (missing files left out:
    stale, `render --check`'s)."""
    assert checked.rendered is not None
    base = os.path.join(root, checked.fleet.config.output_dir)
    differing: list[tuple[OutputFile, bytes]] = []
    for f in checked.rendered.files:
        try:
            data = read_regular(os.path.join(base, f.path))
        except OSError:  # (missing, or a FIFO or folder there)
            continue
        if data != f.content:
            differing.append((f, data))
    return differing


def output_on_disk_findings(root: Path, checked: PipelineOutcome, schema_locations: Sequence[Path] = ()) -> list[Finding]:
    """What `validate` (without a base ref) finds in output files whose bytes differ from the
    rendering: the GitOps agent applies the files as they are on disk and committed, stale or
    edited by hand. Their objects as on disk get the strict schema, CEL (as on create) and
    `OBJECT_RULES` checks; only findings their rendering has not are reported, positioned in the
    output file (`fleet/clusters/ns/a/cluster.yaml:9:1: error [schema] Cluster a: spce: unknown
    field`), and a file that is no longer YAML is an `output-edited` error. Output that is merely
    stale (rendered from an earlier, valid version of a spec) passes: telling stale output is
    `render --check`'s, and telling a hand edit from stale output needs a base (`--base REF`,
    `edited_output_findings`).

    Returns:
        [] when the specs did not render or no output file differs (the common case).

    Raises:
        ConfigError: no synced schemas (exit 2).
    """
    if checked.rendered is None:
        return []
    differing = _differing(root, checked)
    if not differing:
        return []
    output_dir = checked.fleet.config.output_dir
    findings: list[Finding] = []
    files: list[tuple[OutputFile, OutputFile]] = []
    for f, data in differing:
        parsed, problem = _parse(output_dir, f, data)
        if problem is not None:  # (no file: not YAML any more)
            findings.append(Finding(RULE_ID, Severity.ERROR,
                                    f"is not valid YAML ({problem.message}), so the GitOps agent cannot apply it; it "
                                    "differs from what the specs render: edited by hand, or damaged", problem.position,
                                    hint="run `fleetgen render` to write it again from the specs"))
            continue
        as_rendered, _ = _parse(output_dir, f, f.content)
        if parsed is not None and as_rendered is not None:
            files.append((parsed, as_rendered))
    return findings + _edit_findings(root, checked, files, None, schema_locations)


def _parse(output_dir: str, f: OutputFile, data: bytes) -> tuple[OutputFile | None, Finding | None]:
    """The edited file as an OutputFile whose objects are positioned in it (identity origin maps),
    or (None, the parser's finding: message and position) when it is not YAML any more."""
    from fleetgen.render.base import OutputFile, RenderedObject
    from fleetgen.render.layout import cluster_key
    from fleetgen.yamlio import YamlLoadError, load_yaml

    try:
        docs = load_yaml(data, f"{output_dir}/{f.path}", allow_empty=True)
    except YamlLoadError as err:
        return None, err.finding
    key = cluster_key(f.path)
    objects = []
    for doc in docs:
        if isinstance(doc.data, dict):
            origin = {pointer: pointer for pointer in doc.source.positions}  # (positions in the output file)
            origin[""] = ""
            objects.append(RenderedObject(doc.data, doc.source, origin, key[1] if key else ""))
    return OutputFile(f.path, data, tuple(objects)), None


def _edited(path: str, rendered: bytes, data: bytes, base_ref: str, yaml_error: str, *, renders_as_base: bool,
            cluster_file: bool) -> Finding:
    """The `output-edited` finding, at the first line where `data` differs from `rendered`: a
    warning, or an error when the file is no longer YAML (`yaml_error`: the agent's apply of it fails).
    `renders_as_base`: the inputs render the base's file (else: its cluster's spec is as at the base);
    `cluster_file`: the file is a cluster's, not an addon's or the agent's."""
    # (with their line ends: CRLF, or a final newline dropped, is a difference on that line)
    ours, theirs = rendered.splitlines(keepends=True), data.splitlines(keepends=True)
    line = next((i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b), min(len(ours), len(theirs))) + 1
    line = min(line, max(len(theirs), 1))  # (lines cut off the end: the file's last line)
    problem = f" It is not valid YAML any more ({yaml_error}), so the agent cannot apply it." if yaml_error else ""
    inputs = "the specs and addons still render it as at" if renders_as_base else "its cluster's spec is as at"
    return Finding(RULE_ID, Severity.ERROR if problem else Severity.WARNING,
                   f"differs from what the specs render and from {base_ref}, though {inputs} "
                   f"{base_ref}: edited by hand (or left from a render of a spec since reverted); the GitOps agent "
                   f"applies this file as it is, and the next `fleetgen render` overwrites it.{problem}",
                   Position(path, line, 1),
                   hint=f"edit the {'spec' if cluster_file else 'specs or addons'}, not the output, then run `fleetgen render`")


def _edit_findings(root: Path, checked: PipelineOutcome, files: list[tuple[OutputFile, OutputFile]],
                   base: RenderResult | None, schema_locations: Sequence[Path],
                   trees: tuple[RenderResult, RenderResult, RenderResult, RenderResult] | None = None) -> list[Finding]:
    """Strict schema, CEL (`oldSelf` from `base`, or as on create) and `OBJECT_RULES` findings on
    the objects of `files` as on disk that their rendering has not; where the schema or CEL refuse
    a field, the webhook mirrors' findings there are left out (the API server checks those first).

    Args:
        files: per file, (its objects as on disk, its rendering's objects), positioned in the file.
        trees: (on-disk files, on-disk tree, rendered files, rendered tree) when the caller built them.
    """
    from fleetgen.pipeline import open_registry
    from fleetgen.policy import OBJECT_RULES, run_rules
    from fleetgen.policy.base import PolicyContext
    from fleetgen.validate.engine import check_objects

    if not files:
        return []
    head, tree_on_disk, rendered, tree_rendered = trees or _trees(checked, files)
    output_dir = checked.fleet.config.output_dir
    registry = open_registry(root, schema_locations)

    def object_findings(files: RenderResult, tree: RenderResult) -> list[Finding]:
        return [*check_objects(files, registry=registry, output_dir=output_dir, base=base),
                *run_rules(PolicyContext(checked.fleet, tree), OBJECT_RULES)]

    known = {(f.rule_id, f.message) for f in object_findings(rendered, tree_rendered)}
    found = [f for f in object_findings(head, tree_on_disk) if (f.rule_id, f.message) not in known]
    # the API server checks the schema and its CEL rules before the admission webhooks: where they
    # refuse a field, that is the problem to report there, not the webhook mirrors' view of it
    validated = {f.position for f in found if f.rule_id in ("schema", "cel")}
    mirrors = {r.id for r in OBJECT_RULES}
    return [f for f in found if f.rule_id not in mirrors or f.position not in validated]


def _trees(checked: PipelineOutcome, files: list[tuple[OutputFile, OutputFile]],
           ) -> tuple[RenderResult, RenderResult, RenderResult, RenderResult]:
    """(the files as on disk, the tree with them, the files as rendered, the tree with those): the
    object rules follow references between files (a ClusterResourceSet's ConfigMaps are in other
    addons' files); a cluster's objects reference only each other, in its own file."""
    from fleetgen.render.base import RenderResult
    from fleetgen.validate.engine import rest_of

    clusters = checked.rendered.clusters if checked.rendered else ()
    on_disk = {disk.path: disk for disk, _ in files}
    as_rendered = {ours.path: ours for _, ours in files}
    shared = [f for f in rest_of(checked.rendered).files if f.path not in on_disk] if checked.rendered else []
    return (RenderResult(tuple(on_disk.values()), clusters), RenderResult((*on_disk.values(), *shared), clusters),
            RenderResult(tuple(as_rendered.values()), clusters), RenderResult((*as_rendered.values(), *shared), clusters))


def _object_findings(root: Path, sha: str, checked: PipelineOutcome, files: list[tuple[OutputFile, OutputFile]],
                     committed: dict[str, tuple[int, str]], schema_locations: Sequence[Path]) -> list[Finding]:
    """Findings on the edited files' objects as on disk (`_parse`) that their rendering has not:
    strict schema, CEL (`oldSelf` from the committed objects), the rules that read only objects
    (`fleetgen.policy.OBJECT_RULES`: webhook mirrors, worker version skew), and every transition
    rule against the committed objects of those files.

    Args:
        files: per edited file, (its objects as on disk, its rendering's objects), both positioned
            in the output file.

    Returns:
        The findings the edit brings: a schema, CEL or object-rule finding that the rendering has
        too (same rule and message) is left out, it is the spec's, reported at the spec. Findings
        on the edited objects are positioned in their output files; an object rule may also report
        an object of another file the edit affects (a ClusterResourceSet whose ConfigMap an edited
        addon file no longer holds), at that object's spec position. Where the schema refuses a
        field, the object rules' and transition rules' findings at that position are left out.
    """
    from fleetgen.policy import RULES, rule_scope, run_rules
    from fleetgen.policy.base import PolicyContext
    from fleetgen.vcs.plan_build import as_render_result, objects_from_commit

    if not files:
        return []
    output_dir = checked.fleet.config.output_dir
    trees = _trees(checked, files)
    head = trees[0]
    read = objects_from_commit(root, sha, output_dir, only={f"{output_dir}/{disk.path}" for disk, _ in files},
                               blobs=committed)
    if read is None:
        return []  # (a symlink in the committed output)
    base = as_render_result(read[0], output_dir)
    found = _edit_findings(root, checked, files, base, schema_locations, trees=trees)
    refused = {f.position for f in found if f.rule_id == "schema"}
    # every transition rule: both sides carry the working tree's specs, so the rules that compare
    # specs find nothing (the pipeline reported those), and the ones that compare objects see
    # exactly the hand edit (only the edited files, on both sides)
    transition = [r for r in RULES if rule_scope(r) == "transition"]
    base_ctx = PolicyContext(checked.fleet, base)
    # (an unknown field the schema refuses is pruned by the API server: no change to refuse as immutable)
    changes = [f for f in run_rules(PolicyContext(checked.fleet, head, base_ctx), transition) if f.position not in refused]
    return [*found, *changes]
