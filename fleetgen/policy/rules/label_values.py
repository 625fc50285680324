"""label-values: every label on every rendered object must be valid.

The API server rejects an object whose labels break the Kubernetes syntax: values of at most 63
alphanumerics, `-`, `_` and `.`, starting and ending alphanumeric (or empty); keys `[prefix/]name`
with a DNS-subdomain prefix and a 63-character name. fleetgen copies spec labels onto Clusters and
machine templates and derives others from names, so a long cluster name or a label copied from
somewhere else can make a whole file fail to apply. Checked: `metadata.labels` of every object,
nested template metadata (`spec.template.metadata.labels`, `spec.machineTemplate.metadata.labels`)
and selector `matchLabels`.

Severity: error.

Source:
    k8s.io/apimachinery/pkg/util/validation/validation.go (`IsValidLabelValue`,
    `IsQualifiedName`); k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go
    (`ValidateLabels`).

Failing example::

    metadata:
      labels:
        team: platform/infra          # '/' is not allowed in a value

Passing example::

    metadata:
      labels:
        team: platform-infra
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import object_finding
from fleetgen.policy.labels import label_key_errors, label_valid, label_value_errors
from fleetgen.policy.objects import iter_label_maps
from fleetgen.sourcemap import escape_token


class LabelValuesRule:
    """Label keys and values of rendered objects are valid."""

    id = "label-values"
    severity = Severity.ERROR
    summary = "every label key and value on every rendered object must be valid (values <= 63 characters)"
    scope = "cluster"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding per invalid label key or value."""
        for file, obj in ctx.rendered.objects():
            if _labels_valid(obj.manifest):
                continue  # (no finding: skip the pointers)
            for pointer, labels in iter_label_maps(obj.manifest):
                for key, value in labels.items():
                    if key.__class__ is str and value.__class__ is str and label_valid(key, value):
                        continue
                    ptr = f"{pointer}/{escape_token(key)}"
                    for problem in label_key_errors(key):
                        yield object_finding(self, ctx, file, obj, ptr, f"label key {key!r}: {problem}")
                    for problem in label_value_errors(value):
                        shown = value if not isinstance(value, str) or len(value) <= 70 else value[:67] + "..."
                        yield object_finding(self, ctx, file, obj, ptr, f"label value {shown!r}: {problem}")


def _labels_valid(data: Any) -> bool:
    """True when every label map `iter_label_maps(data)` yields has only valid string keys and
    values (then `LabelValuesRule` has nothing to report on the object); the same walk, without
    building pointers."""
    stack = [data] if type(data) is dict or type(data) is list else []
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        if type(node) is dict:
            for key, value in node.items():
                kind = type(value)
                if kind is dict:
                    labels = value.get("labels") if key == "metadata" else value if key == "matchLabels" else None
                    if type(labels) is dict:
                        for k, v in labels.items():
                            if not (k.__class__ is str and v.__class__ is str and label_valid(k, v)):
                                return False
                    push(value)
                elif kind is list:
                    push(value)
        else:  # a list
            for item in node:
                kind = type(item)
                if kind is dict or kind is list:
                    push(item)
    return True


RULE = LabelValuesRule()
