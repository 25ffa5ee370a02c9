"""Cancelling an order, and everything that hangs on it.

What an order's cancellation does is the sum of its participants. Each is a function

    def participant(*, order, actor, execute: bool) -> list[CancelItem]

that lists what it would cancel (`execute=False`, for the confirmation page) or cancels it and
lists what it did (`execute=True`, inside the order's cancellation transaction). An item with
`blocking=True` stops the cancellation (a paid invoice: the money must be dealt with first).
Sales registers its own (reservations, planned shipments, invoices, tasks); production orders
and supplier requests made for an order plug in from their apps' `ready()`:

    from fabrika.sales.services.cancel import register_cancel_participant
    register_cancel_participant(cancel_production_orders)
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event
from fabrika.crm import services as crm
from fabrika.inventory import services as inventory
from fabrika.inventory.models import Reservation

from ..errors import CancelBlocked, CancelNeedsConfirmation, OrderShipped
from ..models import Invoice, SalesOrder, Shipment
from ._common import check_transition, lock_order
from .reservations import line_reservations


@dataclass(frozen=True)
class CancelItem:
    kind: str  # "reservation", "shipment", "invoice", "task", "production_order"…
    label: str  # "SO-2026-00017/2 · Robot R1 × 3"
    detail: str = ""  # what will happen to it
    url: str = ""
    blocking: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


Participant = Callable[..., list[CancelItem]]
PARTICIPANTS: list[Participant] = []


def register_cancel_participant(fn: Participant) -> Participant:
    """Add a participant (once); usable as a decorator."""
    if fn not in PARTICIPANTS:
        PARTICIPANTS.append(fn)
    return fn


def _num(value) -> str:
    from ..errors import num

    return num(value)


@register_cancel_participant
def reservations_participant(*, order, actor, execute: bool) -> list[CancelItem]:
    items = []
    lines = list(order.lines.select_related("product"))
    active = line_reservations(lines).filter(state=Reservation.State.ACTIVE).select_related("product", "lot")
    for reservation in active.order_by("pk"):
        if execute:
            inventory.release(actor=actor, reservation=reservation)
        items.append(
            CancelItem(
                "reservation",
                f"{reservation.reference} · {reservation.product} × {_num(reservation.open_qty)}",
                _("released back to free stock"),
            )
        )
    return items


@register_cancel_participant
def shipments_participant(*, order, actor, execute: bool) -> list[CancelItem]:
    items = []
    for shipment in order.shipments.filter(state=Shipment.State.PLANNED).select_related("document").order_by("pk"):
        if execute:
            inventory.document_cancel(actor=actor, document=shipment.document)
            shipment.state = Shipment.State.CANCELLED
            shipment.save(update_fields=["state"])
        items.append(
            CancelItem(
                "shipment",
                _("Planned shipment %(number)s") % {"number": shipment.document.number},
                _("cancelled"),
                shipment.document.get_absolute_url(),
            )
        )
    return items


@register_cancel_participant
def invoices_participant(*, order, actor, execute: bool) -> list[CancelItem]:
    from .billing import invoice_cancel

    items = []
    for invoice in order.invoices.exclude(state=Invoice.State.CANCELLED).order_by("pk"):
        if invoice.paid_amount > 0:
            items.append(
                CancelItem(
                    "invoice",
                    _("Invoice %(number)s") % {"number": invoice.number},
                    _("has payments of %(paid)s %(currency)s: take them off it first (refund or prepayment)")
                    % {"paid": invoice.paid_amount, "currency": invoice.currency},
                    invoice.get_absolute_url(),
                    blocking=True,
                )
            )
            continue
        if execute:
            invoice_cancel(actor=actor, invoice=invoice)
        items.append(
            CancelItem(
                "invoice",
                _("Invoice %(number)s") % {"number": invoice.number},
                _("cancelled"),
                invoice.get_absolute_url(),
            )
        )
    return items


@register_cancel_participant
def tasks_participant(*, order, actor, execute: bool) -> list[CancelItem]:
    items = []
    for task in order.tasks.select_related("activity", "activity__owner").filter(activity__done=False).order_by("pk"):
        if execute:
            crm.activity_complete(actor=actor, activity=task.activity)
        items.append(
            CancelItem(
                "task",
                _("Task of %(user)s: %(subject)s") % {"user": task.activity.owner, "subject": task.activity.subject},
                _("closed"),
            )
        )
    return items


def _shipped(order: SalesOrder) -> str:
    shipped = [ln for ln in order.lines.select_related("product") if ln.qty_shipped > 0]
    return ", ".join(f"{ln.product} × {_num(ln.qty_shipped)}" for ln in shipped)


def order_cancel_preview(order: SalesOrder) -> list[CancelItem]:
    """What cancelling the order would cancel (and what stops it: items with `blocking`)."""
    items = []
    for participant in PARTICIPANTS:
        items += participant(order=order, actor=None, execute=False)
    return items


@transaction.atomic
def order_cancel(*, actor, order: SalesOrder, confirm: bool, reason: str = "") -> SalesOrder:
    """Cancel an order before anything was shipped, with everything that hangs on it.

    Without `confirm` nothing happens: `CancelNeedsConfirmation` carries the list of what would be
    cancelled (when there is any). A shipped order is refused (`OrderShipped`); a blocking item
    (a paid invoice) is refused with `CancelBlocked`.
    """
    order = lock_order(order)
    shipped = _shipped(order)
    if shipped:
        raise OrderShipped(order, shipped)
    check_transition(order, SalesOrder.State.CANCELLED)
    preview = order_cancel_preview(order)
    blocking = [item for item in preview if item.blocking]
    if blocking:
        raise CancelBlocked(order, blocking)
    if not confirm:
        raise CancelNeedsConfirmation(order, preview)
    done = []
    for participant in PARTICIPANTS:
        done += participant(order=order, actor=actor, execute=True)
    order.state = SalesOrder.State.CANCELLED
    order.cancelled_at = timezone.now()
    order.cancel_reason = reason.strip()[:300]
    order.save(update_fields=["state", "cancelled_at", "cancel_reason", "updated_at"])
    record_event(
        "sales.order_cancelled",
        order,
        actor=actor,
        reason=order.cancel_reason,
        cancelled=[[item.kind, item.label] for item in done],
    )
    return order
