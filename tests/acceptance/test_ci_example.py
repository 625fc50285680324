"""The example GitHub Actions workflow (examples/github-actions/fleetgen.yml), checked and run.

The workflow is parsed, and every `run:` step that invokes fleetgen is executed, as the runner would
(`bash --noprofile --norc -eo pipefail`, the job's and step's `env:` with `${{ github.base_ref }}`
resolved), in a clone of a fleet repository where a pull-request branch changed a spec. Only the
install and schema-sync steps are skipped: the venv's fleetgen is on PATH and the fixture's fleet
already has its schemas synced and committed. So the example cannot drift from the CLI.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = REPO_ROOT / "examples" / "github-actions" / "fleetgen.yml"
VENV_BIN = Path(sys.executable).parent
BASE_BRANCH = "main"
KV_SPEC = "clusters/kubevirt/kv-demo.yaml"
#: Steps not run here, with why: matched on their `run:` text.
SKIPPED_STEPS = {
    "pip install": "fleetgen is already installed in the test venv",
    "fleetgen schemas sync": "the fixture's fleet commits schemas synced from the mirror",
}
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
#: The expressions a fleetgen step may use, and their values for a PR into BASE_BRANCH.
CONTEXT = {"github.base_ref": BASE_BRANCH}


def load_workflow() -> dict[Any, Any]:
    doc = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(doc, dict)
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean True; GitHub reads it as "on".
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def job() -> dict[str, Any]:
    jobs = load_workflow()["jobs"]
    assert len(jobs) == 1
    return next(iter(jobs.values()))


def resolve(text: str) -> str:
    """Substitute the `${{ ... }}` expressions a fleetgen step may use; any other is a test failure."""

    def value(match: re.Match[str]) -> str:
        expr = match.group(1)
        assert expr in CONTEXT, f"unexpected expression ${{{{ {expr} }}}} in a fleetgen step"
        return CONTEXT[expr]

    return EXPRESSION.sub(value, text)


def fleetgen_steps() -> list[dict[str, Any]]:
    """The steps whose `run:` invokes fleetgen, minus SKIPPED_STEPS, in workflow order."""
    steps = [s for s in job()["steps"] if "run" in s and re.search(r"\bfleetgen\b", s["run"])]
    kept = [s for s in steps if not any(k in s["run"] for k in SKIPPED_STEPS)]
    assert len(steps) - len(kept) == len(SKIPPED_STEPS), "a skipped step disappeared: update SKIPPED_STEPS"
    return kept


def run_step(step: dict[str, Any], cwd: Path, summary: Path) -> subprocess.CompletedProcess[str]:
    """Run one `run:` step as GitHub's `shell: bash` does, with the job's and step's env."""
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
           "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true"}
    for scope in (load_workflow().get("env", {}), job().get("env", {}), step.get("env", {})):
        env.update({k: resolve(str(v)) for k, v in scope.items()})
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", resolve(step["run"])],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def fleetgen(cwd: Path, *args: str) -> None:
    proc = subprocess.run([VENV_BIN / "fleetgen", *args], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def edit(root: Path, rel: str, old: str, new: str) -> int:
    """Replace `old` (once) with `new`; return the 1-based line where it starts."""
    path = root / rel
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} not unique in {rel}"
    path.write_text(text.replace(old, new))
    return text[: text.index(old)].count("\n") + 1


@pytest.fixture
def pr_checkout(fleet_repo: Path, tmp_path: Path) -> Path:
    """A clone of the fleet repository (rendered output committed on main, as `origin/main`), on a new
    branch `pr` with no change yet: what actions/checkout with fetch-depth 0 gives a PR job."""
    fleetgen(fleet_repo, "render")
    git(fleet_repo, "add", "-A")
    git(fleet_repo, "commit", "-q", "-m", "render the fleet")
    work = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", str(fleet_repo), str(work))
    git(work, "checkout", "-q", "-b", "pr")
    return work


def run_all(work: Path, tmp_path: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run every fleetgen step (each runs regardless of the previous, like `if: !cancelled()`)."""
    summary = tmp_path / "step-summary.md"
    summary.touch()
    return {step["name"]: run_step(step, work, summary) for step in fleetgen_steps()}


def test_ci_workflow_parses_with_expected_top_level_keys() -> None:
    doc = load_workflow()
    assert {"name", "on", "permissions", "jobs"} <= set(doc)
    assert {"fleetgen.yaml", "clusters/**", "crs/**", "fleet/**"} <= set(doc["on"]["pull_request"]["paths"])
    assert doc["permissions"] == {"contents": "read", "pull-requests": "write"}
    steps = job()["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert str(python["with"]["python-version"]) == "3.11"


def test_ci_workflow_steps_in_order_with_expected_commands() -> None:
    runs = [s["run"] for s in job()["steps"] if "run" in s]
    expected = [r"pip install fleetgen==\d+\.\d+\.\d+", r"fleetgen schemas sync", r"fleetgen render --check",
                r'fleetgen validate --format github --base "\$BASE_REF"',
                r'fleetgen plan --base "\$BASE_REF" --format markdown > plan\.md',
                r"gh pr comment .*--body-file plan\.md --edit-last \\?\s*\|\| gh pr comment .*--body-file plan\.md"]
    assert len(runs) == len(expected)
    for run, pattern in zip(runs, expected, strict=True):
        assert re.search(pattern, run, re.S), (pattern, run)
    assert job()["env"]["BASE_REF"] == "origin/${{ github.base_ref }}"
    comment = job()["steps"][-1]
    assert comment["env"]["GH_TOKEN"] == "${{ github.token }}"


def test_ci_workflow_good_pr_all_fleetgen_steps_pass_and_plan_has_summary(pr_checkout: Path, tmp_path: Path) -> None:
    edit(pr_checkout, KV_SPEC, "      replicas: 3\n", "      replicas: 5\n")
    fleetgen(pr_checkout, "render")
    git(pr_checkout, "commit", "-q", "-am", "scale kv-demo md-0 to 5")

    results = run_all(pr_checkout, tmp_path)

    assert {name: r.returncode for name, r in results.items()} == dict.fromkeys(results, 0), \
        {name: r.stdout + r.stderr for name, r in results.items() if r.returncode}
    plan = (pr_checkout / "plan.md").read_text()
    summary = re.search(PLAN_SUMMARY, plan, re.M)
    assert summary, plan
    assert "1 scale" in summary.group(0)
    assert "kv-demo" in plan
    assert plan in (tmp_path / "step-summary.md").read_text()


def test_ci_workflow_unrendered_pr_render_check_fails(pr_checkout: Path, tmp_path: Path) -> None:
    edit(pr_checkout, KV_SPEC, "      replicas: 3\n", "      replicas: 5\n")
    git(pr_checkout, "commit", "-q", "-am", "scale kv-demo md-0 to 5, not rendered")

    results = run_all(pr_checkout, tmp_path)

    assert results["Rendered output is current"].returncode == 1
    assert results["Validate"].returncode == 0
    assert results["Plan"].returncode == 0


def test_ci_workflow_even_control_plane_pr_validate_fails_with_annotation(pr_checkout: Path, tmp_path: Path) -> None:
    line = edit(pr_checkout, KV_SPEC, "    replicas: 1\n", "    replicas: 2\n")
    git(pr_checkout, "commit", "-q", "-am", "even control plane")

    results = run_all(pr_checkout, tmp_path)

    validate = results["Validate"]
    assert validate.returncode == 1
    assert re.search(rf"^::error file={re.escape(KV_SPEC)},line={line}\b.*replicas", validate.stdout, re.M), \
        validate.stdout
    assert results["Rendered output is current"].returncode == 1
    assert "Traceback" not in "".join(r.stderr for r in results.values())


#: The summary line of `fleetgen plan --format markdown`, e.g. `**fleetgen plan:** 1 cluster changed: 1 scale`.
PLAN_SUMMARY = r"^\*\*fleetgen plan:\*\* \d+ clusters? changed: .+$"
