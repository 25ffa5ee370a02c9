"""Sales errors carry their numbers; the message is in the user's language."""

from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _

from fabrika.core.errors import DomainError


def num(value) -> str:
    """A Decimal as people write it: 7, 2.5 (never 7.000000 or 7E+1)."""
    if value is None:
        return ""
    if hasattr(value, "normalize"):
        value = value.normalize()
        return format(value.quantize(1) if value == value.to_integral_value() else value, "f")
    return str(value)


def amount(value) -> str:
    """Money as the user's language writes it: grouped, two decimals (13,803.00; 13 803,00)."""
    return formats.number_format(Decimal(value), decimal_pos=2, use_l10n=True, force_grouping=True)


class DiscountOverLimit(DomainError):
    code = "discount_over_limit"

    def __init__(self, *, position: int, product, discount, limit):
        self.position, self.product, self.discount, self.limit = position, product, discount, limit
        super().__init__(
            _(
                "Line %(line)s (%(product)s): a discount of %(discount)s %% is more than your limit of "
                "%(limit)s %%. A discount beyond it needs someone with the right to approve sales."
            )
            % {"line": position, "product": product, "discount": num(discount), "limit": num(limit)},
            line=position,
            product=str(product),
            discount=str(discount),
            limit=str(limit),
        )


class PriceChangeNotAllowed(DomainError):
    code = "price_change_not_allowed"

    def __init__(self, *, position: int, product, price, list_price):
        self.position, self.product, self.price, self.list_price = position, product, price, list_price
        super().__init__(
            _(
                "Line %(line)s (%(product)s): the price list says %(list_price)s; a price of %(price)s "
                "needs someone with the right to approve sales."
            )
            % {"line": position, "product": product, "price": amount(price), "list_price": amount(list_price)},
            line=position,
            product=str(product),
            price=str(price),
            list_price=str(list_price),
        )


class MoreThanReserved(DomainError):
    code = "more_than_reserved"

    def __init__(self, *, order_line, wanted, reserved):
        self.order_line, self.wanted, self.reserved = order_line, wanted, reserved
        super().__init__(
            _(
                "%(reference)s (%(product)s): shipping %(wanted)s is more than the %(reserved)s reserved "
                "for the line. Reserve the goods first."
            )
            % {
                "reference": order_line.reference,
                "product": order_line.product,
                "wanted": num(wanted),
                "reserved": num(reserved),
            },
            line=order_line.position,
            product=str(order_line.product),
            wanted=num(wanted),
            reserved=num(reserved),
        )


class MoreThanOrdered(DomainError):
    code = "more_than_ordered"

    def __init__(self, *, order_line, wanted, left, what: str = "ship"):
        self.order_line, self.wanted, self.left = order_line, wanted, left
        texts = {
            "ship": _("%(reference)s (%(product)s): %(wanted)s is more than the %(left)s still to ship."),
            "reserve": _("%(reference)s (%(product)s): %(wanted)s is more than the %(left)s still to reserve."),
            "return": _("%(reference)s (%(product)s): %(wanted)s is more than the %(left)s shipped and not returned."),
        }
        super().__init__(
            texts[what]
            % {
                "reference": order_line.reference,
                "product": order_line.product,
                "wanted": num(wanted),
                "left": num(left),
            },
            line=order_line.position,
            product=str(order_line.product),
            wanted=num(wanted),
            left=num(left),
        )


class OrderShipped(DomainError):
    """Cancelling an order after goods left for it."""

    code = "order_shipped"

    def __init__(self, order, shipped):
        self.order, self.shipped = order, shipped
        super().__init__(
            _(
                "%(number)s cannot be cancelled: goods were shipped for it (%(shipped)s). "
                "Take a return instead, or cancel the shipments first."
            )
            % {"number": order.number, "shipped": shipped},
            number=order.number,
            shipped=shipped,
        )


class CancelNeedsConfirmation(DomainError):
    """Cancelling was asked without confirming; `items` say what it would do."""

    code = "confirm_cancel"

    def __init__(self, order, items):
        self.order, self.items = order, items
        super().__init__(
            _("Confirm cancelling %(number)s: %(count)d related records will be cancelled too.")
            % {"number": order.number, "count": len(items)},
            number=order.number,
            items=[item.as_dict() for item in items],
        )


class CancelBlocked(DomainError):
    code = "cancel_blocked"

    def __init__(self, order, items):
        self.order, self.items = order, items
        super().__init__(
            _("%(number)s cannot be cancelled yet: %(reasons)s")
            % {"number": order.number, "reasons": "; ".join(item.detail or item.label for item in items)},
            number=order.number,
            items=[item.as_dict() for item in items],
        )


class AdvanceRequired(DomainError):
    """Production must wait for the advance payment (advance policy "block")."""

    code = "advance_required"

    def __init__(self, order, required, paid):
        self.order, self.required, self.paid = order, required, paid
        super().__init__(
            _("%(number)s waits for its advance: %(required)s %(currency)s is due, %(paid)s is paid.")
            % {"number": order.number, "required": amount(required), "paid": amount(paid), "currency": order.currency},
            number=order.number,
            required=str(required),
            paid=str(paid),
        )


class OverPayment(DomainError):
    code = "overpayment"

    def __init__(self, invoice, wanted, open_amount):
        self.invoice, self.wanted, self.open_amount = invoice, wanted, open_amount
        super().__init__(
            _("%(number)s has %(open)s %(currency)s left to pay; %(wanted)s cannot go to it.")
            % {
                "number": invoice.number,
                "open": amount(open_amount),
                "wanted": amount(wanted),
                "currency": invoice.currency,
            },
            invoice=invoice.number,
            wanted=str(wanted),
            open=str(open_amount),
        )


class OverAllocation(DomainError):
    code = "overallocation"

    def __init__(self, payment_amount, wanted, left):
        self.payment_amount, self.wanted, self.left = payment_amount, wanted, left
        super().__init__(
            _("The payment has %(left)s left to allocate (of %(amount)s); %(wanted)s is more.")
            % {"left": amount(left), "amount": amount(payment_amount), "wanted": amount(wanted)},
            amount=str(payment_amount),
            wanted=str(wanted),
            left=str(left),
        )


class OverInvoiced(DomainError):
    code = "over_invoiced"

    def __init__(self, order, wanted, left):
        self.order, self.wanted, self.left = order, wanted, left
        super().__init__(
            _("%(number)s has %(left)s %(currency)s left to invoice (of %(total)s); %(wanted)s is more.")
            % {
                "number": order.number,
                "left": amount(left),
                "total": amount(order.total),
                "wanted": amount(wanted),
                "currency": order.currency,
            },
            number=order.number,
            wanted=str(wanted),
            left=str(left),
        )
