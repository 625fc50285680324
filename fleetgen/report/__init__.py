"""Reporters: findings to text, JSON, GitHub workflow annotations or SARIF.

Owns: every output format of `validate` (and of findings printed by `render`, `scale`, `commit`).
Findings arrive sorted (`CheckResult.sorted()`); reporters only format. stdout carries the report,
stderr nothing. The plan formats live in `fleetgen.report.plan`.

Example:
    >>> import io
    >>> write_report(CheckResult(), "text", io.StringIO())
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from fleetgen.findings import CheckResult, Severity

FORMATS = ("text", "json", "github", "sarif")


def resolve_format(name: str) -> str:
    """Resolve `auto`: `github` inside GitHub Actions, `text` otherwise."""
    if name == "auto":
        return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    return name


def write_report(result: CheckResult, fmt: str, stream: TextIO, *, verbose: bool = False,
                 root: Path | None = None) -> None:
    """Write `result` to `stream` in format `fmt` (one of FORMATS or `auto`).

    Findings name files relative to the fleet's root (`root`). GitHub annotations and SARIF results
    name them relative to the git repository's top level, where GitHub and code scanning look for
    them: a fleet in folder `platform/fleet` of its repository reports `platform/fleet/clusters/x.yaml`.

    Info findings (e.g. "this object kind was not schema-checked") are written only when
    `verbose`, in every format: a clean fleet gives no GitHub notice or SARIF note on each pull
    request, and the JSON summary counts what the report lists.

    Raises:
        ValueError: unknown format (the CLI restricts choices, so this is a bug).
    """
    fmt = resolve_format(fmt)
    if not verbose and fmt != "text" and any(f.severity is Severity.INFO for f in result.findings):
        result = CheckResult([f for f in result.findings if f.severity is not Severity.INFO],
                             result.objects_checked, result.files_checked)
    if fmt == "text":
        from fleetgen.report.text import write_text

        write_text(result, stream, verbose=verbose)
    elif fmt == "json":
        from fleetgen.report.json import write_json

        write_json(result, stream)
    elif fmt == "github":
        from fleetgen.report.github import write_github

        write_github(result, stream, folder=_git_folder(root))
    elif fmt == "sarif":
        from fleetgen.report.sarif import write_sarif

        write_sarif(result, stream, folder=_git_folder(root))
    else:
        raise ValueError(f"unknown report format {fmt!r}")


def _git_folder(root: Path | None) -> str:
    from fleetgen.spec.discover import git_folder

    return (git_folder(root) or "") if root is not None else ""
