"""The validation engine: every check on a rendered fleet, collected into one CheckResult.

Owns: running, in order, strict schema validation of each rendered object (rule `schema`,
`schema-missing`), the CRDs' CEL rules (`cel`, with `oldSelf` from the base revision), the policy
rules (`fleetgen.policy`), addon payload validation and size budgets. Each problem is reported at
the spec line that produced it (`RenderedObject.spec_position`). Must not print or write files.

The same checks come in two halves for the incremental pipeline (`fleetgen.pipeline`):
`check_cluster` runs what depends on one cluster only (its objects' schemas and CEL rules, the
`cluster`-scope policy rules, its bundle's size budgets), and `check_assembled` runs the rest on
the whole fleet and merges in the clusters' results; together they give `check_fleet`'s findings.

Example:
    >>> fleet, findings = load_fleet(root)                                  # doctest: +SKIP
    >>> result = check_fleet(fleet, render_fleet(fleet), registry=SchemaRegistry([root / "schemas"]))  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fleetgen.errors import SchemaNotFoundError
from fleetgen.findings import CheckResult, Finding, Position, Severity

if TYPE_CHECKING:
    from collections.abc import Sequence

    from fleetgen.policy.base import PolicyContext
    from fleetgen.render.base import OutputFile, RenderedObject, RenderResult
    from fleetgen.schemas.registry import SchemaRegistry
    from fleetgen.spec.load import Fleet


def _object_key(obj: RenderedObject) -> tuple[str, str, str, str]:
    r = obj.ref
    return (r.api_version, r.kind, r.namespace, r.name)


def check_objects(rendered: RenderResult, *, registry: SchemaRegistry, output_dir: str,
                  base: RenderResult | None = None) -> list[Finding]:
    """Schema-validate and CEL-check every rendered object.

    Args:
        rendered: the rendered output tree (objects keep their origin maps).
        registry: the synced JSON schemas (strict: unknown fields rejected).
        output_dir: the output directory name, to show rendered file paths (e.g. "fleet").
        base: the base revision's rendered output; its objects provide `oldSelf` for CEL
            transition rules. None: transition rules are skipped, as on create.

    Returns:
        Findings with rule ids `schema`, `schema-missing`, `cel`, `cel-unsupported`, positioned
        at the spec field that produced the offending rendered field.
    """
    from fleetgen.validate.cel import check_cel

    old_by_key = {_object_key(o): o.manifest for _, o in base.objects()} if base is not None else {}
    findings: list[Finding] = []
    for out_file, obj in rendered.objects():
        ref = obj.ref
        where = Position(f"{output_dir}/{out_file.path}")
        named = bool(ref.kind or ref.name)  # (a document of an output file edited by hand may be neither)
        subject = f"{ref.kind} {ref.name}" if named else "a document without kind and metadata.name"
        about = ref if named else None
        try:
            violations = registry.validate(obj.manifest)
        except SchemaNotFoundError as err:
            findings.append(Finding("schema-missing", Severity.ERROR, f"{subject}: {err}",
                                    obj.spec_position(""), object=about, rendered=where))
            continue
        for v in violations:
            findings.append(Finding("schema", Severity.ERROR, f"{subject}: {v.message}",
                                    obj.spec_position(v.pointer), pointer=v.pointer, object=about, rendered=where))
        schema = registry.schema_for(ref.api_version, ref.kind)
        if schema is not None:
            for f in check_cel(obj, schema, old=old_by_key.get(_object_key(obj))):
                findings.append(f if f.rendered else f.replace(rendered=where))
    return findings


def check_fleet(fleet: Fleet, rendered: RenderResult, *, registry: SchemaRegistry,
                base: PolicyContext | None = None) -> CheckResult:
    """Run every check on a loaded and rendered fleet.

    Args:
        fleet: the loaded specs and addons (without load errors; see `fleetgen.pipeline`).
        rendered: `render_fleet(fleet)`.
        registry: synced schemas.
        base: the base revision's context for transition rules (`validate --base`, `plan`), or None.

    Returns:
        A CheckResult with every finding and the counts of objects and files checked.
    """
    from fleetgen.policy import run_rules
    from fleetgen.policy.base import PolicyContext
    from fleetgen.validate.budgets import check_budgets
    from fleetgen.validate.payload import check_payloads

    result = CheckResult()
    result.files_checked = len(rendered.files)
    result.objects_checked = sum(len(f.objects) for f in rendered.files)
    render_findings = getattr(rendered, "findings", ())
    result.extend(render_findings)
    result.extend(unexplained(check_objects(rendered, registry=registry, output_dir=fleet.config.output_dir,
                                            base=base.rendered if base is not None else None), render_findings))
    result.extend(run_rules(PolicyContext(fleet, rendered, base)))
    result.extend(check_payloads(fleet))
    result.extend(check_budgets(fleet, rendered))
    return result


@dataclass(frozen=True)
class ClusterChecks:
    """What `check_cluster` found on one cluster.

    Attributes:
        objects: `schema`, `schema-missing`, `cel` and `cel-unsupported` findings, in object order.
        rules: raw findings of the `cluster`-scope policy rules (`fleetgen.policy.run_cluster_rules`).
        budgets: size-budget findings of the cluster's bundle.
        object_count: the number of objects checked.
    """

    objects: tuple[Finding, ...]
    rules: tuple[Finding, ...]
    budgets: tuple[Finding, ...]
    object_count: int


def check_cluster(fleet: Fleet, files: Sequence[OutputFile], *, registry: SchemaRegistry) -> ClusterChecks:
    """The checks whose findings depend on one cluster only.

    Args:
        fleet: a fleet holding exactly that cluster and no addons (config as the whole fleet's).
        files: the files of the cluster's bundle directory (`fleetgen.render.render_cluster_files`),
            with every object.
        registry: synced schemas.

    Returns:
        The cluster's findings, for `check_assembled`.
    """
    from fleetgen.policy import run_cluster_rules
    from fleetgen.policy.base import PolicyContext
    from fleetgen.render.base import RenderResult
    from fleetgen.validate.budgets import check_budgets

    part = RenderResult(tuple(files), tuple(sorted(c.name for c in fleet.clusters)))
    return ClusterChecks(
        tuple(check_objects(part, registry=registry, output_dir=fleet.config.output_dir)),
        tuple(run_cluster_rules(PolicyContext(fleet, part))),
        tuple(check_budgets(fleet, part)),
        sum(len(f.objects) for f in files))


@dataclass(frozen=True)
class RestChecks:
    """What `check_rest` found on the files outside the clusters' bundle directories.

    Attributes:
        objects: `(file path, its schema and CEL findings)` for every such file with objects, in file order.
        rules: raw findings of the `cluster`-scope policy rules on the rest of the fleet.
        budgets: size-budget findings of those files and bundles.
    """

    objects: tuple[tuple[str, tuple[Finding, ...]], ...]
    rules: tuple[Finding, ...]
    budgets: tuple[Finding, ...]


def check_rest(fleet: Fleet, rest: RenderResult, *, registry: SchemaRegistry) -> RestChecks:
    """The per-object and per-bundle checks of everything but the clusters' bundle directories.

    Args:
        fleet: the loaded fleet (its config and addons are read; its clusters are not).
        rest: the files of the output tree outside `clusters/<ns>/<name>/` (namespaces, addons,
            GitOps agent files), every object kept.
        registry: synced schemas.

    Returns:
        The findings, for `check_assembled`.
    """
    from fleetgen.policy import run_cluster_rules
    from fleetgen.policy.base import PolicyContext
    from fleetgen.render.base import RenderResult
    from fleetgen.spec.load import Fleet
    from fleetgen.validate.budgets import check_budgets

    output_dir = fleet.config.output_dir
    objects = tuple((f.path, tuple(check_objects(RenderResult((f,)), registry=registry, output_dir=output_dir)))
                    for f in rest.files if f.objects)
    others = Fleet(fleet.root, fleet.config, fleet.config_source, (), fleet.addons)
    return RestChecks(objects, tuple(run_cluster_rules(PolicyContext(others, rest))), tuple(check_budgets(fleet, rest)))


def rest_of(rendered: RenderResult) -> RenderResult:
    """The files of `rendered` outside the clusters' bundle directories (what `check_rest` checks)."""
    from fleetgen.render.base import RenderResult

    return RenderResult(tuple(f for f, d in zip(rendered.files, _bundle_dirs(rendered.files), strict=True) if not d),
                        rendered.clusters)


def check_assembled(fleet: Fleet, rendered: RenderResult, clusters: Sequence[tuple[str, ClusterChecks]], *,
                    registry: SchemaRegistry, rest: RestChecks | None = None,
                    payloads: Sequence[Finding] | None = None) -> CheckResult:
    """`check_fleet` for a fleet whose clusters were checked one by one with `check_cluster`.

    Args:
        fleet: the loaded fleet.
        rendered: the whole output tree (`fleetgen.render.assemble_fleet`); a cluster's objects
            file may hold only the kinds fleet-level code reads.
        clusters: `(bundle directory, checks)` for every cluster of `fleet.clusters`, in that order.
        registry: synced schemas.
        rest: `check_rest(fleet, rest_of(rendered))` if already known (e.g. cached), else computed here.
        payloads: `check_payloads(fleet)` if already known, else computed here.

    Returns:
        A CheckResult with the findings and counts `check_fleet(fleet, rendered-in-full)` gives
        (no base: transition checks need the full objects of both revisions).
    """
    from fleetgen.policy import merge_rule_findings
    from fleetgen.policy.base import PolicyContext
    from fleetgen.validate.payload import check_payloads

    by_dir = dict(clusters)
    dirs = _bundle_dirs(rendered.files)
    if rest is None:
        rest = check_rest(fleet, rest_of(rendered), registry=registry)
    rest_objects = dict(rest.objects)

    result = CheckResult()
    result.files_checked = len(rendered.files)
    result.objects_checked = (sum(len(f.objects) for f, d in zip(rendered.files, dirs, strict=True) if d not in by_dir)
                              + sum(c.object_count for _, c in clusters))
    result.extend(rendered.findings)
    done: set[str] = set()
    for f, directory in zip(rendered.files, dirs, strict=True):  # object findings in file order, as check_objects reports them
        if directory in by_dir:
            if directory not in done:
                done.add(directory)
                result.extend(unexplained(by_dir[directory].objects, rendered.findings))
        else:
            result.extend(unexplained(rest_objects.get(f.path, ()), rendered.findings))
    result.extend(merge_rule_findings(PolicyContext(fleet, rendered), list(rest.rules), [c.rules for _, c in clusters]))
    result.extend(check_payloads(fleet) if payloads is None else payloads)
    budgets = [*rest.budgets, *(f for _, c in clusters for f in c.budgets)]
    result.extend(sorted(budgets, key=Finding.sort_key))
    return result


def unexplained(object_findings: Sequence[Finding], render_findings: Sequence[Finding]) -> list[Finding]:
    """The object findings left once those a render error already explains are dropped.

    A render error names the spec field the renderer could not turn into a valid object, with the
    fix (e.g. `flux-git-url` at `gitops.repo`: "write it as ssh://..."); the `schema` finding that
    the same field's rendered value then fails (the GitRepository `spec.url` pattern) is the same
    problem reported twice. So a `schema` finding at the position of a render error is dropped;
    every other finding is kept.

    Args:
        object_findings: findings of `check_objects` (or a cluster's share of them), in order.
        render_findings: `RenderResult.findings`.

    Returns:
        `object_findings` in the same order, without the explained ones.
    """
    explained = {f.position for f in render_findings if f.severity is Severity.ERROR}
    if not explained:
        return list(object_findings)
    return [f for f in object_findings if not (f.rule_id == "schema" and f.position in explained)]


def _bundle_dirs(files: Sequence[OutputFile]) -> list[str]:
    """For each file, the cluster bundle directory (`clusters/<ns>/<name>`) holding it, else ""."""
    from fleetgen.render.layout import cluster_dir, cluster_key

    out = []
    for f in files:
        key = cluster_key(f.path)
        out.append(cluster_dir(*key) if key else "")
    return out
