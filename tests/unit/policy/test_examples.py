"""The example corpus: every rule has passing and failing cases under tests/examples.

Layout: `tests/examples/{positive,negative}/<rule-id>/<case>.yaml`, one multi-document YAML file per
case (the format is described in `tests/unit/policy/cases.py`), plus `<case>.base.yaml` for
transition rules. Only the rule named by the folder runs. A negative case lists the exact
findings it must produce as `# expect: LINE:COL RULE-ID` comments (STYLE.md §7); a positive case
must produce none.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetgen.policy import RULE_BY_ID, run_rules

from .cases import context_from_file, expectations, findings_tuples

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _cases(kind: str) -> list[Path]:
    return sorted(p for p in (EXAMPLES / kind).glob("*/*.yaml") if not p.name.endswith(".base.yaml"))


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


POSITIVE = _cases("positive")
NEGATIVE = _cases("negative")


@pytest.mark.parametrize("case", POSITIVE, ids=[_id(p) for p in POSITIVE])
def test_example_positive_case_has_no_findings(case: Path) -> None:
    rule_id = case.parent.name
    assert rule_id in RULE_BY_ID, f"{case}: folder must be named after a rule id"
    assert not expectations(case.read_text()), f"{case}: a positive case must not expect findings"
    findings = run_rules(context_from_file(case, relative_to=EXAMPLES), [rule_id])
    assert [f"{f.position}: {f.message}" for f in findings] == []


@pytest.mark.parametrize("case", NEGATIVE, ids=[_id(p) for p in NEGATIVE])
def test_example_negative_case_reports_exact_positions(case: Path) -> None:
    rule_id = case.parent.name
    assert rule_id in RULE_BY_ID, f"{case}: folder must be named after a rule id"
    expected = expectations(case.read_text())
    assert expected, f"{case}: a negative case must list `# expect: LINE:COL RULE-ID` comments"
    findings = run_rules(context_from_file(case, relative_to=EXAMPLES), [rule_id])
    assert findings_tuples(findings) == expected, "\n".join(f"{f.position} [{f.rule_id}] {f.message}" for f in findings)
    rel = case.relative_to(EXAMPLES).as_posix()
    assert {f.position.file for f in findings} == {rel}


def test_example_corpus_covers_every_rule_both_ways() -> None:
    positive = {p.parent.name for p in POSITIVE}
    negative = {p.parent.name for p in NEGATIVE}
    assert sorted(set(RULE_BY_ID) - positive) == []
    assert sorted(set(RULE_BY_ID) - negative) == []


def test_example_objects_use_only_fields_the_pinned_crds_have(schema_dir: Path) -> None:
    """A case setting a field the pinned CRD does not have (one from a newer CAPI) tests a rule
    that cannot fire: the API server drops the field, and fleetgen's schema check reports it first."""
    import yaml

    from fleetgen.schemas.registry import SchemaRegistry

    registry = SchemaRegistry([schema_dir])
    unknown = []
    for case in sorted(EXAMPLES.glob("*/*/*.yaml")):
        for doc in yaml.safe_load_all(case.read_text()):
            if isinstance(doc, dict) and registry.has_schema(str(doc.get("apiVersion")), str(doc.get("kind"))):
                unknown += [f"{_id(case)}: {v.message}" for v in registry.validate(doc) if "unknown field" in v.message]
    assert unknown == []
