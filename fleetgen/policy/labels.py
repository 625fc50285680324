"""Kubernetes label and label-selector helpers for rules that read rendered objects as plain dicts.

Owns: label key/value validation with the API server's messages, and evaluating, validating and
emptiness-testing raw `LabelSelector` dicts (`matchLabels` + `matchExpressions`). The typed spec
selector (`fleetgen.spec.models.LabelSelector`) has its own `matches`; this module is for rendered
data. Must not build findings.

Example:
    >>> selector_matches({"matchLabels": {"cni": "calico"}}, {"cni": "calico", "env": "demo"})
    True
    >>> label_value_errors("a" * 64)
    ['must be no more than 63 characters']

Source:
    k8s.io/apimachinery/pkg/util/validation/validation.go (`IsValidLabelValue`,
    `IsQualifiedName`); k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go (`LabelSelectorAsSelector`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

LABEL_VALUE_MAX = 63
CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"

_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE_FORMAT = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                       "and must start and end with an alphanumeric character")


def label_value_errors(value: object) -> list[str]:
    """The API server's complaints about a label value (empty list if it is valid)."""
    if not isinstance(value, str):
        return [f"must be a string, got {type(value).__name__}"]
    return list(_label_value_errors(value))


def label_valid(key: str, value: str) -> bool:
    """True when both the label key and its value are valid (`label_key_errors` and
    `label_value_errors` are empty); answered from their caches."""
    return not _label_key_errors(key) and not _label_value_errors(value)


@lru_cache(maxsize=16384)
def _label_value_errors(value: str) -> tuple[str, ...]:
    errors = []
    if len(value) > LABEL_VALUE_MAX:
        errors.append(f"must be no more than {LABEL_VALUE_MAX} characters")
    if not _LABEL_VALUE.match(value):
        errors.append(_LABEL_VALUE_FORMAT)
    return tuple(errors)


def label_key_errors(key: object) -> list[str]:
    """The API server's complaints about a label key (`[prefix/]name`; empty list if valid)."""
    if not isinstance(key, str):
        return [f"must be a string, got {type(key).__name__}"]
    return list(_label_key_errors(key))


@lru_cache(maxsize=16384)
def _label_key_errors(key: str) -> tuple[str, ...]:
    prefix, slash, name = key.rpartition("/")
    errors = []
    if slash:
        if not prefix:
            errors.append("prefix part must be non-empty")
        elif len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix):
            errors.append("prefix part must be a lowercase RFC 1123 subdomain of at most 253 characters")
    if not name:
        errors.append("name part must be non-empty")
    else:
        if len(name) > 63:
            errors.append("name part must be no more than 63 characters")
        if not _QUALIFIED_NAME.match(name):
            errors.append("name part must consist of alphanumeric characters, '-', '_' or '.', "
                          "and must start and end with an alphanumeric character")
    return tuple(errors)


def selector_errors(selector: object, *, match_labels: bool = True) -> list[str]:
    """Problems that make `metav1.LabelSelectorAsSelector` fail (empty list if the selector parses):
    matchLabels keys and values (unless `match_labels` is False: a caller whose labels are checked
    elsewhere), and for each matchExpressions entry its key, its values and whether their count
    fits the operator (apimachinery labels.NewRequirement)."""
    if selector is None:
        return []
    if not isinstance(selector, Mapping):
        return ["must be a label selector (matchLabels / matchExpressions)"]
    errors = []
    for key, value in (selector.get("matchLabels") or {}).items() if match_labels else ():
        errors += [f"matchLabels key {key!r}: {e}" for e in label_key_errors(key)]
        errors += [f"matchLabels[{key}] value {value!r}: {e}" for e in label_value_errors(value)]
    for i, req in enumerate(selector.get("matchExpressions") or []):
        if not isinstance(req, Mapping):
            errors.append(f"matchExpressions[{i}]: must be a mapping")
            continue
        op, values = req.get("operator"), req.get("values") or []
        errors += [f"matchExpressions[{i}].key {req.get('key')!r}: {e}" for e in label_key_errors(req.get("key"))]
        for j, value in enumerate(values):
            errors += [f"matchExpressions[{i}].values[{j}] {value!r}: {e}" for e in label_value_errors(value)]
        if op in ("In", "NotIn") and not values:
            errors.append(f"matchExpressions[{i}]: for 'in', 'notin' operators, values set can't be empty")
        elif op in ("Exists", "DoesNotExist") and values:
            errors.append(f"matchExpressions[{i}]: values set must be empty for exists and does not exist")
        elif op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            errors.append(f"matchExpressions[{i}]: {op!r} is not a valid label selector operator")
    return errors


def selector_is_empty(selector: object) -> bool:
    """True if the selector has no matchLabels and no matchExpressions (it selects everything)."""
    if not isinstance(selector, Mapping):
        return True
    return not selector.get("matchLabels") and not selector.get("matchExpressions")


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """True if `labels` satisfy every matchLabels entry and matchExpressions requirement.

    An empty selector matches everything (as `LabelSelectorAsSelector` makes it); call
    `selector_errors` first for selectors that may not parse.
    """
    if not selector:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for req in selector.get("matchExpressions") or []:
        key, op, values = req.get("key"), req.get("operator"), req.get("values") or []
        present = key in labels
        if op == "In" and (not present or labels[key] not in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def format_selector(selector: Mapping[str, Any] | None) -> str:
    """A selector in kubectl's string form, e.g. `cni=calico,env in (demo,prod)`."""
    if not selector:
        return ""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for req in selector.get("matchExpressions") or []:
        key, op, values = req.get("key"), req.get("operator"), sorted(req.get("values") or [])
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(str(key))
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)
