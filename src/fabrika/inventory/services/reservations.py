"""Reservations hold stock for an order line; they take the same balance lock as posting."""

from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event
from fabrika.core.errors import IllegalTransition, ValidationFailed

from ..errors import InsufficientStock
from ..models import CostLayer, Lot, Reservation
from .posting import lock_balances


@transaction.atomic
def reserve(
    *,
    actor,
    product,
    warehouse,
    qty: Decimal,
    reference: str,
    lot: Lot | None = None,
    counterparty=None,
    source=None,
) -> Reservation:
    """Hold `qty` of `product` in `warehouse` (optionally one lot). Refused beyond what is available.

    `source` is the record the goods are held for (an order line…), kept as a generic link;
    `reference` stays the readable name of it.
    """
    if qty is None or qty <= 0:
        raise ValidationFailed({"qty": [_("The quantity must be greater than zero.")]})
    if not reference.strip():
        raise ValidationFailed({"reference": [_("Say what the goods are reserved for.")]})
    balance = lock_balances([(product.pk, warehouse.pk)])[(product.pk, warehouse.pk)]
    if lot is not None:
        on_hand = CostLayer.objects.filter(product=product, warehouse=warehouse, lot=lot).aggregate(
            q=Sum("remaining_qty")
        )["q"] or Decimal("0")
        held = Reservation.objects.filter(
            product=product, warehouse=warehouse, lot=lot, state=Reservation.State.ACTIVE
        ).aggregate(q=Sum(F("qty") - F("qty_consumed")))["q"] or Decimal("0")
        # A lot reservation needs the lot's free quantity and the warehouse's: goods reserved for
        # others without a lot may be in this very lot.
        available = min(on_hand - held, balance.qty - balance.reserved)
    else:
        available = balance.qty - balance.reserved
    if qty > available:
        raise InsufficientStock(product, warehouse, qty, max(available, Decimal("0")), lot=lot)
    reservation = Reservation.objects.create(
        product=product,
        warehouse=warehouse,
        lot=lot,
        qty=qty,
        reference=reference.strip(),
        counterparty=counterparty,
        source=source,
        created_by=actor,
    )
    balance.reserved += qty
    balance.save(update_fields=["reserved"])
    record_event("inventory.reserved", reservation, actor=actor, qty=qty, reference=reference)
    return reservation


@transaction.atomic
def release(*, actor, reservation: Reservation) -> Reservation:
    """Give the still-unshipped part of a reservation back to free stock."""
    key = (reservation.product_id, reservation.warehouse_id)
    balance = lock_balances([key])[key]
    reservation = Reservation.objects.select_for_update().get(pk=reservation.pk)
    if reservation.state != Reservation.State.ACTIVE:
        raise IllegalTransition(
            reservation, reservation.state, Reservation.State.RELEASED, _("This reservation is no longer active.")
        )
    left = reservation.qty - reservation.qty_consumed
    reservation.state = Reservation.State.RELEASED
    reservation.save(update_fields=["state"])
    balance.reserved -= left
    balance.save(update_fields=["reserved"])
    record_event("inventory.released", reservation, actor=actor, qty=left)
    return reservation
