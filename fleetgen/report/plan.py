"""Plan reports: text (terminal), markdown (a pull-request comment) and JSON (machines).

Owns: turning a `fleetgen.vcs.plan.Plan` into text. Findings of the working tree are appended in
the text reporter's format. Must not compute anything about the plan (that is `fleetgen.vcs.plan`).

JSON shape (version 1; keys are snake_case; keys may be added, never removed or renamed)::

    {"version": 1,
     "base": {"ref": "HEAD", "commit": "<sha>" | null, "source": "committed" | "rendered" | "empty"},
     "valid": true,      # the working tree's specs load and render (false: no plan; see "findings")
     "summary": {"text": "...", "clusters_changed": 2, "clusters": {"create": 0, ...},
                 "objects": {"create": 2, ...}, "machines_replaced": 3, "forbidden": 0,
                 "deleted_clusters": [], "errors": 0, "warnings": 0},   # findings by severity
     "clusters": [{"name", "namespace", "action", "changes": [...], "objects": [...]}],
     "fleet_wide": {"action", "changes", "objects"} | null,
     "notes": [...], "findings": [... as in `fleetgen validate --format json` ...]}

Example:
    >>> import io
    >>> write_plan(Plan("HEAD", None, "empty"), "text", io.StringIO())    # doctest: +SKIP
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from fleetgen.findings import Severity
from fleetgen.vcs.plan import CREATE, DELETE, FORBIDDEN, ROLLOUT, ClusterPlan, FieldChange, ObjectChange, Plan

SCHEMA_VERSION = 1
FORMATS = ("text", "markdown", "json")

#: Fields listed per object in text and markdown before "… and N more".
MAX_FIELDS = 4
#: Longest value shown in text and markdown.
MAX_VALUE = 60
#: Longest JSON string value before it is summarised.
MAX_JSON_VALUE = 200

_SIGN = {CREATE: "+", DELETE: "-", FORBIDDEN: "!"}


def _short(value: Any, limit: int = MAX_VALUE) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, dict):
        return f"{{{len(value)} keys}}"
    if isinstance(value, list):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= limit else f"[{len(value)} items]"
    text = str(value) if isinstance(value, str) else json.dumps(value)
    if "\n" in text:
        return f"({text.count(chr(10)) + 1} lines)"
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _field_text(f: FieldChange) -> str:
    return f"{f.dotted}: {_short(f.old)} → {_short(f.new)}"


def _fields_summary(o: ObjectChange) -> list[str]:
    lines = [_field_text(f) for f in o.fields[:MAX_FIELDS]]
    if len(o.fields) > MAX_FIELDS:
        lines.append(f"… and {len(o.fields) - MAX_FIELDS} more")
    return lines


def _title(group: ClusterPlan) -> str:
    if not group.name:
        return "fleet-wide (addons, namespaces, GitOps objects)"
    return f"{group.name} (namespace {group.namespace})"


def _base_detail(plan: Plan) -> str:
    """`1a2b3c4, committed output` (what the base objects were read from)."""
    source = {"committed": "committed output", "rendered": "specs rendered now",
              "empty": "no fleet at that ref"}.get(plan.base_source, plan.base_source)
    return f"{plan.base_commit[:7]}, {source}" if plan.base_commit else source


def _base_text(plan: Plan) -> str:
    return f"{plan.base_ref} ({_base_detail(plan)})"


# --------------------------------------------------------------------------------------------
# text


def format_text(plan: Plan) -> str:
    """The plan for a terminal.

    Returns:
        Lines: a header with the base, the summary line, then per cluster its action, its change
        lines and one line per object (`+` create, `-` delete, `~` change, `!` forbidden), then
        notes and findings. Ends with a newline.
    """
    from fleetgen.report.text import format_finding, one_line

    out = [f"plan: working tree against {_base_text(plan)}"]
    if not plan.valid:
        out.append("the working tree's specs do not load; nothing was planned")
    else:
        out.append(plan.summary_line())
    for group in plan.groups:
        out.append("")
        out.append(f"{_title(group)}: {group.action}")
        for ch in group.changes:
            out.append(f"  {ch.text}")
        for o in group.objects:
            sign = _SIGN.get(o.action, "~")
            out.append(f"    {sign} {o.kind} {o.name}  [{o.action}]  {o.file}")
            if o.action not in (CREATE, DELETE):
                out.extend(f"        {line}" for line in _fields_summary(o))
            if o.message and o.action not in (ROLLOUT, FORBIDDEN) and o.kind not in ("MachineDeployment",
                                                                                   "KubeadmControlPlane"):
                out.append(f"        note: {o.message}")
    if plan.notes:
        out.append("")
        out.extend(f"note: {n}" for n in plan.notes)
    out = [one_line(line) for line in out]  # (values from the input: one line each; findings are so already)
    findings = [f for f in plan.result.sorted() if f.severity is not Severity.INFO]
    if findings:
        out.append("")
        out.append(f"validation of the working tree: {plan.result.count(Severity.ERROR)} error(s), "
                   f"{plan.result.count(Severity.WARNING)} warning(s)")
        out.extend(format_finding(f) for f in findings)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# markdown


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_code(text: str) -> str:
    return f"`{text.replace('`', 'ˋ')}`"


def format_markdown(plan: Plan) -> str:
    """The plan as a pull-request comment (GitHub-flavoured markdown).

    Returns:
        The first line is the summary (`**fleetgen plan:** 2 clusters changed: 1 scale, 1 rollout`);
        then the base, a loud quote per deleted cluster and per forbidden change, one section per
        cluster (its change lines and a table of objects), notes and findings.
    """
    head = plan.summary_line() if plan.valid else "the working tree's specs do not load"
    out = [f"**fleetgen plan:** {head}", "", f"Base: {_md_code(plan.base_ref)} ({_base_detail(plan)}); head: the working tree"]
    deleted = set(plan.deleted_clusters)
    for group in sorted(plan.clusters, key=lambda g: g.name):
        for change in group.changes:
            if group.name in deleted and change.action == DELETE and change.target == group.name:
                head_text, _, rest = change.text.partition(": ")
                out += ["", f"> [!CAUTION]\n> **{_md_cell(head_text)}**: {_md_cell(rest)}."]
    for o in plan.forbidden:
        out += ["", f"> [!WARNING]\n> **forbidden:** {_md_cell(o.message)}"]
    for group in plan.groups:
        title = (f"{_md_code(group.name)} ({group.namespace})" if group.name
                 else "fleet-wide (addons, namespaces, GitOps objects)")
        out += ["", f"### {title} — {group.action}", ""]
        out.extend(f"- {_md_cell(ch.text)}" for ch in group.changes)
        out += ["", "| action | kind | name | changes |", "|---|---|---|---|"]
        for o in group.objects:
            if o.action in (CREATE, DELETE):
                detail = _md_code(o.file)
            else:
                detail = "<br>".join(_md_code(line) if not line.startswith("…") else line for line in _fields_summary(o))
            out.append(f"| {o.action} | {o.kind} | {_md_code(o.name)} | {_md_cell(detail)} |")
    if plan.notes:
        out += [""] + [f"- note: {_md_cell(n)}" for n in plan.notes]
    findings = [f for f in plan.result.sorted() if f.severity is not Severity.INFO]
    if findings:
        from fleetgen.report.text import format_finding

        out += ["", f"#### Validation: {plan.result.count(Severity.ERROR)} error(s), "
                    f"{plan.result.count(Severity.WARNING)} warning(s)", "", "```"]
        out.extend(format_finding(f) for f in findings)
        out.append("```")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# json


def _json_value(value: Any) -> Any:
    """A value as JSON, summarised when large (long strings, big maps or lists)."""
    text = json.dumps(value, ensure_ascii=False)
    if len(text) <= MAX_JSON_VALUE:
        return value
    if isinstance(value, str):
        return value[:MAX_JSON_VALUE - 1] + "…"
    if isinstance(value, dict):
        return f"<map of {len(value)} keys>"
    if isinstance(value, list):
        return f"<list of {len(value)} items>"
    return value  # pragma: no cover - numbers and booleans are short


def _object_dict(o: ObjectChange) -> dict[str, Any]:
    return {
        "action": o.action,
        "api_version": o.api_version,
        "kind": o.kind,
        "namespace": o.namespace,
        "name": o.name,
        "file": o.file,
        "message": o.message or None,
        "machines": o.machines,
        "fields": [{"path": f.dotted, "old": _json_value(f.old), "new": _json_value(f.new)} for f in o.fields],
    }


def _group_dict(group: ClusterPlan) -> dict[str, Any]:
    return {
        "name": group.name,
        "namespace": group.namespace,
        "action": group.action,
        "changes": [{"action": c.action, "target": c.target, "text": c.text, "subject": c.subject,
                     "machines": c.machines} for c in group.changes],
        "objects": [_object_dict(o) for o in group.objects],
    }


def plan_dict(plan: Plan) -> dict[str, Any]:
    """The plan as a JSON-ready dict (see the module docstring for the shape)."""
    from fleetgen.report.json import finding_to_dict

    replaced = sum(o.machines or 0 for g in plan.groups for o in g.objects if o.action == ROLLOUT)
    fleet_wide = None
    if plan.fleet_wide is not None:
        fleet_wide = {k: v for k, v in _group_dict(plan.fleet_wide).items() if k not in ("name", "namespace")}
    return {
        "version": SCHEMA_VERSION,
        "base": {"ref": plan.base_ref, "commit": plan.base_commit, "source": plan.base_source},
        "valid": plan.valid,
        "summary": {
            "text": plan.summary_line() if plan.valid else "the working tree's specs do not load",
            "clusters_changed": len(plan.clusters),
            "clusters": plan.counts(),
            "objects": plan.object_counts(),
            "machines_replaced": replaced,
            "forbidden": len(plan.forbidden),
            "deleted_clusters": plan.deleted_clusters,
            "errors": plan.result.count(Severity.ERROR),
            "warnings": plan.result.count(Severity.WARNING),
        },
        "clusters": [_group_dict(g) for g in plan.clusters],
        "fleet_wide": fleet_wide,
        "notes": list(plan.notes),
        "findings": [finding_to_dict(f) for f in plan.result.sorted()],
    }


def format_json(plan: Plan) -> str:
    """The plan as indented JSON with a trailing newline."""
    return json.dumps(plan_dict(plan), indent=2, ensure_ascii=False) + "\n"


def format_plan(plan: Plan, fmt: str) -> str:
    """The plan in `fmt` (one of FORMATS), ending with a newline.

    Raises:
        ValueError: unknown format (the CLI restricts the choices, so this is a bug).
    """
    if fmt == "text":
        return format_text(plan)
    if fmt == "markdown":
        return format_markdown(plan)
    if fmt == "json":
        return format_json(plan)
    raise ValueError(f"unknown plan format {fmt!r}")


def write_plan(plan: Plan, fmt: str, stream: TextIO) -> None:
    """Write `plan` to `stream` in `fmt` (one of FORMATS) and flush it.

    Raises:
        ValueError: unknown format.
    """
    stream.write(format_plan(plan, fmt))
    stream.flush()
