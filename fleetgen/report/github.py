"""GitHub Actions workflow annotations, grouped per file.

Source: https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions
("Setting an error message": `::error file={name},line={line},col={col},title={title}::{message}`).
"""

from __future__ import annotations

from itertools import groupby
from typing import TextIO

from fleetgen.findings import CheckResult, Severity
from fleetgen.report.text import summary_line

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def write_github(result: CheckResult, stream: TextIO, *, folder: str = "") -> None:
    """Write one `::error`/`::warning`/`::notice` line per finding inside `::group::<file>`; file
    names are prefixed with `folder`, the fleet's folder in its git repository."""
    for file, group in groupby(result.sorted(), key=lambda f: f.position.file):
        file = f"{folder}/{file}" if folder and file else file
        stream.write(f"::group::{_escape_data(file)}\n")  # (a file name is data too: no line break may end the command)
        for f in group:
            props = [f"file={_escape_property(file)}"]
            if f.position.line:
                props.append(f"line={f.position.line}")
            if f.position.col:
                props.append(f"col={f.position.col}")
            props.append(f"title={_escape_property(f.rule_id)}")
            stream.write(f"::{_COMMAND[f.severity]} {','.join(props)}::{_escape_data(f.message)}\n")
        stream.write("::endgroup::\n")
    stream.write(summary_line(result) + "\n")
