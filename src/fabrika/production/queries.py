"""Read side of production: BOM graphs, explosions, cost roll-ups, shortages, lot genealogy."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Sum
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL

from fabrika.catalog.models import Product, Unit
from fabrika.inventory.domain.money import unit_cost
from fabrika.inventory.models import Balance, CostLayer, LayerConsumption, Location, Lot, StockMove

from .domain import bom as dbom
from .domain import costing as dcost
from .models import Bom, BomLine, Operation, OrderLine, ProductionOrder, TechCard

ZERO = Decimal("0")
SIXTY = Decimal(60)

COST_METHODS = ("average", "fifo", "last_purchase")


def _domain_line(row) -> dbom.BomLine:
    return dbom.BomLine(row.component_id, row.qty_base, row.scrap_pct, row.phantom)


def id_list(ids):
    """`field__in=id_list(ids)`: when there are many ids, one parameter instead of thousands of
    placeholders (Django prepares each placeholder and psycopg parses them all; a deep BOM has thousands
    of components): an array on PostgreSQL, a JSON array read by `json_each` on SQLite."""
    ids = list(ids)
    if len(ids) > 100 and connection.vendor == "postgresql":  # as text: psycopg adapts a list item by item
        return RawSQL("SELECT unnest(%s::bigint[])", ("{" + ",".join(map(str, map(int, ids))) + "}",))
    if len(ids) > 100 and connection.vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(list(map(int, ids))),))
    return ids


def load_boms(product_ids, *, override: dict[int, list] | None = None) -> dbom.Boms:
    """The active BOMs of `product_ids` and of everything below them, one query per level.

    `override` replaces the BOM of some products (a BOM being edited, an order's own BOM); its
    values are lists of domain BomLines.
    """
    override = override or {}
    boms: dict[int, list[dbom.BomLine]] = dict(override)
    frontier = set(product_ids)
    for lines in override.values():
        frontier |= {line.component for line in lines}
    seen = set()
    while frontier:
        todo = frontier - seen - set(override)
        seen |= frontier
        frontier = set()
        if not todo:
            for lines in override.values():
                frontier |= {line.component for line in lines} - seen
            continue
        rows = (
            BomLine.objects.filter(bom__is_active=True, bom__product_id__in=id_list(todo))
            .only("component_id", "qty_base", "scrap_pct", "phantom", "bom__product_id")
            .order_by("bom__product_id", "position", "id")
            .values_list("bom__product_id", "component_id", "qty_base", "scrap_pct", "phantom")
        )
        for parent, component, qty, scrap, phantom in rows:
            boms.setdefault(parent, []).append(dbom.BomLine(component, qty, scrap, phantom))
            if component not in seen:
                frontier.add(component)
    return boms


def bom_lines(bom: Bom) -> list[dbom.BomLine]:
    return [_domain_line(row) for row in bom.lines.all()]


def active_bom(product) -> Bom | None:
    return Bom.objects.filter(product=product, is_active=True).first()


def active_tech_card(product) -> TechCard | None:
    return TechCard.objects.filter(product=product, is_active=True).first()


def domain_operation(op) -> dcost.Operation:
    """A tech card or order operation as the costing core sees it (minutes → hours; the work centre's
    hourly rate is part of the overhead rate)."""
    centre_rate = op.work_centre.hourly_rate if op.work_centre_id else ZERO
    return dcost.Operation(
        op.name,
        op.setup_minutes / SIXTY,
        op.run_minutes / SIXTY,
        op.labour_rate,
        op.overhead_rate + centre_rate,
    )


def load_operations(product_ids) -> dict[int, list[dcost.Operation]]:
    """The operations of the active tech cards of `product_ids`, as the costing core sees them (as
    `domain_operation` makes them, read as plain values: a deep BOM has thousands)."""
    ops: dict[int, list[dcost.Operation]] = defaultdict(list)
    rows = (
        Operation.objects.filter(tech_card__is_active=True, tech_card__product_id__in=id_list(product_ids))
        .order_by("tech_card__product_id", "seq", "id")
        .values_list(
            "tech_card__product_id",
            "name",
            "setup_minutes",
            "run_minutes",
            "labour_rate",
            "overhead_rate",
            "work_centre__hourly_rate",
        )
    )
    for product_id, name, setup, run, labour, overhead, centre_rate in rows:
        ops[product_id].append(
            dcost.Operation(name, setup / SIXTY, run / SIXTY, labour, overhead + (centre_rate or ZERO))
        )
    return ops


def products_for(ids) -> dict[int, Product]:
    """The products of an explosion or roll-up by id, with what pages, API and exports print of them
    (code, name, type, unit) loaded, and nothing else: a deep BOM has thousands.

    The instances are made straight from the rows, as `only()` would leave them (the other fields
    deferred, loaded on access) but without running the model's `__init__` for each: for thousands of
    products that costs more than the query."""
    rows = Product.objects.filter(pk__in=id_list(ids)).values_list(
        "pk", "code", "name", "type", "group_id", "active", "unit_id"
    )
    rows = list(rows)
    units = Unit.objects.in_bulk({row[6] for row in rows})
    db = Product.objects.db
    cache = Product._meta.get_field("unit").set_cached_value
    products = {}
    for pk, code, name, kind, group_id, active, unit_id in rows:
        product = Product.__new__(Product)
        product._state = ModelState()
        product._state.adding, product._state.db = False, db
        product.__dict__.update(
            id=pk, code=code, name=name, type=kind, group_id=group_id, active=active, unit_id=unit_id
        )
        cache(product, units[unit_id])
        products[pk] = product
    return products


def unit_costs(product_ids, *, method: str = "average") -> dict[int, Decimal]:
    """A unit cost per product: the average over warehouses, the next FIFO layer to be consumed,
    or the latest purchase price; without stock, the latest price paid or made at. Products without any
    cost are absent."""
    ids = list(product_ids)
    costs: dict[int, Decimal] = {}
    if method == "fifo":
        rows = (
            CostLayer.objects.filter(product_id__in=id_list(ids), remaining_qty__gt=0)
            .order_by("product_id", "posted_at", "move_id", "piece")
            .values_list("product_id", "remaining_qty", "remaining_value")
        )
        for product_id, qty, value in rows:
            costs.setdefault(product_id, unit_cost(value, qty))
    elif method == "average":
        rows = (
            Balance.objects.filter(product_id__in=id_list(ids), qty__gt=0)
            .values("product_id")
            .annotate(q=Sum("qty"), v=Sum("value"))
        )
        for row in rows:
            costs[row["product_id"]] = unit_cost(Decimal(row["v"]), Decimal(row["q"]))
    if method in ("average", "fifo", "last_purchase"):
        missing = [i for i in ids if i not in costs]
        # Without stock: the latest purchase price, or (not for "last_purchase") the latest cost made at.
        kinds = (
            [StockMove.Kind.RECEIPT] if method == "last_purchase" else [StockMove.Kind.RECEIPT, StockMove.Kind.OUTPUT]
        )
        if missing:
            rows = (
                StockMove.objects.filter(
                    product_id__in=missing,
                    kind__in=kinds,
                    unit_cost__isnull=False,
                )
                .order_by("product_id", "-posted_at", "-id")
                .values_list("product_id", "unit_cost")
            )
            for product_id, cost in rows:
                costs.setdefault(product_id, cost)
    else:
        raise ValueError(f"unknown cost method {method}")
    return costs


def explosion(product, qty: Decimal, *, boms: dbom.Boms | None = None, method: str = "average"):
    """Indented explosion (every level) with each line priced; and the summarized totals per component."""
    boms = boms if boms is not None else load_boms([product.pk])
    lines = dbom.explode(boms, product.pk, qty)
    costs = unit_costs({line.component for line in lines if line.is_leaf}, method=method)
    dcost.price_leaves(lines, costs)
    products = products_for({line.component for line in lines})
    return lines, dbom.summarize(lines), products


def cost_rollup(product, qty: Decimal, *, method: str = "average", boms: dbom.Boms | None = None):
    boms = boms if boms is not None else load_boms([product.pk])
    made = set(boms) | {product.pk}
    components = {line.component for lines in boms.values() for line in lines}
    # Only what is not made has its own unit cost in a roll-up (a made node costs its parts and operations).
    costs = unit_costs({c for c in components if not boms.get(c)}, method=method)
    ops = load_operations(made)
    node = dcost.rollup(boms, product.pk, qty, unit_costs=costs, operations=ops)
    products = products_for(components | made)
    return node, products


def where_used(product) -> list:
    """The BOMs (active or not, standard ones) that use `product` directly."""
    return list(
        BomLine.objects.filter(component=product, bom__is_custom=False)
        .select_related("bom__product")
        .order_by("bom__product__code", "-bom__version")
    )


# -- shortages -------------------------------------------------------------------------------


@dataclass
class Shortage:
    order: ProductionOrder
    level: int
    product: Product
    warehouse: object
    required: Decimal
    available: Decimal
    short: Decimal
    needed_by: date | None
    make: bool  # a node that can be made (its own BOM) rather than bought


def free_stock(product_ids, warehouse_ids) -> dict[tuple[int, int], Decimal]:
    rows = Balance.objects.filter(
        product_id__in=id_list(product_ids), warehouse_id__in=list(warehouse_ids)
    ).values_list("product_id", "warehouse_id", "qty", "reserved")
    return {(p, w): max(q - r, ZERO) for p, w, q, r in rows}


def remaining_need(line: OrderLine, order: ProductionOrder) -> Decimal:
    """What an input line still has to consume for the order's remaining quantity."""
    total = dbom.gross(dbom.BomLine(line.product_id, line.qty_per_unit, line.scrap_pct), order.qty)
    return max(total - line.qty_posted, ZERO)


def shortages(orders) -> list[Shortage]:
    """Every missing component of the open orders at every level, netting free stock in order of
    planned start: a short node is exploded through its own BOM for the part stock does not cover."""
    orders = sorted(orders, key=lambda o: (o.planned_start or date.max, o.pk))
    lines_by_order = defaultdict(list)
    for line in OrderLine.objects.filter(order__in=orders, role=OrderLine.Role.INPUT).select_related("product"):
        lines_by_order[line.order_id].append(line)
    # Child orders already cover their part of a parent's need.
    covered = defaultdict(Decimal)
    for child in ProductionOrder.objects.filter(parent__in=orders).exclude(state=ProductionOrder.State.CANCELLED):
        covered[(child.parent_id, child.product_id)] += child.qty_remaining
    product_ids = {line.product_id for lines in lines_by_order.values() for line in lines}
    boms = load_boms(product_ids)
    all_ids = product_ids | {c.component for lines in boms.values() for c in lines}
    warehouses = {o.input_warehouse_id for o in orders}
    free = free_stock(all_ids, warehouses)
    products = Product.objects.in_bulk(all_ids)
    result: list[Shortage] = []
    for order in orders:
        if not order.is_open:
            continue
        wh = order.input_warehouse
        stack = [
            (1, line.product_id, remaining_need(line, order) - covered.get((order.pk, line.product_id), ZERO))
            for line in reversed(lines_by_order[order.pk])
        ]
        while stack:
            level, product_id, need = stack.pop()
            if need <= 0:
                continue
            have = free.get((product_id, wh.pk), ZERO)
            take = min(have, need)
            free[(product_id, wh.pk)] = have - take
            short = need - take
            if short <= 0:
                continue
            children = boms.get(product_id) or []
            result.append(
                Shortage(order, level, products[product_id], wh, need, take, short, order.planned_start, bool(children))
            )
            for child in reversed(children):
                stack.append((level + 1, child.component, dbom.gross(child, short)))
    return result


# -- genealogy ---------------------------------------------------------------------------------


def _groups_consuming(lot_ids) -> dict[int, set[int]]:
    """value group -> the lots (of `lot_ids`) its inputs consumed."""
    rows = (
        LayerConsumption.objects.filter(layer__lot_id__in=list(lot_ids), move__value_group__isnull=False)
        .values_list("move__value_group_id", "layer__lot_id")
        .distinct()
    )
    groups = defaultdict(set)
    for group, lot in rows:
        groups[group].add(lot)
    return groups


def lots_containing(lot: Lot) -> list[Lot]:
    """Every output lot (at every level above) made with `lot`: "which robots contain processor lot L?"."""
    found: dict[int, Lot] = {}
    frontier = {lot.pk}
    while frontier:
        groups = _groups_consuming(frontier)
        outputs = set(
            StockMove.objects.filter(
                value_group_id__in=list(groups), value_share__isnull=False, lot__isnull=False, reverses__isnull=True
            ).values_list("lot_id", flat=True)
        )
        frontier = outputs - set(found)
        found.update(Lot.objects.in_bulk(frontier))
    return sorted(found.values(), key=lambda x: (x.product_id, x.received_at, x.pk))


def lots_consumed_by(lot: Lot) -> list[tuple[int, Lot, Decimal]]:
    """The lots that went into `lot` at every level below it, with their depth and quantity."""
    result = []
    frontier = {lot.pk}
    level = 0
    seen = {lot.pk}
    while frontier:
        level += 1
        groups = StockMove.objects.filter(
            lot_id__in=list(frontier), value_share__isnull=False, value_group__isnull=False
        ).values_list("value_group_id", flat=True)
        rows = (
            LayerConsumption.objects.filter(move__value_group_id__in=list(groups), layer__lot__isnull=False)
            .exclude(move__to_location__kind=Location.Kind.STORAGE)
            .values("layer__lot_id")
            .annotate(qty=Sum("qty"))
        )
        lots = Lot.objects.in_bulk([r["layer__lot_id"] for r in rows])
        frontier = set()
        for r in rows:
            lot_id = r["layer__lot_id"]
            result.append((level, lots[lot_id], r["qty"]))
            if lot_id not in seen:
                seen.add(lot_id)
                frontier.add(lot_id)
    return result


def order_tree(order: ProductionOrder) -> list[tuple[int, ProductionOrder]]:
    """The order's root and every order below it, depth-first, with their depth."""
    root = order
    while root.parent_id:
        root = root.parent
    by_parent = defaultdict(list)
    frontier = [root.pk]
    while frontier:
        children = list(ProductionOrder.objects.filter(parent_id__in=frontier).select_related("product").order_by("id"))
        for child in children:
            by_parent[child.parent_id].append(child)
        frontier = [c.pk for c in children]
    out = []
    stack = [(0, root)]
    while stack:
        depth, node = stack.pop()
        out.append((depth, node))
        stack.extend((depth + 1, c) for c in reversed(by_parent.get(node.pk, [])))
    return out


def order_costing(order: ProductionOrder) -> dict:
    """Planned vs actual: material, labour, overhead and output value of an order."""
    from .services.orders import planned_costs

    planned = planned_costs(order)
    reports = order.reports.filter(state="posted")
    groups = [r.value_group_id for r in reports]
    moves = StockMove.objects.filter(value_group_id__in=groups, reverses__isnull=True)
    material = moves.filter(value_share__isnull=True).aggregate(v=Sum("value"))["v"] or ZERO
    output = moves.filter(value_share__isnull=False).aggregate(v=Sum("value"))["v"] or ZERO
    actual = {
        "material": material,
        "labour": reports.aggregate(v=Sum("labour"))["v"] or ZERO,
        "overhead": reports.aggregate(v=Sum("overhead"))["v"] or ZERO,
        "output": output,
        "qty": order.qty_done,
        "minutes": sum((op.actual_minutes for op in order.operations.all()), ZERO),
    }
    return {"planned": planned, "actual": actual}
