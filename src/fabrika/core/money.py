"""Money rounding: one rule for the whole application (half up, to the cent). No Django imports."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value) -> Decimal:
    """Round an amount to cents, halves away from zero (1666.665 → 1666.67)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def percent(value, places: str = "0.1") -> Decimal:
    return Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP)
