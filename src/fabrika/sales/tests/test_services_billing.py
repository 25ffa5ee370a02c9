"""Schedule, invoices (VAT to the cent), payments and their allocation, the advance check, overdue."""

import datetime
from decimal import Decimal as D

import pytest
from django.utils import timezone

from fabrika.core.errors import IllegalTransition, ValidationFailed
from fabrika.sales.errors import AdvanceRequired, OverAllocation, OverInvoiced, OverPayment
from fabrika.sales.models import Invoice, SalesOrder
from fabrika.sales.queries import receivable_totals, receivables
from fabrika.sales.services import (
    advance_status,
    invoice_cancel,
    invoice_create,
    order_advance_ok,
    order_check_advance,
    order_confirm,
    order_reserve,
    order_start_work,
    order_update,
    payment_allocate,
    payment_create,
    payment_delete,
    payment_unallocate,
    shipment_create,
)

from .conftest import row_counts

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def test_advance_and_final_invoices_add_up_to_the_order_to_the_cent(shop, make_order, half_and_half):
    # 3 × 1450.00 −5 % = 4132.50; 7 × 189.00 −2.5 % = 1289.93; 333.33 → 5755.76 + VAT 1151.15 = 6906.91
    order = make_order(
        [
            shop.line(shop.robot, 3, discount_pct=D("5")),
            shop.line(shop.kit, 7, discount_pct=D("2.5")),
            shop.line(shop.setup, 1, price=D("333.33")),
        ],
        payment_terms=half_and_half,
        confirm=True,
    )
    advance_part, delivery_part = order.schedule.all()
    assert advance_part.due_date == TODAY() and delivery_part.due_date is None
    advance = invoice_create(actor=shop.manager, order=order, kind="advance", schedule_line=advance_part)
    # 3453.46 with VAT: VAT = 3453.46 × 20 / 120 = 575.5766… → 575.58
    assert (advance.amount, advance.vat_amount, advance.net_amount) == (D("3453.46"), D("575.58"), D("2877.88"))
    assert advance.due_date == TODAY()
    assert advance.number == f"INV-{TODAY().year}-00001"
    advance_part.refresh_from_db()
    assert advance_part.invoice == advance
    final = invoice_create(actor=shop.manager, order=order, kind="final")
    # what is left: 3453.45; its VAT is the order's VAT less the advance's: 1151.15 − 575.58
    assert (final.amount, final.vat_amount) == (D("3453.45"), D("575.57"))
    assert final.due_date == TODAY() + datetime.timedelta(days=14)
    before = row_counts()
    with pytest.raises(OverInvoiced) as exc:
        invoice_create(actor=shop.manager, order=order, amount=D("0.01"))
    assert str(exc.value) == f"{order.number} has 0.00 EUR left to invoice (of 6,906.91); 0.01 is more."
    assert row_counts() == before


def test_invoicing_is_refused_for_drafts_and_bad_amounts(shop, make_order):
    order = make_order()
    with pytest.raises(IllegalTransition):
        invoice_create(actor=shop.manager, order=order)
    order = order_confirm(actor=shop.manager, order=order)
    before = row_counts()
    for amount in (D("-5"), D("0"), D("1.234")):
        with pytest.raises(ValidationFailed):
            invoice_create(actor=shop.manager, order=order, amount=amount)
    with pytest.raises(ValidationFailed):
        invoice_create(actor=shop.manager, order=order, kind="credit", amount=D("1"))
    with pytest.raises(OverInvoiced):
        invoice_create(actor=shop.manager, order=order, amount=order.total + D("0.01"))
    assert row_counts() == before


def test_payments_are_allocated_and_overpayment_refused_with_the_numbers(shop, make_order):
    order = make_order(confirm=True)  # 3 × 1450.00 = 4350.00 + VAT 870.00 = 5220.00
    first = invoice_create(actor=shop.manager, order=order, amount=D("2000.00"))
    second = invoice_create(actor=shop.manager, order=order)
    assert second.amount == D("3220.00")
    before = row_counts()
    with pytest.raises(OverPayment) as exc:
        payment_create(
            actor=shop.manager,
            counterparty=shop.customer,
            date=TODAY(),
            amount=D("2500"),
            allocations=[(first, D("2000.01"))],
        )
    assert str(exc.value) == f"{first.number} has 2,000.00 EUR left to pay; 2,000.01 cannot go to it."
    assert exc.value.data == {"invoice": first.number, "wanted": "2000.01", "open": "2000.00"}
    with pytest.raises(OverAllocation) as exc:
        payment_create(
            actor=shop.manager,
            counterparty=shop.customer,
            date=TODAY(),
            amount=D("100"),
            allocations=[(first, D("60")), (second, D("50"))],
        )
    assert str(exc.value) == "The payment has 100.00 left to allocate (of 100.00); 110.00 is more."
    with pytest.raises(ValidationFailed) as exc:
        payment_create(actor=shop.manager, counterparty=shop.customer, date=TODAY(), amount=D("-3"))
    with pytest.raises(ValidationFailed):
        payment_create(
            actor=shop.manager,
            counterparty=shop.other_customer,
            date=TODAY(),
            amount=D("10"),
            allocations=[(first, D("10"))],
        )
    assert row_counts() == before
    payment = payment_create(
        actor=shop.manager,
        counterparty=shop.customer,
        date=TODAY(),
        amount=D("2500.00"),
        reference="Bank 4711",
        allocations=[(first, D("2000.00")), (second, D("300.00"))],
    )
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.state, first.paid_amount) == (Invoice.State.PAID, D("2000.00"))
    assert (second.state, second.paid_amount, second.open_amount) == ("partly_paid", D("300.00"), D("2920.00"))
    assert (payment.allocated_amount, payment.unallocated) == (D("2300.00"), D("200.00"))
    payment_allocate(actor=shop.manager, payment=payment, allocations=[(second, D("200.00"))])
    second.refresh_from_db()
    assert second.paid_amount == D("500.00")
    with pytest.raises(OverAllocation):
        payment_allocate(actor=shop.manager, payment=payment, allocations=[(second, D("0.01"))])
    with pytest.raises(IllegalTransition):
        invoice_cancel(actor=shop.manager, invoice=first)
    payment_unallocate(actor=shop.manager, allocation=payment.allocations.get(invoice=first))
    first.refresh_from_db()
    assert (first.state, first.paid_amount) == (Invoice.State.ISSUED, D("0.00"))
    payment_delete(actor=shop.manager, payment=payment)
    second.refresh_from_db()
    assert (second.state, second.paid_amount) == (Invoice.State.ISSUED, D("0.00"))


def test_auto_allocation_pays_the_invoices_due_first(shop, make_order):
    order = make_order(confirm=True)
    later = invoice_create(
        actor=shop.manager, order=order, amount=D("1000.00"), due_date=TODAY() + datetime.timedelta(30)
    )
    sooner = invoice_create(
        actor=shop.manager, order=order, amount=D("800.00"), due_date=TODAY() + datetime.timedelta(5)
    )
    payment = payment_create(
        actor=shop.manager, counterparty=shop.customer, date=TODAY(), amount=D("1500.00"), auto_allocate=True
    )
    assert [(a.invoice, a.amount) for a in payment.allocations.order_by("id")] == [
        (sooner, D("800.00")),
        (later, D("700.00")),
    ]


def test_the_advance_check_for_production(shop, make_order, half_and_half):
    order = make_order(payment_terms=half_and_half, advance_policy="block", confirm=True)  # total 5220.00
    status = advance_status(order)
    assert (status.required, status.paid, status.ok) == (D("2610.00"), D("0.00"), False)
    assert not order_advance_ok(order)
    before = row_counts()
    with pytest.raises(AdvanceRequired) as exc:
        order_check_advance(order=order)
    assert str(exc.value) == f"{order.number} waits for its advance: 2,610.00 EUR is due, 0.00 is paid."
    with pytest.raises(AdvanceRequired):
        order_start_work(actor=shop.manager, order=order)
    assert row_counts() == before
    # "warn" lets work start and says why it should not.
    order = order_update(actor=shop.manager, order=order, data={"advance_policy": "warn"})
    assert order_check_advance(order=order) == str(exc.value)
    order = order_update(actor=shop.manager, order=order, data={"advance_policy": "block"})
    invoice = invoice_create(actor=shop.manager, order=order, kind="advance", schedule_line=order.schedule.first())
    payment_create(
        actor=shop.manager,
        counterparty=shop.customer,
        date=TODAY(),
        amount=D("2610.00"),
        allocations=[(invoice, D("2610.00"))],
    )
    assert order_advance_ok(order)
    assert order_check_advance(order=order) == ""
    assert order_start_work(actor=shop.manager, order=order).state == SalesOrder.State.IN_WORK


def test_shipping_in_full_sets_the_due_date_of_the_delivery_part(shop, make_order, half_and_half):
    order = make_order(payment_terms=half_and_half, confirm=True)
    order_reserve(actor=shop.manager, order=order)
    shipment_create(actor=shop.manager, order=order, lines=[(order.lines.get(), D("3"))])
    assert [s.due_date for s in order.schedule.all()] == [TODAY(), TODAY()]


def test_receivables_and_the_overdue_list(shop, make_order):
    order = make_order(confirm=True)
    past = TODAY() - datetime.timedelta(days=20)
    overdue = invoice_create(actor=shop.manager, order=order, amount=D("1000.00"), issue_date=past, due_date=past)
    current = invoice_create(actor=shop.manager, order=order, amount=D("500.00"))
    paid = invoice_create(actor=shop.manager, order=order, amount=D("300.00"), issue_date=past, due_date=past)
    payment_create(
        actor=shop.manager,
        counterparty=shop.customer,
        date=TODAY(),
        amount=D("400.00"),
        allocations=[(paid, D("300.00")), (overdue, D("100.00"))],
    )
    cancelled = invoice_create(actor=shop.manager, order=order, amount=D("50.00"), issue_date=past, due_date=past)
    invoice_cancel(actor=shop.manager, invoice=cancelled)
    open_ones = receivables(Invoice.objects.all()).order_by("due_date", "id")
    assert [(i, i.open) for i in open_ones] == [(overdue, D("900.00")), (current, D("500.00"))]
    assert [i for i in receivables(Invoice.objects.all(), overdue_on=TODAY())] == [overdue]
    assert receivable_totals(open_ones) == [
        {"currency": "EUR", "count": 2, "amount": D("1500.00"), "paid": D("100.00"), "open": D("1400.00")}
    ]


def test_amounts_in_messages_are_written_as_the_language_writes_money():
    from django.utils import translation

    from fabrika.sales.errors import amount

    expected = {"en": "13,803.00", "fr": "13\xa0803,00", "ru": "13\xa0803,00"}
    for language, text in expected.items():
        with translation.override(language):
            assert amount(D("13803")) == text
            assert amount(D("0")) == ("0.00" if language == "en" else "0,00")
