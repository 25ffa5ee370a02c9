"""Replaying the timeline of one (product, warehouse).

The ledger stores facts (what moved, when); costs are derived by replaying the moves in
order over the state that held just before the first of them. Posting a new move is a replay of
one entry over the current state; a backdated posting replays every later entry over the state
at its date. Both use this one function per valuation mode, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .average import AverageStock
from .fifo import Consumption, FifoStock, Layer, Piece
from .money import unit_cost

IN, OUT = "in", "out"


@dataclass(frozen=True)
class Entry:
    key: tuple  # (posted_at, sequence): the order of the timeline
    move: object  # the move's id
    direction: str  # IN or OUT
    qty: Decimal
    value: Decimal | None = None  # IN with its own cost (receipt, adjustment): total value
    pieces: tuple[Piece, ...] | None = None  # IN whose cost comes from elsewhere (transfer): per source layer
    lot: object = None  # IN: lot of the new layer; OUT: only this lot (None: oldest first)


@dataclass
class Derived:
    move: object
    value: Decimal
    unit_cost: Decimal
    consumptions: list[Consumption] = field(default_factory=list)
    layers: list[Layer] = field(default_factory=list)
    settlement: Decimal = Decimal("0.00")
    qty_after: Decimal = Decimal("0")
    value_after: Decimal = Decimal("0.00")


def _pieces(entry: Entry) -> list[Piece]:
    if entry.pieces is not None:
        return list(entry.pieces)
    return [Piece(entry.qty, entry.value if entry.value is not None else Decimal("0.00"), entry.lot)]


def replay_fifo(stock: FifoStock, entries) -> list[Derived]:
    """Apply `entries` (in key order) to `stock`; raises InsufficientStock at the first refusal."""
    out = []
    for entry in entries:
        if entry.direction == IN:
            layers = stock.receive(entry.key, entry.move, _pieces(entry))
            value = sum((layer.value_in for layer in layers), Decimal("0.00"))
            out.append(
                Derived(
                    entry.move,
                    value,
                    unit_cost(value, entry.qty),
                    layers=layers,
                    qty_after=stock.qty,
                    value_after=stock.value,
                )
            )
        else:
            consumptions = stock.issue(entry.qty, entry.lot)
            value = sum((c.value for c in consumptions), Decimal("0.00"))
            out.append(
                Derived(
                    entry.move,
                    value,
                    unit_cost(value, entry.qty),
                    consumptions=consumptions,
                    qty_after=stock.qty,
                    value_after=stock.value,
                )
            )
    return out


def replay_average(stock: AverageStock, entries) -> list[Derived]:
    out = []
    for entry in entries:
        if entry.direction == IN:
            value = sum((p.value for p in _pieces(entry)), Decimal("0.00"))
            settlement = stock.receive(entry.qty, value)
            out.append(
                Derived(
                    entry.move,
                    value,
                    unit_cost(value, entry.qty),
                    settlement=settlement,
                    qty_after=stock.qty,
                    value_after=stock.value,
                )
            )
        else:
            value = stock.issue(entry.qty)
            out.append(
                Derived(entry.move, value, unit_cost(value, entry.qty), qty_after=stock.qty, value_after=stock.value)
            )
    return out
