"""The one writer of stock: `post_moves()` (DESIGN.md §3.3 and §7).

Posting a batch of moves:

1. refuse moves dated in a closed period;
2. insert the moves (facts) and lock the affected balance rows in primary-key order;
3. value them by replaying the timeline of every affected (product, warehouse) from the first new
   move on it — over the current state when nothing later exists (the common case), or over the
   state at that date when the posting is backdated. All active timelines are replayed as one
   stream in (posted_at, id) order, so a transfer's receiving side takes the cost its issuing
   side just computed; when a replay changes the cost of a transfer's issue or of a production
   step's input (a `ValueGroup`), the receiving or output timeline joins the stream from that
   move on;
4. write layers, consumptions, move values and balances in bulk, and record what a backdated
   replay changed (Recosting).

Nothing is written when any move is refused: the whole batch is one transaction.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from fabrika.audit.context import get_request_id

from ..domain import fifo as dfifo
from ..domain.average import AverageStock
from ..domain.fifo import FifoStock, Layer, Piece
from ..domain.money import split, unit_cost
from ..errors import InsufficientStock, InvalidMove, PeriodClosed
from ..models import (
    Balance,
    CostLayer,
    LayerConsumption,
    Location,
    Lot,
    Period,
    Recosting,
    RecostingChange,
    Reservation,
    StockMove,
    ValueGroup,
    Warehouse,
)
from .rows import insert_rows, instances, select_rows, update_rows
from .warehouses import places

ZERO = Decimal("0")


@dataclass
class MoveSpec:
    """One move to post. `qty` is in the product's base unit. Product, lot, line, document and
    value group may be given as objects or as primary keys."""

    product: object
    qty: Decimal
    from_location: Location
    to_location: Location
    kind: str
    posted_at: datetime | None = None  # None: now, taken after the balances are locked
    # Incoming: the cost the move brings (receipt, count surplus). Outgoing, average warehouses only:
    # issue at exactly this value instead of the average (the reversal of a receipt).
    input_value: Decimal | None = None
    lot: Lot | int | None = None  # issue: only this lot; incoming: the lot its layer belongs to
    line: object = None
    document: object = None
    reverses: StockMove | None = None
    reservation: Reservation | None = None  # an issue that ships reserved goods
    # Production: the issues of a value group are its inputs; incoming moves with a share are its
    # outputs and take the inputs' value split by share, plus their own `input_value`.
    value_group: ValueGroup | None = None
    value_share: Decimal | None = None


@dataclass
class _Timeline:
    """One (product, warehouse) being replayed."""

    product_id: int
    warehouse: Warehouse
    from_key: tuple | None  # None: from the very first move
    stock: object = None  # FifoStock or AverageStock
    entries: list = field(default_factory=list)  # moves to replay, in key order
    touched_layers: dict = field(default_factory=dict)  # pre-existing layer id -> Layer (remaining changes)
    new_layers: list = field(default_factory=list)  # (Layer, move)
    consumptions: list = field(default_factory=list)  # (move, Consumption)
    backdated: bool = False
    # Open layers left unread (a timeline posted at its end that only receives, or whose issues take
    # its oldest layers only): their quantity and value, which the balance row holds. `stock`
    # holds the rest.
    base_qty: Decimal = ZERO
    base_value: Decimal = Decimal("0.00")

    @property
    def key(self):
        return (self.product_id, self.warehouse.pk)


class _Fifo(FifoStock):
    """FifoStock that keeps its total quantity as it goes and drops emptied layers by position.

    The domain's FifoStock sums and rebuilds its layer list on every issue; replaying a long
    timeline issues thousands of times over hundreds of open layers. Same results, same layers.
    """

    def __init__(self, layers=None):
        super().__init__(layers)
        self._qty = sum((layer.remaining_qty for layer in self.layers), ZERO)

    def available(self, lot=None) -> Decimal:
        return self._qty if lot is None else super().available(lot)

    def receive(self, key, move, pieces):
        created = super().receive(key, move, pieces)
        self._qty += sum((layer.qty_in for layer in created), ZERO)
        return created

    def apply(self, plan) -> None:
        layers = self.layers
        for c in plan:
            # Issues take the oldest layers (or a named lot's): the layer is near the front.
            index = next(i for i, layer in enumerate(layers) if layer.key == c.layer_key)
            layer = layers[index]
            layer.remaining_qty -= c.qty
            layer.remaining_value -= c.value
            self._qty -= c.qty
            if layer.remaining_qty == 0:
                del layers[index]


class _Row:
    """A posted move read back for a replay: the fields the engine uses, without a model instance each."""

    FIELDS = ("id", *StockMove.FACT_FIELDS, "value", "unit_cost", "settlement")
    __slots__ = FIELDS

    def __init__(self, values):
        for name, value in zip(self.FIELDS, values, strict=True):
            setattr(self, name, value)

    @property
    def pk(self):
        return self.id


LAYER_COLUMNS = (
    "id",
    "product_id",
    "warehouse_id",
    "posted_at",
    "move_id",
    "piece",
    "lot_id",
    "qty_in",
    "value_in",
    "remaining_qty",
    "remaining_value",
)


def _move_key(move: StockMove) -> tuple:
    return (move.posted_at, move.pk)


def _check_periods(specs) -> None:
    """Refuse moves dated in a closed month, or before the latest closed month (a month after a
    closed month is open; one before it is not). One query when nothing is refused."""
    month_of = {t: timezone.localdate(t).replace(day=1) for t in {s.posted_at for s in specs}}
    if not month_of:
        return
    sql = f"SELECT MAX(start) FROM {Period._meta.db_table} WHERE closed"  # every posting asks: plain SQL
    [(latest,)] = select_rows(Period, ("start",), sql, [])
    if latest is None or min(month_of.values()) > latest:
        return
    closed = Period.objects.filter(closed=True, start__in=set(month_of.values())).order_by("start").first()
    if closed is not None:
        spec = next(s for s in specs if month_of[s.posted_at] == closed.start)
        raise PeriodClosed(closed, spec.posted_at)
    spec = next(s for s in specs if month_of[s.posted_at] <= latest)
    raise PeriodClosed(Period.objects.get(start=latest), spec.posted_at)


def _sides(move: StockMove, locations: dict) -> list[tuple[str, int]]:
    """(direction, warehouse id) for each storage side of the move that changes a balance."""
    src, dst = locations[move.from_location_id], locations[move.to_location_id]
    if src.is_storage and dst.is_storage and src.warehouse_id == dst.warehouse_id:
        return []  # a move between two places of one warehouse changes no balance
    sides = []
    if src.is_storage:
        sides.append(("out", src.warehouse_id))
    if dst.is_storage:
        sides.append(("in", dst.warehouse_id))
    return sides


BALANCE_FIELDS = tuple(f.attname for f in Balance._meta.concrete_fields)


def _keys_condition(keys) -> tuple[str, list]:
    """SQL (and its parameters) matching the rows of (product, warehouse) `keys`: one
    `warehouse_id = … AND product_id IN (…)` per warehouse."""
    by_wh = defaultdict(list)
    for p, w in keys:
        by_wh[w].append(p)
    cond, params = [], []
    for wh_id, product_ids in by_wh.items():
        cond.append(f"(warehouse_id = %s AND product_id IN ({', '.join(['%s'] * len(product_ids))}))")
        params += [wh_id, *product_ids]
    return " OR ".join(cond), params


def _select_balances(keys) -> dict[tuple, Balance]:
    cond, params = _keys_condition(keys)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = f"SELECT {', '.join(BALANCE_FIELDS)} FROM {Balance._meta.db_table} WHERE {cond} ORDER BY id{lock}"
    rows = select_rows(Balance, BALANCE_FIELDS, sql, params)
    return {(b.product_id, b.warehouse_id): b for b in instances(Balance, BALANCE_FIELDS, rows)}


def lock_balances(keys) -> dict[tuple, Balance]:
    """Lock the balance rows of `keys` in primary-key order, creating the missing ones.

    The rows that exist are locked first (one query, the common case); missing rows are then
    inserted (a concurrent insert of the same row waits for the other transaction) and locked.
    """
    keys = set(keys)
    if not keys:
        return {}
    balances = _select_balances(keys)
    missing = sorted(keys - set(balances))
    if missing:
        Balance.objects.bulk_create([Balance(product_id=p, warehouse_id=w) for p, w in missing], ignore_conflicts=True)
        balances.update(_select_balances(set(missing)))
    return balances


def _pk(obj):
    return getattr(obj, "pk", obj)


MOVE_FIELDS = [*StockMove.FACT_FIELDS, "created_at", "created_by_id"]
DERIVED_FIELDS = ["value", "unit_cost", "settlement"]


def _allocate_move_ids(n: int) -> list[int]:
    """Ids for `n` new moves, taken before the moves are written: the engine values them first,
    so that each is inserted once, complete. PostgreSQL: from the id sequence. SQLite: after the
    highest id, as SQLite itself would number them; a posting holds the database's write lock
    from its start (BEGIN IMMEDIATE), so no other writer can take them."""
    table = StockMove._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n])
            return sorted(r[0] for r in cursor.fetchall())
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
        top = cursor.fetchone()[0]
    return list(range(top + 1, top + 1 + n))


def _new_moves(specs: list[MoveSpec], actor) -> list[StockMove]:
    """The moves of `specs` with their ids, not yet written (the engine writes them, valued)."""
    now = timezone.now()
    actor_id = _pk(actor) if actor is not None and getattr(actor, "is_authenticated", True) else None
    rows = []
    for s in specs:
        values = {
            "product_id": _pk(s.product),
            "qty": s.qty,
            "from_location_id": s.from_location.pk,
            "to_location_id": s.to_location.pk,
            "lot_id": _pk(s.lot),
            "posted_at": s.posted_at,
            "document_id": _pk(s.document),
            "line_id": _pk(s.line),
            "kind": s.kind,
            "input_value": s.input_value,
            "reverses_id": _pk(s.reverses),
            "value_group_id": _pk(s.value_group),
            "value_share": s.value_share,
            "created_at": now,
            "created_by_id": actor_id,
        }
        rows.append(tuple(values[name] for name in MOVE_FIELDS))
    ids = _allocate_move_ids(len(rows))
    # The derived fields (value, unit_cost, settlement) start empty.
    moves = instances(StockMove, ["id", *MOVE_FIELDS], [(pk, *row) for pk, row in zip(ids, rows, strict=True)])
    for move in moves:
        move._state.adding = True  # until the engine has written it
    return moves


@transaction.atomic
def post_moves(*, specs: list[MoveSpec], actor=None) -> list[StockMove]:
    return post_moves_in_transaction(specs=specs, actor=actor)


def post_moves_in_transaction(*, specs: list[MoveSpec], actor=None) -> list[StockMove]:
    """post_moves() for a caller that is itself one atomic block which fails as a whole when this
    raises (a document's posting): the same, without a savepoint of its own."""
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("post_moves_in_transaction() needs an atomic block.")
    if not specs:
        return []
    for spec in specs:
        if spec.qty is None or spec.qty <= 0:
            raise InvalidMove("quantity must be positive", product=str(spec.product))
        if spec.from_location.pk == spec.to_location.pk:
            raise InvalidMove("a move needs two different places", product=str(spec.product))
    locations, warehouses = places.get(location_ids={loc.pk for s in specs for loc in (s.from_location, s.to_location)})
    for s in specs:
        if s.value_share is not None and (
            s.value_group is None
            or s.value_share < 0
            or locations[s.from_location.pk].is_storage
            or not locations[s.to_location.pk].is_storage
        ):
            raise InvalidMove("an output needs a value group and comes into storage", product=str(s.product))
    keys = set()
    for s in specs:
        src, dst = locations[s.from_location.pk], locations[s.to_location.pk]
        for loc in (src, dst):
            if loc.is_storage and not (src.is_storage and dst.is_storage and src.warehouse_id == dst.warehouse_id):
                keys.add((getattr(s.product, "pk", s.product), loc.warehouse_id))
    balances = lock_balances(keys)
    now = timezone.now()
    for s in specs:
        if s.posted_at is None:
            s.posted_at = now
    _check_periods(specs)
    moves = _new_moves(specs, actor)
    engine = _Engine(moves, specs, locations, balances, warehouses)
    engine.run()
    return moves


@transaction.atomic
def replay_from_start(*, keys) -> list[Recosting]:
    """Recompute the derived valuation of whole (product, warehouse) timelines from their first move.

    The result must equal what incremental posting left (the property tests hold the engine to
    it); any difference is recorded as a Recosting with its changes.
    """
    locations, warehouses = places.get()
    keys = set(keys)
    storage = {loc.pk: loc.warehouse_id for loc in locations.values() if loc.is_storage}
    wh_ids = {w for _p, w in keys}
    ids = [pk for pk, w in storage.items() if w in wh_ids]
    # The timelines that have moves (the others have nothing to replay), in one query.
    places_moved = (
        StockMove.objects.filter(product_id__in={p for p, _w in keys})
        .filter(Q(from_location_id__in=ids) | Q(to_location_id__in=ids))
        .values_list("product_id", "from_location_id", "to_location_id")
        .distinct()
    )
    found = {(p, storage.get(loc)) for p, *locs in places_moved for loc in locs} & keys
    engine = _Engine([], [], locations, lock_balances(found), warehouses)
    for product_id, wh_id in sorted(found):
        tl = _Timeline(product_id, warehouses[wh_id], None, backdated=True)
        storage_ids = [pk for pk, w in storage.items() if w == wh_id]
        tl.stock = engine._state_at(tl, storage_ids)
        tl.entries = engine._entries_from(tl, storage_ids)
        engine.timelines[tl.key] = tl
    engine._replay()
    engine._write()
    return engine.recostings


NEW_LAYER_FIELDS = [
    "product",
    "warehouse",
    "move",
    "piece",
    "lot",
    "posted_at",
    "qty_in",
    "value_in",
    "remaining_qty",
    "remaining_value",
]


class _Engine:
    def __init__(self, moves: list[StockMove], specs: list[MoveSpec], locations, balances, warehouses):
        self.moves = moves
        self.specs = {m.pk: s for m, s in zip(moves, specs, strict=True)}
        self.new_ids = {m.pk for m in moves}
        self.locations = locations
        self.balances = balances
        self.warehouses = warehouses
        self.timelines: dict[tuple, _Timeline] = {}
        self.pieces: dict[int, tuple[Piece, ...]] = {}  # move id -> pieces its issue side produced
        self.values: dict[int, Decimal] = {}  # move id -> value computed in this run
        self.old_values: dict[int, Decimal | None] = {}
        self.old_pieces: dict[int, tuple[Piece, ...]] = {}  # transfer issued in a replay -> layers it took before
        self.settlements: dict[int, Decimal] = {}
        self.products = {}
        self.open_layers = {}
        self.partly_read: set[tuple] = set()  # timelines whose oldest open layers only were read
        self.recostings: list[Recosting] = []  # what this run recorded
        self.group_values: dict[int, dict[int, Decimal]] = {}  # value group -> output move id -> value
        # Reservations shipped from by earlier moves of this batch (not yet written to their rows).
        self.reservations_used: dict[int, Decimal] = {}
        self.reserved_taken: dict[tuple, Decimal] = {}
        self.sides: dict[int, list[tuple[str, int]]] = {}  # move id -> _sides(move)

    def _sides(self, move: StockMove) -> list[tuple[str, int]]:
        sides = self.sides.get(move.pk)
        if sides is None:
            sides = self.sides[move.pk] = _sides(move, self.locations)
        return sides

    # -- set-up -----------------------------------------------------------------------------
    def run(self) -> None:
        first_key: dict[tuple, tuple] = {}
        new_entries: dict[tuple, list[StockMove]] = defaultdict(list)
        issued: dict[tuple, Decimal | None] = {}  # timeline -> what its new issues take (None: named lots)
        for move in self.moves:
            for direction, wh in self._sides(move):
                key = (move.product_id, wh)
                new_entries[key].append(move)
                if direction == "out":
                    before = issued.get(key, ZERO)
                    issued[key] = None if before is None or move.lot_id else before + move.qty
                first_key[key] = min(first_key.get(key, _move_key(move)), _move_key(move))
        self._preload_open_layers(
            {
                key: need
                for key, need in issued.items()
                if self.warehouses[key[1]].is_fifo and not self._is_backdated(key, first_key[key])
            }
        )
        for key, from_key in first_key.items():
            self._activate(key, from_key, entries=new_entries[key], lazy=key not in issued)
        self._replay()
        self._write()

    def _is_backdated(self, key: tuple, from_key: tuple) -> bool:
        # New moves get ids above every existing one, so a key at or before the last one means
        # the timeline has moves after this point: they are replayed.
        balance = self.balances.get(key)
        if balance is None or balance.last_move_id is None:
            return False
        return from_key <= (balance.last_posted_at, balance.last_move_id)

    def _activate(self, key: tuple, from_key: tuple, entries=None, lazy: bool = False) -> _Timeline:
        """Start replaying `key` from `from_key`. `entries`: the new moves of the timeline when it
        is posted at its end; `lazy`: they are all incoming, so the open layers need not be read."""
        product_id, wh_id = key
        balance = self.balances.get(key)
        if balance is None:  # joins during a cascade
            self.balances.update(lock_balances([key]))
            balance = self.balances[key]
        warehouse = self.warehouses[wh_id]
        backdated = self._is_backdated(key, from_key)
        if backdated and not warehouse.is_fifo:
            from_key = None  # the average is replayed from the first move (cheap: no layers)
        tl = _Timeline(product_id, warehouse, from_key, backdated=backdated)
        if not backdated:
            if lazy and warehouse.is_fifo:
                tl.stock = _Fifo()
                tl.base_qty, tl.base_value = balance.qty, balance.value
            else:
                tl.stock = self._current_state(tl, balance)
            if entries is None:
                entries = [
                    m for m in self.moves if m.product_id == product_id and wh_id in (w for _d, w in self._sides(m))
                ]
            tl.entries = entries
        else:
            storage_ids = [loc.pk for loc in self.locations.values() if loc.is_storage and loc.warehouse_id == wh_id]
            tl.stock = self._state_at(tl, storage_ids)
            tl.entries = self._entries_from(tl, storage_ids)
        self.timelines[key] = tl
        return tl

    def _preload_open_layers(self, needs: dict[tuple, Decimal | None]) -> None:
        """The open FIFO layers that the new issues of timelines posted at their end may take, in one query.

        `needs`: timeline -> the quantity its new issues take (None: all its open layers, for
        issues of named lots). Oldest first, the layers up to that quantity are read; the rest stay
        in the database untouched and count in `base_qty`/`base_value` (the balance row minus what
        was read). New receipts of the batch come after all of them, so no issue of the batch can
        reach past what was read while an unread layer remains.
        """
        self.open_layers = {}
        self.partly_read = set()
        if not needs:
            return
        # The layers with less than the need before them (a running sum over the open layers, oldest
        # first); all of them where the need is NULL (named lots).
        columns = ", ".join(LAYER_COLUMNS)
        running = (
            "SUM(l.remaining_qty) OVER (PARTITION BY l.product_id, l.warehouse_id "
            "ORDER BY l.posted_at, l.move_id, l.piece ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
        )
        layers = f"{CostLayer._meta.db_table} l"
        inner = ", ".join(f"l.{c}" for c in LAYER_COLUMNS)
        if connection.vendor == "postgresql":
            # The needs as three arrays joined to the layers: a short statement whatever their number.
            sql = (
                f"SELECT {columns} FROM (SELECT {inner}, n.need, {running} AS before "
                f"FROM UNNEST(%s::bigint[], %s::bigint[], %s::numeric[]) AS n(product_id, warehouse_id, need) "
                f"JOIN {layers} ON l.product_id = n.product_id AND l.warehouse_id = n.warehouse_id "
                f"AND l.remaining_qty > 0) AS open_layers "
                f"WHERE COALESCE(before < need, TRUE) ORDER BY posted_at, move_id, piece"
            )
            keys = list(needs)
            params = [[p for p, _w in keys], [w for _p, w in keys], [needs[k] for k in keys]]
        else:
            cond, cond_params = _keys_condition(needs)
            need_cases, params = [], []
            for (product_id, wh_id), need in needs.items():
                if need is not None:
                    need_cases.append("WHEN l.product_id = %s AND l.warehouse_id = %s THEN CAST(%s AS NUMERIC)")
                    params += [product_id, wh_id, need]
            params += cond_params  # the needs come first in the statement, then the condition
            need = f"CASE {' '.join(need_cases)} END" if need_cases else "NULL"
            sql = (
                f"SELECT {columns} FROM (SELECT {inner}, {need} AS need, {running} AS before FROM {layers} "
                f"WHERE l.remaining_qty > 0 AND ({cond})) AS open_layers "
                f"WHERE COALESCE(before < need, TRUE) ORDER BY posted_at, move_id, piece"
            )
        rows = select_rows(CostLayer, LAYER_COLUMNS, sql, params)
        for key in needs:
            self.open_layers[key] = []
        for row in rows:
            self.open_layers[(row[1], row[2])].append(row)
        for key, need in needs.items():
            balance = self.balances[key]
            read = sum((row[-2] for row in self.open_layers[key]), ZERO)
            if read < balance.qty and (need is None or read < need):
                # The running sum is a float on SQLite: should it ever stop short, read them all.
                self.open_layers[key] = list(
                    CostLayer.objects.filter(product_id=key[0], warehouse_id=key[1], remaining_qty__gt=0)
                    .order_by("posted_at", "move_id", "piece")
                    .values_list(*LAYER_COLUMNS)
                )
            elif read < balance.qty:
                self.partly_read.add(key)

    def _current_state(self, tl: _Timeline, balance: Balance):
        if not tl.warehouse.is_fifo:
            return AverageStock(balance.qty, balance.value, balance.average_cost)
        rows = self.open_layers.pop(tl.key, None)
        if rows is None:
            rows = (
                CostLayer.objects.filter(product_id=tl.product_id, warehouse=tl.warehouse, remaining_qty__gt=0)
                .order_by("posted_at", "move_id", "piece")
                .values_list(*LAYER_COLUMNS)
            )
        stock = _Fifo([self._layer(row, row[-2], row[-1]) for row in rows])
        for layer in stock.layers:
            tl.touched_layers[layer.row_id] = layer
        if tl.key in self.partly_read:
            # The layers left unread (see _preload_open_layers) are in the balance row: the base.
            tl.base_qty = balance.qty - stock.qty
            tl.base_value = balance.value - stock.value
        return stock

    @staticmethod
    def _layer(row: tuple, remaining_qty, remaining_value) -> Layer:
        """A domain layer from a LAYER_COLUMNS row."""
        pk, _product, _wh, posted_at, move_id, piece, lot_id, qty_in, value_in, db_qty, db_value = row
        layer = Layer((posted_at, move_id, piece), move_id, lot_id, qty_in, value_in, remaining_qty, remaining_value)
        layer.row_id = pk
        layer.db = (db_qty, db_value)
        return layer

    def _state_at(self, tl: _Timeline, storage_ids):
        if not tl.warehouse.is_fifo:
            return AverageStock()  # replayed from the first move
        if tl.from_key is None:
            return _Fifo()  # from the first move: every layer is rebuilt
        t, mid = tl.from_key
        before_layer = Q(posted_at__lt=t) | Q(posted_at=t, move_id__lt=mid)
        base = CostLayer.objects.filter(product_id=tl.product_id, warehouse=tl.warehouse)
        # What moves at/after from_key took of the layers made before it: given back to the state.
        later = LayerConsumption.objects.filter(
            Q(move__posted_at__gt=t) | Q(move__posted_at=t, move_id__gte=mid),
            Q(layer__posted_at__lt=t) | Q(layer__posted_at=t, layer__move_id__lt=mid),
            layer__product_id=tl.product_id,
            layer__warehouse=tl.warehouse,
        )
        given_back = {
            row["layer_id"]: (row["qty"], row["value"])
            for row in later.values("layer_id").annotate(qty=Sum("qty"), value=Sum("value"))
        }
        rows = base.filter(before_layer).filter(Q(remaining_qty__gt=0) | Q(pk__in=later.values("layer_id")))
        layers = []
        for row in rows.order_by("posted_at", "move_id", "piece").values_list(*LAYER_COLUMNS):
            qty, value = given_back.get(row[0], (ZERO, ZERO))
            layer = self._layer(row, row[-2] + qty, row[-1] + value)
            tl.touched_layers[row[0]] = layer
            if layer.remaining_qty > 0:
                layers.append(layer)
        return _Fifo(layers)

    def _transfer_out(self, move, tl: _Timeline) -> bool:
        sides = self._sides(move)
        return len(sides) == 2 and sides[0] == ("out", tl.warehouse.pk)

    def _entries_from(self, tl: _Timeline, storage_ids) -> list[StockMove]:
        qs = StockMove.objects.filter(product_id=tl.product_id).filter(
            Q(from_location_id__in=storage_ids) | Q(to_location_id__in=storage_ids)
        )
        if tl.from_key is not None:
            t, mid = tl.from_key
            qs = qs.filter(Q(posted_at__gt=t) | Q(posted_at=t, id__gte=mid))
        entries = [_Row(row) for row in qs.order_by("posted_at", "id").values_list(*_Row.FIELDS)]
        # The new moves are not written yet: they join the timeline from here.
        entries += [
            m
            for m in self.moves
            if m.product_id == tl.product_id
            and tl.warehouse.pk in (w for _d, w in self._sides(m))
            and (tl.from_key is None or _move_key(m) >= tl.from_key)
        ]
        entries.sort(key=_move_key)
        entries = [m for m in entries if self._sides(m)]
        for m in entries:
            self.old_values.setdefault(m.pk, m.value)
        if tl.warehouse.is_fifo and any(self._transfer_out(m, tl) for m in entries):
            # What the transfers issued from here took, layer by layer: a replay that takes other
            # layers (another lot, another split) at the same total value still changes the receiving side.
            rows = LayerConsumption.objects.filter(
                move__product_id=tl.product_id,
                move__from_location_id__in=storage_ids,
                move__to_location__kind=Location.Kind.STORAGE,
                layer__warehouse_id=tl.warehouse.pk,
            )
            if tl.from_key is not None:
                t, mid = tl.from_key
                rows = rows.filter(Q(move__posted_at__gt=t) | Q(move__posted_at=t, move_id__gte=mid))
            old = defaultdict(list)
            for move_id, qty, value, lot_id in rows.order_by("id").values_list(
                "move_id", "qty", "value", "layer__lot_id"
            ):
                old[move_id].append(Piece(qty, value, lot_id))
            for m in entries:
                if self._transfer_out(m, tl):
                    self.old_pieces.setdefault(m.pk, tuple(old[m.pk]))
        return entries

    # -- replay -----------------------------------------------------------------------------
    def _replay(self) -> None:
        """All active timelines as one stream in (posted_at, id) order."""
        heap = []
        cursors = {}

        def push(key):
            tl = self.timelines[key]
            if cursors[key] < len(tl.entries):
                move = tl.entries[cursors[key]]
                direction = next(d for d, w in self._sides(move) if w == tl.warehouse.pk)
                # At the same move, the issuing side goes first: the receiving side takes its cost.
                heapq.heappush(heap, (_move_key(move), 0 if direction == "out" else 1, key))

        for key in self.timelines:
            cursors[key] = 0
            push(key)
        while heap:
            _mkey, order, key = heapq.heappop(heap)
            tl = self.timelines[key]
            move = tl.entries[cursors[key]]
            cursors[key] += 1
            push(key)
            if order == 0:
                self._issue(tl, move)
                changed = move.pk in self.new_ids or self.values[move.pk] != self.old_values.get(move.pk)
                # The receiving side of a transfer must see this cost (and the layers it took: their
                # lots and split), and so must the outputs of a production step that consumed it.
                followers = []
                target = next((w for d, w in self._sides(move) if d == "in"), None)
                if target is not None and (
                    changed or self.pieces[move.pk] != self.old_pieces.get(move.pk, self.pieces[move.pk])
                ):
                    followers.append(((move.product_id, target), _move_key(move)))
                if move.value_group_id is not None and changed:
                    self.group_values.pop(move.value_group_id, None)
                    for out in self._group_moves(move.value_group_id):
                        if out.value_share is not None:
                            wh = self.locations[out.to_location_id].warehouse_id
                            followers.append(((out.product_id, wh), _move_key(out)))
                for fkey, from_key in followers:
                    if fkey not in self.timelines:
                        self._activate(fkey, from_key)
                        cursors[fkey] = 0
                        push(fkey)
            else:
                self._receive(tl, move)

    def _product(self, product_id):
        if product_id not in self.products:
            from fabrika.catalog.models import Product

            self.products[product_id] = Product.objects.get(pk=product_id)
        return self.products[product_id]

    def _issue(self, tl: _Timeline, move: StockMove) -> None:
        spec = self.specs.get(move.pk)
        if tl.warehouse.is_fifo:
            stock: FifoStock = tl.stock
            if spec is not None:
                self._check_reservations(tl, move, spec, stock)
            try:
                plan = stock.plan_issue(move.qty, move.lot_id)
            except dfifo.InsufficientStock as exc:
                lot = Lot.objects.get(pk=move.lot_id) if move.lot_id else None
                raise InsufficientStock(
                    self._product(move.product_id),
                    Warehouse.objects.get(pk=tl.warehouse.pk),  # its current name, not the cached one
                    exc.wanted,
                    exc.available,
                    lot=lot,
                    at=move.posted_at if tl.backdated else None,
                ) from None
            stock.apply(plan)
            tl.consumptions += [(move, c) for c in plan]
            value = sum((c.value for c in plan), Decimal("0.00"))
            self.pieces[move.pk] = tuple(Piece(c.qty, c.value, c.lot) for c in plan)
        else:
            stock: AverageStock = tl.stock
            if move.input_value is not None:
                value = stock.issue_at(move.qty, move.input_value)
            else:
                value = stock.issue(move.qty)
            self.pieces[move.pk] = (Piece(move.qty, value, None),)
        self.values[move.pk] = value

    def _check_reservations(self, tl, move, spec: MoveSpec, stock: FifoStock) -> None:
        """Goods reserved for others may not be issued (FIFO warehouses)."""
        used = self.reservations_used
        own_open = ZERO
        if spec.reservation is not None:
            own_open = spec.reservation.qty - spec.reservation.qty_consumed - used.get(spec.reservation.pk, ZERO)
        if move.lot_id:
            reserved = Reservation.objects.filter(
                product_id=move.product_id, warehouse=tl.warehouse, state=Reservation.State.ACTIVE, lot_id=move.lot_id
            )
            if spec.reservation is not None:
                reserved = reserved.exclude(pk=spec.reservation.pk)
            held = sum(
                (r.qty - r.qty_consumed - used.get(r.pk, ZERO) for r in reserved.only("qty", "qty_consumed")), ZERO
            )
        else:
            # The locked balance row counts every active reservation (less what earlier moves of this
            # batch shipped from theirs); the move's own one is not "others'".
            held = self.balances[tl.key].reserved - self.reserved_taken.get(tl.key, ZERO)
            if spec.reservation is not None:
                held -= own_open
        available = stock.available(move.lot_id) + (tl.base_qty if move.lot_id is None else ZERO) - held
        if move.qty > available:
            lot = Lot.objects.get(pk=move.lot_id) if move.lot_id else None
            raise InsufficientStock(
                self._product(move.product_id),
                Warehouse.objects.get(pk=tl.warehouse.pk),
                move.qty,
                max(available, ZERO),
                lot=lot,
            )
        if spec.reservation is not None:
            take = min(move.qty, own_open)
            used[spec.reservation.pk] = used.get(spec.reservation.pk, ZERO) + take
            self.reserved_taken[tl.key] = self.reserved_taken.get(tl.key, ZERO) + take

    def _receive(self, tl: _Timeline, move: StockMove) -> None:
        src = self.locations[move.from_location_id]
        if src.is_storage:  # a transfer: the cost comes from the issuing side
            pieces = self.pieces.get(move.pk)
            if pieces is None:
                pieces = self._stored_pieces(move, src.warehouse_id)
        else:
            value = move.input_value if move.input_value is not None else Decimal("0.00")
            if move.value_share is not None:
                value += self._group_output_value(move)
            pieces = (Piece(move.qty, value, move.lot_id),)
        if tl.warehouse.is_fifo:
            layers = tl.stock.receive(_move_key(move), move.pk, list(pieces))
            tl.new_layers += [(layer, move) for layer in layers]
            self.settlements[move.pk] = Decimal("0.00")
            value = sum((layer.value_in for layer in layers), Decimal("0.00"))
        else:
            value = sum((p.value for p in pieces), Decimal("0.00"))
            self.settlements[move.pk] = tl.stock.receive(move.qty, value)
        self.values[move.pk] = value

    def _group_moves(self, group_id: int) -> list[StockMove]:
        cache = self.__dict__.setdefault("_groups", {})
        if group_id not in cache:
            written = list(StockMove.objects.filter(value_group_id=group_id))
            cache[group_id] = sorted(written + [m for m in self.moves if m.value_group_id == group_id], key=_move_key)
        return cache[group_id]

    def _group_output_value(self, move: StockMove) -> Decimal:
        """An output's part of the value its production step consumed (its inputs come first)."""
        group = move.value_group_id
        if group not in self.group_values:
            moves = self._group_moves(group)
            inputs = [m for m in moves if self.locations[m.from_location_id].is_storage]
            outputs = [m for m in moves if m.value_share is not None]
            if inputs and max(_move_key(m) for m in inputs) > min(_move_key(m) for m in outputs):
                raise InvalidMove("a production output is posted before what it consumes", product=str(move.product_id))
            total = sum((self.values.get(m.pk, m.value) or Decimal("0.00") for m in inputs), Decimal("0.00"))
            parts = split(total, [m.value_share for m in outputs])
            self.group_values[group] = {m.pk: part for m, part in zip(outputs, parts, strict=True)}
        return self.group_values[group][move.pk]

    def _stored_pieces(self, move: StockMove, source_wh: int) -> tuple[Piece, ...]:
        if self.warehouses[source_wh].is_fifo:
            rows = LayerConsumption.objects.filter(move_id=move.pk, layer__warehouse_id=source_wh).select_related(
                "layer"
            )
            return tuple(Piece(c.qty, c.value, c.layer.lot_id) for c in rows.order_by("id"))
        return (Piece(move.qty, move.value or Decimal("0.00"), None),)

    # -- write ------------------------------------------------------------------------------
    def _write(self) -> None:
        self._write_moves()
        layer_rows = []
        new_layers = []
        consumption_rows = []
        layer_updates = []
        for tl in self.timelines.values():
            if not tl.warehouse.is_fifo:
                continue
            if tl.backdated:
                # The replay rewrote everything from from_key on: what moves at/after it took (of
                # any layer of the timeline), and the layers moves at/after it created. Derived
                # rows, deleted without the collector's per-row checks (nothing else points at them).
                later_moves, later_layers = Q(), Q()
                if tl.from_key is not None:
                    t, mid = tl.from_key
                    later_moves = Q(move__posted_at__gt=t) | Q(move__posted_at=t, move_id__gte=mid)
                    later_layers = Q(posted_at__gt=t) | Q(posted_at=t, move_id__gte=mid)
                LayerConsumption.objects.filter(
                    later_moves, layer__product_id=tl.product_id, layer__warehouse_id=tl.warehouse.pk
                )._raw_delete(connection.alias)
                CostLayer.objects.filter(
                    later_layers, product_id=tl.product_id, warehouse_id=tl.warehouse.pk
                )._raw_delete(connection.alias)
            for layer, move in tl.new_layers:
                layer_rows.append(
                    (
                        tl.product_id,
                        tl.warehouse.pk,
                        move.pk,
                        layer.key[2],
                        layer.lot,
                        move.posted_at,
                        layer.qty_in,
                        layer.value_in,
                        layer.remaining_qty,
                        layer.remaining_value,
                    )
                )
                new_layers.append(layer)
        for layer, pk in zip(
            new_layers, insert_rows(CostLayer, NEW_LAYER_FIELDS, layer_rows, returning=True), strict=True
        ):
            layer.row_id = pk
        for tl in self.timelines.values():
            if not tl.warehouse.is_fifo:
                continue
            ids_by_key = {layer.key: row_id for row_id, layer in tl.touched_layers.items()}
            ids_by_key.update({layer.key: layer.row_id for layer, _m in tl.new_layers})
            consumption_rows += [(move.pk, ids_by_key[c.layer_key], c.qty, c.value) for move, c in tl.consumptions]
            # Layers that existed before this run: write those whose remainder changed. (The domain
            # mutates the layer objects in place, so they hold their final remainder; new layers
            # were inserted with theirs.)
            layer_updates += [
                (layer.remaining_qty, layer.remaining_value, row_id)
                for row_id, layer in tl.touched_layers.items()
                if (layer.remaining_qty, layer.remaining_value) != layer.db
            ]
        update_rows(CostLayer, ["remaining_qty", "remaining_value"], layer_updates)
        insert_rows(LayerConsumption, ["move", "layer", "qty", "value"], consumption_rows)
        self._write_balances()
        self._record_recostings()

    def _write_moves(self) -> None:
        """Insert the new moves, valued; update the derived fields of replayed ones that changed."""
        changed = []
        by_id = {m.pk: m for m in self.moves}
        for tl in self.timelines.values():
            for m in tl.entries:
                by_id.setdefault(m.pk, m)
        for move_id, value in self.values.items():
            move = by_id[move_id]
            # Only the run that replayed a move's receiving side knows its settlement.
            settlement = (self.settlements[move_id] or None) if move_id in self.settlements else move.settlement
            if move.pk in self.new_ids or move.value != value or move.settlement != settlement:
                move.value = value
                move.unit_cost = unit_cost(value, move.qty)
                move.settlement = settlement
                if move.pk not in self.new_ids:
                    changed.append(move)
        # A move between two places of one warehouse changes no balance and takes no value.
        fields = ["id", *MOVE_FIELDS, *DERIVED_FIELDS]
        insert_rows(StockMove, fields, [tuple(getattr(m, f) for f in fields) for m in self.moves])
        for move in self.moves:
            move._state.adding = False
        # Derived fields only: the database guard lets the valuation engine write these.
        update_rows(StockMove, DERIVED_FIELDS, [(m.value, m.unit_cost, m.settlement, m.pk) for m in changed])

    def _record_recostings(self) -> None:
        for tl in self.timelines.values():
            if not tl.backdated:
                continue
            replayed = [m for m in tl.entries if m.pk not in self.new_ids]
            changes = [m for m in replayed if self.old_values.get(m.pk) != self.values.get(m.pk)]
            trigger = next((m for m in self.moves if m.product_id == tl.product_id), None)
            new_here = any(m.pk in self.new_ids for m in tl.entries)
            if trigger is None and not changes:
                continue  # a rebuild that found everything as it was
            rec = Recosting.objects.create(
                product_id=tl.product_id,
                warehouse=tl.warehouse,
                from_time=tl.entries[0].posted_at if tl.entries else trigger.posted_at,
                trigger=trigger,
                reason=("backdated posting" if new_here else "cost of an input changed" if trigger else "rebuild"),
                moves_replayed=len(replayed),
                moves_changed=len(changes),
                request_id=get_request_id() or "",
            )
            self.recostings.append(rec)
            insert_rows(
                RecostingChange,
                ["recosting", "move", "old_value", "new_value"],
                [(rec.pk, m.pk, self.old_values.get(m.pk), self.values[m.pk]) for m in changes],
            )

    def _write_balances(self) -> None:
        # Shipping reserved goods consumes the reservation.
        consumed = []
        for move in self.moves:
            spec = self.specs[move.pk]
            if spec.reservation is not None:
                reservation = Reservation.objects.select_for_update().get(pk=spec.reservation.pk)
                take = min(move.qty, reservation.qty - reservation.qty_consumed)
                reservation.qty_consumed += take
                if reservation.qty_consumed == reservation.qty:
                    reservation.state = Reservation.State.CONSUMED
                reservation.save(update_fields=["qty_consumed", "state"])
                wh = self.locations[move.from_location_id].warehouse_id
                self.balances[(move.product_id, wh)].reserved -= take
                consumed.append(reservation)
        rows = []
        for key, tl in self.timelines.items():
            balance = self.balances[key]
            balance.qty = tl.base_qty + tl.stock.qty
            balance.value = tl.base_value + tl.stock.value
            if tl.warehouse.is_fifo:
                balance.average_cost = unit_cost(balance.value, balance.qty) if balance.qty else Decimal("0")
            else:
                balance.average_cost = tl.stock.average
            last = max((_move_key(m) for m in tl.entries), default=None)
            if last is not None and (
                balance.last_move_id is None or last > (balance.last_posted_at, balance.last_move_id)
            ):
                balance.last_posted_at, balance.last_move_id = last
            rows.append(balance)
        fields = ["qty", "reserved", "value", "average_cost", "last_posted_at", "last_move_id"]
        update_rows(Balance, fields, [tuple(getattr(b, f) for f in fields) + (b.pk,) for b in rows])
