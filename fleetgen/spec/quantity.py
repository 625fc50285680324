"""Kubernetes resource quantities (`4Gi`, `512Mi`, `20G`) and their conversion to whole units.

Owns: parsing the quantity strings users write for `memory` and `diskSize`. Only the suffixes of
Kubernetes' `resource.Quantity` are accepted, so `4GB` or `4 Gi` are rejected rather than guessed.

Source:
    k8s.io/apimachinery/pkg/api/resource/quantity.go (binary suffixes Ki..Ei, decimal k..E).
"""

from __future__ import annotations

import re
from decimal import Decimal

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}
_QUANTITY = re.compile(r"^(?P<num>[0-9]+(?:\.[0-9]+)?)(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")

MIB = 2**20
GIB = 2**30


def parse_bytes(quantity: str) -> int:
    """Parse a Kubernetes quantity of bytes.

    Args:
        quantity: e.g. "4Gi", "512Mi", "20G", "1073741824".

    Returns:
        The size in bytes, rounded up to a whole byte.

    Raises:
        ValueError: if the text is not a Kubernetes quantity (e.g. "4GB", "-1Gi", "4 Gi").
    """
    m = _QUANTITY.match(quantity)
    if not m:
        shown = quantity if len(quantity) <= 40 else quantity[:37] + "..."
        raise ValueError(
            f"{shown!r} is not a Kubernetes quantity; write e.g. 4Gi or 512Mi (binary) or 4G (decimal)"
        )
    suffix = m.group("suffix") or ""
    factor = _BINARY.get(suffix) or _DECIMAL[suffix]
    value = Decimal(m.group("num")) * factor
    whole = int(value)
    return whole if whole == value else whole + 1


def ceil_div(value: int, unit: int) -> int:
    """Divide rounding up: bytes -> whole MiB or GiB."""
    return -(-value // unit)
