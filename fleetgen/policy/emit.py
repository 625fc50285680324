"""Building policy findings with the right positions and message shape.

Owns: `spec_finding` (a problem in a spec file, positioned with its `SourceMap`),
`merge_defaults_findings` (one finding per problem of a default that many clusters inherit) and
`object_finding` (a problem in a rendered object: positioned at the spec field that produced it via
the object's origin map, with the rendered file position in `Finding.rendered`). Every message
starts with the dotted field path (`spec.controlPlane.replicas: must be odd ...`); rendered-object
messages also name the object (`spec.replicas of KubeadmControlPlane clusters/a: ...`).
Must not decide what is wrong (rules do).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING

from fleetgen.findings import Finding, Position, Severity
from fleetgen.sourcemap import SourceMap, pointer_to_path
from fleetgen.spec.discover import CONFIG_FILE
from fleetgen.yamlio import YamlLoadError, load_yaml

if TYPE_CHECKING:
    from fleetgen.policy.base import PolicyContext, Rule
    from fleetgen.render.base import OutputFile, RenderedObject


def spec_finding(rule: Rule, source: SourceMap, pointer: str, problem: str, *,
                 severity: Severity | None = None, hint: str = "") -> Finding:
    """A finding about a spec field.

    Args:
        rule: the rule reporting it (gives the id and default severity).
        source: positions of the spec document (a cluster's, an addon's or fleetgen.yaml's).
        pointer: JSON pointer of the field in that document, e.g. `/spec/controlPlane/replicas`.
        problem: what is wrong, lower-case, without the field path.
        severity: overrides the rule's default severity.
        hint: optional advice.

    Returns:
        A Finding whose message is `<field path>: <problem>`, positioned at the field (or its
        nearest ancestor present in the file). When the value comes from another file (a default
        from fleetgen.yaml, shared by many clusters), the message names the spec it was merged
        into: `<field path> of clusters/b.yaml (from defaults): <problem>` (the same problem in
        several clusters becomes one finding: `merge_defaults_findings`).
    """
    path = pointer_to_path(pointer) or "(document)"
    position = source.lookup(pointer)
    if position.file != source.file:
        path = f"{path} of {source.file} (from defaults)"
    return Finding(rule.id, severity or rule.severity, f"{path}: {problem}", position,
                   pointer=pointer, hint=hint)


#: `spec_finding`'s message for a value merged from fleetgen.yaml's defaults.
_FROM_DEFAULTS = re.compile(r"(?P<path>.*?) of (?P<spec>\S+) \(from defaults\): (?P<problem>.*)", re.S)
#: Specs named in a merged defaults finding before "and N more".
_MAX_SPECS_NAMED = 3


def merge_defaults_findings(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per problem of a default: the `spec_finding`s of one rule at one fleetgen.yaml
    position with the same field and problem, one per cluster inheriting the value, become one
    naming those clusters' specs: `spec.kubernetesVersion (from defaults, in 2 clusters:
    clusters/a.yaml, clusters/b.yaml): ...`. So do `object_finding`s of one rule at one
    fleetgen.yaml position with the same problem (objects rendered from a default):
    `spec.version of KubeadmControlPlane clusters/a-control-plane and 1 more (from defaults): ...`.
    Other findings are kept as they are, in order.
    """
    groups: dict[tuple[object, ...], list[tuple[Finding, str]]] = {}
    out: list[Finding | tuple[object, ...]] = []
    for f in findings:
        m = _FROM_DEFAULTS.fullmatch(f.message)
        if m is None:
            if f.position.file == CONFIG_FILE and ": " in f.message:  # (an object rendered from a default)
                subject, problem = f.message.split(": ", 1)
                key = (f.rule_id, f.severity, f.position, f.pointer, f.hint, "", problem)
                if key not in groups:
                    groups[key] = []
                    out.append(key)
                groups[key].append((f, subject))
                continue
            out.append(f)
            continue
        key = (f.rule_id, f.severity, f.position, f.pointer, f.hint, m["path"], m["problem"])
        if key not in groups:
            groups[key] = []
            out.append(key)
        groups[key].append((f, m["spec"]))
    merged: list[Finding] = []
    for item in out:
        if isinstance(item, Finding):
            merged.append(item)
            continue
        group = groups[item]
        if len(group) == 1:
            merged.append(group[0][0])
            continue
        path, problem = item[5], item[6]
        if not path:  # (objects: `spec.version of KubeadmControlPlane ns/a and 1 more (from defaults): ...`)
            first, more = group[0][1], len({subject for _, subject in group}) - 1
            message = f"{first} and {more} more (from defaults): {problem}" if more else group[0][0].message
            head = group[0][0]
            also = tuple(dict.fromkeys(f.object for f, _ in group[1:] if f.object is not None and f.object != head.object))
            merged.append(replace(head, message=message, also=also))
            continue
        specs = sorted({spec for _, spec in group})
        named = ", ".join(specs[:_MAX_SPECS_NAMED]) + (f" and {len(specs) - _MAX_SPECS_NAMED} more"
                                                        if len(specs) > _MAX_SPECS_NAMED else "")
        merged.append(replace(group[0][0], message=f"{path} (from defaults, in {len(specs)} clusters: {named}): {problem}"))
    return merged


def object_finding(rule: Rule, ctx: PolicyContext, file: OutputFile, obj: RenderedObject, pointer: str, problem: str, *,
                   severity: Severity | None = None, hint: str = "") -> Finding:
    """A finding about a field of a rendered object.

    Args:
        rule: the rule reporting it.
        ctx: the policy context (for the output directory).
        file: the output file holding `obj`.
        obj: the rendered object.
        pointer: JSON pointer of the field in the object, e.g. `/spec/replicas`.
        problem: what is wrong, lower-case, without the field path.
        severity: overrides the rule's default severity.
        hint: optional advice.

    Returns:
        A Finding positioned at the spec field the origin map names for `pointer`, with `object`
        set and `rendered` at the field in the output file (when the file's YAML can be read).
    """
    path = pointer_to_path(pointer) or "metadata"
    return Finding(rule.id, severity or rule.severity, f"{path} of {obj.ref}: {problem}",
                   obj.spec_position(pointer), pointer=pointer, object=obj.ref,
                   rendered=rendered_position(ctx, file, obj, pointer), hint=hint)


def rendered_position(ctx: PolicyContext, file: OutputFile, obj: RenderedObject, pointer: str) -> Position:
    """Position of `pointer` inside `obj` in the output file, relative to the repository root.

    Falls back to the file alone (line 0) when the object cannot be located in the file's YAML.
    """
    path = f"{ctx.fleet.config.output_dir}/{file.path}"
    try:
        index = next(i for i, o in enumerate(file.objects) if o is obj)
    except StopIteration:
        return Position(path)
    sources = _document_sources(path, file.content)
    if len(sources) != len(file.objects):
        return Position(path)
    return sources[index].lookup(pointer)


@lru_cache(maxsize=64)
def _document_sources(path: str, content: bytes) -> tuple[SourceMap, ...]:
    try:
        return tuple(doc.source for doc in load_yaml(content, path, allow_empty=True))
    except YamlLoadError:
        return ()
