"""Concurrency on PostgreSQL: orders racing for the last units, over separate connections."""

import threading
from decimal import Decimal as D

import pytest
from django.db import close_old_connections, connection

from fabrika.inventory.errors import InsufficientStock
from fabrika.inventory.models import Balance, Reservation
from fabrika.sales.models import SalesOrder
from fabrika.sales.services import order_confirm, order_create, order_reserve, payment_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_thread(fn):
    def run(*args):
        try:
            return fn(*args)
        finally:
            close_old_connections()
            connection.close()

    return run


def test_two_orders_reserving_the_last_units_at_once(shop):
    """10 robots in stock, two confirmed orders of 7 (with 2 kits each) reserve at the same moment:
    exactly one gets them; the other is refused with the numbers and holds nothing at all."""
    orders = [
        order_create(
            actor=shop.manager,
            data={"counterparty": shop.customer},
            lines=[shop.line(shop.kit, 2), shop.line(shop.robot, 7)],
        )
        for _ in range(2)
    ]
    start = threading.Barrier(2)

    @in_thread
    def confirm_and_reserve(order):
        start.wait()
        try:
            confirmed = order_confirm(actor=shop.manager, order=order)
            order_reserve(actor=shop.manager, order=confirmed)
            return "reserved"
        except InsufficientStock as exc:
            return (exc.wanted, exc.available)

    threads_results = [None, None]

    def runner(index):
        threads_results[index] = confirm_and_reserve(orders[index])

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(threads_results, key=str) == sorted(["reserved", (D("7"), D("3"))], key=str)
    robots = Balance.objects.get(product=shop.robot, warehouse=shop.warehouse)
    kits = Balance.objects.get(product=shop.kit, warehouse=shop.warehouse)
    assert (robots.qty, robots.reserved) == (D("10"), D("7"))
    assert (kits.qty, kits.reserved) == (D("20"), D("2"))  # the loser's kits were not held either
    assert Reservation.objects.filter(state="active").count() == 2
    winner = orders[threads_results.index("reserved")]
    assert {r.source.order_id for r in Reservation.objects.all()} == {winner.pk}
    # Both orders were confirmed: the refusal was of the reservation, in its own transaction.
    assert set(SalesOrder.objects.values_list("state", flat=True)) == {"confirmed"}


def test_two_payments_on_one_invoice_at_once(shop, make_order):
    """Two people record the customer's transfer on the same invoice: one allocation only."""
    from fabrika.sales.services import invoice_create

    order = order_confirm(actor=shop.manager, order=make_order())
    invoice = invoice_create(actor=shop.manager, order=order, amount=D("1000.00"))
    start = threading.Barrier(2)
    results = [None, None]

    @in_thread
    def pay(index):
        start.wait()
        try:
            payment_create(
                actor=shop.manager,
                counterparty=shop.customer,
                date=order.order_date,
                amount=D("1000.00"),
                allocations=[(invoice, D("1000.00"))],
            )
            results[index] = "paid"
        except Exception as exc:  # noqa: BLE001 - the refusal is the point
            results[index] = getattr(exc, "code", repr(exc))

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["overpayment", "paid"]
    invoice.refresh_from_db()
    assert (invoice.state, invoice.paid_amount) == ("paid", D("1000.00"))
