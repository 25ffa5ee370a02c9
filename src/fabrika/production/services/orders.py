"""Production orders: create, release (with child orders for short nodes), report, finish, cancel.

Every report is one ledger step (a `ValueGroup`): the inputs are issued from the components
warehouse to production, the outputs received into the output warehouse at the inputs' value plus
the labour and overhead of the recorded operations, split over the outputs by their shares.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fabrika.audit.services import log_changes, record_event, record_events
from fabrika.catalog.models import Product
from fabrika.core.errors import IllegalTransition, ValidationFailed
from fabrika.core.numbering import next_number, next_numbers
from fabrika.inventory.domain.money import money, split
from fabrika.inventory.models import Location, Lot, StockMove, ValueGroup, Warehouse
from fabrika.inventory.services import MoveSpec, post_moves, reversal_specs, storage_of, virtual_location
from fabrika.inventory.services.posting import lock_balances
from fabrika.inventory.services.rows import insert_rows

from ..domain import bom as dbom
from ..domain import costing as dcost
from ..errors import ChildrenOpen, ComponentsShort
from ..models import (
    Bom,
    Operation,
    OrderLine,
    OrderOperation,
    ProductionOrder,
    ProductionReport,
    ReportOperation,
    TechCard,
)
from ..queries import (
    active_bom,
    active_tech_card,
    bom_lines,
    cost_rollup,
    domain_operation,
    free_stock,
    load_boms,
    remaining_need,
    unit_costs,
)

State = ProductionOrder.State
Kind = ProductionOrder.Kind
ZERO = Decimal("0")
ONE = Decimal(1)
QTY = Decimal("0.000001")
SIXTY = Decimal(60)

# Checks other apps plug in before an order is released (e.g. sales: "the advance must be paid").
RELEASE_CHECKS: list = []


def register_release_check(fn) -> None:
    if fn not in RELEASE_CHECKS:
        RELEASE_CHECKS.append(fn)


# Called after a report is posted, with the outputs it received: (order line, qty, lot or None).
# Sales holds the goods made for a customer order line for that line (`fn(*, actor, order, outputs)`).
OUTPUT_HOOKS: list = []


def register_output_hook(fn) -> None:
    if fn not in OUTPUT_HOOKS:
        OUTPUT_HOOKS.append(fn)


def _qty(value: Decimal) -> Decimal:
    return value.quantize(QTY, rounding=ROUND_HALF_UP)


def _transition(order: ProductionOrder, target: str) -> None:
    if (order.state, target) not in ProductionOrder.TRANSITIONS:
        raise IllegalTransition(
            order,
            order.state,
            target,
            _("%(order)s is %(state)s and cannot become %(target)s.")
            % {"order": order.number, "state": order.get_state_display(), "target": State(target).label},
        )
    order.state = target


# -- create ---------------------------------------------------------------------------------


def _lines_from_bom(product, bom: Bom | None, boms=None) -> list[dict]:
    """The order's inputs: the BOM's direct lines with phantoms exploded into their parts.

    `boms`: the loaded BOMs when `bom` is the product's active one (releasing many orders at once)."""
    if bom is None:
        return []
    if boms is None:
        boms = load_boms([], override={product.pk: bom_lines(bom)})
    rows = []
    for line in dbom.explode(boms, product.pk, Decimal(1), expand=lambda _c: False):
        if line.phantom and not line.is_leaf:
            continue
        own = dbom.scrap_factor(next((b.scrap_pct for b in boms[line.path[-1]] if b.component == line.component), ZERO))
        rows.append(
            {
                "product": line.component,
                "qty_per_unit": _qty(line.qty / own),
                "scrap_pct": (own - 1) * 100,
            }
        )
    return rows


def _standard_shares(products: list[int]) -> dict[int, Decimal]:
    """Disassembly splits the cost by standard cost: rolled up where made, else the average cost."""
    costs = unit_costs(products, method="average")
    shares = {}
    for pid in products:
        if pid in costs:
            shares[pid] = costs[pid]
            continue
        product = Product.objects.get(pk=pid)
        node, _p = cost_rollup(product, Decimal(1))
        shares[pid] = node.total
    return shares


def _build_lines(order: ProductionOrder, lines: list[dict] | None, data: dict) -> list[OrderLine]:
    product = order.product
    errors: dict[str, list[str]] = {}
    inputs: list[dict]
    outputs: list[dict]
    if order.kind == Kind.PRODUCTION:
        inputs = lines if lines is not None else _lines_from_bom(product, order.bom)
        outputs = [{"product": product, "qty_per_unit": Decimal(1), "share": Decimal(1)}]
        if not inputs:
            errors["lines"] = [_("%(product)s has no BOM: add the materials to consume.") % {"product": product}]
    elif order.kind == Kind.DISASSEMBLY:
        inputs = [{"product": product, "qty_per_unit": Decimal(1)}]
        outputs = lines if lines is not None else _lines_from_bom(product, order.bom)
        if not outputs:
            errors["lines"] = [_("Name the parts %(product)s is taken apart into.") % {"product": product}]
    else:
        target = data.get("target")
        if target is None and lines:
            target = lines[0].get("product")
        if target is None:
            errors["target"] = [_("Choose the product to convert into.")]
            outputs = []
        else:
            ratio = Decimal(str((lines[0].get("qty_per_unit") if lines else None) or 1))
            outputs = [{"product": target, "qty_per_unit": ratio, "share": Decimal(1)}]
        inputs = [{"product": product, "qty_per_unit": Decimal(1)}]
    if errors:
        raise ValidationFailed(errors)
    if order.kind == Kind.DISASSEMBLY:
        ids = [(o["product"].pk if hasattr(o["product"], "pk") else int(o["product"])) for o in outputs]
        missing = [i for i, o in zip(ids, outputs, strict=True) if o.get("share") in (None, "")]
        shares = _standard_shares(missing) if missing else {}
        for pid, o in zip(ids, outputs, strict=True):
            if o.get("share") in (None, ""):
                o["share"] = shares.get(pid, ZERO) * Decimal(str(o["qty_per_unit"]))
    built = []
    by_id = {row.get("product") for row in inputs + outputs if not isinstance(row.get("product"), Product)}
    by_id = Product.objects.in_bulk([p for p in by_id if str(p).isdigit()])
    for role, rows in ((OrderLine.Role.INPUT, inputs), (OrderLine.Role.OUTPUT, outputs)):
        for i, row in enumerate(rows):
            field = f"lines.{i}"
            p = row.get("product")
            if not isinstance(p, Product):
                p = by_id.get(int(p)) if str(p).isdigit() else None
            if p is None:
                errors.setdefault(f"{field}.product", []).append(_("Choose a product."))
                continue
            try:
                per = Decimal(str(row.get("qty_per_unit")))
                scrap = Decimal(str(row.get("scrap_pct") or 0))
                share = Decimal(str(row.get("share") if row.get("share") is not None else 1))
            except ArithmeticError:
                errors.setdefault(f"{field}.qty_per_unit", []).append(_("Enter a number."))
                continue
            if per <= 0:
                errors.setdefault(f"{field}.qty_per_unit", []).append(_("The quantity must be greater than zero."))
            if not (ZERO <= scrap < 100):
                errors.setdefault(f"{field}.scrap_pct", []).append(_("Scrap is a percentage from 0 to 99.999."))
            if share < 0:
                errors.setdefault(f"{field}.share", []).append(_("The value cannot be negative."))
            built.append(
                OrderLine(role=role, position=i + 1, product=p, qty_per_unit=_qty(per), scrap_pct=scrap, share=share)
            )
    if errors:
        raise ValidationFailed(errors)
    return built


def _operations_from(card) -> list[OrderOperation]:
    if card is None:
        return []
    return [
        OrderOperation(
            seq=op.seq,
            name=op.name,
            work_centre=op.work_centre,
            setup_minutes=op.setup_minutes,
            run_minutes=op.run_minutes,
            labour_rate=op.labour_rate,
            overhead_rate=op.overhead_rate,
            instructions=op.instructions,
        )
        for op in card.operations.select_related("work_centre")
    ]


def _header(order: ProductionOrder, data: dict) -> None:
    fields = {
        "kind",
        "product",
        "qty",
        "bom",
        "tech_card",
        "input_warehouse",
        "output_warehouse",
        "planned_start",
        "planned_finish",
        "responsible",
        "note",
        "source_label",
    }
    for key, value in data.items():
        if key in fields:
            setattr(order, key, value)
    errors = {}
    if order.qty is None or Decimal(order.qty) <= 0:
        errors["qty"] = [_("The quantity must be greater than zero.")]
    if order.planned_start and order.planned_finish and order.planned_finish < order.planned_start:
        errors["planned_finish"] = [_("The finish is before the start.")]
    if order.bom_id and order.bom.product_id != order.product_id:
        errors["bom"] = [_("This BOM is not of %(product)s.") % {"product": order.product}]
    profile = getattr(order.product, "production", None) if order.product_id else None
    if not order.input_warehouse_id and profile is not None and profile.input_warehouse_id:
        order.input_warehouse = profile.input_warehouse
    if not order.output_warehouse_id:
        if profile is not None and profile.output_warehouse_id:
            order.output_warehouse = profile.output_warehouse
        elif order.input_warehouse_id:
            order.output_warehouse = order.input_warehouse
    if not order.input_warehouse_id:
        errors["input_warehouse"] = [_("Choose the components warehouse.")]
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def order_create(
    *, actor, data: dict, lines: list[dict] | None = None, operations: list[dict] | None = None, source=None
) -> ProductionOrder:
    """A draft order. Materials come from the BOM (or `lines`, the order's own BOM), operations from
    the tech card; both stay editable while the order is a draft."""
    order = ProductionOrder(kind=data.get("kind") or Kind.PRODUCTION, created_by=actor, responsible=actor)
    if data.get("product") is None:
        raise ValidationFailed({"product": [_("Choose a product.")]})
    order.product = data["product"]
    if "bom" not in data and order.kind != Kind.CONVERSION:
        data = {**data, "bom": active_bom(order.product)}
    if "tech_card" not in data and order.kind == Kind.PRODUCTION:
        data = {**data, "tech_card": active_tech_card(order.product)}
    _header(order, data)
    built = _build_lines(order, lines, data)
    if source is not None:
        order.source_type = ContentType.objects.get_for_model(source)
        order.source_id = source.pk
        order.source_label = order.source_label or str(source)
    order.number = next_number("production_order")
    order.save()
    for line in built:
        line.order = order
    OrderLine.objects.bulk_create(built)
    ops = _operations_from(order.tech_card) if operations is None else [OrderOperation(**op) for op in operations]
    for op in ops:
        op.order = order
    OrderOperation.objects.bulk_create(ops)
    record_event("production.order_created", order, actor=actor, qty=order.qty, kind=order.kind)
    return order


@transaction.atomic
def order_update(
    *, actor, order: ProductionOrder, data: dict, lines: list[dict] | None = None, operations: list[dict] | None = None
) -> ProductionOrder:
    order = ProductionOrder.objects.select_for_update().get(pk=order.pk)
    if order.state != State.DRAFT:
        raise IllegalTransition(
            order,
            order.state,
            order.state,
            _("Only a draft order can be changed: %(order)s is %(state)s.")
            % {"order": order.number, "state": order.get_state_display()},
        )
    bom_changed = "bom" in data and data["bom"] != order.bom
    _header(order, data)
    if lines is not None or bom_changed:
        built = _build_lines(order, lines, data)
        order.lines.all().delete()
        for line in built:
            line.order = order
        OrderLine.objects.bulk_create(built)
    if operations is not None:
        order.operations.all().delete()
        OrderOperation.objects.bulk_create([OrderOperation(order=order, **op) for op in operations])
    order.save()
    record_event("production.order_changed", order, actor=actor)
    return order


# -- release ----------------------------------------------------------------------------------


RELEASED_FIELDS = ("state", "released_at", "updated_at")


@dataclass(frozen=True, slots=True)
class _Line:
    """An input or output line of a child order being decided (what `remaining_need` reads)."""

    role: str
    position: int
    product_id: int
    qty_per_unit: Decimal
    scrap_pct: Decimal
    share: Decimal
    qty_posted: Decimal = ZERO


class _Release:
    """One `orders_release` call: decides in memory which child orders the released orders need (depth
    first, in the orders' sequence, taking free stock as it goes), then writes them in bulk.

    Everything a child order is made of is read once for all of them: the BOMs of every level, the
    products, the active BOM and tech card of every node and their operations.
    """

    def __init__(self, *, actor, orders: list[ProductionOrder], children: bool):
        self.actor = actor
        self.children = children
        self.now = timezone.now()
        self.lines_of: dict[int, list[OrderLine]] = defaultdict(list)
        for line in OrderLine.objects.filter(order__in=orders).order_by("order", "role", "position", "id"):
            self.lines_of[line.order_id].append(line)
        top = {line.product_id for lines in self.lines_of.values() for line in lines}
        self.boms = load_boms(top) if children else {}
        # Every product a child order may make or consume: free stock is netted at every level.
        self.closure = top | set(self.boms) | {c.component for lines in self.boms.values() for c in lines}
        self.committed = _committed_free(orders, self.closure) if children else {}
        self._made: dict[int, tuple] = {}  # node product -> (product, bom, card, input rows, operations)
        self.created: list[ProductionOrder] = []  # depth first, as they are decided
        self.parent_of: dict[int, ProductionOrder] = {}  # id(child) -> its parent (saved or not)
        self.depth: dict[int, int] = {}

    def _node(self, product_id: int):
        """What every child order of `product_id` copies: its active BOM (phantoms exploded) and tech card."""
        if not self._made:
            nodes = [p for p, lines in self.boms.items() if lines]
            products = Product.objects.in_bulk(nodes)
            boms = {b.product_id: b for b in Bom.objects.filter(product_id__in=nodes, is_active=True)}
            cards = {c.product_id: c for c in TechCard.objects.filter(product_id__in=nodes, is_active=True)}
            ops = defaultdict(list)
            for op in Operation.objects.filter(tech_card__in=list(cards.values())).order_by("tech_card", "seq", "id"):
                ops[op.tech_card_id].append(op)
            for pid in nodes:
                product, bom, card = products[pid], boms.get(pid), cards.get(pid)
                rows = [
                    (row["product"], _qty(Decimal(str(row["qty_per_unit"]))), Decimal(str(row["scrap_pct"] or 0)))
                    for row in _lines_from_bom(product, bom, self.boms)
                ]
                if not rows:
                    raise ValidationFailed(
                        {"lines": [_("%(product)s has no BOM: add the materials to consume.") % {"product": product}]}
                    )
                self._made[pid] = (product, bom, card, rows, ops[card.pk] if card is not None else [])
        return self._made[product_id]

    def release(self, order: ProductionOrder, lines: list[OrderLine], depth: int = 0) -> list[ProductionOrder]:
        """Release `order` (saved when it is one of the given orders) and decide its child orders."""
        created = []
        if not self.children or order.kind != Kind.PRODUCTION:
            return created
        wh = order.input_warehouse_id
        for line in lines:
            if line.role != OrderLine.Role.INPUT or not self.boms.get(line.product_id):
                continue
            need = remaining_need(line, order)
            key = (line.product_id, wh)
            free = self.committed[key]
            take = min(max(free, ZERO), need)
            self.committed[key] = free - take
            short = need - take
            if short <= 0:
                continue
            child, child_lines = self._child(order, line.product_id, short)
            self.parent_of[id(child)] = order
            self.depth[id(child)] = depth + 1
            self.created.append(child)
            created.append(child)
            created += self.release(child, child_lines, depth + 1)
        return created

    def _child(self, parent: ProductionOrder, product_id: int, qty: Decimal):
        product, bom, card, rows, ops = self._node(product_id)
        child = ProductionOrder(
            kind=Kind.PRODUCTION,
            state=State.RELEASED,
            product=product,
            qty=qty,
            bom=bom,
            tech_card=card,
            input_warehouse_id=parent.input_warehouse_id,
            output_warehouse_id=parent.input_warehouse_id,
            planned_start=parent.planned_start,
            planned_finish=parent.planned_start,
            responsible_id=parent.responsible_id,
            source_label=parent.source_label,
            released_at=self.now,
            created_by=self.actor,
        )
        lines = [_Line(OrderLine.Role.INPUT, i, p, per, scrap, ONE) for i, (p, per, scrap) in enumerate(rows, start=1)]
        lines.append(_Line(OrderLine.Role.OUTPUT, 1, product.pk, ONE, ZERO, ONE))
        child._new_lines = lines
        child._new_operations = ops
        return child, lines

    def write(self) -> None:
        """The decided child orders: numbered in the order they were decided, inserted level by level
        (parents first), each with its field-change record and "created" event, then their lines."""
        numbers = next_numbers("production_order", len(self.created))
        for child, number in zip(self.created, numbers, strict=True):
            child.number = number
        for depth in sorted(set(self.depth.values())):
            level = [c for c in self.created if self.depth[id(c)] == depth]
            for child in level:
                child.parent = self.parent_of[id(child)]
            ProductionOrder.objects.bulk_create(level, batch_size=500)
        log_changes([(LogEntry.Action.CREATE, None, child, None) for child in self.created])
        for child in self.created:
            for check in RELEASE_CHECKS:
                check(order=child)
        record_events(
            "production.order_created",
            [(child, {"qty": child.qty, "kind": child.kind}) for child in self.created],
            actor=self.actor,
        )
        # Plain rows, no model instance each: the lines and operations of child orders have no audit
        # of their own (the order's creation is recorded).
        insert_rows(
            OrderLine,
            ["order", "role", "position", "product", "qty_per_unit", "scrap_pct", "share", "qty_posted"],
            [
                (child.pk, line.role, line.position, line.product_id, line.qty_per_unit, line.scrap_pct, line.share, 0)
                for child in self.created
                for line in child._new_lines
            ],
        )
        insert_rows(
            OrderOperation,
            [
                "order",
                "seq",
                "name",
                "work_centre",
                "setup_minutes",
                "run_minutes",
                "labour_rate",
                "overhead_rate",
                "instructions",
                "actual_minutes",
            ],
            [
                (
                    child.pk,
                    op.seq,
                    op.name,
                    op.work_centre_id,
                    op.setup_minutes,
                    op.run_minutes,
                    op.labour_rate,
                    op.overhead_rate,
                    op.instructions,
                    0,
                )
                for child in self.created
                for op in child._new_operations
            ],
        )


def _committed_free(orders, product_ids) -> dict:
    """Free stock per (product, components warehouse), less what other open orders still need, plus
    what open orders of the product will put there."""
    wh_ids = {o.input_warehouse_id for o in orders}
    product_ids = list(product_ids)
    free = defaultdict(Decimal)
    free.update(free_stock(product_ids, wh_ids))
    lines = (
        OrderLine.objects.filter(
            role=OrderLine.Role.INPUT,
            order__state__in=[State.RELEASED, State.IN_PROGRESS],
            product_id__in=product_ids,
            order__input_warehouse_id__in=wh_ids,
        )
        .select_related("order")
        .only("product_id", "qty_per_unit", "scrap_pct", "qty_posted", "order__qty", "order__input_warehouse_id")
    )
    for line in lines:
        free[(line.product_id, line.order.input_warehouse_id)] -= remaining_need(line, line.order)
    # What open child orders will make is coming.
    coming = ProductionOrder.objects.filter(
        state__in=[State.DRAFT, State.RELEASED, State.IN_PROGRESS],
        product_id__in=product_ids,
        output_warehouse_id__in=wh_ids,
    ).values_list("product_id", "output_warehouse_id", "qty", "qty_done")
    for product_id, wh_id, qty, done in coming:
        free[(product_id, wh_id)] += max(qty - done, ZERO)
    return free


@transaction.atomic
def orders_release(*, actor, orders, children: bool = True) -> list[ProductionOrder]:
    """Release draft orders at once (one transaction). Short nodes get released child orders, netting
    free stock at every level (less what other open orders need, plus what open orders will make)."""
    ids = [o.pk for o in orders]
    locked = list(
        ProductionOrder.objects.select_for_update()
        .filter(pk__in=ids)
        .select_related("product")
        .order_by("planned_start", "id")
    )
    release = _Release(actor=actor, orders=locked, children=children)
    below: dict[int, list[ProductionOrder]] = {}
    changed = []
    for order in locked:
        before = copy.copy(order)
        _transition(order, State.RELEASED)
        for check in RELEASE_CHECKS:
            check(order=order)
        order.released_at = order.updated_at = release.now
        changed.append((LogEntry.Action.UPDATE, before, order, RELEASED_FIELDS))
        below[order.pk] = release.release(order, release.lines_of[order.pk])
    ProductionOrder.objects.filter(pk__in=[o.pk for o in locked]).update(
        state=State.RELEASED, released_at=release.now, updated_at=release.now
    )
    log_changes(changed)
    release.write()
    for order in locked:
        record_event("production.order_released", order, actor=actor, children=[c.number for c in below[order.pk]])
    return locked + release.created


def order_release(*, actor, order: ProductionOrder, children: bool = True) -> ProductionOrder:
    orders_release(actor=actor, orders=[order], children=children)
    order.refresh_from_db()
    return order


# -- report (post) ----------------------------------------------------------------------------


def _operation_costs(order: ProductionOrder, qty: Decimal, minutes: dict | None, first: bool):
    """(order operation, minutes, labour, overhead) for a report of `qty` units (good + scrap)."""
    rows = []
    for op in order.operations.select_related("work_centre"):
        if minutes is not None and (op.pk in minutes or str(op.pk) in minutes):
            spent = Decimal(str(minutes.get(op.pk, minutes.get(str(op.pk)))))
            if spent < 0:
                raise ValidationFailed({f"minutes.{op.pk}": [_("The value cannot be negative.")]})
        else:
            spent = (op.setup_minutes if first else ZERO) + op.run_minutes * qty
        d = domain_operation(op)
        _h, labour, overhead = dcost.operation_cost(
            dcost.Operation(d.name, spent / SIXTY, ZERO, d.labour_rate, d.overhead_rate), ZERO
        )
        rows.append((op, spent, labour, overhead))
    return rows


def _check_stock(needs: dict[tuple, Decimal]) -> None:
    """Refuse the whole report when any input is short, naming every one (FIFO warehouses)."""
    balances = lock_balances(list(needs))
    short = []
    products = Product.objects.in_bulk({p for p, _w in needs})
    warehouses = Warehouse.objects.in_bulk({w for _p, w in needs})
    for (product_id, wh_id), qty in needs.items():
        wh = warehouses[wh_id]
        if not wh.is_fifo:
            continue
        b = balances[(product_id, wh_id)]
        available = b.qty - b.reserved
        if qty > available:
            short.append((products[product_id], wh, qty, max(available, ZERO)))
    if short:
        raise ComponentsShort(short)


@transaction.atomic
def order_report(
    *,
    actor,
    order: ProductionOrder,
    qty: Decimal,
    scrap: Decimal = ZERO,
    minutes: dict | None = None,
    posted_at=None,
    finish: bool = False,
    note: str = "",
) -> ProductionReport:
    """Record `qty` good units (and `scrap` spoiled ones): consume the inputs for qty + scrap, receive
    the outputs for qty, valued at what was consumed plus the operations' labour and overhead."""
    order = ProductionOrder.objects.select_for_update().select_related("product").get(pk=order.pk)
    qty, scrap = Decimal(str(qty or 0)), Decimal(str(scrap or 0))
    errors = {}
    if qty < 0:
        errors["qty"] = [_("The quantity cannot be negative.")]
    if scrap < 0:
        errors["scrap"] = [_("The quantity cannot be negative.")]
    if qty + scrap <= 0:
        errors.setdefault("qty", []).append(_("Report a quantity made or scrapped."))
    if order.qty_done + qty > order.qty:
        errors.setdefault("qty", []).append(
            _("Only %(left)s of %(total)s remain to be made.")
            % {"left": _qty(order.qty - order.qty_done).normalize(), "total": order.qty.normalize()}
        )
    if errors:
        raise ValidationFailed(errors)
    if order.state not in (State.RELEASED, State.IN_PROGRESS):
        raise IllegalTransition(
            order,
            order.state,
            State.IN_PROGRESS,
            _("%(order)s is %(state)s: release it first.")
            % {"order": order.number, "state": order.get_state_display()},
        )
    first = not order.reports.filter(state=ProductionReport.State.POSTED).exists()
    posted_at = posted_at or None
    lines = list(order.lines.select_related("product"))
    inputs = [line for line in lines if line.role == OrderLine.Role.INPUT]
    outputs = [line for line in lines if line.role == OrderLine.Role.OUTPUT]
    in_storage, out_storage = storage_of(order.input_warehouse), storage_of(order.output_warehouse)
    shop = virtual_location(Location.Kind.PRODUCTION)
    consumed = []
    needs: dict[tuple, Decimal] = defaultdict(Decimal)
    for line in inputs:
        q = _qty(dbom.gross(dbom.BomLine(line.product_id, line.qty_per_unit, line.scrap_pct), qty + scrap))
        if q > 0:
            consumed.append((line, q))
            needs[(line.product_id, order.input_warehouse_id)] += q
    _check_stock(needs)
    ops = _operation_costs(order, qty + scrap, minutes, first)
    labour = sum((r[2] for r in ops), Decimal("0.00"))
    overhead = sum((r[3] for r in ops), Decimal("0.00"))
    made = [(line, _qty(line.qty_per_unit * qty)) for line in outputs if qty > 0]
    made = [(line, q) for line, q in made if q > 0]
    group = ValueGroup.objects.create(
        reference=order.number,
        source_type=ContentType.objects.get_for_model(ProductionReport),
    )
    report = ProductionReport.objects.create(
        order=order,
        posted_at=posted_at or timezone.now(),
        qty=qty,
        qty_scrap=scrap,
        value_group=group,
        labour=labour,
        overhead=overhead,
        note=note[:200],
        created_by=actor,
    )
    group.source_id = report.pk
    group.save(update_fields=["source_id"])
    extra = split(labour + overhead, [line.share for line, _q in made]) if made else []
    specs = [
        MoveSpec(line.product, q, in_storage, shop, StockMove.Kind.CONSUMPTION, posted_at, value_group=group)
        for line, q in consumed
    ]
    lots = {}
    if order.output_warehouse.is_fifo and made:
        n = order.reports.count()
        for line, _q in made:
            lots[line.pk] = Lot.objects.create(
                product=line.product, number=f"{order.number}/{n}/{line.position}", received_at=report.posted_at
            )
    specs += [
        MoveSpec(
            line.product,
            q,
            shop,
            out_storage,
            StockMove.Kind.OUTPUT,
            posted_at,
            input_value=part,
            lot=lots.get(line.pk),
            value_group=group,
            value_share=line.share,
        )
        for (line, q), part in zip(made, extra, strict=True)
    ]
    post_moves(specs=specs, actor=actor)
    if posted_at is None:
        report.posted_at = StockMove.objects.filter(value_group=group).values_list("posted_at", flat=True).first()
        report.save(update_fields=["posted_at"])
    for line, q in consumed:
        line.qty_posted += q
    for line, q in made:
        line.qty_posted += q
    OrderLine.objects.bulk_update([line for line, _q in consumed + made], ["qty_posted"])
    ReportOperation.objects.bulk_create(
        [ReportOperation(report=report, operation=op, minutes=m, labour=lab, overhead=ov) for op, m, lab, ov in ops]
    )
    for op, m, _l, _o in ops:
        op.actual_minutes += m
    OrderOperation.objects.bulk_update([r[0] for r in ops], ["actual_minutes"])
    order.qty_done += qty
    order.qty_scrap += scrap
    if order.state == State.RELEASED:
        order.state = State.IN_PROGRESS
    finishing = finish or order.qty_done >= order.qty
    if finishing:  # one save (and one field-change record) for the report and the end of the order
        _check_children(order)
        _transition(order, State.DONE)
        order.finished_at = timezone.now()
    order.save(update_fields=["qty_done", "qty_scrap", "state", "finished_at", "updated_at"])
    record_event("production.reported", order, actor=actor, qty=qty, scrap=scrap, labour=labour, overhead=overhead)
    for hook in OUTPUT_HOOKS:
        hook(actor=actor, order=order, outputs=[(line, q, lots.get(line.pk)) for line, q in made])
    if finishing:
        record_event("production.order_done", order, actor=actor, qty=order.qty_done)
    return report


def _check_children(order: ProductionOrder) -> None:
    open_children = [c for c in order.children.all() if c.state not in (State.DONE, State.CANCELLED)]
    if open_children:
        raise ChildrenOpen(order, open_children)


def _finish(order: ProductionOrder, *, actor) -> None:
    _check_children(order)
    _transition(order, State.DONE)
    order.finished_at = timezone.now()
    order.save(update_fields=["state", "finished_at", "updated_at"])
    record_event("production.order_done", order, actor=actor, qty=order.qty_done)


@transaction.atomic
def order_finish(*, actor, order: ProductionOrder) -> ProductionOrder:
    """Close an order (possibly short of its quantity); its child orders must be done first."""
    order = ProductionOrder.objects.select_for_update().get(pk=order.pk)
    _finish(order, actor=actor)
    return order


# -- cancel -----------------------------------------------------------------------------------


def cancel_preview(order: ProductionOrder) -> dict:
    """What cancelling will undo: reports to reverse and open child orders to cancel."""
    from ..queries import order_tree

    tree = [o for _d, o in order_tree(order)]
    below = _descendants(order, tree)
    return {
        "reports": list(order.reports.filter(state=ProductionReport.State.POSTED)),
        "children": [c for c in below if c.state not in (State.DONE, State.CANCELLED)],
    }


def _descendants(order, tree) -> list[ProductionOrder]:
    ids = {order.pk}
    out = []
    for node in tree:
        if node.parent_id in ids:
            ids.add(node.pk)
            out.append(node)
    return out


@transaction.atomic
def order_cancel(*, actor, order: ProductionOrder) -> ProductionOrder:
    """Cancel an order and its open child orders; what was posted is reversed (dated now).
    Refused when the made goods are no longer in stock (nothing changes then)."""
    order = ProductionOrder.objects.select_for_update().get(pk=order.pk)
    for child in order.children.all():
        if child.state not in (State.DONE, State.CANCELLED):
            order_cancel(actor=actor, order=child)
    if order.state == State.DONE:
        raise IllegalTransition(
            order,
            order.state,
            State.CANCELLED,
            _("%(order)s is done and cannot be cancelled.") % {"order": order.number},
        )
    _transition(order, State.CANCELLED)
    reports = list(order.reports.filter(state=ProductionReport.State.POSTED))
    moves = StockMove.objects.filter(value_group__in=[r.value_group_id for r in reports], reverses__isnull=True)
    # Outputs go back out first (their lots), then the components come back with their lots and costs.
    ordered = sorted(moves.select_related("product"), key=lambda m: (m.value_share is None, m.pk))
    if ordered:
        post_moves(specs=reversal_specs(moves=ordered), actor=actor)
    for r in reports:
        r.state = ProductionReport.State.CANCELLED
    ProductionReport.objects.bulk_update(reports, ["state"])
    OrderLine.objects.filter(order=order).update(qty_posted=0)
    order.qty_done = ZERO
    order.qty_scrap = ZERO
    order.save(update_fields=["state", "qty_done", "qty_scrap", "updated_at"])
    record_event("production.order_cancelled", order, actor=actor, reports=len(reports))
    return order


# -- costs ------------------------------------------------------------------------------------


def planned_costs(order: ProductionOrder, *, method: str = "average") -> dict:
    """The planned material (at current costs), labour and overhead for the order's quantity."""
    lines = list(order.lines.filter(role=OrderLine.Role.INPUT).select_related("product"))
    costs = unit_costs({line.product_id for line in lines}, method=method)
    material = Decimal("0.00")
    missing = []
    for line in lines:
        q = dbom.gross(dbom.BomLine(line.product_id, line.qty_per_unit, line.scrap_pct), order.qty)
        if line.product_id in costs:
            material += money(q * costs[line.product_id])
        else:
            missing.append(line.product)
    labour = overhead = Decimal("0.00")
    minutes = ZERO
    for op in order.operations.select_related("work_centre"):
        _h, lab, ov = dcost.operation_cost(domain_operation(op), order.qty)
        labour += lab
        overhead += ov
        minutes += op.setup_minutes + op.run_minutes * order.qty
    return {
        "material": material,
        "labour": labour,
        "overhead": overhead,
        "total": material + labour + overhead,
        "minutes": minutes,
        "missing": missing,
        "qty": order.qty,
    }
