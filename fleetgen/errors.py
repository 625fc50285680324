"""Exception tree and exit codes.

Owns: `ExitCode` (as DESIGN.md fixes them) and `FleetgenError` with its subclasses. Problems in the
user's input that can be collected are `Finding`s (see `fleetgen.findings`), not exceptions; an
exception means fleetgen cannot go on. Nothing here prints.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fleetgen.findings import Finding


class ExitCode(IntEnum):
    """Process exit codes (DESIGN.md "Exit codes", plus STYLE.md's internal/interrupted)."""

    OK = 0
    INVALID = 1  # the input is invalid, validation failed, or --check found stale output
    USAGE = 2  # usage or configuration error
    INTERNAL = 4  # an unexpected exception: a bug
    INTERRUPTED = 130  # 128 + SIGINT
    TERMINATED = 143  # 128 + SIGTERM


class Interrupted(KeyboardInterrupt):
    """Raised when a signal stops fleetgen: SIGTERM (`timeout`, a cancelled CI job, `docker stop`)
    as the CLI maps it, or SIGINT/SIGTERM held back while the output tree was being written and
    raised once the tree was whole again (`fleetgen.render.write`). A KeyboardInterrupt, so every
    `except BaseException` clean-up runs for it as for Ctrl-C.

    Attributes:
        signum: the signal's number.
        after_write: the signal came once the new output tree was whole (its clean-up): the tree
            was written, not rolled back.
    """

    def __init__(self, signum: int, *, after_write: bool = False) -> None:
        super().__init__(signum)
        self.signum = signum
        self.after_write = after_write


class FleetgenError(Exception):
    """Raised when fleetgen cannot go on; the root of every error fleetgen raises on purpose.

    Attributes:
        exit_code: The process exit code the CLI maps this error to.
    """

    exit_code: ExitCode = ExitCode.INVALID


class ConfigError(FleetgenError):
    """Raised when fleetgen.yaml, schemas/sources.yaml or a command line is unusable (exit 2).

    Attributes:
        findings: tuple of `fleetgen.findings.Finding`, the problems with their positions when
            they are known (fleetgen.yaml's), for reports in a machine format; () otherwise.
    """

    exit_code = ExitCode.USAGE

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None,
                 findings: tuple[Finding, ...] = ()) -> None:
        self.path = path
        self.line = line
        self.findings = findings
        where = f"{path}:{line}: " if path and line else f"{path}: " if path else ""
        super().__init__(f"{where}{message}")


class DefaultsError(ConfigError):
    """Raised when fleetgen.yaml's `defaults` (a partial ClusterSpec) is invalid: bad input, exit 1.

    The rest of fleetgen.yaml loaded; the pipeline reports these findings like a spec's (once,
    at their fleetgen.yaml lines, in the chosen report format), and other commands print them.

    Attributes:
        findings: tuple of `fleetgen.findings.Finding` (rule `spec`), sorted by position.
        config: the loaded `FleetConfig` (its `defaults` unusable) and `source`, its positions.
    """

    exit_code = ExitCode.INVALID

    def __init__(self, findings: tuple, config: object, source: object) -> None:  # untyped: no import cycle
        self.config = config
        self.source = source
        super().__init__("\n".join(f"{f.position}: {f.message}" for f in findings), findings=findings)


class SpecLoadError(FleetgenError):
    """Raised when the specs cannot be loaded at all; carries the findings that explain why.

    Attributes:
        findings: tuple of `fleetgen.findings.Finding`, one per problem, sorted by position.
    """

    def __init__(self, findings: tuple) -> None:  # tuple[Finding, ...]; untyped to avoid an import cycle
        self.findings = findings
        super().__init__(f"{len(findings)} problem(s) in the fleet specs")


class RenderError(FleetgenError):
    """Raised when rendering cannot produce output (e.g. a refused deletion or an unwritable output dir)."""


class SchemaSyncError(FleetgenError):
    """Raised when a pinned upstream file cannot be fetched, read, verified or converted.

    Attributes:
        path: the upstream path (`org/repo/version/path`) or local file that failed.
    """

    def __init__(self, message: str, *, path: str | Path | None = None) -> None:
        self.path = path
        super().__init__(message)


class SchemaNotFoundError(FleetgenError):
    """Raised when no JSON schema is known for an object's apiVersion and kind.

    Attributes:
        gvk: `(apiVersion, kind)` that was looked up.
    """

    def __init__(self, gvk: tuple[str, str], *, hint: str = "") -> None:
        self.gvk = gvk
        msg = f"no schema for {gvk[1]} {gvk[0]}"
        super().__init__(msg + (f"; {hint}" if hint else ""))


class VcsError(FleetgenError):
    """Raised when a git operation fails (not a repository, unknown ref, dirty state that blocks an action)."""

    exit_code = ExitCode.USAGE


class PlanConflictError(FleetgenError):
    """Raised when a plan or commit cannot proceed because the fleet is stale or invalid."""
