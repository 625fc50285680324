"""fleetgen: render typed workload-cluster specs into Cluster API, ClusterResourceSet and GitOps manifests.

The package is a library first: `fleetgen.spec` loads specs, `fleetgen.render` turns them into
Kubernetes objects, `fleetgen.validate` and `fleetgen.policy` check them, `fleetgen.vcs` talks to
git. `fleetgen.cli` is a thin click shell over those modules.
"""

__version__ = "0.1.0"


def main() -> None:
    """Console entry point (see `fleetgen.cli.main`)."""
    from fleetgen.cli import main as _main

    _main()
