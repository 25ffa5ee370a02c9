"""Rounding rules of the ledger (DESIGN.md §7): unit costs keep 6 places, values 2."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
COST_PLACES = Decimal("0.000001")
ZERO = Decimal("0")
ZERO_VALUE = Decimal("0.00")


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def unit_cost(value: Decimal, qty: Decimal) -> Decimal:
    if qty == 0:
        return Decimal("0.000000")
    return (Decimal(value) / Decimal(qty)).quantize(COST_PLACES, rounding=ROUND_HALF_UP)
