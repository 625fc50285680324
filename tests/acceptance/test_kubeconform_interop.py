"""The README's kubeconform command works on a rendered fleet, for both GitOps agents.

kubeconform cannot be installed on this machine (no Go toolchain or module proxy; not on PyPI, npm
or Debian), so this replays what kubeconform v0.7.0 does with that command line, step by step:
file discovery (`pkg/resource/files.go`: `.yaml`/`.yml`/`.json` files under the given paths, minus
those whose path matches an `-ignore-filename-pattern` regexp), document splitting, the signature
check (a document without `kind` is an error: "missing 'kind' key"), the `-schema-location`
template (`pkg/registry/registry.go` `schemaPath`: `Group` is the apiVersion before the `/`, or the
whole apiVersion for core objects; `ResourceAPIVersion` the part after it; `ResourceKind` the
lower-cased kind), a missing schema file being an error, and JSON Schema validation of each document
against the synced schema it names.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]


def readme_command() -> list[str]:
    """The argv of the README's kubeconform example (the ```sh block that runs kubeconform)."""
    blocks = re.findall(r"```sh\n(.*?)```", (REPO_ROOT / "README.md").read_text(), re.S)
    commands = [b for b in blocks if b.lstrip().startswith("kubeconform ")]
    assert len(commands) == 1, "the README should show exactly one kubeconform command"
    return shlex.split(commands[0].replace("\\\n", " "))


def options(argv: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """kubeconform's flags (name -> values; boolean flags map to []) and its positional paths."""
    flags: dict[str, list[str]] = {}
    paths: list[str] = []
    it = iter(argv[1:])
    for arg in it:
        if arg in ("-strict", "-summary"):
            flags.setdefault(arg, [])
        elif arg.startswith("-"):
            flags.setdefault(arg, []).append(next(it))
        else:
            paths.append(arg)
    return flags, paths


def schema_path(template: str, api_version: str, kind: str) -> str:
    """kubeconform's `schemaPath` for the template fields this project's layout uses."""
    parts = api_version.split("/")
    data = {"Group": parts[0], "ResourceAPIVersion": parts[-1], "ResourceKind": kind.lower()}
    return re.sub(r"\{\{\s*\.(\w+)\s*\}\}", lambda m: data[m.group(1)], template)


def kubeconform(root: Path, argv: list[str]) -> tuple[dict[str, int], list[str]]:
    """Replay `argv` in `root`: (documents validated per kind, error lines as kubeconform words them)."""
    flags, paths = options(argv)
    (template,) = flags["-schema-location"]
    ignored = flags.get("-ignore-filename-pattern", [])
    validators: dict[str, Any] = {}
    kinds: dict[str, int] = {}
    errors: list[str] = []
    for start in paths:
        for dirpath, dirnames, filenames in os.walk(root / start):
            dirnames.sort()
            for name in sorted(filenames):
                path = Path(dirpath, name)
                rel = os.path.join(start.rstrip("/"), path.relative_to(root / start).as_posix())
                if not name.lower().endswith((".yaml", ".yml", ".json")):
                    continue
                if any(re.search(pattern, rel) for pattern in ignored):
                    continue
                for doc in yaml.safe_load_all(path.read_text()):
                    if doc is None:
                        continue
                    if not doc.get("kind"):
                        errors.append(f"{rel} - failed validation: error while parsing: missing 'kind' key")
                        continue
                    location = schema_path(template, doc["apiVersion"], doc["kind"])
                    if not (root / location).is_file():
                        errors.append(f"{rel} - {doc['kind']} failed validation: could not find schema for {doc['kind']}")
                        continue
                    if location not in validators:
                        validators[location] = jsonschema_rs.validator_for(json.loads((root / location).read_text()))
                    errors += [f"{rel} - {doc['kind']} is invalid: {e.message}"
                               for e in validators[location].iter_errors(doc)]
                    kinds[doc["kind"]] = kinds.get(doc["kind"], 0) + 1
    return kinds, errors


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_readme_command_is_the_one_the_benchmark_measures() -> None:
    spec = importlib.util.spec_from_file_location("bench_run", REPO_ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = bench  # its dataclasses look their module up while being defined
    try:
        spec.loader.exec_module(bench)
    finally:
        del sys.modules["bench_run"]
    assert readme_command() == ["kubeconform", *bench.KUBECONFORM_ARGS]


@pytest.mark.parametrize("agent", ["fleet", "flux"])
def test_readme_kubeconform_command_validates_every_rendered_object(fleet_repo: Path, cli, agent: str) -> None:
    if agent == "flux":
        edit(fleet_repo / "fleetgen.yaml", "agent: fleet ", "agent: flux  ")
        edit(fleet_repo / "fleetgen.yaml", "namespace: fleet-local", "namespace: flux-system")
    result = cli("--repo", str(fleet_repo), "render")
    assert result.exit_code == 0, result.stdout + result.stderr

    kinds, errors = kubeconform(fleet_repo, readme_command())

    assert errors == []
    gitops = {"fleet": {"GitRepo"}, "flux": {"GitRepository", "Kustomization"}}[agent]
    assert {"Cluster", "KubeadmControlPlane", "MachineDeployment", "KubevirtCluster", "ProxmoxCluster",
            "ClusterResourceSet", "ConfigMap", "Namespace"} | gitops <= set(kinds)


def test_without_the_ignore_pattern_fleet_yaml_is_an_error(fleet_repo: Path, cli) -> None:
    assert cli("--repo", str(fleet_repo), "render").exit_code == 0
    argv = [a for a in readme_command() if a != "-ignore-filename-pattern" and not a.startswith("(^|/)")]

    _, errors = kubeconform(fleet_repo, argv)

    assert errors and all(e.endswith("missing 'kind' key") and "fleet.yaml" in e for e in errors)


def test_a_top_level_typo_in_a_rendered_object_fails(fleet_repo: Path, cli) -> None:
    assert cli("--repo", str(fleet_repo), "render").exit_code == 0
    cluster = fleet_repo / "fleet" / "clusters" / "clusters" / "kv-demo" / "cluster.yaml"
    text = cluster.read_text()
    cluster.write_text(text.replace("\nspec:\n", "\nspce:\n", 1))  # the first document: the Cluster

    _, errors = kubeconform(fleet_repo, readme_command())

    assert errors == [
        "fleet/clusters/clusters/kv-demo/cluster.yaml - Cluster is invalid: \"spec\" is a required property",
        "fleet/clusters/clusters/kv-demo/cluster.yaml - Cluster is invalid: "
        "Additional properties are not allowed ('spce' was unexpected)",
    ]
