"""Tonnes to integer kilograms, exactly (Decimal), with the rounding that is conservative for
the quantity: net removals down, deductions and losses up."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any, Literal

from ledger.errors import Invalid


def kg(tonnes: Any, rounding: Literal["floor", "ceiling"]) -> int:
    try:
        value = Decimal(str(tonnes).strip())
    except (InvalidOperation, ValueError) as exc:
        raise Invalid(f"{tonnes!r} is not a number of tonnes") from exc
    if not value.is_finite() or value < 0:
        raise Invalid(f"{tonnes!r}: tonnes are a finite number >= 0")
    mode = ROUND_FLOOR if rounding == "floor" else ROUND_CEILING
    return int((value * 1000).to_integral_value(rounding=mode))


def units_for_kg(kilograms: int) -> int:
    """Whole units (t CO2e) that cover ``kilograms`` (rounded up)."""
    return -(-kilograms // 1000)
