"""Rounding rules of the ledger (DESIGN.md §7): unit costs keep 6 places, values 2."""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

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
    """Split a money `total` over parts in proportion to `weights`, to the cent, summing exactly.

    Every part first gets its exact share rounded down to the cent; the cents left over go one
    each to the parts with the largest remainders, ties to the earliest (largest-remainder
    method), so each part is within a cent of its exact share. All-zero weights split equally.
    Weights must not be negative; a negative total is split like its absolute value, negated.
    """
    if not weights:
        raise ValueError("split needs at least one weight")
    fractions = [Fraction(w) for w in weights]
    if any(w < 0 for w in fractions):
        raise ValueError(f"negative weight in {list(weights)}")
    weight_sum = sum(fractions)
    if weight_sum == 0:
        fractions = [Fraction(1)] * len(fractions)
        weight_sum = Fraction(len(fractions))
    cents = int(money(total).scaleb(2))
    sign, cents = (-1, -cents) if cents < 0 else (1, cents)
    shares = [cents * w / weight_sum for w in fractions]
    parts = [share.numerator // share.denominator for share in shares]
    left = cents - sum(parts)
    by_remainder = sorted(range(len(shares)), key=lambda i: (parts[i] - shares[i], i))  # largest remainder first
    for i in by_remainder[:left]:
        parts[i] += 1
    return [Decimal(sign * p).scaleb(-2) for p in parts]
