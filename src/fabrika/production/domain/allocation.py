"""Splitting a money value over several outputs (disassembly, co-products)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from fabrika.inventory.domain.money import money


def split_value(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``total`` (money, 2 places half-up) over outputs in proportion to ``weights``.

    Each part is the exact share rounded to a cent, and the parts add up exactly to ``total``:
    every part first gets its share rounded down to the cent, then the cents left over go one
    each to the parts with the largest remainders, ties to the earliest (largest-remainder
    method). So every part is within a cent of its exact share, and equals the half-up
    rounding of it whenever those roundings already add up. All-zero weights split equally.
    Weights must not be negative; a negative total is split like its absolute value, negated.
    """
    if not weights:
        raise ValueError("split_value needs at least one weight")
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
