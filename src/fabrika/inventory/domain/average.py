"""Moving average cost. Negative stock is allowed (re-sorting); the next receipt settles it.

* A receipt adds its quantity and value; the average is value / quantity (6 places).
* An issue takes round(qty × average, 2), except the issue that brings the quantity to exactly
  zero, which takes the whole remaining value.
* While stock is negative, issues are valued at the last average. A receipt that brings negative
  stock back to zero or above revalues what remains at the receipt's unit cost; the difference
  is the receipt's `settlement` (cost that the earlier issues should have carried).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .money import ZERO, money, unit_cost


@dataclass
class AverageStock:
    qty: Decimal = ZERO
    value: Decimal = Decimal("0.00")
    average: Decimal = Decimal("0.000000")

    def copy(self) -> AverageStock:
        return AverageStock(self.qty, self.value, self.average)

    def receive(self, qty: Decimal, value: Decimal) -> Decimal:
        """Add a receipt; returns the settlement amount (non-zero only when stock was negative)."""
        if qty <= 0:
            raise ValueError("incoming quantity must be positive")
        value = money(value)
        settlement = Decimal("0.00")
        new_qty = self.qty + qty
        if self.qty < 0:
            cost = unit_cost(value, qty)
            if new_qty >= 0:
                remaining_value = money(new_qty * cost) if new_qty else Decimal("0.00")
                settlement = money(self.value + value - remaining_value)
                self.qty, self.value = new_qty, remaining_value
                self.average = cost
                return settlement
            # Still negative: the covered part is valued at the old average.
            self.qty = new_qty
            self.value = money(self.value + value)
            return settlement
        self.qty = new_qty
        self.value = money(self.value + value)
        self.average = unit_cost(self.value, self.qty) if self.qty else self.average
        return settlement

    def issue(self, qty: Decimal) -> Decimal:
        """Remove `qty`; returns the value taken out."""
        if qty <= 0:
            raise ValueError("issued quantity must be positive")
        new_qty = self.qty - qty
        if new_qty == 0:
            value = self.value
        else:
            value = money(qty * self.average)
        self.qty = new_qty
        self.value = money(self.value - value)
        return value

    def issue_at(self, qty: Decimal, value: Decimal) -> Decimal:
        """Remove `qty` at a given value (the reversal of a receipt); the last unit still takes all that is left."""
        if qty <= 0:
            raise ValueError("issued quantity must be positive")
        new_qty = self.qty - qty
        value = self.value if new_qty == 0 else money(value)
        self.qty = new_qty
        self.value = money(self.value - value)
        return value
