"""gitops-repo-path: the GitOps agent must find the output where fleetgen.yaml says it is.

Fleet's `GitRepo.spec.paths`, and Flux's `Kustomization.spec.path` and `GitRepository.spec.ignore`,
are relative to the top level of the git repository, not to the folder holding fleetgen.yaml. A
fleet kept in a folder of a monorepo (`platform/fleet/fleetgen.yaml`) therefore sets
`gitops.path: platform/fleet`, and the agent reads `platform/fleet/fleet/`. When `gitops.path`
does not name the folder fleetgen.yaml is in, the agent finds no bundles (Fleet) or an empty
artifact (Flux): nothing is applied, and with Flux's pruning everything the Kustomizations
applied before is deleted. Reported at `gitops.path` (or `gitops`) of fleetgen.yaml; skipped when
the fleet is not inside a git working tree (the folder is read from where a valid `.git` is).

Severity: error; a warning when the enclosing repository has remotes and none of them is
`gitops.repo` (compared by host and path, so `git@host:org/repo.git` is `https://host/org/repo`;
remotes are read as `git remote -v` shows them, with the repository config's `insteadOf` aliases
expanded and its `[include]`d files read):
then the agent may read another repository, e.g. a subtree split or an export where the fleet's
folder is the top level, or the enclosing repository is unrelated (dotfiles kept in `$HOME`).

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
from urllib.parse import urlsplit

from fleetgen.findings import Finding, Severity
from fleetgen.policy.base import PolicyContext
from fleetgen.policy.emit import spec_finding
from fleetgen.render.gitops import SCP_LIKE_URL
from fleetgen.spec.discover import git_placement
from fleetgen.spec.models import check_repo_folder
from fleetgen.vcs.remotes import remote_urls


def repo_identity(url: str) -> str:
    """What two git URLs of one repository share: `host/path` in lower case, without a user, a
    port, a scheme, a trailing `/` or `.git`; a local path (`/srv/git/x.git`, `file://...`) is its
    own path. E.g. `git@github.com:Org/fleet.git` and `https://github.com/org/fleet` are both
    `github.com/org/fleet`. Azure DevOps' ssh form (`git@ssh.dev.azure.com:v3/org/project/repo`) and
    its old `org.visualstudio.com` hosts are its https form, `dev.azure.com/org/project/_git/repo`."""
    url = url.strip()
    if scp := SCP_LIKE_URL.match(url):
        host, path = scp["host"], scp["path"]
    else:
        try:
            parts = urlsplit(url)
            host, path = (parts.hostname or ""), (parts.path if parts.scheme else url)
        except ValueError:  # (e.g. an unclosed `[` of an IPv6 host: the text is all we have)
            host, path = "", url
    path = path.strip("/").removesuffix(".git").rstrip("/")
    if not host:
        return path
    return _azure_devops(host.lower(), path.lower())


def _azure_devops(host: str, path: str) -> str:
    """`host/path` with Azure DevOps' other URL forms of one repository written as its https form."""
    parts = path.split("/")
    if host in ("ssh.dev.azure.com", "vs-ssh.visualstudio.com") and len(parts) == 4 and parts[0] == "v3":
        return f"dev.azure.com/{parts[1]}/{parts[2]}/_git/{parts[3]}"
    if host.endswith(".visualstudio.com") and host != "vs-ssh.visualstudio.com":
        if parts[0] == "defaultcollection":
            parts = parts[1:]
        host, parts = "dev.azure.com", [host.removesuffix(".visualstudio.com"), *parts]
    if host == "dev.azure.com" and len(parts) == 3 and parts[1] == "_git":  # (a repository named as its project)
        parts = [parts[0], parts[2], "_git", parts[2]]
    return f"{host}/{'/'.join(parts)}"


class GitopsRepoPathRule:
    """`gitops.path` names the folder of the git repository that holds fleetgen.yaml."""

    id = "gitops-repo-path"
    severity = Severity.ERROR
    summary = ("gitops.path must name the folder of the git repository that holds fleetgen.yaml "
               "(the agent's paths are relative to the git root)")
    scope = "fleet"

    def check(self, ctx: PolicyContext) -> Iterator[Finding]:
        """Yield one finding when the fleet's folder in its git repository is not `gitops.path`."""
        placement = git_placement(ctx.fleet.root)
        config = ctx.fleet.config
        if placement is None or placement.folder == config.gitops.path:
            return
        folder = placement.folder
        said = f"gitops.path is {config.gitops.path!r}" if config.gitops.path else "gitops.path is not set"
        where = f"in folder {folder!r} of its git repository" if folder else "at the top level of its git repository"
        consequence = f"would look for the output at {config.git_output_dir}/ and find nothing there"
        hint = f"set gitops.path: {folder}" if folder else "remove gitops.path"
        try:
            check_repo_folder(folder)
        except ValueError as err:  # (gitops.path cannot name it: the agents read their paths as globs)
            hint = f"move the fleet to a folder gitops.path can name: {err}"
        remotes = remote_urls(placement.config)
        if remotes and repo_identity(config.gitops.repo) not in {repo_identity(url) for url in remotes}:
            yield spec_finding(self, ctx.fleet.config_source, "/gitops/path",
                               f"fleetgen.yaml is {where}, but {said}: if the GitOps agent reads this repository "
                               f"(none of its remotes is gitops.repo), it {consequence}", severity=Severity.WARNING,
                               hint=f"{hint}; if gitops.repo is another repository holding the fleet at "
                                    f"{config.gitops.path or 'its top level'} (a subtree split, an export), "
                                    "nothing needs to change")
            return
        yield spec_finding(self, ctx.fleet.config_source, "/gitops/path",
                           f"fleetgen.yaml is {where}, but {said}: the GitOps agent {consequence}", hint=hint)


RULE = GitopsRepoPathRule()
