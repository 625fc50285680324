"""`validate --base` on an addon whose strategy or cluster selector changes in its spec: fleetgen renders
a new ClusterResourceSet (the name carries a hash of both), so the webhook never sees an update; the
change is a crs-immutable warning at the addon's field, saying what the replacement does."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Cli = Callable[..., Any]


@pytest.mark.parametrize(("path", "old", "new", "line"), [
    ("crs/baseline/addon.yaml", "strategy: ApplyOnce", "strategy: Reconcile", 10),
    ("crs/calico/addon.yaml", "      cni: calico\n", "      cni: calico\n      env: demo\n", 8),
], ids=["strategy", "selector"])
def test_addon_strategy_or_selector_change_is_a_warning_at_the_addon(rendered_repo: Path, cli: Cli, path: str,
                                                                     old: str, new: str, line: int) -> None:
    addon = rendered_repo / path
    assert old in addon.read_text()
    addon.write_text(addon.read_text().replace(old, new, 1))
    assert cli("--repo", str(rendered_repo), "render").exit_code == 0
    result = cli("--repo", str(rendered_repo), "validate", "--base", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    found = [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == "crs-immutable"]
    assert [(f["file"], f["line"], f["severity"]) for f in found] == [(path, line, "warning")]
    assert "applies the payload again" in found[0]["message"]
