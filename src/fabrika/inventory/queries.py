"""Read side of the warehouse: stock on hand, inventory value, movement history, turnover, slow movers.

Where positions come from (DESIGN.md §7):

* now (no date, or today) → the `Balance` rows that posting keeps; never a sum over the ledger;
* a past moment → the latest month-end `BalanceSnapshot` at or before it, plus the moves after
  the snapshot up to the moment; with no snapshot before it, the sum of all moves up to the
  moment. Both sums are aggregate SQL grouped by product and location: no report loads the
  ledger into Python.

A warehouse's value from its moves is Σ values of the moves into its storage − Σ values of the
moves out of it − Σ settlements of the moves into it (average cost: a receipt into negative stock
settles the cost the earlier short issues should have carried; see `StockMove.settlement` and
`checks.py`). Moves between two places of one warehouse count in and out and cancel out.

Dates: "as of <date>" means the end of that day in the current time zone — every move posted on
or before that day counts. Months are calendar months in the current time zone.

Every function returns values; pages, API and exports drop the value columns for users without
the inventory cost right.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from fabrika.catalog.models import Product, ProductGroup

from .domain.money import unit_cost
from .models import (
    Balance,
    BalanceSnapshot,
    CostLayer,
    LayerConsumption,
    Location,
    Lot,
    Period,
    Reservation,
    StockDocument,
    StockMove,
    Warehouse,
)

ZERO = Decimal("0")
ZERO_VALUE = Decimal("0.00")

# Outgoing moves that count as "the goods were used" for slow movers (not count adjustments or reversals).
ISSUE_KINDS = (
    StockMove.Kind.SHIPMENT,
    StockMove.Kind.CONSUMPTION,
    StockMove.Kind.TRANSFER,
    StockMove.Kind.WRITEOFF,
    StockMove.Kind.SUPPLIER_RETURN,
)


# --- time ---------------------------------------------------------------------------------------


def start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def end_of_day(day: date) -> datetime:
    """The last instant of `day` in the current time zone (moves at or before it belong to the day)."""
    return start_of_day(day + timedelta(days=1)) - timedelta(microseconds=1)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_end(month: date) -> datetime:
    """The last instant of the month that `month` lies in: the `period_end` of its snapshot."""
    return end_of_day(next_month(month_start(month)) - timedelta(days=1))


def is_now(as_of: date | None) -> bool:
    return as_of is None or as_of >= timezone.localdate()


# --- scope --------------------------------------------------------------------------------------


def group_ids(group) -> list[int]:
    """The group and all its subgroups (the group tree is small: read it once)."""
    if group is None:
        return []
    children = defaultdict(list)
    for pk, parent in ProductGroup.objects.values_list("pk", "parent_id"):
        children[parent].append(pk)
    found, stack = [], [getattr(group, "pk", group)]
    while stack:
        pk = stack.pop()
        if pk in found:
            continue
        found.append(pk)
        stack.extend(children.get(pk, ()))
    return found


def group_paths() -> dict[int, str]:
    """Group id → "Parent / Child" label."""
    rows = {pk: (name, parent) for pk, name, parent in ProductGroup.objects.values_list("pk", "name", "parent_id")}
    paths = {}
    for pk in rows:
        names, node, seen = [], pk, set()
        while node is not None and node not in seen and node in rows:
            seen.add(node)
            names.append(rows[node][0])
            node = rows[node][1]
        paths[pk] = " / ".join(reversed(names))
    return paths


@dataclass(frozen=True)
class Scope:
    """Which stock a report covers: one warehouse or all, a group (with subgroups), one product."""

    warehouse: object = None
    group: object = None
    product: object = None

    @property
    def warehouse_id(self):
        return getattr(self.warehouse, "pk", self.warehouse)

    @property
    def product_id(self):
        return getattr(self.product, "pk", self.product)

    def product_q(self, prefix: str = "") -> Q:
        q = Q()
        if self.product is not None:
            q &= Q(**{f"{prefix}product_id": self.product_id})
        if self.group is not None:
            q &= Q(**{f"{prefix}product__group_id__in": group_ids(self.group)})
        return q

    def warehouse_q(self, prefix: str = "") -> Q:
        return Q(**{f"{prefix}warehouse_id": self.warehouse_id}) if self.warehouse is not None else Q()

    def storage(self) -> dict[int, int]:
        """Storage location id → warehouse id, for the warehouses in scope."""
        qs = Location.objects.filter(kind=Location.Kind.STORAGE)
        if self.warehouse is not None:
            qs = qs.filter(warehouse_id=self.warehouse_id)
        return dict(qs.values_list("pk", "warehouse_id"))


# --- positions ----------------------------------------------------------------------------------


@dataclass
class Flow:
    """What moved into and out of one (product, warehouse) between two moments."""

    in_qty: Decimal = ZERO
    in_value: Decimal = ZERO_VALUE
    settlement: Decimal = ZERO_VALUE
    out_qty: Decimal = ZERO
    out_value: Decimal = ZERO_VALUE

    @property
    def qty(self) -> Decimal:
        return self.in_qty - self.out_qty

    @property
    def value(self) -> Decimal:
        return self.in_value - self.out_value - self.settlement


def move_flows(scope: Scope, *, after: datetime | None = None, until: datetime | None = None) -> dict[tuple, Flow]:
    """(product id, warehouse id) → Flow of the moves with `after < posted_at <= until` (aggregate SQL)."""
    storage = scope.storage()
    if not storage:
        return {}
    moves = StockMove.objects.filter(scope.product_q())
    if after is not None:
        moves = moves.filter(posted_at__gt=after)
    if until is not None:
        moves = moves.filter(posted_at__lte=until)
    location_ids = list(storage)
    flows: dict[tuple, Flow] = defaultdict(Flow)
    incoming = (
        moves.filter(to_location_id__in=location_ids)
        .values("product_id", "to_location_id")
        .annotate(qty=Sum("qty"), value=Sum("value"), settlement=Sum("settlement"))
        .order_by()
    )
    for row in incoming:
        flow = flows[(row["product_id"], storage[row["to_location_id"]])]
        flow.in_qty += row["qty"]
        flow.in_value += row["value"] or ZERO_VALUE
        flow.settlement += row["settlement"] or ZERO_VALUE
    outgoing = (
        moves.filter(from_location_id__in=location_ids)
        .values("product_id", "from_location_id")
        .annotate(qty=Sum("qty"), value=Sum("value"))
        .order_by()
    )
    for row in outgoing:
        flow = flows[(row["product_id"], storage[row["from_location_id"]])]
        flow.out_qty += row["qty"]
        flow.out_value += row["value"] or ZERO_VALUE
    return dict(flows)


def latest_snapshot_end(at: datetime) -> datetime | None:
    return BalanceSnapshot.objects.filter(period_end__lte=at).aggregate(end=Max("period_end"))["end"]


def first_move_at() -> datetime | None:
    return StockMove.objects.order_by("posted_at", "id").values_list("posted_at", flat=True).first()


def positions_at(scope: Scope, at: datetime) -> dict[tuple, list]:
    """(product id, warehouse id) → [qty, value] at the moment `at`, counting the fewer moves:
    forward from the latest month-end snapshot before `at` (or from the first move), or back from
    today's balances (a date near today, the usual question). The ledger's time span on either
    side decides; both give the same result, since a balance is the sum of its moves (check-ledger)."""
    snapshot_end = latest_snapshot_end(at)
    origin = snapshot_end or first_move_at()
    if origin is not None and timezone.now() - at < at - origin:
        return positions_back(scope, at)
    return positions_forward(scope, at, snapshot_end)


def positions_forward(scope: Scope, at: datetime, snapshot_end: datetime | None) -> dict[tuple, list]:
    """The snapshot at `snapshot_end` (none: from the first move) plus the moves after it up to `at`."""
    result: dict[tuple, list] = {}
    if snapshot_end is not None:
        rows = BalanceSnapshot.objects.filter(scope.product_q(), scope.warehouse_q(), period_end=snapshot_end)
        for product_id, warehouse_id, qty, value in rows.values_list("product_id", "warehouse_id", "qty", "value"):
            result[(product_id, warehouse_id)] = [qty, value]
    for key, flow in move_flows(scope, after=snapshot_end, until=at).items():
        position = result.setdefault(key, [ZERO, ZERO_VALUE])
        position[0] += flow.qty
        position[1] += flow.value
    return result


def positions_back(scope: Scope, at: datetime) -> dict[tuple, list]:
    """Today's balances less the moves after `at`."""
    result = positions_now(scope)
    for key, flow in move_flows(scope, after=at).items():
        position = result.setdefault(key, [ZERO, ZERO_VALUE])
        position[0] -= flow.qty
        position[1] -= flow.value
    return result


def positions_now(scope: Scope) -> dict[tuple, list]:
    rows = Balance.objects.filter(scope.product_q(), scope.warehouse_q())
    return {(p, w): [q, v] for p, w, q, v in rows.values_list("product_id", "warehouse_id", "qty", "value")}


def positions(scope: Scope, as_of: date | None = None) -> dict[tuple, list]:
    return positions_now(scope) if is_now(as_of) else positions_at(scope, end_of_day(as_of))


# --- stock on hand ------------------------------------------------------------------------------


@dataclass
class StockRow:
    product_id: int
    code: str
    name: str
    unit: str
    group: str
    warehouse_id: int
    warehouse: str
    qty: Decimal
    value: Decimal
    reserved: Decimal | None = None  # known for today only
    average: Decimal | None = None
    lot_id: int | None = None
    lot: str = ""
    lot_received: datetime | None = None

    @property
    def available(self) -> Decimal | None:
        return None if self.reserved is None else self.qty - self.reserved

    @property
    def average_cost(self) -> Decimal | None:
        if self.average is not None:
            return self.average
        return unit_cost(self.value, self.qty) if self.qty else None


def _products(ids) -> dict[int, tuple]:
    """Product id → (code, name, unit code, group id), read in chunks."""
    ids = list(ids)
    out = {}
    for start in range(0, len(ids), 2000):
        rows = Product.objects.filter(pk__in=ids[start : start + 2000]).values_list(
            "pk", "code", "name", "unit__code", "group_id"
        )
        out.update({pk: (code, name, unit, group) for pk, code, name, unit, group in rows})
    return out


def _warehouse_names() -> dict[int, str]:
    return dict(Warehouse.objects.values_list("pk", "name"))


class _RowMaker:
    """StockRows for (product id, warehouse id) positions: product and warehouse names read once."""

    def __init__(self, product_ids):
        self.products = _products(product_ids)
        self.paths = group_paths()
        self.warehouses = _warehouse_names()

    def row(self, product_id: int, warehouse_id: int, qty: Decimal, value: Decimal, **extra) -> StockRow:
        code, name, unit, group_id = self.products[product_id]
        return StockRow(
            product_id,
            code,
            name,
            unit,
            self.paths.get(group_id, ""),
            warehouse_id,
            self.warehouses[warehouse_id],
            qty,
            value,
            **extra,
        )


def _rows_from_positions(pos: dict, *, include_zero: bool = False) -> list[StockRow]:
    make = _RowMaker({p for p, _w in pos})
    rows = [
        make.row(product_id, warehouse_id, qty, value)
        for (product_id, warehouse_id), (qty, value) in pos.items()
        if include_zero or qty != 0 or value != 0
    ]
    rows.sort(key=lambda r: (r.code, r.warehouse, r.warehouse_id))
    return rows


def stock_on_hand(
    *, as_of: date | None = None, warehouse=None, group=None, product=None, by_lot: bool = False, include_zero=False
) -> list[StockRow]:
    """Rows of (product, warehouse) — or (product, warehouse, lot) — with quantity and value.

    Today: on hand, reserved and available from `Balance`; a past date: on hand and value only.
    """
    scope = Scope(warehouse, group, product)
    if by_lot:
        return _stock_by_lot(scope, None if is_now(as_of) else end_of_day(as_of), include_zero=include_zero)
    if not is_now(as_of):
        return _rows_from_positions(positions_at(scope, end_of_day(as_of)), include_zero=include_zero)
    balances = Balance.objects.filter(scope.product_q(), scope.warehouse_q())
    if not include_zero:
        balances = balances.exclude(qty=0, value=0, reserved=0)
    paths = group_paths()
    rows = []
    for values in balances.values_list(
        "product_id",
        "product__code",
        "product__name",
        "product__unit__code",
        "product__group_id",
        "warehouse_id",
        "warehouse__name",
        "qty",
        "value",
        "reserved",
        "average_cost",
    ).order_by("product__code", "warehouse__name", "warehouse_id"):
        product_id, code, name, unit, group_id, warehouse_id, warehouse_name, qty, value, reserved, average = values
        rows.append(
            StockRow(
                product_id,
                code,
                name,
                unit,
                paths.get(group_id, ""),
                warehouse_id,
                warehouse_name,
                qty,
                value,
                reserved,
                average,
            )
        )
    return rows


def _stock_by_lot(scope: Scope, at: datetime | None, *, include_zero: bool) -> list[StockRow]:
    """FIFO warehouses: per lot from the cost layers (as of `at`: layers received by then less what
    moves up to then consumed of them); average-cost warehouses have no lots: one row each."""
    fifo_ids = set(Warehouse.objects.filter(valuation=Warehouse.Valuation.FIFO).values_list("pk", flat=True))
    lots: dict[tuple, list] = defaultdict(lambda: [ZERO, ZERO_VALUE])
    layers = CostLayer.objects.filter(scope.product_q(), scope.warehouse_q())
    if at is None:
        rows = (
            layers.filter(remaining_qty__gt=0)
            .values("product_id", "warehouse_id", "lot_id")
            .annotate(qty=Sum("remaining_qty"), value=Sum("remaining_value"))
            .order_by()
        )
        for row in rows:
            lots[(row["product_id"], row["warehouse_id"], row["lot_id"])] = [row["qty"], row["value"]]
    else:
        received = (
            layers.filter(posted_at__lte=at)
            .values("product_id", "warehouse_id", "lot_id")
            .annotate(qty=Sum("qty_in"), value=Sum("value_in"))
            .order_by()
        )
        for row in received:
            lots[(row["product_id"], row["warehouse_id"], row["lot_id"])] = [row["qty"], row["value"]]
        taken = (
            LayerConsumption.objects.filter(scope.product_q("layer__"), scope.warehouse_q("layer__"))
            .filter(move__posted_at__lte=at)
            .values("layer__product_id", "layer__warehouse_id", "layer__lot_id")
            .annotate(qty=Sum("qty"), value=Sum("value"))
            .order_by()
        )
        for row in taken:
            key = (row["layer__product_id"], row["layer__warehouse_id"], row["layer__lot_id"])
            lots[key][0] -= row["qty"]
            lots[key][1] -= row["value"]
    held: dict[tuple, Decimal] = {}
    if at is None:
        reservations = (
            Reservation.objects.filter(scope.product_q(), scope.warehouse_q(), state=Reservation.State.ACTIVE)
            .filter(lot__isnull=False)
            .values("product_id", "warehouse_id", "lot_id")
            .annotate(qty=Sum(F("qty") - F("qty_consumed")))
            .order_by()
        )
        held = {(r["product_id"], r["warehouse_id"], r["lot_id"]): r["qty"] for r in reservations}
    # Average-cost warehouses: one row per product.
    average_scope = list(Warehouse.objects.exclude(pk__in=fifo_ids).values_list("pk", flat=True))
    average_rows = []
    if average_scope and (scope.warehouse is None or scope.warehouse_id in average_scope):
        average = (
            stock_on_hand(warehouse=scope.warehouse, group=scope.group, product=scope.product)
            if at is None
            else _rows_from_positions(positions_at(scope, at), include_zero=include_zero)
        )
        average_rows = [r for r in average if r.warehouse_id not in fifo_ids]
    lot_info = {
        pk: (number, received)
        for pk, number, received in Lot.objects.filter(pk__in={k[2] for k in lots if k[2]}).values_list(
            "pk", "number", "received_at"
        )
    }
    make = _RowMaker({k[0] for k in lots})
    rows = []
    for (product_id, warehouse_id, lot_id), (qty, value) in lots.items():
        if warehouse_id not in fifo_ids or (not include_zero and qty == 0 and value == 0):
            continue
        number, received = lot_info.get(lot_id, ("", None))
        rows.append(
            make.row(
                product_id,
                warehouse_id,
                qty,
                value,
                reserved=held.get((product_id, warehouse_id, lot_id), ZERO) if at is None else None,
                lot_id=lot_id,
                lot=number,
                lot_received=received,
            )
        )
    rows += average_rows
    rows.sort(key=lambda r: (r.code, r.warehouse, r.lot_received or datetime.min.replace(tzinfo=UTC), r.lot))
    return rows


# --- inventory value ----------------------------------------------------------------------------


@dataclass
class ValueReport:
    as_of: date | None
    total: Decimal
    by_warehouse: list[tuple[int, str, Decimal]]
    by_group: list[tuple[int | None, str, Decimal]]


def inventory_value(*, as_of: date | None = None, warehouse=None, group=None) -> ValueReport:
    """Total value, per warehouse and per product group (the product's own group)."""
    scope = Scope(warehouse, group)
    paths = group_paths()
    warehouses = _warehouse_names()
    by_warehouse: dict[int, Decimal] = defaultdict(lambda: ZERO_VALUE)
    by_group: dict[int | None, Decimal] = defaultdict(lambda: ZERO_VALUE)
    if is_now(as_of):
        balances = Balance.objects.filter(scope.product_q(), scope.warehouse_q())
        for row in balances.values("warehouse_id").annotate(value=Sum("value")).order_by():
            by_warehouse[row["warehouse_id"]] += row["value"] or ZERO_VALUE
        for row in balances.values("product__group_id").annotate(value=Sum("value")).order_by():
            by_group[row["product__group_id"]] += row["value"] or ZERO_VALUE
    else:
        pos = positions_at(scope, end_of_day(as_of))
        product_groups = {pk: info[3] for pk, info in _products({p for p, _w in pos}).items()}
        for (product_id, warehouse_id), (_qty, value) in pos.items():
            by_warehouse[warehouse_id] += value
            by_group[product_groups[product_id]] += value
    total = sum(by_warehouse.values(), ZERO_VALUE)
    return ValueReport(
        as_of=as_of,
        total=total,
        by_warehouse=sorted(
            ((pk, warehouses[pk], v) for pk, v in by_warehouse.items() if v), key=lambda r: (r[1], r[0])
        ),
        by_group=sorted(
            ((pk, paths.get(pk, ""), v) for pk, v in by_group.items() if v), key=lambda r: (r[0] is None, r[1])
        ),
    )


# --- movement history of a product --------------------------------------------------------------


@dataclass
class HistoryRow:
    move_id: int
    posted_at: datetime
    kind: str
    kind_label: str
    document_id: int | None
    document: str
    warehouse: str
    source: str
    target: str
    lot: str
    qty_in: Decimal
    qty_out: Decimal
    value_change: Decimal
    qty_after: Decimal
    value_after: Decimal


@dataclass
class History:
    product: Product
    date_from: date
    date_to: date
    warehouse: object
    opening_qty: Decimal
    opening_value: Decimal
    closing_qty: Decimal
    closing_value: Decimal
    _scope: Scope = field(repr=False, default=None)

    def rows(self) -> Iterator[HistoryRow]:
        """Each move of the product in the range, oldest first, with the running balance."""
        storage = self._scope.storage()
        locations = {loc.pk: loc for loc in Location.objects.select_related("warehouse")}
        kinds = dict(StockMove.Kind.choices)
        moves = (
            StockMove.objects.filter(
                product=self.product,
                posted_at__gte=start_of_day(self.date_from),
                posted_at__lte=end_of_day(self.date_to),
            )
            .filter(Q(from_location_id__in=list(storage)) | Q(to_location_id__in=list(storage)))
            .values_list(
                "pk",
                "posted_at",
                "kind",
                "document_id",
                "document__number",
                "from_location_id",
                "to_location_id",
                "lot__number",
                "qty",
                "value",
                "settlement",
            )
            .order_by("posted_at", "id")
        )
        qty_after, value_after = self.opening_qty, self.opening_value
        for pk, posted_at, kind, doc_id, number, src, dst, lot, qty, value, settlement in moves.iterator(2000):
            value = value or ZERO_VALUE
            qty_in = qty if dst in storage else ZERO
            qty_out = qty if src in storage else ZERO
            change = ZERO_VALUE
            if dst in storage:
                change += value - (settlement or ZERO_VALUE)
            if src in storage:
                change -= value
            qty_after += qty_in - qty_out
            value_after += change
            side = locations[src] if src in storage else locations[dst]
            yield HistoryRow(
                pk,
                posted_at,
                kind,
                str(kinds.get(kind, kind)),
                doc_id,
                number or "",
                side.warehouse.name if side.warehouse_id else "",
                str(locations[src]),
                str(locations[dst]),
                lot or "",
                qty_in,
                qty_out,
                change,
                qty_after,
                value_after,
            )


def product_history(*, product, date_from: date, date_to: date, warehouse=None) -> History:
    scope = Scope(warehouse=warehouse, product=product)
    opening = positions_at(scope, end_of_day(date_from - timedelta(days=1)))
    closing = positions_at(scope, end_of_day(date_to))
    return History(
        product=product,
        date_from=date_from,
        date_to=date_to,
        warehouse=warehouse,
        opening_qty=sum((p[0] for p in opening.values()), ZERO),
        opening_value=sum((p[1] for p in opening.values()), ZERO_VALUE),
        closing_qty=sum((p[0] for p in closing.values()), ZERO),
        closing_value=sum((p[1] for p in closing.values()), ZERO_VALUE),
        _scope=scope,
    )


# --- turnover -----------------------------------------------------------------------------------


@dataclass
class TurnoverRow:
    product_id: int
    code: str
    name: str
    unit: str
    group: str
    opening_qty: Decimal = ZERO
    opening_value: Decimal = ZERO_VALUE
    in_qty: Decimal = ZERO
    in_value: Decimal = ZERO_VALUE
    out_qty: Decimal = ZERO
    out_value: Decimal = ZERO_VALUE

    @property
    def closing_qty(self) -> Decimal:
        return self.opening_qty + self.in_qty - self.out_qty

    @property
    def closing_value(self) -> Decimal:
        return self.opening_value + self.in_value - self.out_value


def turnover(*, date_from: date, date_to: date, warehouse=None, group=None, product=None) -> list[TurnoverRow]:
    """Per product: opening, in, out and closing quantity and value of the days `date_from`..`date_to`.

    "In" is every move into the warehouse's storage, "out" every move out of it (with all
    warehouses, a transfer between two of them is both). Out value includes the settlements of
    average-cost receipts into negative stock: the cost the earlier issues should have carried.
    So closing = opening + in − out, and the closing equals the stock as of `date_to`.
    """
    scope = Scope(warehouse, group, product)
    start = end_of_day(date_from - timedelta(days=1))
    opening = positions_at(scope, start)
    flows = move_flows(scope, after=start, until=end_of_day(date_to))
    per_product: dict[int, list] = defaultdict(lambda: [ZERO, ZERO_VALUE, ZERO, ZERO_VALUE, ZERO, ZERO_VALUE])
    for (product_id, _w), (qty, value) in opening.items():
        totals = per_product[product_id]
        totals[0] += qty
        totals[1] += value
    for (product_id, _w), flow in flows.items():
        totals = per_product[product_id]
        totals[2] += flow.in_qty
        totals[3] += flow.in_value
        totals[4] += flow.out_qty
        totals[5] += flow.out_value + flow.settlement
    products = _products(per_product)
    paths = group_paths()
    rows = []
    for product_id, (oq, ov, iq, iv, xq, xv) in per_product.items():
        if not any((oq, ov, iq, iv, xq, xv)):
            continue
        code, name, unit, group_id = products[product_id]
        rows.append(TurnoverRow(product_id, code, name, unit, paths.get(group_id, ""), oq, ov, iq, iv, xq, xv))
    rows.sort(key=lambda r: r.code)
    return rows


# --- slow movers --------------------------------------------------------------------------------


@dataclass
class SlowRow:
    product_id: int
    code: str
    name: str
    unit: str
    group: str
    warehouse_id: int
    warehouse: str
    qty: Decimal
    value: Decimal
    last_issue: datetime | None
    idle_days: int | None


def slow_movers(*, days: int = 90, warehouse=None, group=None) -> list[SlowRow]:
    """Products in stock with no outgoing move (shipment, consumption, transfer, write-off, return to
    supplier) from that warehouse in the last `days` days, with their value and last issue date."""
    scope = Scope(warehouse, group)
    now = timezone.now()
    since = now - timedelta(days=days)
    in_stock = Balance.objects.filter(scope.product_q(), scope.warehouse_q(), qty__gt=0)
    storage = scope.storage()
    last: dict[tuple, datetime] = {}
    if storage:
        issues = (
            StockMove.objects.filter(
                from_location_id__in=list(storage),
                kind__in=ISSUE_KINDS,
                product_id__in=in_stock.values("product_id"),
            )
            .values("product_id", "from_location_id")
            .annotate(last=Max("posted_at"))
            .order_by()
        )
        for row in issues:
            key = (row["product_id"], storage[row["from_location_id"]])
            last[key] = max(last.get(key, row["last"]), row["last"])
    paths = group_paths()
    rows = []
    for values in in_stock.values_list(
        "product_id",
        "product__code",
        "product__name",
        "product__unit__code",
        "product__group_id",
        "warehouse_id",
        "warehouse__name",
        "qty",
        "value",
    ).order_by("product__code", "warehouse__name"):
        product_id, code, name, unit, group_id, warehouse_id, warehouse_name, qty, value = values
        last_issue = last.get((product_id, warehouse_id))
        if last_issue is not None and last_issue >= since:
            continue
        idle = (timezone.localdate(now) - timezone.localdate(last_issue)).days if last_issue else None
        rows.append(
            SlowRow(
                product_id,
                code,
                name,
                unit,
                paths.get(group_id, ""),
                warehouse_id,
                warehouse_name,
                qty,
                value,
                last_issue,
                idle,
            )
        )
    rows.sort(key=lambda r: (r.last_issue is not None, r.last_issue or now, r.code))
    return rows


# --- periods ------------------------------------------------------------------------------------


def first_move_month() -> date | None:
    first = first_move_at()
    return month_start(timezone.localdate(first)) if first is not None else None


def period_months() -> list[dict]:
    """Every month from the first posted move (or the first period) to the current one, newest first."""
    current = month_start(timezone.localdate())
    periods = {p.start: p for p in Period.objects.select_related("closed_by")}
    starts = [m for m in (first_move_month(), min(periods, default=None)) if m is not None]
    first = min(starts) if starts else current
    drafts = {
        timezone.localdate(row["month"]) if hasattr(row["month"], "hour") else row["month"]: row["n"]
        for row in StockDocument.objects.filter(state=StockDocument.State.DRAFT)
        .annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by()
    }
    latest_closed = max((m for m, p in periods.items() if p.closed), default=None)
    rows, month = [], first
    while month <= current:
        period = periods.get(month)
        closed = bool(period and period.closed) or (latest_closed is not None and month <= latest_closed)
        rows.append(
            {
                "month": month,
                "label": f"{month:%Y-%m}",
                "closed": closed,
                "period": period,
                "drafts": drafts.get(month, 0),
                "over": month_end(month) < timezone.now(),
            }
        )
        month = next_month(month)
    return list(reversed(rows))


# --- small helpers for pages and API ------------------------------------------------------------


def open_lots(product, warehouse) -> list[tuple[Lot, Decimal]]:
    """Lots of `product` with stock left in `warehouse` (FIFO), oldest first, with the quantity left."""
    rows = (
        CostLayer.objects.filter(product=product, warehouse=warehouse, remaining_qty__gt=0, lot__isnull=False)
        .values("lot_id")
        .annotate(qty=Sum("remaining_qty"))
        .order_by()
    )
    left = {r["lot_id"]: r["qty"] for r in rows}
    lots = Lot.objects.filter(pk__in=list(left)).order_by("received_at", "id")
    return [(lot, left[lot.pk]) for lot in lots]


def book_quantities(warehouse, *, group=None, product_ids=None) -> dict[int, Decimal]:
    """Product id → quantity on the books (Balance) in `warehouse`: what a stocktake starts from."""
    scope = Scope(warehouse=warehouse, group=group)
    balances = Balance.objects.filter(scope.product_q(), scope.warehouse_q())
    if product_ids is not None:
        balances = balances.filter(product_id__in=list(product_ids))
    return dict(balances.values_list("product_id", "qty"))
