"""Pinned upstream CRD schemas: catalog, sync (fetch + verify + convert) and validation registry.

Modules:
    catalog   the pinned sources (`PINNED`, `schemas/sources.yaml`) and the file layout
    convert   CRD openAPIV3Schema -> strict JSON Schema (pure)
    core      core Kubernetes kinds from the kubernetes-validate package
    sync      `sync_schemas`: the only network access in fleetgen; writes `schemas/`
    registry  `SchemaRegistry`: lookup over schema locations and jsonschema-rs validation

The names below are re-exported lazily, so importing this package stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "UpstreamFile": "catalog",
    "CoreSchemas": "catalog",
    "PINNED": "catalog",
    "BUILTIN_CORE": "catalog",
    "load_sources": "catalog",
    "load_core_schemas": "catalog",
    "render_sources_yaml": "catalog",
    "schema_relpath": "catalog",
    "sync_schemas": "sync",
    "SyncReport": "sync",
    "is_stale": "sync",
    "SchemaRegistry": "registry",
    "SchemaViolation": "registry",
    "default_schema_dir": "registry",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
