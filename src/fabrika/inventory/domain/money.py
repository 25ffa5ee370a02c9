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


def split(total: Decimal, weights) -> list[Decimal]:
    """Split a 2-place `total` by `weights` into 2-place parts that sum to it exactly.

    Each part is the proportional share rounded down to the cent; the cents left over go to the
    parts with the largest remainders (ties to the earliest). All-zero weights split equally.
    """
    weights = [Decimal(w) for w in weights]
    if not weights:
        return []
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    if sum(weights) == 0:
        weights = [Decimal(1)] * len(weights)
    total = money(total)
    whole = sum(weights)
    cents = int(total / CENT)
    exact = [Decimal(cents) * w / whole for w in weights]
    floors = [int(e // 1) if cents >= 0 else -int((-e) // 1) for e in exact]
    left = cents - sum(floors)
    step = 1 if left >= 0 else -1
    order = sorted(range(len(weights)), key=lambda i: (-(abs(exact[i] - floors[i])), i))
    for i in order[: abs(left)]:
        floors[i] += step
    return [Decimal(f) * CENT for f in floors]
