"""Committing the fleet: checks first, then stage only fleetgen's paths and commit them.

Owns: the refusal rules of `fleetgen commit` (invalid specs, a stale output directory, a change
the API server would reject, a cluster deletion nobody allowed), the set of paths a fleet commit
may hold, and the commit message that summarises the plan against HEAD. Git itself goes through
`fleetgen.vcs.repo`. Must not print.

Commit message (when the user gives none):

    one change      subject = that change:      `scale kv-demo/md-0 3→4`
                                                `rollout pve-demo/md-0 (machine template)`
                                                `create cluster kv-2`, `delete cluster pve-demo`
                                                `update kv-demo (Cluster, MachineHealthCheck)`
    several         subject = the changes joined with "; " when that fits in 72 characters,
                    else the plan summary (`3 clusters changed: 1 create, 1 scale, 1 rollout`);
                    body = one bullet per change, in plan order (`- rollout kv-demo/md-0: 3 machines
                    replaced (machine template a → b)`)
    no object change  `update fleet sources (no change to rendered objects)`, body = the files

Example:
    >>> outcome = commit_fleet(Path("."))          # doctest: +SKIP
    >>> outcome.commit.short_sha, outcome.commit.subject   # doctest: +SKIP
    ('1a2b3c4', 'scale kv-demo/md-0 3→4')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fleetgen.findings import Severity
from fleetgen.vcs.plan import DELETE, Plan
from fleetgen.vcs.plan_build import build_plan
from fleetgen.vcs.repo import CommitInfo, open_repo

if TYPE_CHECKING:
    from fleetgen.spec.load import Fleet

#: Fleet-root-relative paths a fleet commit holds (plus the output directory from fleetgen.yaml).
COMMIT_PATHS: tuple[str, ...] = ("clusters", "crs", "fleetgen.yaml", "schemas/sources.yaml")

#: The folders of COMMIT_PATHS whose new files are committed only when fleetgen reads them (specs,
#: addon.yaml files and the payload files addons list): a credentials file dropped beside a spec
#: is left out, never pushed.
SOURCE_DIRS: tuple[str, ...] = ("clusters", "crs")

#: Longest subject that lists several changes before the summary is used instead.
MAX_SUBJECT = 72


@dataclass
class CommitOutcome:
    """What `commit_fleet` did.

    Attributes:
        plan: the plan against HEAD (None only if it could not be built).
        message: the commit message used (or that would have been used).
        commit: the new commit, or None (refused, or nothing to commit).
        refused: why nothing was committed because of a problem, "" otherwise.
        stale: output files that differ from a fresh render (`fleet/...` paths), when refused for that.
        paths: the repository paths that the commit holds (git-root-relative).
        left_out: new files under clusters/ and crs/ that fleetgen does not read (neither a
            spec nor an addon file), not staged (fleet-root-relative).
    """

    plan: Plan | None
    message: str = ""
    commit: CommitInfo | None = None
    refused: str = ""
    stale: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    left_out: tuple[str, ...] = ()

    @property
    def nothing_to_commit(self) -> bool:
        """True when the checks passed but fleetgen's paths hold no change against HEAD."""
        return not self.refused and self.commit is None


def commit_message(plan: Plan, changed_files: Sequence[str] = ()) -> str:
    """The commit message that summarises a plan (see the module docstring for the format).

    Args:
        plan: the plan of the working tree against HEAD.
        changed_files: the staged paths (used when no rendered object changes).

    Returns:
        The message: a subject line, and for several changes a blank line and a bullet body.
    """
    changes = plan.changes()
    if not changes:
        body = "\n".join(f"- {p}" for p in changed_files)
        subject = "update fleet sources (no change to rendered objects)"
        return f"{subject}\n\n{body}" if body else subject
    if len(changes) == 1:
        return changes[0].subject
    joined = "; ".join(c.subject for c in changes)
    subject = joined if len(joined) <= MAX_SUBJECT else plan.summary_line()
    body = "\n".join(f"- {c.text}" for c in changes)
    return f"{subject}\n\n{body}"


def _refusal(plan: Plan, allow_delete: Iterable[str]) -> str:
    if not plan.valid or plan.result.has_errors:
        return (f"validation failed ({plan.result.count(Severity.ERROR)} error(s)); fix them, "
                "run `fleetgen render`, then commit")
    forbidden = plan.forbidden
    if forbidden:
        lines = "\n".join(f"  {o.message}" for o in forbidden)
        return f"{len(forbidden)} change(s) the API server would reject:\n{lines}"
    allowed = set(allow_delete)
    deleted = set(plan.deleted_clusters)
    refused = sorted((c.namespace, c.name) for c in plan.clusters
                     if c.name in deleted and any(ch.action == DELETE and ch.target == c.name for ch in c.changes)
                     and c.name not in allowed and f"{c.namespace}/{c.name}" not in allowed)
    if refused:
        flags = " ".join(f"--allow-delete {ns}/{n}" for ns, n in refused)
        names = ", ".join(f"{ns}/{n}" for ns, n in refused)
        return (f"refusing to commit the deletion of cluster {names}: its Cluster object leaves the fleet (see "
                f"`fleetgen plan` for what the GitOps agent then does); if that is intended, rerun with {flags}")
    return ""


def commit_fleet(root: Path, *, message: str | None = None, allow_delete: Iterable[str] = (),
                 schema_locations: Sequence[Path] = ()) -> CommitOutcome:
    """Check the fleet, then stage and commit the specs, addons, settings and output directory.

    Checks, in order (the first that fails refuses the commit, and nothing is staged):
    the working tree's specs load and validate (schemas and policy, with HEAD as the base);
    the output directory matches a fresh render (`fleetgen render --check`); no change is
    forbidden; every deleted Cluster is named in `allow_delete`.

    Args:
        root: the fleet repository root (inside a git working tree).
        message: the commit message; None to generate one from the plan against HEAD.
        allow_delete: cluster names (or `namespace/name`) whose deletion may be committed.
        schema_locations: extra schema directories searched before `schemas/`.

    Returns:
        The outcome: `commit` set when a commit was made; `refused` set when a check failed;
        neither when there was nothing to commit.

    Raises:
        VcsError: not a git repository, or git refused to stage or commit (exit 2).
        ConfigError: fleetgen.yaml is invalid or no schemas are synced (exit 2).
    """
    from fleetgen.render.write import diff_tree

    open_repo(root).close()  # fail early, before rendering, when this is no git repository
    plan = build_plan(root, base_ref="HEAD", schema_locations=schema_locations)
    outcome = CommitOutcome(plan)
    if plan.valid and not plan.result.has_errors and plan.outcome is not None and plan.outcome.rendered is not None:
        fleet = plan.outcome.fleet
        stale = diff_tree(fleet.output_dir, plan.outcome.rendered)
        if stale:
            outcome.stale = tuple(f"{fleet.config.output_dir}/{c.path}" for c in stale)
            outcome.refused = (f"{fleet.config.output_dir}/ is stale ({len(stale)} file(s) differ from the specs); "
                               "run `fleetgen render` first")
            return outcome
    outcome.refused = _refusal(plan, allow_delete)
    if outcome.refused:
        return outcome
    assert plan.outcome is not None
    rels = (*COMMIT_PATHS, plan.outcome.fleet.config.output_dir)
    inputs = _input_files(plan.outcome.fleet)
    with open_repo(root) as repo:
        outcome.left_out = tuple(p for p in repo.untracked(SOURCE_DIRS) if p not in inputs)
        changed = repo.stage(rels, exclude=outcome.left_out)
        outcome.paths = tuple(changed)
        if not changed:
            return outcome
        outcome.message = message if message else commit_message(plan, changed)
        outcome.commit = repo.commit_only(rels, outcome.message)
    return outcome


def _input_files(fleet: Fleet) -> set[str]:
    """The fleet-root-relative files fleetgen read for `fleet`: cluster specs, addon.yaml files and
    the payload files each addon lists."""
    from fleetgen.validate.payload import payload_path

    files = {c.path for c in fleet.clusters}
    for addon in fleet.addons:
        files.add(addon.path)
        files.update(payload_path(addon, name) for name in addon.files)
    return files
