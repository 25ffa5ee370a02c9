"""FIFO cost layers.

Each incoming move creates one or more layers (a receipt one; a transfer's receiving side one
per layer its issuing side consumed, so lots keep their cost in transit). An issue consumes the
oldest layers first, or only the layers of a named lot. Stock never goes below zero: an issue
larger than what is there is refused with the numbers.

An issue's value is round(qty × layer unit cost, 2) per layer, except the consumption that
empties a layer, which takes the layer's remaining value — so no value is left at zero quantity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .money import ZERO, money, unit_cost


class InsufficientStock(Exception):
    def __init__(self, wanted: Decimal, available: Decimal, lot=None):
        self.wanted = wanted
        self.available = available
        self.lot = lot
        super().__init__(f"wanted {wanted}, available {available}" + (f" in lot {lot}" if lot is not None else ""))


@dataclass
class Layer:
    key: tuple  # ordering key: (posted_at, sequence, piece) of the move that created it
    move: object  # id of the incoming move
    lot: object  # lot id or None
    qty_in: Decimal
    value_in: Decimal
    remaining_qty: Decimal = field(default=None)
    remaining_value: Decimal = field(default=None)

    def __post_init__(self):
        if self.remaining_qty is None:
            self.remaining_qty = self.qty_in
        if self.remaining_value is None:
            self.remaining_value = self.value_in

    @property
    def unit_cost(self) -> Decimal:
        return unit_cost(self.value_in, self.qty_in)

    def copy(self) -> Layer:
        return Layer(
            self.key, self.move, self.lot, self.qty_in, self.value_in, self.remaining_qty, self.remaining_value
        )


@dataclass(frozen=True)
class Consumption:
    layer_key: tuple
    move_in: object  # the move that created the layer
    lot: object
    qty: Decimal
    value: Decimal


@dataclass(frozen=True)
class Piece:
    """A part of an incoming quantity with its own cost and lot (a transfer keeps the source layers)."""

    qty: Decimal
    value: Decimal
    lot: object = None


class FifoStock:
    """The open layers of one (product, warehouse)."""

    def __init__(self, layers: list[Layer] | None = None):
        self.layers: list[Layer] = sorted((layer for layer in (layers or [])), key=lambda layer: layer.key)

    @property
    def qty(self) -> Decimal:
        return sum((layer.remaining_qty for layer in self.layers), ZERO)

    @property
    def value(self) -> Decimal:
        return sum((layer.remaining_value for layer in self.layers), Decimal("0.00"))

    def available(self, lot=None) -> Decimal:
        return sum((layer.remaining_qty for layer in self.layers if lot is None or layer.lot == lot), ZERO)

    def receive(self, key: tuple, move, pieces: list[Piece]) -> list[Layer]:
        created = []
        for index, piece in enumerate(pieces):
            if piece.qty <= 0:
                raise ValueError("incoming quantity must be positive")
            layer = Layer((*key, index), move, piece.lot, piece.qty, money(piece.value))
            created.append(layer)
        # Incoming moves are applied in timeline order, so appending keeps the list sorted;
        # insert in place when a caller replays out of order.
        for layer in created:
            if self.layers and self.layers[-1].key > layer.key:
                pos = next(i for i, existing in enumerate(self.layers) if existing.key > layer.key)
                self.layers.insert(pos, layer)
            else:
                self.layers.append(layer)
        return created

    def plan_issue(self, qty: Decimal, lot=None) -> list[Consumption]:
        """Which layers an issue of `qty` consumes, without changing anything."""
        if qty <= 0:
            raise ValueError("issued quantity must be positive")
        available = self.available(lot)
        if qty > available:
            raise InsufficientStock(qty, available, lot)
        plan = []
        left = qty
        for layer in self.layers:
            if left == 0:
                break
            if layer.remaining_qty == 0 or (lot is not None and layer.lot != lot):
                continue
            take = min(left, layer.remaining_qty)
            if take == layer.remaining_qty:
                value = layer.remaining_value
            else:
                value = money(take * layer.unit_cost)
                # Never take more value than remains (possible with awkward costs).
                value = min(value, layer.remaining_value)
            plan.append(Consumption(layer.key, layer.move, layer.lot, take, value))
            left -= take
        return plan

    def apply(self, plan: list[Consumption]) -> None:
        by_key = {layer.key: layer for layer in self.layers}
        for c in plan:
            layer = by_key[c.layer_key]
            layer.remaining_qty -= c.qty
            layer.remaining_value -= c.value
        self.layers = [layer for layer in self.layers if layer.remaining_qty != 0]

    def issue(self, qty: Decimal, lot=None) -> list[Consumption]:
        plan = self.plan_issue(qty, lot)
        self.apply(plan)
        return plan

    def snapshot(self) -> list[Layer]:
        return [layer.copy() for layer in self.layers]
