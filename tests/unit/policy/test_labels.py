"""Label validation and raw selector evaluation."""

from __future__ import annotations

import pytest

from fleetgen.policy.labels import (
    format_selector,
    label_key_errors,
    label_value_errors,
    selector_errors,
    selector_is_empty,
    selector_matches,
)


@pytest.mark.parametrize("value", ["", "a", "a.b_c-d", "A1", "x" * 63], ids=["empty", "one", "punctuation", "upper", "max"])
def test_label_value_valid_values_pass(value: str) -> None:
    assert label_value_errors(value) == []


def test_label_value_too_long_and_bad_chars_report_both() -> None:
    errors = label_value_errors("-" + "x" * 63)
    assert errors[0] == "must be no more than 63 characters"
    assert "must start and end with an alphanumeric character" in errors[1]
    assert label_value_errors(3) == ["must be a string, got int"]


@pytest.mark.parametrize(("key", "ok"), [
    ("cni", True), ("cluster.x-k8s.io/cluster-name", True), ("Upper/name", False), ("/name", False),
    ("a/", False), ("x" * 64, False), ("bad key", False),
], ids=["plain", "prefixed", "upper-prefix", "empty-prefix", "empty-name", "long-name", "space"])
def test_label_key_validation(key: str, ok: bool) -> None:
    assert (label_key_errors(key) == []) is ok


def test_selector_matches_labels_and_expressions() -> None:
    sel = {"matchLabels": {"cni": "calico"},
           "matchExpressions": [{"key": "env", "operator": "In", "values": ["demo", "prod"]},
                                {"key": "legacy", "operator": "DoesNotExist"}]}
    assert selector_matches(sel, {"cni": "calico", "env": "demo"})
    assert not selector_matches(sel, {"cni": "calico", "env": "dev"})
    assert not selector_matches(sel, {"cni": "calico", "env": "demo", "legacy": "x"})
    assert selector_matches({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {})
    assert selector_matches({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"a": ""})
    assert selector_matches({}, {"anything": "x"})


def test_selector_errors_and_emptiness() -> None:
    assert selector_errors({"matchExpressions": [{"key": "a", "operator": "In"}]}) == [
        "matchExpressions[0]: for 'in', 'notin' operators, values set can't be empty"]
    assert selector_errors({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]})
    assert selector_errors({"matchExpressions": [{"key": "a", "operator": "Near"}]})
    assert selector_errors("cni=calico") == ["must be a label selector (matchLabels / matchExpressions)"]
    assert selector_is_empty({}) and selector_is_empty(None) and selector_is_empty({"matchLabels": {}})
    assert not selector_is_empty({"matchLabels": {"a": "b"}})


def test_selector_errors_check_expression_keys_and_values_like_new_requirement() -> None:
    errors = selector_errors({"matchExpressions": [{"key": "bad key!", "operator": "DoesNotExist"},
                                                   {"key": "env", "operator": "NotIn", "values": ["ok", "bad value!"]}]})
    assert len(errors) == 2
    assert errors[0].startswith("matchExpressions[0].key 'bad key!': name part must consist of alphanumeric")
    assert errors[1].startswith("matchExpressions[1].values[1] 'bad value!': a valid label must be")
    assert selector_errors({"matchExpressions": [{"key": "cluster.x-k8s.io/cluster-name", "operator": "In",
                                                  "values": ["a"]}]}) == []


def test_format_selector_like_kubectl() -> None:
    sel = {"matchLabels": {"b": "2", "a": "1"},
           "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "demo"]},
                                {"key": "x", "operator": "Exists"}, {"key": "y", "operator": "DoesNotExist"}]}
    assert format_selector(sel) == "a=1,b=2,env in (demo,prod),x,!y"
