"""The validation engine: every check on a rendered fleet, collected into one CheckResult.

Owns: running, in order, strict schema validation of each rendered object (rule `schema`,
`schema-missing`), the CRDs' CEL rules (`cel`, with `oldSelf` from the base revision), the policy
rules (`fleetgen.policy`), addon payload validation and size budgets. Each problem is reported at
the spec line that produced it (`RenderedObject.spec_position`). Must not print or write files.

Example:
    >>> fleet, findings = load_fleet(root)                                  # doctest: +SKIP
    >>> result = check_fleet(fleet, render_fleet(fleet), registry=SchemaRegistry([root / "schemas"]))  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleetgen.errors import SchemaNotFoundError
from fleetgen.findings import CheckResult, Finding, Position, Severity

if TYPE_CHECKING:
    from fleetgen.policy.base import PolicyContext
    from fleetgen.render.base import RenderedObject, RenderResult
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
        try:
            violations = registry.validate(obj.manifest)
        except SchemaNotFoundError as err:
            findings.append(Finding("schema-missing", Severity.ERROR,
                                    f"{ref.kind} {ref.name}: {err}; run `fleetgen schemas sync`",
                                    obj.spec_position(""), object=ref, rendered=where))
            continue
        for v in violations:
            findings.append(Finding("schema", Severity.ERROR, f"{ref.kind} {ref.name}: {v.message}",
                                    obj.spec_position(v.pointer), pointer=v.pointer, object=ref, rendered=where))
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
    result.extend(getattr(rendered, "findings", ()))
    result.extend(check_objects(rendered, registry=registry, output_dir=fleet.config.output_dir,
                                base=base.rendered if base is not None else None))
    result.extend(run_rules(PolicyContext(fleet, rendered, base)))
    result.extend(check_payloads(fleet))
    result.extend(check_budgets(fleet, rendered))
    return result
