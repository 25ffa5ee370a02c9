"""Shipping an order's goods and taking them back.

A shipment is an inventory SHIPMENT document whose lines consume the order lines' reservations
(oldest first): only reserved goods leave for an order, and shipping more than is reserved is
refused with the numbers. A shipment may be planned (a draft document, on the calendar) and
posted later, or posted at once. A customer return is a posted CUSTOMER_RETURN document, with a
credit note when asked.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fabrika.audit.services import record_event
from fabrika.core.errors import IllegalTransition, ValidationFailed
from fabrika.core.money import money
from fabrika.inventory import services as inventory
from fabrika.inventory.models import Reservation, StockDocument
from fabrika.inventory.services.posting import lock_balances

from ..errors import MoreThanOrdered, MoreThanReserved
from ..models import SalesOrder, SalesOrderLine, SalesReturn, SalesReturnLine, Shipment, ShipmentLine, line_amount
from . import billing
from ._common import lock_order, require_open
from .orders import follow_shipments
from .reservations import line_reservations

ZERO = Decimal("0")
Type = StockDocument.Type


def planned_qty(line: SalesOrderLine, *, exclude=None) -> Decimal:
    """What planned (not yet posted) shipments will take of the line, in the line's unit."""
    qs = ShipmentLine.objects.filter(order_line=line, shipment__state=Shipment.State.PLANNED)
    if exclude is not None:
        qs = qs.exclude(shipment=exclude)
    return qs.aggregate(q=Sum("qty"))["q"] or ZERO


def _grouped(order: SalesOrder, lines) -> list[tuple[SalesOrderLine, Decimal]]:
    """The (order line, qty) pairs checked for shape, one pair per line (quantities of a line added)."""
    if not lines:
        raise ValidationFailed({"lines": [_("Say what to ship.")]})
    by_line: dict[int, list] = {}
    for index, (line, qty) in enumerate(lines):
        if line is None or line.order_id != order.pk:
            raise ValidationFailed({f"lines.{index}.line": [_("This line belongs to another order.")]})
        qty = Decimal(qty) if qty is not None else None
        if qty is None or qty <= 0:
            raise ValidationFailed({f"lines.{index}.qty": [_("The quantity must be greater than zero.")]})
        by_line.setdefault(line.pk, [None, ZERO])
        by_line[line.pk][1] += qty
    fresh = {ln.pk: ln for ln in order.lines.select_related("product", "order").filter(pk__in=by_line)}
    pairs = []
    for pk, (_none, qty) in by_line.items():
        line = fresh[pk]
        if not line.product.is_stocked:
            raise ValidationFailed(
                {"lines": [_("%(product)s is a service and is not shipped.") % {"product": line.product}]}
            )
        pairs.append((line, qty))
    return sorted(pairs, key=lambda pair: pair[0].position)


def _document_lines(line: SalesOrderLine, qty: Decimal, *, claimed_base: Decimal) -> list[dict]:
    """Stock document lines taking `qty` of the line from its reservations, oldest first.

    `claimed_base`: base units of the reservations other planned shipments will take already.
    """
    wanted = qty * line.factor
    pieces, left, skip = [], wanted, claimed_base
    reservations = line_reservations(line).filter(state=Reservation.State.ACTIVE).select_related("lot")
    for reservation in reservations.order_by("created_at", "pk"):
        free = reservation.qty - reservation.qty_consumed
        if skip > 0:
            used = min(skip, free)
            free -= used
            skip -= used
        take = min(free, left)
        if take <= 0:
            continue
        pieces.append(
            {
                "product": line.product,
                "qty": take,
                "unit": None,
                "lot": reservation.lot,
                "reservation": reservation,
            }
        )
        left -= take
        if left <= 0:
            break
    if left > 0:
        raise MoreThanReserved(order_line=line, wanted=qty, reserved=(wanted - left) / line.factor)
    return pieces


@transaction.atomic
def shipment_create(
    *,
    actor,
    order: SalesOrder,
    lines: list[tuple[SalesOrderLine, Decimal]],
    carrier: str = "",
    vehicle: str = "",
    delivery_address: str = "",
    shipping_cost: Decimal = ZERO,
    planned_delivery=None,
    post: bool = True,
    date=None,
) -> Shipment:
    """Ship (or plan to ship, `post=False`) quantities of an order's lines, in the lines' units."""
    order = lock_order(order)
    require_open(order, pgettext("nothing can be ... for it", "shipped"))
    pairs = _grouped(order, lines)
    shipping_cost = Decimal(shipping_cost or 0)
    if shipping_cost < 0:
        raise ValidationFailed({"shipping_cost": [_("The shipping cost cannot be negative.")]})
    lock_balances([(line.product_id, order.warehouse_id) for line, _qty in pairs])
    doc_lines = []
    for line, qty in pairs:
        planned = planned_qty(line)
        left = line.qty - line.qty_shipped - planned
        if qty > left:
            raise MoreThanOrdered(order_line=line, wanted=qty, left=max(left, ZERO))
        doc_lines += _document_lines(line, qty, claimed_base=planned * line.factor)
    document = inventory.document_create(
        actor=actor,
        type=Type.SHIPMENT,
        data={
            "warehouse": order.warehouse,
            "counterparty": order.counterparty,
            "date": date or timezone.now(),
            "comment": _("Order %(number)s") % {"number": order.number},
        },
        lines=doc_lines,
    )
    shipment = Shipment.objects.create(
        order=order,
        document=document,
        carrier=carrier.strip(),
        vehicle=vehicle.strip(),
        delivery_address=(delivery_address or order.delivery_address).strip(),
        shipping_cost=money(shipping_cost),
        planned_delivery=planned_delivery,
        created_by=actor,
    )
    ShipmentLine.objects.bulk_create([ShipmentLine(shipment=shipment, order_line=ln, qty=q) for ln, q in pairs])
    record_event(
        "sales.shipment_planned",
        order,
        actor=actor,
        shipment=shipment.pk,
        document=document.number,
        lines=[[ln.position, q] for ln, q in pairs],
    )
    if post:
        _post(actor, order, shipment)
    return shipment


def _post(actor, order: SalesOrder, shipment: Shipment) -> None:
    shipment.document = inventory.document_post(actor=actor, document=shipment.document)
    for ship_line in shipment.lines.select_related("order_line"):
        line = ship_line.order_line
        line.qty_shipped += ship_line.qty
        line.save(update_fields=["qty_shipped"])
    shipment.state = Shipment.State.SHIPPED
    shipment.shipped_at = timezone.now()
    shipment.save(update_fields=["state", "shipped_at"])
    record_event("sales.shipment_posted", order, actor=actor, shipment=shipment.pk, document=shipment.document.number)
    follow_shipments(actor=actor, order=order)


@transaction.atomic
def shipment_post(*, actor, shipment: Shipment) -> Shipment:
    """A planned shipment leaves now."""
    order = lock_order(shipment.order)
    shipment = Shipment.objects.select_for_update().select_related("document").get(pk=shipment.pk)
    if shipment.state != Shipment.State.PLANNED:
        raise IllegalTransition(
            shipment,
            shipment.state,
            Shipment.State.SHIPPED,
            _("%(number)s is %(state)s already.") % {"number": shipment, "state": shipment.get_state_display().lower()},
        )
    require_open(order, pgettext("nothing can be ... for it", "shipped"))
    _post(actor, order, shipment)
    return shipment


@transaction.atomic
def shipment_cancel(*, actor, shipment: Shipment) -> Shipment:
    """Drop a planned shipment, or reverse a posted one (the goods come back to free stock)."""
    order = lock_order(shipment.order)
    shipment = Shipment.objects.select_for_update().select_related("document").get(pk=shipment.pk)
    if shipment.state == Shipment.State.CANCELLED or order.state in (SalesOrder.State.CLOSED,):
        raise IllegalTransition(
            shipment,
            shipment.state,
            Shipment.State.CANCELLED,
            _("%(number)s cannot be cancelled (the shipment is cancelled or the order closed).") % {"number": shipment},
        )
    was_shipped = shipment.state == Shipment.State.SHIPPED
    if was_shipped:
        for ship_line in shipment.lines.select_related("order_line"):
            line = ship_line.order_line
            if line.qty_shipped - ship_line.qty < line.qty_returned:
                raise ValidationFailed(
                    {"__all__": [_("Goods of this shipment were returned: the shipment cannot be cancelled.")]}
                )
            line.qty_shipped -= ship_line.qty
            line.save(update_fields=["qty_shipped"])
    shipment.document = inventory.document_cancel(actor=actor, document=shipment.document)
    shipment.state = Shipment.State.CANCELLED
    shipment.save(update_fields=["state"])
    record_event("sales.shipment_cancelled", order, actor=actor, shipment=shipment.pk, reversed=was_shipped)
    if was_shipped:
        follow_shipments(actor=actor, order=order)
    return shipment


@transaction.atomic
def order_return(
    *,
    actor,
    order: SalesOrder,
    lines: list[tuple[SalesOrderLine, Decimal]],
    credit: bool,
    reason: str = "",
    date=None,
) -> SalesReturn:
    """The customer sends goods back: a posted return document (goods in at their current cost),
    and with `credit` a credit note for their price (with the line's discount, plus VAT)."""
    order = lock_order(order)
    if order.state not in (SalesOrder.State.PARTLY_SHIPPED, SalesOrder.State.SHIPPED, SalesOrder.State.CLOSED):
        raise IllegalTransition(
            order,
            order.state,
            "return",
            _("Nothing was shipped for %(number)s: there is nothing to return.") % {"number": order.number},
        )
    pairs = _grouped(order, lines)
    doc_lines, net = [], Decimal("0.00")
    amounts = []
    for line, qty in pairs:
        returnable = line.qty_shipped - line.qty_returned
        if qty > returnable:
            raise MoreThanOrdered(order_line=line, wanted=qty, left=returnable, what="return")
        doc_lines.append({"product": line.product, "qty": qty * line.factor, "unit": None})
        amount = line_amount(qty, line.price, line.discount_pct)
        amounts.append(amount)
        net += amount
    document = inventory.document_create(
        actor=actor,
        type=Type.CUSTOMER_RETURN,
        data={
            "warehouse": order.warehouse,
            "counterparty": order.counterparty,
            "date": date or timezone.now(),
            "comment": _("Return for order %(number)s") % {"number": order.number},
            "reason": reason[:255],
        },
        lines=doc_lines,
    )
    document = inventory.document_post(actor=actor, document=document)
    credit_note = None
    if credit and net > 0:
        credit_note = billing.credit_note_create(
            actor=actor, order=order, net=net, note=_("Goods returned: %(number)s") % {"number": document.number}
        )
    sales_return = SalesReturn.objects.create(
        order=order, document=document, credit_note=credit_note, reason=reason[:255], created_by=actor
    )
    for (line, qty), amount in zip(pairs, amounts, strict=True):
        SalesReturnLine.objects.create(sales_return=sales_return, order_line=line, qty=qty, amount=amount)
        line.qty_returned += qty
        line.save(update_fields=["qty_returned"])
    record_event(
        "sales.goods_returned",
        order,
        actor=actor,
        document=document.number,
        credit_note=credit_note.number if credit_note else None,
        lines=[[ln.position, q] for ln, q in pairs],
    )
    return sales_return
