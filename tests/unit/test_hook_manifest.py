"""Consistency of the pre-commit hook manifest (.pre-commit-hooks.yaml) and this repository's own
.pre-commit-config.yaml, checked with pre-commit's own schemas (STYLE §7): the manifest loads, each
hook's `files:` regex matches the paths it must and none it must not, and the dogfood hooks in the
config stay in step with the manifest."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from pre_commit.clientlib import load_config, load_manifest

from fleetgen.cli import COMMANDS

REPO_ROOT = Path(__file__).resolve().parents[2]
MANIFEST = REPO_ROOT / ".pre-commit-hooks.yaml"
CONFIG = REPO_ROOT / ".pre-commit-config.yaml"
HOOK_IDS = ("fleetgen-render", "fleetgen-validate")


def _manifest() -> dict[str, dict[str, Any]]:
    return {hook["id"]: hook for hook in load_manifest(str(MANIFEST))}


def _matches(hook_id: str, path: str) -> bool:
    """Whether pre-commit would run `hook_id` for a commit touching `path` (it uses re.search)."""
    hook = _manifest()[hook_id]
    return bool(re.search(hook["files"], path)) and not re.search(hook["exclude"], path)


def test_hook_manifest_loads_with_pre_commit_schema_has_both_hooks() -> None:
    hooks = _manifest()
    assert sorted(hooks) == sorted(HOOK_IDS)
    assert hooks["fleetgen-validate"]["entry"] == "fleetgen validate"
    assert hooks["fleetgen-validate"]["args"] == ["--base", "HEAD"]  # transition checks against the last commit
    assert hooks["fleetgen-render"]["entry"] == "fleetgen render"


@pytest.mark.parametrize("hook_id", HOOK_IDS)
def test_hook_manifest_hook_runs_once_per_commit_without_filenames(hook_id: str) -> None:
    hook = _manifest()[hook_id]
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    assert hook["always_run"] is False
    assert hook["minimum_pre_commit_version"] != "0"
    assert "commit-msg" not in hook["stages"] and "pre-commit" in hook["stages"]


@pytest.mark.parametrize("hook_id", HOOK_IDS)
def test_hook_manifest_entry_names_existing_subcommand(hook_id: str) -> None:
    program, subcommand, *rest = shlex.split(_manifest()[hook_id]["entry"])
    assert program == "fleetgen"
    assert subcommand in COMMANDS
    assert not rest, "options belong in the hook's `args:` so users can override them"


GOOD_PATHS = {
    "fleetgen-validate": [
        "fleetgen.yaml",
        "clusters/a.yaml",
        "clusters/a.yml",
        "clusters/kubevirt/kv-demo.yaml",
        "clusters/prod/eu-west/pve-1.yaml",
        "crs/calico/addon.yaml",
        "crs/calico/calico-installation.yaml",
        "crs/baseline/policy.json",
        "schemas/sources.yaml",
        "schemas/cluster.x-k8s.io/cluster_v1beta2.json",
    ],
    "fleetgen-render": [
        "fleetgen.yaml",
        "clusters/a.yaml",
        "clusters/kubevirt/kv-demo.yaml",
        "clusters/prod/eu-west/pve-1.yml",
        "crs/calico/addon.yaml",
        "crs/calico/calico-installation.yaml",
        "fleet/clusters/kv-demo/cluster.yaml",
        "fleet/fleet.yaml",
    ],
}
BAD_PATHS = {
    "fleetgen-validate": [
        "README.md",
        "fleetgen.yml",
        "fleetgen.yaml.orig",
        "sub/fleetgen.yaml",
        "clusters.yaml",
        "clusters/README.md",
        "clusters/a.yaml.bak",
        "docs/clusters/a.yaml",
        "tests/golden/basic/spec/clusters/a.yaml",
        "fleet/clusters/kv-demo/cluster.yaml",
        ".pre-commit-config.yaml",
    ],
    "fleetgen-render": [
        "README.md",
        "fleetgen.yml",
        "sub/fleetgen.yaml",
        "clusters/README.md",
        "clusters/a.yaml.bak",
        "docs/fleet/x.yaml",
        "fleetgen/render/capi.py",
        "schemas/sources.yaml",
        "schemas/cluster.x-k8s.io/cluster_v1beta2.json",
    ],
}


@pytest.mark.parametrize(
    ("hook_id", "path"),
    [(h, p) for h in HOOK_IDS for p in GOOD_PATHS[h]],
    ids=[f"{h}-{p.replace('/', '-')}" for h in HOOK_IDS for p in GOOD_PATHS[h]],
)
def test_hook_files_regex_good_path_matches(hook_id: str, path: str) -> None:
    assert _matches(hook_id, path)


@pytest.mark.parametrize(
    ("hook_id", "path"),
    [(h, p) for h in HOOK_IDS for p in BAD_PATHS[h]],
    ids=[f"{h}-{p.replace('/', '-')}" for h in HOOK_IDS for p in BAD_PATHS[h]],
)
def test_hook_files_regex_bad_path_does_not_match(hook_id: str, path: str) -> None:
    assert not _matches(hook_id, path)


@pytest.mark.parametrize("hook_id", HOOK_IDS)
def test_hook_files_regex_example_fleet_inputs_all_match(hook_id: str) -> None:
    inputs = [
        REPO_ROOT / "fleetgen.yaml",
        *(p for d in ("clusters", "crs") for p in (REPO_ROOT / d).rglob("*") if p.is_file()),
    ]
    assert len(inputs) > 3
    unmatched = [
        str(p.relative_to(REPO_ROOT)) for p in inputs if not _matches(hook_id, str(p.relative_to(REPO_ROOT)))
    ]
    assert unmatched == []


def test_precommit_config_loads_with_pre_commit_schema_uses_meta_hooks() -> None:
    config = load_config(str(CONFIG))
    by_repo = {repo["repo"]: repo for repo in config["repos"]}
    meta_ids = {hook["id"] for hook in by_repo["meta"]["hooks"]}
    assert "check-hooks-apply" in meta_ids
    local_ids = [hook["id"] for hook in by_repo["local"]["hooks"]]
    assert "validate-manifest" in local_ids
    assert local_ids.index("fleetgen-render") < local_ids.index("fleetgen-validate")


@pytest.mark.parametrize("hook_id", HOOK_IDS)
def test_precommit_config_dogfood_hook_matches_manifest_same_triggers(hook_id: str) -> None:
    config = load_config(str(CONFIG))
    local = {
        hook["id"]: hook for repo in config["repos"] if repo["repo"] == "local" for hook in repo["hooks"]
    }
    ours, published = local[hook_id], _manifest()[hook_id]
    for key in ("files", "exclude", "pass_filenames", "stages", "always_run", "args"):
        assert ours[key] == published[key], key
    assert ours["entry"] == f".venv/bin/{published['entry']}"
