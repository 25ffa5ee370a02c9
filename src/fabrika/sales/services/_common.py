"""Helpers the sales services share: locking an order, checking a move of its state."""

from django.utils.translation import gettext as _

from fabrika.core.errors import IllegalTransition

from ..models import SalesOrder

State = SalesOrder.State


def lock_order(order: SalesOrder) -> SalesOrder:
    """The order row locked for this transaction, fresh from the database.

    Every service that changes an order (or what hangs on it: reservations, shipments, invoices)
    takes this lock first, then the warehouse's balance locks, always in that order.
    """
    return (
        SalesOrder.objects.select_for_update(of=("self",)).select_related("warehouse", "counterparty").get(pk=order.pk)
    )


def check_transition(order: SalesOrder, target: str, *, allowed=None) -> None:
    if (order.state, target) not in (allowed if allowed is not None else SalesOrder.TRANSITIONS):
        raise IllegalTransition(
            order,
            order.state,
            target,
            _("%(number)s is %(state)s and cannot become %(target)s.")
            % {
                "number": order.number,
                "state": order.get_state_display().lower(),
                "target": str(State(target).label).lower(),
            },
        )


def require_open(order: SalesOrder, what: str) -> None:
    """Reserving, shipping, invoicing happen on a confirmed order that is not finished."""
    if order.state not in SalesOrder.OPEN_STATES:
        raise IllegalTransition(
            order,
            order.state,
            what,
            _("%(number)s is %(state)s: nothing can be %(what)s for it.")
            % {"number": order.number, "state": order.get_state_display().lower(), "what": what},
        )
