"""Rendering: a loaded fleet -> the whole output tree, in memory.

The entry points live in `fleetgen.render.tree` (`render_fleet`, `render_cluster_files`,
`assemble_fleet`) and are imported from here on first use, so that importing a light submodule
(`fleetgen.render.write`, `fleetgen.render.layout`) does not load the spec models and every
renderer: a command that finds its answer in the cache never needs them.

Example:
    >>> from fleetgen.render import render_fleet              # doctest: +SKIP
    >>> result = render_fleet(fleet)                           # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fleetgen.render.tree import RULE_LAYOUT, assemble_fleet, render_cluster_files, render_fleet

__all__ = ["RULE_LAYOUT", "assemble_fleet", "render_cluster_files", "render_fleet"]


def __getattr__(name: str) -> Any:
    """`fleetgen.render.<entry point>`: imported from `fleetgen.render.tree` on first use."""
    if name in __all__:
        from fleetgen.render import tree

        return getattr(tree, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
