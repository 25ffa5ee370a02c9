"""Billing: an order's payment schedule, invoices, payments and their allocation, the advance check.

Invoice amounts are gross (what the customer pays). The VAT in an invoice is
`round(amount × rate / (100 + rate), 2)`; the invoice that brings the order's invoiced amount
to its total takes the order's VAT less the VAT invoiced before, so an order's invoices add up
to its VAT to the cent. Allocating a payment locks the invoices (primary-key order), then the
payment: two people cannot pay the same invoice twice.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event
from fabrika.core import numbering
from fabrika.core.errors import IllegalTransition, ValidationFailed
from fabrika.core.money import money

from ..errors import AdvanceRequired, OverAllocation, OverInvoiced, OverPayment
from ..models import (
    ADVANCE_TRIGGERS,
    Invoice,
    Payment,
    PaymentAllocation,
    PaymentScheduleLine,
    SalesOrder,
    SalesSettings,
    Trigger,
)

ZERO = Decimal("0.00")
Kind = Invoice.Kind
InvoiceState = Invoice.State


# --- the schedule -----------------------------------------------------------------------------


def split_amount(total: Decimal, percents: list[Decimal]) -> list[Decimal]:
    """`total` split by `percents` (adding to 100), each part rounded; the last takes the rest."""
    parts = [money(total * pct / Decimal(100)) for pct in percents[:-1]]
    return [*parts, total - sum(parts, ZERO)] if percents else []


def schedule_build(*, order: SalesOrder) -> list[PaymentScheduleLine]:
    """(Re)make the schedule of a draft order from its payment terms and its total."""
    order.schedule.all().delete()
    if order.payment_terms_id is None:
        return []
    terms = list(order.payment_terms.lines.order_by("position", "id"))
    amounts = split_amount(order.total, [t.percent for t in terms])
    rows = [
        PaymentScheduleLine(order=order, position=i, percent=t.percent, trigger=t.trigger, days=t.days, amount=amount)
        for i, (t, amount) in enumerate(zip(terms, amounts, strict=True), start=1)
    ]
    return PaymentScheduleLine.objects.bulk_create(rows)


EVENT_TRIGGERS = {
    "confirmed": ADVANCE_TRIGGERS,
    "production": (),
    "shipped": (Trigger.ON_SHIPMENT, Trigger.AFTER_SHIPMENT),
}


def schedule_event(*, order: SalesOrder, event: str, on_date: date) -> None:
    """Something happened to the order: the schedule lines waiting for it get their due date."""
    for line in order.schedule.filter(trigger__in=EVENT_TRIGGERS[event], due_date__isnull=True):
        line.due_date = on_date + timedelta(days=line.days)
        line.save(update_fields=["due_date"])


# --- the advance ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdvanceStatus:
    policy: str
    required: Decimal  # the schedule's parts due on confirmation or before production
    paid: Decimal  # paid on the order's invoices

    @property
    def ok(self) -> bool:
        return self.paid >= self.required

    @property
    def missing(self) -> Decimal:
        return max(self.required - self.paid, ZERO)


def order_paid(order: SalesOrder) -> Decimal:
    return (
        Invoice.objects.filter(order=order)
        .exclude(state=InvoiceState.CANCELLED)
        .exclude(kind=Kind.CREDIT)
        .aggregate(s=Sum("paid_amount"))["s"]
        or ZERO
    )


def advance_status(order: SalesOrder) -> AdvanceStatus:
    required = (
        PaymentScheduleLine.objects.filter(order=order, trigger__in=ADVANCE_TRIGGERS).aggregate(s=Sum("amount"))["s"]
        or ZERO
    )
    return AdvanceStatus(order.advance_policy, required, order_paid(order))


def order_advance_ok(order: SalesOrder) -> bool:
    """Whether work may start on the order as far as money goes (always, with the policy "none")."""
    status = advance_status(order)
    return order.advance_policy == SalesOrder.AdvancePolicy.NONE or status.ok


def order_check_advance(*, order: SalesOrder) -> str:
    """Before production starts: raises `AdvanceRequired` (policy "block", advance unpaid);
    returns a warning for the policy "warn" (empty when there is nothing to say)."""
    if order.advance_policy == SalesOrder.AdvancePolicy.NONE:
        return ""
    status = advance_status(order)
    if status.ok:
        return ""
    if order.advance_policy == SalesOrder.AdvancePolicy.BLOCK:
        raise AdvanceRequired(order, status.required, status.paid)
    return str(AdvanceRequired(order, status.required, status.paid))


# --- invoices ---------------------------------------------------------------------------------


def invoiced(order: SalesOrder, *, exclude=None) -> tuple[Decimal, Decimal]:
    """(amount, VAT) of the order's invoices that are not cancelled and not credit notes."""
    qs = Invoice.objects.filter(order=order).exclude(state=InvoiceState.CANCELLED).exclude(kind=Kind.CREDIT)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    row = qs.aggregate(a=Sum("amount"), v=Sum("vat_amount"))
    return row["a"] or ZERO, row["v"] or ZERO


def vat_in(amount: Decimal, rate: Decimal) -> Decimal:
    return money(amount * rate / (Decimal(100) + rate))


@transaction.atomic
def invoice_create(
    *,
    actor,
    order: SalesOrder,
    kind: str = Kind.REGULAR,
    amount: Decimal | None = None,
    schedule_line: PaymentScheduleLine | None = None,
    issue_date: date | None = None,
    due_date: date | None = None,
    note: str = "",
) -> Invoice:
    """Invoice (a part of) a confirmed order.

    `amount` (gross) defaults to the schedule line's amount, else to what is left to invoice. A
    final invoice is always what is left. Invoicing more than the order's total is refused.
    """
    from ._common import lock_order

    order = lock_order(order)
    if order.state in (SalesOrder.State.DRAFT, SalesOrder.State.CANCELLED):
        raise IllegalTransition(
            order,
            order.state,
            "invoice",
            _("%(number)s is %(state)s: it cannot be invoiced.")
            % {"number": order.number, "state": order.get_state_display().lower()},
        )
    if kind not in (Kind.ADVANCE, Kind.FINAL, Kind.REGULAR):
        raise ValidationFailed({"kind": [_("Choose an advance, final or regular invoice.")]})
    if schedule_line is not None:
        schedule_line = PaymentScheduleLine.objects.select_for_update().get(pk=schedule_line.pk)
        if schedule_line.order_id != order.pk:
            raise ValidationFailed({"schedule_line": [_("This schedule line belongs to another order.")]})
        if schedule_line.invoice_id and schedule_line.invoice.state != InvoiceState.CANCELLED:
            raise ValidationFailed(
                {
                    "schedule_line": [
                        _("This part is invoiced already (%(number)s).") % {"number": schedule_line.invoice}
                    ]
                }
            )
    done_amount, done_vat = invoiced(order)
    left = order.total - done_amount
    if kind == Kind.FINAL or amount is None:
        amount = schedule_line.amount if (schedule_line is not None and kind != Kind.FINAL) else left
    amount = Decimal(amount)
    if amount <= 0:
        if left <= 0:
            raise OverInvoiced(order, amount, left)
        raise ValidationFailed({"amount": [_("The amount must be greater than zero.")]})
    if amount != money(amount):
        raise ValidationFailed({"amount": [_("An amount has at most 2 decimal places.")]})
    if amount > left:
        raise OverInvoiced(order, amount, left)
    vat = order.vat_amount - done_vat if amount == left else vat_in(amount, order.vat_rate)
    issue_date = issue_date or timezone.localdate()
    if due_date is None:
        if schedule_line is not None and schedule_line.due_date is not None:
            due_date = max(schedule_line.due_date, issue_date)
        else:
            due_date = issue_date + timedelta(days=SalesSettings.load().invoice_due_days)
    if due_date < issue_date:
        raise ValidationFailed({"due_date": [_("The due date is before the invoice date.")]})
    invoice = Invoice.objects.create(
        number=numbering.next_number("sales.invoice", on_date=issue_date),
        kind=kind,
        order=order,
        counterparty=order.counterparty,
        issue_date=issue_date,
        due_date=due_date,
        currency=order.currency,
        amount=amount,
        vat_rate=order.vat_rate,
        vat_amount=vat,
        note=note,
        created_by=actor,
    )
    if schedule_line is not None:
        schedule_line.invoice = invoice
        schedule_line.save(update_fields=["invoice"])
    record_event("sales.invoice_issued", invoice, actor=actor, order=order.number, kind=kind, amount=amount, vat=vat)
    return invoice


def credit_note_create(*, actor, order: SalesOrder, net: Decimal, note: str = "") -> Invoice:
    """A credit note for `net` (before VAT) of the order's price (goods returned): negative amounts."""
    vat = money(net * order.vat_rate / Decimal(100))
    today = timezone.localdate()
    invoice = Invoice.objects.create(
        number=numbering.next_number("sales.invoice", on_date=today),
        kind=Kind.CREDIT,
        order=order,
        counterparty=order.counterparty,
        issue_date=today,
        due_date=today,
        currency=order.currency,
        amount=-(net + vat),
        vat_rate=order.vat_rate,
        vat_amount=-vat,
        note=note,
        created_by=actor,
    )
    record_event("sales.credit_note_issued", invoice, actor=actor, order=order.number, amount=invoice.amount)
    return invoice


@transaction.atomic
def invoice_cancel(*, actor, invoice: Invoice) -> Invoice:
    """Cancel an invoice nothing was paid on (move its payments away first)."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.state == InvoiceState.CANCELLED:
        raise IllegalTransition(
            invoice, invoice.state, InvoiceState.CANCELLED, _("%(number)s is cancelled already.") % {"number": invoice}
        )
    if invoice.paid_amount > 0:
        raise IllegalTransition(
            invoice,
            invoice.state,
            InvoiceState.CANCELLED,
            _("%(number)s has payments of %(paid)s %(currency)s: take them off the invoice first.")
            % {"number": invoice.number, "paid": invoice.paid_amount, "currency": invoice.currency},
        )
    invoice.state = InvoiceState.CANCELLED
    invoice.cancelled_at = timezone.now()
    invoice.save(update_fields=["state", "cancelled_at"])
    PaymentScheduleLine.objects.filter(invoice=invoice).update(invoice=None)
    record_event("sales.invoice_cancelled", invoice, actor=actor)
    return invoice


def _paid_state(invoice: Invoice) -> str:
    if invoice.paid_amount <= 0:
        return InvoiceState.ISSUED
    if invoice.paid_amount >= invoice.amount:
        return InvoiceState.PAID
    return InvoiceState.PARTLY_PAID


# --- payments ---------------------------------------------------------------------------------


def _check_allocations(payment: Payment, pairs, left: Decimal) -> list[tuple[Invoice, Decimal]]:
    """Lock the invoices (pk order) and check every allocation against them and the payment."""
    if not pairs:
        return []
    wanted: dict[int, Decimal] = {}
    for invoice, amount in pairs:
        amount = Decimal(amount)
        if amount <= 0 or amount != money(amount):
            raise ValidationFailed({"allocations": [_("An allocation is a positive amount with at most 2 decimals.")]})
        wanted[invoice.pk] = wanted.get(invoice.pk, ZERO) + amount
    locked = {i.pk: i for i in Invoice.objects.select_for_update().filter(pk__in=wanted).order_by("pk")}
    checked = []
    for pk, amount in wanted.items():
        invoice = locked[pk]
        if invoice.counterparty_id != payment.counterparty_id:
            raise ValidationFailed(
                {"allocations": [_("%(number)s is another customer's invoice.") % {"number": invoice.number}]}
            )
        if invoice.state == InvoiceState.CANCELLED or invoice.is_credit:
            raise ValidationFailed(
                {"allocations": [_("%(number)s cannot be paid (cancelled or a credit note).") % {"number": invoice}]}
            )
        if invoice.currency != payment.currency:
            raise ValidationFailed(
                {
                    "allocations": [
                        _("%(number)s is in %(currency)s.") % {"number": invoice, "currency": invoice.currency}
                    ]
                }
            )
        if amount > invoice.open_amount:
            raise OverPayment(invoice, amount, invoice.open_amount)
        checked.append((invoice, amount))
    total = sum((a for _i, a in checked), ZERO)
    if total > left:
        raise OverAllocation(payment.amount, total, left)
    return checked


def _allocate(payment: Payment, checked) -> None:
    for invoice, amount in checked:
        allocation = PaymentAllocation.objects.filter(payment=payment, invoice=invoice).first()
        if allocation is None:
            PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=amount)
        else:
            allocation.amount += amount
            allocation.save(update_fields=["amount"])
        invoice.paid_amount += amount
        invoice.state = _paid_state(invoice)
        invoice.save(update_fields=["paid_amount", "state"])
    payment.allocated_amount += sum((a for _i, a in checked), ZERO)
    payment.save(update_fields=["allocated_amount"])


def open_invoices(counterparty, currency: str):
    """The customer's invoices still to be paid, the ones due first first."""
    return (
        Invoice.objects.filter(
            counterparty=counterparty, currency=currency, state__in=[InvoiceState.ISSUED, InvoiceState.PARTLY_PAID]
        )
        .exclude(kind=Kind.CREDIT)
        .order_by("due_date", "issue_date", "id")
    )


@transaction.atomic
def payment_create(
    *,
    actor,
    counterparty,
    date: date,
    amount: Decimal,
    currency: str = "",
    reference: str = "",
    note: str = "",
    allocations: list[tuple[Invoice, Decimal]] | None = None,
    auto_allocate: bool = False,
) -> Payment:
    """Record money received. `allocations` say which invoices it pays; `auto_allocate` pays the
    customer's open invoices, the ones due first first, as far as the money goes. Whatever is not
    allocated stays on the payment (a prepayment to allocate later)."""
    from fabrika.core.models import CompanySettings

    amount = Decimal(amount) if amount is not None else None
    errors = {}
    if amount is None or amount <= 0:
        errors["amount"] = [_("The amount must be greater than zero.")]
    elif amount != money(amount):
        errors["amount"] = [_("An amount has at most 2 decimal places.")]
    if date is None:
        errors["date"] = [_("Enter the date.")]
    elif date > timezone.localdate():
        errors["date"] = [_("A payment cannot be dated in the future.")]
    if counterparty is None:
        errors["counterparty"] = [_("Choose the customer.")]
    if errors:
        raise ValidationFailed(errors)
    currency = (currency or CompanySettings.load().currency).upper()
    payment = Payment(
        counterparty=counterparty,
        date=date,
        amount=amount,
        currency=currency,
        reference=reference.strip(),
        note=note,
        created_by=actor,
    )
    if auto_allocate and not allocations:
        allocations, rest = [], amount
        for invoice in open_invoices(counterparty, currency):
            if rest <= 0:
                break
            take = min(rest, invoice.open_amount)
            allocations.append((invoice, take))
            rest -= take
    checked = _check_allocations(payment, allocations or [], amount)
    payment.number = numbering.next_number("sales.payment", on_date=date)
    payment.save()
    _allocate(payment, checked)
    record_event(
        "sales.payment_received",
        payment,
        actor=actor,
        counterparty=counterparty.pk,
        amount=amount,
        allocations=[[i.number, a] for i, a in checked],
    )
    return payment


@transaction.atomic
def payment_allocate(*, actor, payment: Payment, allocations: list[tuple[Invoice, Decimal]]) -> Payment:
    """Put (more of) a payment on invoices."""
    # Invoices first, then the payment: the same order as taking a payment off an invoice.
    list(
        Invoice.objects.select_for_update()
        .filter(pk__in={i.pk for i, _a in allocations})
        .order_by("pk")
        .values_list("pk")
    )
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    checked = _check_allocations(payment, allocations, payment.unallocated)
    _allocate(payment, checked)
    record_event("sales.payment_allocated", payment, actor=actor, allocations=[[i.number, a] for i, a in checked])
    return payment


@transaction.atomic
def payment_unallocate(*, actor, allocation: PaymentAllocation) -> Payment:
    """Take a payment off an invoice: the money stays on the payment, the invoice is open again."""
    invoice = Invoice.objects.select_for_update().get(pk=allocation.invoice_id)
    payment = Payment.objects.select_for_update().get(pk=allocation.payment_id)
    allocation = PaymentAllocation.objects.get(pk=allocation.pk)
    invoice.paid_amount -= allocation.amount
    invoice.state = _paid_state(invoice) if invoice.state != InvoiceState.CANCELLED else invoice.state
    invoice.save(update_fields=["paid_amount", "state"])
    payment.allocated_amount -= allocation.amount
    payment.save(update_fields=["allocated_amount"])
    record_event("sales.payment_unallocated", payment, actor=actor, invoice=invoice.number, amount=allocation.amount)
    allocation.delete()
    return payment


@transaction.atomic
def payment_delete(*, actor, payment: Payment) -> None:
    """Delete a payment entered by mistake: its allocations go, the invoices are open again."""
    for allocation in list(payment.allocations.order_by("invoice_id")):
        payment_unallocate(actor=actor, allocation=allocation)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    record_event("sales.payment_deleted", payment, actor=actor, number=payment.number, amount=payment.amount)
    payment.delete()
