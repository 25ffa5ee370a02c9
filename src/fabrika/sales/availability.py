"""Availability ("logistic") analysis of a customer order, and the actions it leads to.

For each line, as of now and as of the promised date: free stock, what is already reserved for
the order, what must be produced (its BOM exploded through every level against stock) and what
must be bought (components and goods that neither stock nor production covers), counting open
production orders and supplier requests. From the analysis, one action each: reserve what is in
stock, create production orders (multi-stage) for what must be made, and supplier requests for what
must be bought. The earliest delivery date comes from stock, supplier and production lead times.

Stock is netted line by line in order: goods one line takes are not free for the next one. Free
stock is on hand − reserved − what open production orders in the warehouse still have to consume.
Supplier requests made for this order cover its parts after stock, as of any date (ready after the
purchase lead time), so that requesting twice is not offered; other open supply counts as of the
promised date when it is due by then.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fabrika.catalog.models import Product
from fabrika.core.errors import ValidationFailed
from fabrika.inventory.models import Balance, Reservation
from fabrika.production import queries as pq
from fabrika.production.domain import bom as dbom
from fabrika.production.models import OrderLine, ProductionOrder, ProductionProfile

from .models import SalesOrder, SalesOrderLine
from .services._common import lock_order, require_open

ZERO = Decimal("0")
OPEN = [ProductionOrder.State.DRAFT, ProductionOrder.State.RELEASED, ProductionOrder.State.IN_PROGRESS]


@dataclass
class Part:
    """One component (or the line's product itself) at one level of a line's analysis."""

    product: Product
    level: int  # 0: the line's product
    required: Decimal
    from_stock: Decimal = ZERO
    requested: Decimal = ZERO  # open supplier requests made for this order
    from_supply: Decimal = ZERO  # other open production orders / supplier requests due in time
    to_produce: Decimal = ZERO
    to_purchase: Decimal = ZERO
    ready: date | None = None
    # A phantom node of its parent's BOM: made within the parent's production order (the release
    # explodes it), so no lead time of its own.
    phantom: bool = False


@dataclass
class LineAnalysis:
    line: SalesOrderLine
    ordered: Decimal  # base units still to ship
    reserved: Decimal  # already held for this line
    in_production: Decimal  # open production orders made for this line
    requested: Decimal  # open supplier requests made for this line or (its product) for this order
    free: Decimal  # free stock of the product when the line's turn came
    from_stock: Decimal
    from_supply: Decimal
    to_produce: Decimal
    to_purchase: Decimal
    parts: list[Part] = field(default_factory=list)
    ready: date | None = None

    @property
    def covered(self) -> bool:
        return self.to_produce == 0 and self.to_purchase == 0


@dataclass
class Analysis:
    order: SalesOrder
    as_of: date
    with_supply: bool
    lines: list[LineAnalysis]

    @property
    def purchases(self) -> dict[int, tuple[Product, Decimal, date]]:
        """What must be bought: product → (product, total qty, date needed)."""
        out: dict[int, tuple[Product, Decimal, date]] = {}
        for la in self.lines:
            for part in la.parts:
                if part.to_purchase > 0:
                    prev = out.get(part.product.pk)
                    qty = part.to_purchase + (prev[1] if prev else ZERO)
                    out[part.product.pk] = (part.product, qty, self.order.promised_date or self.as_of)
        return out

    @property
    def earliest(self) -> date | None:
        dates = [la.ready for la in self.lines if la.ready]
        return max(dates) if dates else None


class _Pools:
    """Free stock and open supply, shared by every line of the analysis."""

    def __init__(self, order: SalesOrder, product_ids, as_of: date, with_supply: bool):
        """`product_ids`: as `production.queries.id_list` gives them (one parameter for thousands)."""
        wh = order.warehouse_id
        self.free: dict[int, Decimal] = defaultdict(Decimal)
        balances = Balance.objects.filter(product_id__in=product_ids, warehouse_id=wh)
        for pid, qty, reserved in balances.values_list("product_id", "qty", "reserved"):
            self.free[pid] = qty - reserved
        committed = OrderLine.objects.filter(
            role=OrderLine.Role.INPUT,
            product_id__in=product_ids,
            order__state__in=OPEN,
            order__input_warehouse_id=wh,
        ).select_related("order")
        for line in committed:
            self.free[line.product_id] -= pq.remaining_need(line, line.order)
        # Open supply: production orders (not made for a customer line, nor parts of another order)
        # and supplier request lines not tied to a customer order, due by `as_of`.
        self.supply: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
        # Supplier requests made for this order (by the "create supplier requests" action): they
        # cover this order's parts whatever the date, and nobody else's.
        self.own: dict[int, Decimal] = defaultdict(Decimal)
        for pid, _due, qty in _open_request_lines(product_ids, only_order=order):
            self.own[pid] += qty
        if with_supply:
            line_type = ContentType.objects.get_for_model(SalesOrderLine)
            orders = ProductionOrder.objects.filter(
                state__in=OPEN,
                product_id__in=product_ids,
                output_warehouse_id=wh,
                parent__isnull=True,
            ).exclude(source_type=line_type)
            for po in orders:
                due = po.planned_finish or as_of
                if due <= as_of and po.qty_remaining > 0:
                    self.supply[po.product_id].append((due, po.qty_remaining))
            for pid, due, qty in _open_request_lines(product_ids, exclude_order=order):
                due = due or as_of
                if due <= as_of:
                    self.supply[pid].append((due, qty))
            for pid in self.supply:
                self.supply[pid].sort(key=lambda x: x[0])

    def take_stock(self, pid: int, qty: Decimal) -> Decimal:
        have = max(self.free[pid], ZERO)
        take = min(have, qty)
        self.free[pid] -= take
        return take

    def take_own(self, pid: int, qty: Decimal) -> Decimal:
        take = min(self.own.get(pid, ZERO), qty)
        if take > 0:
            self.own[pid] -= take
        return take

    def take_supply(self, pid: int, qty: Decimal) -> tuple[Decimal, date | None]:
        taken, last = ZERO, None
        queue = self.supply.get(pid, [])
        while queue and taken < qty:
            due, have = queue[0]
            take = min(have, qty - taken)
            taken += take
            last = due
            if take == have:
                queue.pop(0)
            else:
                queue[0] = (due, have - take)
        return taken, last


def _open_request_lines(product_ids, *, exclude_order=None, only_order=None):
    """(product, needed_by, qty) of open supplier requests: not made for `exclude_order` (nor for
    one of its lines), or only those made for `only_order` itself (not for one of its lines: the
    analysis counts those per line)."""
    try:
        from fabrika.purchasing.models import SupplierRequest, SupplierRequestLine
    except ImportError:  # purchasing not installed
        return []
    rows = SupplierRequestLine.objects.filter(
        product_id__in=product_ids,
        request__state__in=[SupplierRequest.State.DRAFT, SupplierRequest.State.SENT, SupplierRequest.State.ORDERED],
    )
    order_type = ContentType.objects.get_for_model(SalesOrder)
    line_type = ContentType.objects.get_for_model(SalesOrderLine)
    if exclude_order is not None:
        pk = str(exclude_order.pk)
        line_ids = [str(x) for x in exclude_order.lines.values_list("pk", flat=True)]
        rows = (
            rows.exclude(source_type=order_type, source_id=pk)
            .exclude(request__source_type=order_type, request__source_id=pk)
            .exclude(source_type=line_type, source_id__in=line_ids)
        )
    if only_order is not None:
        pk = str(only_order.pk)
        rows = rows.filter(
            Q(source_type=order_type, source_id=pk) | Q(request__source_type=order_type, request__source_id=pk)
        ).exclude(source_type=line_type)
    return list(rows.values_list("product_id", "needed_by", "qty"))


def _lead_days(product_ids) -> dict[int, int]:
    return dict(
        ProductionProfile.objects.filter(product_id__in=product_ids).values_list("product_id", "lead_time_days")
    )


def _line_boms(line: SalesOrderLine):
    custom = getattr(line, "custom_bom", None) if getattr(line, "custom_bom_id", None) else None
    if custom is not None:
        return pq.load_boms([line.product_id], override={line.product_id: pq.bom_lines(custom)})
    return None


def analyse(order: SalesOrder, *, as_of: date | None = None, with_supply: bool | None = None) -> Analysis:
    """The analysis as of `as_of` (default today, stock only) or as of the promised date with the
    open supply due by then (`with_supply`, default: when `as_of` is given)."""
    today = timezone.localdate()
    with_supply = (as_of is not None) if with_supply is None else with_supply
    as_of = as_of or today
    lines = list(order.lines.select_related("product__unit", "unit").order_by("position", "id"))
    # The BOM graph of every line (standard BOMs in one pass; custom ones per line).
    standard = pq.load_boms({line.product_id for line in lines})
    graphs = {line.pk: (_line_boms(line) or standard) for line in lines}
    ids = {line.product_id for line in lines}
    for boms in {id(g): g for g in graphs.values()}.values():
        ids |= set(boms) | {c.component for parts in boms.values() for c in parts}
    wanted = pq.id_list(ids)  # one parameter for thousands of products, made once
    pools = _Pools(order, wanted, as_of, with_supply)
    leads = _lead_days(wanted)
    line_type = ContentType.objects.get_for_model(SalesOrderLine)
    reserved = dict(
        Reservation.objects.filter(source_type=line_type, source_id__in=[x.pk for x in lines], state="active")
        .values("source_id")
        .annotate(q=Sum(F("qty") - F("qty_consumed")))
        .values_list("source_id", "q")
    )
    in_production = defaultdict(Decimal)
    for po in ProductionOrder.objects.filter(
        source_type=line_type, source_id__in=[x.pk for x in lines], state__in=OPEN
    ):
        in_production[po.source_id] += po.qty_remaining
    requested = defaultdict(Decimal)
    try:
        from fabrika.purchasing.models import SupplierRequest, SupplierRequestLine

        for row in SupplierRequestLine.objects.filter(
            source_type=line_type,
            source_id__in=[str(x.pk) for x in lines],
            request__state__in=[SupplierRequest.State.DRAFT, SupplierRequest.State.SENT, SupplierRequest.State.ORDERED],
        ).values_list("source_id", "qty"):
            requested[int(row[0])] += row[1]
    except ImportError:
        pass

    result = []
    touched: list[tuple[Part, int]] = []  # every part with its product id: products are loaded at the end
    for line in lines:
        boms = graphs[line.pk]
        to_ship = max(line.qty - line.qty_shipped, ZERO) * line.factor
        held = reserved.get(line.pk, ZERO)
        making = in_production.get(line.pk, ZERO)
        asked = requested.get(line.pk, ZERO)
        # A service is neither stocked, made nor bought: nothing to look for.
        need = max(to_ship - held - making - asked, ZERO) if line.product.is_stocked else ZERO
        free_before = max(pools.free[line.product_id], ZERO)
        la = LineAnalysis(line, to_ship, held, making, asked, free_before, ZERO, ZERO, ZERO, ZERO)
        ready_dates = [today] if held or not need else []
        if making:
            ready_dates += [
                po.planned_finish or today
                for po in ProductionOrder.objects.filter(source_type=line_type, source_id=line.pk, state__in=OPEN)
            ]
        # Depth-first through the BOM (pre-order: a node's parts follow it, one level deeper).
        stack = [(0, line.product_id, need, False)]
        parts: list[Part] = []
        pids: list[int] = []
        due: list[date | None] = []  # per part: when its open supply or what was requested for it comes
        while stack:
            level, pid, qty, phantom = stack.pop()
            if qty <= 0:
                continue
            part = Part(None, level, qty, phantom=phantom)
            touched.append((part, pid))
            arrives = None
            rest = qty
            if pools.free.get(pid, ZERO) > 0:
                part.from_stock = pools.take_stock(pid, qty)
                rest -= part.from_stock
            if rest > 0 and pid in pools.own:
                part.requested = pools.take_own(pid, rest)
                rest -= part.requested
                if part.requested:  # goods requested for the order: ready after their purchase lead time
                    arrives = today + timedelta(days=leads.get(pid, 0))
            if rest > 0 and with_supply and pid in pools.supply:
                part.from_supply, supply_due = pools.take_supply(pid, rest)
                rest -= part.from_supply
                if supply_due:
                    arrives = max(arrives, supply_due) if arrives else supply_due
            children = boms.get(pid)
            if rest > 0 and children:
                part.to_produce = rest
                for child in reversed(children):
                    stack.append((level + 1, child.component, dbom.gross(child, rest), child.phantom))
            elif rest > 0:
                part.to_purchase = rest
                part.ready = today + timedelta(days=leads.get(pid, 0))
            else:
                part.ready = today
            parts.append(part)
            pids.append(pid)
            due.append(arrives)
        # Ready dates bottom-up (parts in reverse: a node comes after all of its parts): a made node is
        # ready its lead time after the last of its parts; goods from open supply when that is due.
        latest: list[date | None] = [None] * (max((x.level for x in parts), default=0) + 2)
        for i in range(len(parts) - 1, -1, -1):
            part, level = parts[i], parts[i].level
            below, latest[level + 1] = latest[level + 1], None
            if part.to_produce > 0:
                part.ready = (below or today) + timedelta(days=0 if part.phantom else leads.get(pids[i], 0))
            if due[i] is not None:
                part.ready = max(part.ready or today, due[i])
            ready = part.ready or today
            latest[level] = ready if latest[level] is None else max(latest[level], ready)
        top = parts[0] if parts else None
        if top is not None:
            la.from_stock, la.from_supply = top.from_stock, top.from_supply
            la.requested += top.requested
            la.to_produce, la.to_purchase = top.to_produce, top.to_purchase
            ready_dates.append(top.ready or today)
        la.parts = parts
        la.ready = max(ready_dates) if ready_dates else today
        result.append(la)
    products = pq.products_for({pid for _part, pid in touched})
    for part, pid in touched:
        part.product = products[pid]
    return Analysis(order, as_of, with_supply, result)


# -- actions -----------------------------------------------------------------------------------


@transaction.atomic
def reserve_available(*, actor, order: SalesOrder):
    """Hold what is in stock for every line (as much as is free)."""
    from .services.reservations import order_reserve

    return order_reserve(actor=actor, order=order, partial=True)


@transaction.atomic
def create_production(*, actor, order: SalesOrder) -> list[ProductionOrder]:
    """Production orders for what the lines must have made (multi-stage: released with child
    orders for the short nodes). A line with its own BOM gets an order with that BOM."""
    from fabrika.production.services import order_create, orders_release

    order = lock_order(order)
    require_open(order, pgettext("nothing can be ... for it", "produced"))
    analysis = analyse(order)
    made = []
    for la in analysis.lines:
        if la.to_produce <= 0:
            continue
        line = la.line
        data = {
            "product": line.product,
            "qty": la.to_produce,
            "input_warehouse": order.warehouse,
            "output_warehouse": order.warehouse,
            "planned_finish": order.promised_date,
            "responsible": actor if getattr(actor, "pk", None) else None,
            "source_label": line.reference,
        }
        custom = getattr(line, "custom_bom", None) if getattr(line, "custom_bom_id", None) else None
        if custom is not None:
            data["bom"] = custom
        made.append(order_create(actor=actor, data=data, source=line))
    if not made:
        raise ValidationFailed({"lines": [_("Nothing on this order needs to be produced.")]})
    released = orders_release(actor=actor, orders=made)
    if order.state == SalesOrder.State.CONFIRMED:
        from .services import order_start_work

        order_start_work(actor=actor, order=order)
    return released


@transaction.atomic
def create_requests(*, actor, order: SalesOrder):
    """Supplier requests (drafts, one per supplier) for what must be bought."""
    from fabrika.purchasing.services import requests_for_needs

    order = lock_order(order)
    require_open(order, pgettext("nothing can be ... for it", "ordered from suppliers"))
    analysis = analyse(order)
    needs = [
        {
            "product": product,
            "qty": qty,
            "needed_by": needed_by,
            "source": order,
            "source_label": order.number,
        }
        for product, qty, needed_by in analysis.purchases.values()
    ]
    if not needs:
        raise ValidationFailed({"lines": [_("Nothing on this order needs to be bought.")]})
    return requests_for_needs(actor=actor, needs=needs)


def check_advance_before_production(*, order: ProductionOrder) -> None:
    """A production order made for a customer order whose advance must be paid first is refused."""
    line_type = ContentType.objects.get_for_model(SalesOrderLine)
    root = order
    while root.parent_id:
        root = root.parent
    if root.source_type_id != line_type.pk:
        return
    line = SalesOrderLine.objects.select_related("order").filter(pk=root.source_id).first()
    if line is None:
        return
    from .services.billing import order_check_advance

    order_check_advance(order=line.order)


# -- what an order's cancellation also cancels --------------------------------------------------


def production_participant(*, order: SalesOrder, actor, execute: bool):
    """Open production orders made for the order's lines are cancelled with it (their posted
    reports reversed); finished ones stay (their goods are stock)."""
    from fabrika.production.services import order_cancel as cancel_production

    from .services.cancel import CancelItem

    line_type = ContentType.objects.get_for_model(SalesOrderLine)
    items = []
    rows = ProductionOrder.objects.filter(
        source_type=line_type, source_id__in=list(order.lines.values_list("pk", flat=True)), state__in=OPEN
    ).select_related("product")
    for po in rows.order_by("pk"):
        if execute:
            cancel_production(actor=actor, order=po)
        items.append(
            CancelItem(
                "production_order",
                f"{po.number} · {po.product} × {po.qty.normalize():f}",
                _("cancelled with its open child orders; what was made is taken back apart"),
                po.get_absolute_url(),
            )
        )
    return items


def requests_participant(*, order: SalesOrder, actor, execute: bool):
    """Supplier requests made for the order (still draft or sent) are cancelled with it; ordered
    ones are only listed, since the supplier has the order."""
    from fabrika.purchasing.models import SupplierRequest
    from fabrika.purchasing.services import request_transition

    from .services.cancel import CancelItem

    order_type = ContentType.objects.get_for_model(SalesOrder)
    items = []
    rows = SupplierRequest.objects.filter(
        source_type=order_type,
        source_id=str(order.pk),
        state__in=[SupplierRequest.State.DRAFT, SupplierRequest.State.SENT, SupplierRequest.State.ORDERED],
    )
    for request in rows.order_by("pk"):
        cancellable = request.state != SupplierRequest.State.ORDERED
        if execute and cancellable:
            request_transition(actor=actor, request=request, to_state=SupplierRequest.State.CANCELLED)
        items.append(
            CancelItem(
                "supplier_request",
                _("Supplier request %(number)s") % {"number": request.number},
                _("cancelled") if cancellable else _("already ordered from the supplier: cancel it with them"),
                request.get_absolute_url(),
            )
        )
    return items


def hold_output_for_line(*, actor, order: ProductionOrder, outputs) -> None:
    """Goods a production order made for a customer order line are reserved for that line — by lot,
    so that a robot built to one customer's own BOM is the one that customer gets."""
    line_type = ContentType.objects.get_for_model(SalesOrderLine)
    if order.source_type_id != line_type.pk:
        return
    line = SalesOrderLine.objects.select_related("order", "product").filter(pk=order.source_id).first()
    if line is None or line.order.warehouse_id != order.output_warehouse_id or not line.order.is_open:
        return
    from .services.reservations import order_reserve_line, still_needed

    for order_line, qty, lot in outputs:
        if order_line.product_id != line.product_id:
            continue
        take = min(qty, still_needed(line))
        if take > 0:
            order_reserve_line(actor=actor, line=line, qty=take, lot=lot)


def register() -> None:
    """Plug the order centre into production and the order's cancellation (sales `ready()`)."""
    from fabrika.production.services.orders import register_output_hook, register_release_check

    from .services.cancel import register_cancel_participant

    register_release_check(check_advance_before_production)
    register_output_hook(hold_output_for_line)
    register_cancel_participant(production_participant)
    register_cancel_participant(requests_participant)
