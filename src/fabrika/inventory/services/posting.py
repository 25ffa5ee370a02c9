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

ZERO = Decimal("0")


@dataclass
class MoveSpec:
    """One move to post. `qty` is in the product's base unit."""

    product: object
    qty: Decimal
    from_location: Location
    to_location: Location
    kind: str
    posted_at: datetime | None = None  # None: now, taken after the balances are locked
    # Incoming: the cost the move brings (receipt, count surplus). Outgoing, average warehouses only:
    # issue at exactly this value instead of the average (the reversal of a receipt).
    input_value: Decimal | None = None
    lot: Lot | None = None  # issue: only this lot; incoming: the lot its layer belongs to
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
    old_layer_ids: list = field(default_factory=list)  # layers created at/after from_key (to replace)
    touched_layers: dict = field(default_factory=dict)  # pre-existing layer id -> Layer (remaining changes)
    new_layers: list = field(default_factory=list)  # (Layer, move)
    consumptions: list = field(default_factory=list)  # (move, Consumption)
    backdated: bool = False

    @property
    def key(self):
        return (self.product_id, self.warehouse.pk)


def _move_key(move: StockMove) -> tuple:
    return (move.posted_at, move.pk)


def _check_periods(specs) -> None:
    months = {timezone.localdate(s.posted_at).replace(day=1) for s in specs}
    if not months:
        return
    closed = Period.objects.filter(closed=True, start__in=months).order_by("start").first()
    if closed is not None:
        spec = next(s for s in specs if timezone.localdate(s.posted_at).replace(day=1) == closed.start)
        raise PeriodClosed(closed, spec.posted_at)
    # A month after a closed month is open; a month before the latest closed month is not.
    latest = Period.objects.filter(closed=True).order_by("-start").values_list("start", flat=True).first()
    if latest is not None:
        for spec in specs:
            if timezone.localdate(spec.posted_at).replace(day=1) <= latest:
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


def lock_balances(keys) -> dict[tuple, Balance]:
    """Create missing balance rows, then lock them all in primary-key order."""
    keys = sorted(set(keys))
    Balance.objects.bulk_create([Balance(product_id=p, warehouse_id=w) for p, w in keys], ignore_conflicts=True)
    cond = Q(pk__in=[])
    by_product = defaultdict(list)
    for p, w in keys:
        by_product[p].append(w)
    for p, ws in by_product.items():
        cond |= Q(product_id=p, warehouse_id__in=ws)
    rows = Balance.objects.select_for_update().filter(cond).order_by("pk")
    return {(b.product_id, b.warehouse_id): b for b in rows}


@transaction.atomic
def post_moves(*, specs: list[MoveSpec], actor=None) -> list[StockMove]:
    if not specs:
        return []
    for spec in specs:
        if spec.qty is None or spec.qty <= 0:
            raise InvalidMove("quantity must be positive", product=str(spec.product))
        if spec.from_location.pk == spec.to_location.pk:
            raise InvalidMove("a move needs two different places", product=str(spec.product))
    locations = {loc.pk: loc for loc in Location.objects.all()}
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
    moves = StockMove.objects.bulk_create(
        [
            StockMove(
                product_id=getattr(s.product, "pk", s.product),
                qty=s.qty,
                from_location=s.from_location,
                to_location=s.to_location,
                lot=s.lot,
                posted_at=s.posted_at,
                kind=s.kind,
                document=s.document,
                line=s.line,
                reverses=s.reverses,
                input_value=s.input_value,
                value_group=s.value_group,
                value_share=s.value_share,
                created_by=actor,
            )
            for s in specs
        ]
    )
    engine = _Engine(moves, specs, locations, balances)
    engine.run()
    return moves


@transaction.atomic
def replay_from_start(*, keys) -> list[Recosting]:
    """Recompute the derived valuation of whole (product, warehouse) timelines from their first move.

    The result must equal what incremental posting left (the property tests hold the engine to
    it); any difference is recorded as a Recosting with its changes.
    """
    locations = {loc.pk: loc for loc in Location.objects.all()}
    firsts = {}
    for key in sorted(set(keys)):
        storage_ids = [loc.pk for loc in locations.values() if loc.is_storage and loc.warehouse_id == key[1]]
        first = (
            StockMove.objects.filter(product_id=key[0])
            .filter(Q(from_location_id__in=storage_ids) | Q(to_location_id__in=storage_ids))
            .order_by("posted_at", "id")
            .values_list("posted_at", "id")
            .first()
        )
        if first is not None:
            firsts[key] = tuple(first)
    engine = _Engine([], [], locations, lock_balances(firsts))
    for key, first in firsts.items():
        engine._activate(key, first)
    before = Recosting.objects.count()
    engine._replay()
    engine._write()
    return list(Recosting.objects.order_by("id")[before:])


def _update_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """UPDATE many rows by primary key with one prepared statement (rows: field values..., pk)."""
    if not rows:
        return
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    model_fields = [model._meta.get_field(f) for f in fields]
    assignments = ", ".join(f"{qn(f.column)} = %s" for f in model_fields)
    params = [
        [f.get_db_prep_save(v, connection) for f, v in zip(model_fields, row[:-1], strict=True)] + [row[-1]]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s", params)


class _Engine:
    def __init__(self, moves: list[StockMove], specs: list[MoveSpec], locations, balances):
        self.moves = moves
        self.specs = {m.pk: s for m, s in zip(moves, specs, strict=True)}
        self.new_ids = {m.pk for m in moves}
        self.locations = locations
        self.balances = balances
        self.warehouses = {w.pk: w for w in Warehouse.objects.all()}
        self.timelines: dict[tuple, _Timeline] = {}
        self.pieces: dict[int, tuple[Piece, ...]] = {}  # move id -> pieces its issue side produced
        self.values: dict[int, Decimal] = {}  # move id -> value computed in this run
        self.old_values: dict[int, Decimal | None] = {}
        self.settlements: dict[int, Decimal] = {}
        self.products = {}
        self.open_layers = {}
        self.group_values: dict[int, dict[int, Decimal]] = {}  # value group -> output move id -> value
        # Reservations shipped from by earlier moves of this batch (not yet written to their rows).
        self.reservations_used: dict[int, Decimal] = {}
        self.reserved_taken: dict[tuple, Decimal] = {}

    # -- set-up -----------------------------------------------------------------------------
    def run(self) -> None:
        first_key: dict[tuple, tuple] = {}
        for move in self.moves:
            for _direction, wh in _sides(move, self.locations):
                key = (move.product_id, wh)
                first_key[key] = min(first_key.get(key, _move_key(move)), _move_key(move))
        self._preload_open_layers(first_key)
        for key, from_key in first_key.items():
            self._activate(key, from_key)
        self._replay()
        self._write()

    def _activate(self, key: tuple, from_key: tuple) -> _Timeline:
        product_id, wh_id = key
        balance = self.balances.get(key)
        if balance is None:  # joins during a cascade
            self.balances.update(lock_balances([key]))
            balance = self.balances[key]
        warehouse = self.warehouses[wh_id]
        last = (balance.last_posted_at, balance.last_move_id) if balance.last_move_id else None
        # New moves get ids above every existing one, so a key at or before the last one means
        # the timeline has moves after this point: replay them.
        backdated = last is not None and from_key <= last
        if backdated and not warehouse.is_fifo:
            from_key = None  # the average is replayed from the first move (cheap: no layers)
        tl = _Timeline(product_id, warehouse, from_key, backdated=backdated)
        storage_ids = [loc.pk for loc in self.locations.values() if loc.is_storage and loc.warehouse_id == wh_id]
        if not backdated:
            tl.stock = self._current_state(tl, balance)
            tl.entries = [
                m
                for m in self.moves
                if m.product_id == product_id and any(w == wh_id for _d, w in _sides(m, self.locations))
            ]
        else:
            tl.stock = self._state_at(tl, storage_ids)
            tl.entries = self._entries_from(tl, storage_ids)
        self.timelines[key] = tl
        return tl

    def _preload_open_layers(self, first_key: dict) -> None:
        """The open FIFO layers of every timeline posted at its end, in one query."""
        self.open_layers = defaultdict(list)
        keys = [
            key
            for key, from_key in first_key.items()
            if self.warehouses[key[1]].is_fifo
            and not (
                self.balances[key].last_move_id
                and from_key <= (self.balances[key].last_posted_at, self.balances[key].last_move_id)
            )
        ]
        if not keys:
            return
        by_wh = defaultdict(list)
        for product_id, wh_id in keys:
            by_wh[wh_id].append(product_id)
        cond = Q(pk__in=[])
        for wh_id, product_ids in by_wh.items():
            cond |= Q(warehouse_id=wh_id, product_id__in=product_ids)
        rows = CostLayer.objects.filter(cond, remaining_qty__gt=0).order_by("posted_at", "move_id", "piece")
        for key in keys:
            self.open_layers[key] = []
        for row in rows:
            self.open_layers[(row.product_id, row.warehouse_id)].append(row)

    def _current_state(self, tl: _Timeline, balance: Balance):
        if not tl.warehouse.is_fifo:
            return AverageStock(balance.qty, balance.value, balance.average_cost)
        layers = self.open_layers.pop(tl.key, None)
        if layers is None:
            layers = CostLayer.objects.filter(
                product_id=tl.product_id, warehouse=tl.warehouse, remaining_qty__gt=0
            ).order_by("posted_at", "move_id", "piece")
        stock = FifoStock([self._layer(row, row.remaining_qty, row.remaining_value) for row in layers])
        for layer in stock.layers:
            tl.touched_layers[layer.row_id] = layer
        return stock

    @staticmethod
    def _layer(row: CostLayer, remaining_qty, remaining_value) -> Layer:
        layer = Layer(
            (row.posted_at, row.move_id, row.piece),
            row.move_id,
            row.lot_id,
            row.qty_in,
            row.value_in,
            remaining_qty,
            remaining_value,
        )
        layer.row_id = row.pk
        layer.db = (row.remaining_qty, row.remaining_value)
        return layer

    def _before(self, from_key, prefix: str = "") -> Q:
        t, mid = from_key
        return Q(**{f"{prefix}posted_at__lt": t}) | Q(**{f"{prefix}posted_at": t, f"{prefix}id__lt": mid})

    def _state_at(self, tl: _Timeline, storage_ids):
        if not tl.warehouse.is_fifo:
            return AverageStock()  # replayed from the first move
        t, mid = tl.from_key
        before_layer = Q(posted_at__lt=t) | Q(posted_at=t, move_id__lt=mid)
        base = CostLayer.objects.filter(product_id=tl.product_id, warehouse=tl.warehouse)
        # Consumption of older layers by moves at/after from_key: given back to the state.
        later = (
            LayerConsumption.objects.filter(layer__product_id=tl.product_id, layer__warehouse=tl.warehouse)
            .filter(Q(move__posted_at__gt=t) | Q(move__posted_at=t, move_id__gte=mid))
            .values("layer_id")
            .annotate(qty=Sum("qty"), value=Sum("value"))
        )
        given_back = {row["layer_id"]: (row["qty"], row["value"]) for row in later}
        rows = base.filter(before_layer).filter(Q(remaining_qty__gt=0) | Q(pk__in=list(given_back)))
        layers = []
        for row in rows.order_by("posted_at", "move_id", "piece"):
            qty, value = given_back.get(row.pk, (ZERO, ZERO))
            layer = self._layer(row, row.remaining_qty + qty, row.remaining_value + value)
            tl.touched_layers[row.pk] = layer
            if layer.remaining_qty > 0:
                layers.append(layer)
        tl.old_layer_ids = list(base.exclude(before_layer).values_list("pk", flat=True))
        return FifoStock(layers)

    def _entries_from(self, tl: _Timeline, storage_ids) -> list[StockMove]:
        qs = StockMove.objects.filter(product_id=tl.product_id).filter(
            Q(from_location_id__in=storage_ids) | Q(to_location_id__in=storage_ids)
        )
        if tl.from_key is not None:
            t, mid = tl.from_key
            qs = qs.filter(Q(posted_at__gt=t) | Q(posted_at=t, id__gte=mid))
        entries = [m for m in qs.order_by("posted_at", "id") if _sides(m, self.locations)]
        for m in entries:
            self.old_values.setdefault(m.pk, m.value)
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
                direction = next(d for d, w in _sides(move, self.locations) if w == tl.warehouse.pk)
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
                # The receiving side of a transfer must see this cost, and so must the outputs of a
                # production step that consumed it.
                followers = []
                target = next((w for d, w in _sides(move, self.locations) if d == "in"), None)
                if target is not None:
                    followers.append(((move.product_id, target), _move_key(move)))
                if move.value_group_id is not None and changed:
                    self.group_values.pop(move.value_group_id, None)
                    for out in self._group_moves(move.value_group_id):
                        if out.value_share is not None:
                            wh = self.locations[out.to_location_id].warehouse_id
                            followers.append(((out.product_id, wh), _move_key(out)))
                for fkey, from_key in followers:
                    if fkey not in self.timelines and changed:
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
                    tl.warehouse,
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
        available = stock.available(move.lot_id) - held
        if move.qty > available:
            lot = Lot.objects.get(pk=move.lot_id) if move.lot_id else None
            raise InsufficientStock(
                self._product(move.product_id), tl.warehouse, move.qty, max(available, ZERO), lot=lot
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
            cache[group_id] = list(StockMove.objects.filter(value_group_id=group_id).order_by("posted_at", "id"))
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
            rows = LayerConsumption.objects.filter(move=move, layer__warehouse_id=source_wh).select_related("layer")
            return tuple(Piece(c.qty, c.value, c.layer.lot_id) for c in rows.order_by("id"))
        return (Piece(move.qty, move.value or Decimal("0.00"), None),)

    # -- write ------------------------------------------------------------------------------
    def _write(self) -> None:
        layer_rows = []
        consumption_rows = []
        layer_updates = []
        for tl in self.timelines.values():
            if not tl.warehouse.is_fifo:
                continue
            if tl.old_layer_ids:
                LayerConsumption.objects.filter(layer_id__in=tl.old_layer_ids).delete()
                CostLayer.objects.filter(pk__in=tl.old_layer_ids).delete()
            if tl.backdated:
                t, mid = tl.from_key
                LayerConsumption.objects.filter(layer_id__in=list(tl.touched_layers)).filter(
                    Q(move__posted_at__gt=t) | Q(move__posted_at=t, move_id__gte=mid)
                ).delete()
            for layer, move in tl.new_layers:
                row = CostLayer(
                    product_id=tl.product_id,
                    warehouse=tl.warehouse,
                    move=move,
                    piece=layer.key[2],
                    lot_id=layer.lot,
                    posted_at=move.posted_at,
                    qty_in=layer.qty_in,
                    value_in=layer.value_in,
                    remaining_qty=layer.remaining_qty,
                    remaining_value=layer.remaining_value,
                )
                layer.row = row
                layer_rows.append(row)
        CostLayer.objects.bulk_create(layer_rows)
        for tl in self.timelines.values():
            if not tl.warehouse.is_fifo:
                continue
            ids_by_key = {layer.key: row_id for row_id, layer in tl.touched_layers.items()}
            ids_by_key.update({layer.key: layer.row.pk for layer, _m in tl.new_layers})
            for move, c in tl.consumptions:
                layer_id = ids_by_key[c.layer_key]
                consumption_rows.append(LayerConsumption(move=move, layer_id=layer_id, qty=c.qty, value=c.value))
            # Layers that existed before this run: write those whose remainder changed. (The domain
            # mutates the layer objects in place, so they hold their final remainder; new layers
            # were inserted with theirs.)
            layer_updates += [
                (layer.remaining_qty, layer.remaining_value, row_id)
                for row_id, layer in tl.touched_layers.items()
                if (layer.remaining_qty, layer.remaining_value) != layer.db
            ]
        _update_rows(CostLayer, ["remaining_qty", "remaining_value"], layer_updates)
        LayerConsumption.objects.bulk_create(consumption_rows, batch_size=1000)
        self._write_moves()
        self._write_balances()

    def _write_moves(self) -> None:
        changed = []
        by_id = {m.pk: m for m in self.moves}
        for tl in self.timelines.values():
            for m in tl.entries:
                by_id.setdefault(m.pk, m)
        for move_id, value in self.values.items():
            move = by_id[move_id]
            # Only the run that replayed a move's receiving side knows its settlement.
            settlement = (self.settlements[move_id] or None) if move_id in self.settlements else move.settlement
            if move.value != value or move.settlement != settlement:
                move.value = value
                move.unit_cost = unit_cost(value, move.qty)
                move.settlement = settlement
                changed.append(move)
        # Derived fields only: the database guard lets the valuation engine write these.
        _update_rows(
            StockMove,
            ["value", "unit_cost", "settlement"],
            [(m.value, m.unit_cost, m.settlement, m.pk) for m in changed],
        )
        self._record_recostings(by_id)

    def _record_recostings(self, by_id) -> None:
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
            RecostingChange.objects.bulk_create(
                [
                    RecostingChange(
                        recosting=rec, move=m, old_value=self.old_values.get(m.pk), new_value=self.values[m.pk]
                    )
                    for m in changes
                ]
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
            balance.qty = tl.stock.qty
            balance.value = tl.stock.value
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
        _update_rows(Balance, fields, [tuple(getattr(b, f) for f in fields) + (b.pk,) for b in rows])
