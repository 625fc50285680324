"""`fleetgen validate` checks the output files as they are on disk where they differ from the rendering.

The GitOps agent applies fleet/ as committed, not what the specs render: a file edited by hand (or
damaged) is what reaches the management cluster. Without a base ref, validate cannot tell a hand
edit from stale output, so it reports only what is wrong in the objects on disk (schema, CEL,
webhook mirrors), at the output file's line; stale but valid output passes (that is
`render --check`'s). The run cache must not hide an edit made after a clean run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

Cli = Callable[..., Any]

PVE_OUT = "fleet/clusters/clusters/pve-demo/cluster.yaml"
KV_SPEC = "clusters/kubevirt/kv-demo.yaml"


def test_a_typo_in_an_output_file_is_an_error_at_its_line_even_after_a_clean_run(rendered_repo: Path, cli: Cli) -> None:
    assert cli("--repo", str(rendered_repo), "validate").exit_code == 0  # (a clean run: its summary is cached)
    path = rendered_repo / PVE_OUT
    text = path.read_text()
    lines = text.splitlines()
    first_spec = lines.index("spec:")
    lines[first_spec] = "spce:"
    path.write_text("\n".join(lines) + "\n")
    for argv in (("validate",), ("validate", "--no-cache")):
        result = cli("--repo", str(rendered_repo), *argv)
        assert result.exit_code == 1, result.stdout
        assert (f"{PVE_OUT}:{first_spec + 1}:1: error [schema] Cluster pve-demo: spce: unknown field 'spce'; "
                "did you mean 'spec'?") in result.stdout
    path.write_text(text)
    result = cli("--repo", str(rendered_repo), "validate")
    assert result.exit_code == 0 and "errors: 0, warnings: 0" in result.stdout, result.stdout


def test_an_output_file_that_is_not_yaml_any_more_is_an_error(rendered_repo: Path, cli: Cli) -> None:
    path = rendered_repo / PVE_OUT
    lines = path.read_text().splitlines()
    assert lines[2].startswith("kind: ")
    lines.insert(3, lines[2])  # (a duplicate key: reported where the parser stops)
    path.write_text("\n".join(lines) + "\n")
    result = cli("--repo", str(rendered_repo), "validate")
    assert result.exit_code == 1
    assert f"{PVE_OUT}:4:1: error [output-edited] is not valid YAML (" in result.stdout, result.stdout
    assert "so the GitOps agent cannot apply it" in result.stdout


def test_stale_but_valid_output_passes_validate(rendered_repo: Path, cli: Cli) -> None:
    """A spec changed and not rendered yet: its old output is valid, so validate is clean (render
    --check reports it stale)."""
    spec = rendered_repo / KV_SPEC
    spec.write_text(spec.read_text().replace("replicas: 3", "replicas: 4", 1))
    result = cli("--repo", str(rendered_repo), "validate")
    assert result.exit_code == 0 and "errors: 0, warnings: 0" in result.stdout, result.stdout
    assert cli("--repo", str(rendered_repo), "render", "--check").exit_code == 1


def test_a_document_that_is_no_object_in_an_output_file_is_named_as_such(rendered_repo: Path, cli: Cli) -> None:
    path = rendered_repo / PVE_OUT
    text = path.read_text()
    path.write_text(text + "---\nfoo: bar\n")
    line = text.count("\n") + 2
    result = cli("--repo", str(rendered_repo), "validate")
    assert result.exit_code == 1
    assert (f"{PVE_OUT}:{line}:1: error [schema] a document without kind and metadata.name: apiVersion: required"
            ) in result.stdout, result.stdout
    assert "↳ in  " not in result.stdout
