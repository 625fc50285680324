"""Kubernetes quantities of bytes, as `resource.ParseQuantity` reads them."""

from __future__ import annotations

import pytest

from fleetgen.spec.quantity import parse_bytes


@pytest.mark.parametrize(("text", "size"), [
    ("4Gi", 4 * 2**30), ("512Mi", 512 * 2**20), ("20G", 20 * 10**9), ("1073741824", 2**30),
    ("4e9", 4 * 10**9), ("4E9", 4 * 10**9), ("+4Gi", 4 * 2**30), ("4000000000000m", 4 * 10**9),
    (".5Gi", 2**29), ("1.", 1), ("1.5", 2), ("1E", 10**18), ("1e-3", 1), ("-1Gi", -(2**30)),
    ("1e999999999", 2**63),
], ids=lambda v: str(v))
def test_quantities_kubernetes_accepts_are_read_in_bytes_rounded_up(text: str, size: int) -> None:
    assert parse_bytes(text) == size


@pytest.mark.parametrize("text", ["4GB", "4 Gi", "Gi", "e9", "1e", "1.5.5", "4gi", "", "0x10"])
def test_text_kubernetes_refuses_is_not_a_quantity(text: str) -> None:
    with pytest.raises(ValueError, match="is not a Kubernetes quantity"):
        parse_bytes(text)
