"""gitops-repo-path: the GitOps agent must find the output where fleetgen.yaml says it is.

Fleet's `GitRepo.spec.paths`, and Flux's `Kustomization.spec.path` and `GitRepository.spec.ignore`,
are relative to the top level of the git repository, not to the folder holding fleetgen.yaml. A
fleet kept in a folder of a monorepo (`platform/fleet/fleetgen.yaml`) therefore sets
`gitops.path: platform/fleet`, and the agent reads `platform/fleet/fleet/`. When `gitops.path`
does not name the folder fleetgen.yaml is in, the agent finds no bundles (Fleet) or an empty
artifact (Flux): nothing is applied, and with Flux's pruning everything the Kustomizations
applied before is deleted. Reported at `gitops.path` (or `gitops`) of fleetgen.yaml; skipped when
the fleet is not inside a git working tree (the folder is read from where `.git` is).

Severity: error.

Source:
    rancher/fleet v0.16.1 charts/fleet-crd/templates/crds.yaml (GitRepo `paths`: "the directories
    relative to the git repo root"); fluxcd/kustomize-controller v1.9.4 Kustomization `path`
    (the root of the SourceRef by default); fluxcd/source-controller v1.9.1 GitRepository `ignore`
    (gitignore format, from the repository root).

Failing example (fleetgen.yaml at `platform/fleet/` of its git repository)::

    gitops: {agent: fleet, repo: https://git.example.com/platform/monorepo.git}

Passing example::

    gitops: {agent: fleet, repo: https://git.example.com/platform/monorepo.git, path: platform/fleet}
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.spec.discover import git_folder


class GitopsRepoPathRule:
    """`gitops.path` names the folder of the git repository that holds fleetgen.yaml."""

    id = "gitops-repo-path"
    severity = Severity.ERROR
    summary = ("gitops.path must name the folder of the git repository that holds fleetgen.yaml "
               "(the agent's paths are relative to the git root)")
    scope = "fleet"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding when the fleet's folder in its git repository is not `gitops.path`."""
        folder = git_folder(ctx.fleet.root)
        config = ctx.fleet.config
        if folder is None or folder == config.gitops.path:
            return
        said = f"gitops.path is {config.gitops.path!r}" if config.gitops.path else "gitops.path is not set"
        where = f"in folder {folder!r} of its git repository" if folder else "at the top level of its git repository"
        yield spec_finding(self, ctx.fleet.config_source, "/gitops/path",
                           f"fleetgen.yaml is {where}, but {said}: the GitOps agent would look for the output at "
                           f"{config.git_output_dir}/ and find nothing there",
                           hint=f"set gitops.path: {folder}" if folder else "remove gitops.path")


RULE = GitopsRepoPathRule()
