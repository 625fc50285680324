"""The CEL library (`common-expression-language` on PyPI, package `cel`), imported without its CLI.

Owns: how fleetgen imports `cel`. The package's `__init__` also imports `cel.cli`, its interactive
REPL, which pulls in typer and prompt_toolkit: about 0.17 s of every run that validates, for
nothing fleetgen uses. `cel.cli` is stood in for by an empty module while the package loads; the
evaluator (`cel.cel`, the Rust extension) and `cel.stdlib` are the library's own, unchanged.
Everything in fleetgen imports the library from here, so the first import is always this one.

Example:
    >>> from fleetgen.validate.cel_lib import cel
    >>> cel.evaluate("1 + 2")
    3
"""

from __future__ import annotations

import sys
import types

if "cel" in sys.modules:
    import cel
else:
    _stub = types.ModuleType("cel.cli", "stand-in for the REPL of the cel package (not used by fleetgen)")
    sys.modules["cel.cli"] = _stub
    try:
        import cel
    finally:
        if sys.modules.get("cel.cli") is _stub:
            del sys.modules["cel.cli"]  # a later `import cel.cli` gets the real module
from cel import stdlib

__all__ = ["cel", "stdlib"]
