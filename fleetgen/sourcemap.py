"""Source positions of spec fields.

Owns: `SourceMap`, the JSON-pointer -> `Position` index of one loaded YAML document, and the
pointer helpers. YAML marks are 0-based; they are converted to 1-based here, once
(`fleetgen.yamlio` calls `SourceMap.add_mark`). Must not parse YAML itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from fleetgen.findings import Position


def escape_token(token: str | int) -> str:
    """Escape one JSON-pointer reference token (RFC 6901: `~` -> `~0`, `/` -> `~1`)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def join_pointer(parts: Iterable[str | int]) -> str:
    """Build a JSON pointer from path parts: `("spec", "workers", 0)` -> `/spec/workers/0`."""
    return "".join("/" + escape_token(p) for p in parts)


#: A key shown as `.key` in a field path; any other is shown as `['key']`.
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def pointer_to_path(pointer: str) -> str:
    """Turn a JSON pointer into the dotted field path users read: `/spec/workers/0/name` -> `spec.workers[0].name`.

    A key that is not a plain name (a label key such as `cluster.x-k8s.io/cluster-name`, one with
    spaces) is written in brackets, as kubectl's JSONPath does: `metadata.labels['cni.example/x']`.
    """
    out = ""
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if token.isdigit():
            out += f"[{token}]"
        elif not _PLAIN_KEY.fullmatch(token):
            out += f"[{token!r}]"
        else:
            out += ("." if out else "") + token
    return out


@dataclass
class SourceMap:
    """Positions of the fields of one document, keyed by JSON pointer.

    A mapping entry is positioned at its key (where a user looks for `replicas:`), a sequence item
    at the item. `lookup` falls back to the nearest ancestor, then to the document start.

    Attributes:
        file: path of the document, as shown to users (relative to the fleet repository root).
        positions: pointer -> 1-based Position.
    """

    file: str
    positions: dict[str, Position] = field(default_factory=dict)

    def add_mark(self, pointer: str, line0: int, col0: int, file: str | None = None) -> None:
        """Record a 0-based YAML mark (line, column) for a pointer, converting to 1-based."""
        self.positions[pointer] = Position(file or self.file, line0 + 1, col0 + 1)

    def lookup(self, pointer: str) -> Position:
        """Position of `pointer`, or of its nearest known ancestor, or the document start."""
        p = pointer
        while True:
            pos = self.positions.get(p)
            if pos is not None:
                return pos
            if not p:
                return Position(self.file, 1, 1)
            p = p.rsplit("/", 1)[0]

    def under(self, defaults: SourceMap, keys: Mapping[str, object] | None = None) -> SourceMap:
        """Combine with the map of the defaults that were deep-merged under this document.

        Pointers the document sets keep the document's positions; pointers that only the defaults
        set point into the defaults file (fleetgen.yaml). `keys` is unused and kept for clarity.
        """
        merged = dict(defaults.positions)
        merged.update(self.positions)
        return SourceMap(self.file, merged)
