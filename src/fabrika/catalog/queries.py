"""Read-side helpers of the catalog for pages, the API, reports and other apps.

- `price_for(product, price_type, on_date)`: the sale price of a product on a date.
- the group tree: `group_tree()`, `group_descendant_ids()`, `group_choices()`;
- `characteristic_template(group)`: the characteristics a product of the group carries,
  inherited ones from the ancestors first;
- the product card: `product_stock()`, `product_lots()`, `product_moves_page()`.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from .models import GroupCharacteristic, PriceListItem, PriceType, Product, ProductGroup

ZERO = Decimal("0")

# --- prices -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductPrice:
    """A product's price from one price list."""

    price: Decimal
    currency: str
    includes_vat: bool
    price_list: object
    item: PriceListItem


def price_for(product, price_type, on_date: datetime.date | None = None) -> ProductPrice | None:
    """The price of `product` of `price_type` (a PriceType or its code) valid on `on_date` (today).

    A price list is valid from `valid_from` to `valid_to`, both days included (no `valid_to`:
    open-ended). When several lists of the type hold the product on that day, the one that
    started last wins (a new list overrides the old one from its first day); on the same start
    day, the one created last. None when no list has a price.
    """
    on_date = on_date or timezone.localdate()
    type_filter = (
        Q(price_list__price_type__code=price_type)
        if isinstance(price_type, str)
        else Q(price_list__price_type=price_type)
    )
    item = (
        PriceListItem.objects.filter(type_filter, product=product, price_list__valid_from__lte=on_date)
        .filter(Q(price_list__valid_to__isnull=True) | Q(price_list__valid_to__gte=on_date))
        .select_related("price_list", "price_list__price_type")
        .order_by("-price_list__valid_from", "-price_list_id")
        .first()
    )
    if item is None:
        return None
    pl = item.price_list
    return ProductPrice(price=item.price, currency=pl.currency, includes_vat=pl.includes_vat, price_list=pl, item=item)


def price_types() -> list[PriceType]:
    return list(PriceType.objects.order_by("name", "id"))


# --- the group tree ---------------------------------------------------------------------------


def _children_map() -> tuple[dict[int, ProductGroup], dict[int | None, list[ProductGroup]]]:
    groups = {g.pk: g for g in ProductGroup.objects.order_by("name", "id")}
    children: dict[int | None, list[ProductGroup]] = defaultdict(list)
    for group in groups.values():
        parent = group.parent_id if group.parent_id in groups else None
        children[parent].append(group)
    return groups, children


def group_tree() -> list[tuple[ProductGroup, int]]:
    """Every group in tree order (parents before children, siblings by name) with its depth."""
    _groups, children = _children_map()
    result: list[tuple[ProductGroup, int]] = []
    seen: set[int] = set()

    def walk(parent, depth):
        for group in children.get(parent, []):
            if group.pk in seen:  # never loop on broken data
                continue
            seen.add(group.pk)
            result.append((group, depth))
            walk(group.pk, depth + 1)

    walk(None, 0)
    return result


def group_paths() -> dict[int, str]:
    """Every group's path ("Components / Electronics / Processors") from one query."""
    paths: dict[int, str] = {}
    for group, depth in group_tree():
        parent = paths.get(group.parent_id) if depth else None
        paths[group.pk] = f"{parent} / {group.name}" if parent else group.name
    return paths


def group_descendant_ids(group) -> set[int]:
    """The ids of `group` and of every group below it."""
    group_id = group.pk if isinstance(group, ProductGroup) else int(group)
    _groups, children = _children_map()
    found, stack = set(), [group_id]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(child.pk for child in children.get(current, []))
    return found


def group_choices(*, exclude_subtree_of=None, blank: str | None = None) -> list[tuple]:
    """(id, indented name) of every group in tree order, for selects."""
    excluded = group_descendant_ids(exclude_subtree_of) if exclude_subtree_of is not None else set()
    choices = [("", blank)] if blank is not None else []
    for group, depth in group_tree():
        if group.pk not in excluded:
            choices.append((group.pk, f"{'— ' * depth}{group.name}"))
    return choices


# --- characteristics --------------------------------------------------------------------------


def characteristic_template(group) -> list[GroupCharacteristic]:
    """The characteristics of a product of `group`: its ancestors' (root first), then its own.

    A subgroup may redefine an inherited characteristic (same name): the nearest definition
    wins and keeps the place of the first one. Each item has `inherited_from`: the group that
    defines it when that is an ancestor, else None.
    """
    if group is None:
        return []
    chain = group.ancestors()
    depth = {g.pk: i for i, g in enumerate(chain)}
    rows = sorted(
        GroupCharacteristic.objects.filter(group_id__in=depth).select_related("group"),
        key=lambda c: (depth[c.group_id], c.order, c.name, c.pk),
    )
    template: dict[str, GroupCharacteristic] = {}
    for char in rows:
        char.inherited_from = char.group if char.group_id != group.pk else None
        template[char.name] = char
    return list(template.values())


def characteristic_display(char: GroupCharacteristic, value) -> str:
    """A stored value as people read it: numbers with their unit, yes/no."""
    from django.utils.translation import gettext as _

    if value is None or value == "":
        return ""
    if char.kind == GroupCharacteristic.Kind.BOOL:
        return _("yes") if value is True else _("no")
    text = str(value)
    return f"{text} {char.unit}".strip() if char.unit else text


# --- the product card -------------------------------------------------------------------------


def cost_allowed(user) -> bool:
    """Stock values and unit costs are shown to those who may see costs in the warehouse or the catalog."""
    from fabrika.access.policy import can

    return can(user, "inventory", "cost") or can(user, "catalog", "cost")


@dataclass
class StockRow:
    warehouse: object
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    value: Decimal
    average_cost: Decimal


@dataclass
class StockSummary:
    rows: list[StockRow]
    on_hand: Decimal = ZERO
    reserved: Decimal = ZERO
    available: Decimal = ZERO
    value: Decimal = ZERO


def product_stock(product: Product) -> StockSummary:
    """On hand, reserved, available and value per warehouse: the balance rows, never the ledger."""
    from fabrika.inventory.models import Balance

    rows = [
        StockRow(b.warehouse, b.qty, b.reserved, b.qty - b.reserved, b.value, b.average_cost)
        for b in Balance.objects.filter(product=product).select_related("warehouse").order_by("warehouse__code")
    ]
    return StockSummary(
        rows=rows,
        on_hand=sum((r.on_hand for r in rows), ZERO),
        reserved=sum((r.reserved for r in rows), ZERO),
        available=sum((r.available for r in rows), ZERO),
        value=sum((r.value for r in rows), ZERO),
    )


@dataclass
class LotRow:
    warehouse: object
    lot: object
    received_at: datetime.datetime | None
    qty: Decimal
    value: Decimal

    @property
    def unit_cost(self) -> Decimal:
        return (self.value / self.qty).quantize(Decimal("0.000001")) if self.qty else ZERO


def product_lots(product: Product) -> list[LotRow]:
    """What is left of each lot per warehouse (FIFO warehouses): the open cost layers by lot, oldest first."""
    from fabrika.inventory.models import CostLayer

    grouped: dict[tuple, LotRow] = {}
    layers = (
        CostLayer.objects.filter(product=product, remaining_qty__gt=0)
        .select_related("warehouse", "lot")
        .order_by("warehouse__code", "posted_at", "move_id", "piece")
    )
    for layer in layers:
        key = (layer.warehouse_id, layer.lot_id)
        row = grouped.get(key)
        if row is None:
            received = layer.lot.received_at if layer.lot is not None else layer.posted_at
            row = grouped[key] = LotRow(layer.warehouse, layer.lot, received, ZERO, ZERO)
        row.qty += layer.remaining_qty
        row.value += layer.remaining_value
    return list(grouped.values())


@dataclass
class MovesPage:
    """One page of a product's moves, newest first, with keyset cursors (move ids) to page on."""

    rows: list = field(default_factory=list)
    newer: int | None = None  # ?after=<id>: the page of moves newer than this one
    older: int | None = None  # ?before=<id>: the page of moves older than this one


def product_moves_page(
    product: Product, *, before: int | None = None, after: int | None = None, size: int = 50
) -> MovesPage:
    """A page of the product's moves on the (product, posted_at, id) index: no COUNT over the ledger.

    `before`: moves older than that move (the next page); `after`: moves newer than it (the
    previous page); neither: the newest moves.
    """
    from fabrika.inventory.models import StockMove

    moves = StockMove.objects.filter(product=product).select_related(
        "from_location", "to_location", "from_location__warehouse", "to_location__warehouse", "lot", "document"
    )
    cursor_id = after if after is not None else before
    anchor = None
    if cursor_id is not None:
        anchor = StockMove.objects.filter(product=product, pk=cursor_id).values("posted_at", "pk").first()
    if anchor is None:
        rows = list(moves.order_by("-posted_at", "-id")[: size + 1])
        page = MovesPage(rows=rows[:size])
        page.older = rows[size - 1].pk if len(rows) > size else None
        return page
    t, pk = anchor["posted_at"], anchor["pk"]
    if after is not None:
        # (posted_at, id) > (t, pk), written so that the index range starts at t.
        newer = moves.filter(posted_at__gte=t).exclude(posted_at=t, id__lte=pk)
        rows = list(newer.order_by("posted_at", "id")[: size + 1])
        if len(rows) <= size:  # back at the newest end: show a full first page
            return product_moves_page(product, size=size)
        page = MovesPage(rows=list(reversed(rows[:size])))
        page.newer = page.rows[0].pk
        page.older = page.rows[-1].pk
        return page
    older = moves.filter(posted_at__lte=t).exclude(posted_at=t, id__gte=pk)
    rows = list(older.order_by("-posted_at", "-id")[: size + 1])
    page = MovesPage(rows=rows[:size])
    page.newer = page.rows[0].pk if page.rows else None
    page.older = rows[size - 1].pk if len(rows) > size else None
    return page


def move_direction(move) -> int:
    """+1 when goods came into a warehouse from outside, -1 when they left it, 0 between two warehouses."""
    into = move.to_location.is_storage
    out_of = move.from_location.is_storage
    if into and not out_of:
        return 1
    if out_of and not into:
        return -1
    return 0
