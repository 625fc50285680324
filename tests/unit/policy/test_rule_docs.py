"""The committed rule reference matches the rule modules."""

from __future__ import annotations

from pathlib import Path

from fleetgen.policy import RULE_BY_ID
from fleetgen.policy.docs import render_rules_markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "rules.md"


def test_rules_doc_is_current_regenerate_with_python_m_fleetgen_policy_docs() -> None:
    assert DOC.read_text() == render_rules_markdown()


def test_rules_doc_has_a_section_per_rule() -> None:
    text = render_rules_markdown()
    for rid in RULE_BY_ID:
        assert f"\n### {rid}\n" in text
