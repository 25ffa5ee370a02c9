"""Inventory errors carry their numbers; the message is in the user's language."""

from django.utils.translation import gettext as _

from fabrika.core.errors import DomainError


def _num(value) -> str:
    text = format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)
    return text


class InsufficientStock(DomainError):
    code = "insufficient_stock"

    def __init__(self, product, warehouse, wanted, available, lot=None, at=None):
        self.product, self.warehouse, self.wanted, self.available, self.lot, self.at = (
            product,
            warehouse,
            wanted,
            available,
            lot,
            at,
        )
        if lot is not None:
            message = _(
                "Not enough %(product)s (lot %(lot)s) in %(warehouse)s: wanted %(wanted)s, available %(available)s"
            ) % {
                "product": product,
                "lot": lot,
                "warehouse": warehouse,
                "wanted": _num(wanted),
                "available": _num(available),
            }
        else:
            message = _("Not enough %(product)s in %(warehouse)s: wanted %(wanted)s, available %(available)s") % {
                "product": product,
                "warehouse": warehouse,
                "wanted": _num(wanted),
                "available": _num(available),
            }
        if at is not None:
            message += " " + _("(at %(time)s, after a backdated posting)") % {"time": at}
        super().__init__(
            message,
            product=str(product),
            warehouse=str(warehouse),
            wanted=str(wanted),
            available=str(available),
            lot=str(lot) if lot is not None else None,
        )


class PeriodClosed(DomainError):
    code = "period_closed"

    def __init__(self, period, posted_at):
        self.period, self.posted_at = period, posted_at
        super().__init__(
            _("The period %(period)s is closed: nothing can be posted on %(date)s.")
            % {"period": period, "date": posted_at.date()},
            period=str(period),
        )


class InvalidMove(DomainError):
    code = "invalid_move"


class ImmutableLedger(DomainError):
    code = "immutable_ledger"


class PeriodNotClosable(DomainError):
    """A month cannot be closed yet (draft documents dated in it): the data names them."""

    code = "period_not_closable"
