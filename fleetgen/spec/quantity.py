"""Kubernetes resource quantities (`4Gi`, `512Mi`, `20G`) and their conversion to whole units.

Owns: parsing the quantity strings users write for `memory` and `diskSize`. The grammar is
Kubernetes' `resource.Quantity` (a sign, `1`, `1.5`, `1.` or `.5`, then a binary suffix Ki..Ei, a
decimal suffix m, k..E, or an exponent `e9`/`E9`), so `4GB` or `4 Gi` are rejected rather than guessed.

Source:
    k8s.io/apimachinery/pkg/api/resource/quantity.go (`ParseQuantity` and its grammar comment).
"""

from __future__ import annotations

import re
from decimal import Decimal

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"": 0, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}  # powers of ten
_QUANTITY = re.compile(r"^(?P<num>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
                       r"(?:(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)|[eE](?P<exp>[+-]?[0-9]+))?$")
#: Above any size fleetgen accepts (callers refuse more than 1Pi): huge exponents stop here.
_HUGE = 2**63

MIB = 2**20
GIB = 2**30


def parse_bytes(quantity: str) -> int:
    """Parse a Kubernetes quantity of bytes.

    Args:
        quantity: e.g. "4Gi", "512Mi", "20G", "1073741824", "4e9", "+4Gi".

    Returns:
        The size in bytes, rounded up to a whole byte (2**63 for anything larger, with its sign).

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
    number = Decimal(m.group("num"))
    if suffix in _BINARY:
        value = number * _BINARY[suffix]
    else:
        exponent = int(m.group("exp")) if m.group("exp") is not None else _DECIMAL[suffix]
        if number and exponent > 40:
            return _HUGE if number > 0 else -_HUGE
        value = number.scaleb(max(exponent, -40))
    if value >= _HUGE or value <= -_HUGE:
        return _HUGE if value > 0 else -_HUGE
    whole = int(value)
    return whole if whole == value or value < 0 else whole + 1


def ceil_div(value: int, unit: int) -> int:
    """Divide rounding up: bytes -> whole MiB or GiB."""
    return -(-value // unit)
