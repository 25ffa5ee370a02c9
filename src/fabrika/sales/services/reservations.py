"""Holding stock for an order's lines, through `fabrika.inventory.services.reserve/release`.

A reservation names its order line as its `source` (and "SO-2026-00017/3" as its reference). The
order row is locked first, then all the balance rows the order needs in primary-key order: two
orders reserving the same goods wait for each other and never deadlock.
"""

from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fabrika.audit.services import record_event
from fabrika.core.errors import ValidationFailed
from fabrika.inventory import services as inventory
from fabrika.inventory.errors import InsufficientStock
from fabrika.inventory.models import Balance, Reservation
from fabrika.inventory.services.posting import lock_balances

from ..errors import MoreThanOrdered
from ..models import SalesOrder, SalesOrderLine
from ._common import lock_order, require_open

ZERO = Decimal("0")


def line_reservations(lines):
    """The reservations of these order lines (a queryset)."""
    ids = [line.pk for line in lines] if not isinstance(lines, SalesOrderLine) else [lines.pk]
    return Reservation.objects.filter(source_type=ContentType.objects.get_for_model(SalesOrderLine), source_id__in=ids)


def reserved_open(line: SalesOrderLine) -> Decimal:
    """What is still held for the line, in base units."""
    return (
        line_reservations(line)
        .filter(state=Reservation.State.ACTIVE)
        .aggregate(q=Sum(F("qty") - F("qty_consumed")))["q"]
        or ZERO
    )


def still_needed(line: SalesOrderLine) -> Decimal:
    """Base units the line still needs held: not shipped and not reserved yet."""
    to_ship = max(line.qty - line.qty_shipped, ZERO) * line.factor
    return max(to_ship - reserved_open(line), ZERO)


def _reserve(actor, order, line, qty, lot=None) -> Reservation:
    reservation = inventory.reserve(
        actor=actor,
        product=line.product,
        warehouse=order.warehouse,
        qty=qty,
        reference=line.reference,
        lot=lot,
        counterparty=order.counterparty,
        source=line,
    )
    record_event("sales.line_reserved", order, actor=actor, line=line.position, qty=qty, reservation=reservation.pk)
    return reservation


@transaction.atomic
def order_reserve_line(*, actor, line: SalesOrderLine, qty: Decimal | None = None, lot=None) -> Reservation:
    """Hold `qty` (base units; default: all the line still needs) for an order line."""
    order = lock_order(line.order)
    require_open(order, pgettext("nothing can be ... for it", "reserved"))
    line = SalesOrderLine.objects.select_related("product", "order").get(pk=line.pk, order=order)
    if not line.product.is_stocked:
        raise ValidationFailed(
            {"line": [_("%(product)s is a service and is not stocked.") % {"product": line.product}]}
        )
    lock_balances([(line.product_id, order.warehouse_id)])
    needed = still_needed(line)
    if qty is None:
        qty = needed
        if qty <= 0:
            raise ValidationFailed({"qty": [_("%(reference)s is reserved in full.") % {"reference": line.reference}]})
    qty = Decimal(qty)
    if qty <= 0:
        raise ValidationFailed({"qty": [_("The quantity must be greater than zero.")]})
    if qty > needed:
        raise MoreThanOrdered(order_line=line, wanted=qty, left=needed, what="reserve")
    return _reserve(actor, order, line, qty, lot)


@transaction.atomic
def order_reserve(*, actor, order: SalesOrder, partial: bool = False) -> list[Reservation]:
    """Hold what every stocked line still needs. All or nothing (`InsufficientStock` names the first
    line that cannot be held in full), or with `partial` as much as there is free."""
    order = lock_order(order)
    require_open(order, pgettext("nothing can be ... for it", "reserved"))
    lines = [ln for ln in order.lines.select_related("product", "order").order_by("position") if ln.product.is_stocked]
    balances = lock_balances([(ln.product_id, order.warehouse_id) for ln in lines])
    made = []
    for line in lines:
        needed = still_needed(line)
        if needed <= 0:
            continue
        if partial:
            balance = balances.get((line.product_id, order.warehouse_id)) or Balance.objects.get(
                product_id=line.product_id, warehouse_id=order.warehouse_id
            )
            balance.refresh_from_db(fields=["qty", "reserved"])
            free = balance.qty - balance.reserved
            needed = min(needed, free)
            if needed <= 0:
                continue
        try:
            made.append(_reserve(actor, order, line, needed))
        except InsufficientStock:
            if not partial:
                raise
    return made


@transaction.atomic
def order_release_line(*, actor, line: SalesOrderLine) -> list[Reservation]:
    """Give back everything held for the line and not shipped."""
    order = lock_order(line.order)
    released = []
    for reservation in line_reservations(line).filter(state=Reservation.State.ACTIVE).order_by("pk"):
        released.append(inventory.release(actor=actor, reservation=reservation))
    if released:
        record_event("sales.line_released", order, actor=actor, line=line.position, reservations=len(released))
    return released


@transaction.atomic
def order_release(*, actor, order: SalesOrder) -> list[Reservation]:
    order = lock_order(order)
    lines = list(order.lines.all())
    keys = {(ln.product_id, order.warehouse_id) for ln in lines}
    lock_balances(list(keys))
    released = []
    for reservation in line_reservations(lines).filter(state=Reservation.State.ACTIVE).order_by("pk"):
        released.append(inventory.release(actor=actor, reservation=reservation))
    if released:
        record_event("sales.order_released", order, actor=actor, reservations=len(released))
    return released
