"""Reserving, shipping, returning and cancelling: through the warehouse's services, with the numbers."""

from decimal import Decimal as D

import pytest

from fabrika.core.errors import IllegalTransition, ValidationFailed
from fabrika.inventory.errors import InsufficientStock
from fabrika.inventory.models import Balance, Reservation, StockDocument
from fabrika.sales.errors import CancelBlocked, CancelNeedsConfirmation, MoreThanOrdered, MoreThanReserved, OrderShipped
from fabrika.sales.models import Invoice, SalesOrder, Shipment
from fabrika.sales.services import (
    invoice_create,
    order_cancel,
    order_cancel_preview,
    order_close,
    order_confirm,
    order_release_line,
    order_reserve,
    order_reserve_line,
    order_return,
    order_start_work,
    payment_create,
    register_cancel_participant,
    shipment_cancel,
    shipment_create,
    shipment_post,
)
from fabrika.sales.services.cancel import PARTICIPANTS, CancelItem

from .conftest import row_counts

pytestmark = pytest.mark.django_db
S = SalesOrder.State


def balance(shop, product):
    b = Balance.objects.get(product=product, warehouse=shop.warehouse)
    return b.qty, b.reserved


def test_reserve_names_the_order_line_and_refuses_more_than_needed(shop, make_order):
    order = make_order([shop.line(shop.robot, 4), shop.line(shop.setup, 1, price=D("100"))], confirm=True)
    robot_line, setup_line = order.lines.order_by("position")
    held = order_reserve_line(actor=shop.manager, line=robot_line, qty=D("3"))
    assert held.source == robot_line and held.reference == f"{order.number}/1"
    assert held.counterparty == shop.customer
    assert balance(shop, shop.robot) == (D("10"), D("3"))
    before = row_counts()
    with pytest.raises(MoreThanOrdered) as exc:
        order_reserve_line(actor=shop.manager, line=robot_line, qty=D("2"))
    assert str(exc.value) == f"{order.number}/1 (Standard robot R1): 2 is more than the 1 still to reserve."
    with pytest.raises(ValidationFailed):
        order_reserve_line(actor=shop.manager, line=setup_line)  # a service is not stocked
    with pytest.raises(ValidationFailed):
        order_reserve_line(actor=shop.manager, line=robot_line, qty=D("-1"))
    assert row_counts() == before
    order_reserve(actor=shop.manager, order=order)  # the rest of what the order needs
    assert balance(shop, shop.robot) == (D("10"), D("4"))
    order_release_line(actor=shop.manager, line=robot_line)
    assert balance(shop, shop.robot) == (D("10"), D("0"))


def test_a_draft_reserves_nothing(shop, make_order):
    order = make_order()
    with pytest.raises(IllegalTransition) as exc:
        order_reserve(actor=shop.manager, order=order)
    assert str(exc.value) == f"{order.number} is draft: nothing can be reserved for it."


def test_reserving_the_whole_order_is_all_or_nothing(shop, make_order):
    order = make_order([shop.line(shop.kit, 5), shop.line(shop.robot, 11)], confirm=True)
    before = row_counts()
    with pytest.raises(InsufficientStock) as exc:
        order_reserve(actor=shop.manager, order=order)
    assert (exc.value.wanted, exc.value.available) == (D("11"), D("10"))
    assert row_counts() == before  # the kits were not held either
    made = order_reserve(actor=shop.manager, order=order, partial=True)
    assert [(r.product, r.qty) for r in made] == [(shop.kit, D("5")), (shop.robot, D("10"))]


def test_partial_shipments_move_the_order_and_consume_reservations(shop, make_order):
    order = make_order([shop.line(shop.robot, 4), shop.line(shop.kit, 6)], confirm=True)
    order_reserve(actor=shop.manager, order=order)
    robot, kit = order.lines.order_by("position")
    first = shipment_create(actor=shop.manager, order=order, lines=[(robot, D("3")), (kit, D("6"))], carrier="DHL")
    document = first.document
    assert document.type == StockDocument.Type.SHIPMENT and document.state == StockDocument.State.POSTED
    assert document.counterparty == shop.customer
    assert [(ln.product, ln.qty, ln.reservation.source) for ln in document.lines.order_by("position")] == [
        (shop.robot, D("3"), robot),
        (shop.kit, D("6"), kit),
    ]
    order.refresh_from_db()
    assert order.state == S.PARTLY_SHIPPED
    for service in (order_confirm, order_start_work, order_close):  # only shipments move it on
        with pytest.raises(IllegalTransition):
            service(actor=shop.manager, order=order)
    assert balance(shop, shop.robot) == (D("7"), D("1"))
    assert balance(shop, shop.kit) == (D("14"), D("0"))
    assert Reservation.objects.get(source_id=kit.pk).state == Reservation.State.CONSUMED
    shipment_create(actor=shop.manager, order=order, lines=[(robot, D("1"))])
    order.refresh_from_db()
    assert order.state == S.SHIPPED
    assert balance(shop, shop.robot) == (D("6"), D("0"))
    order = order_close(actor=shop.manager, order=order)
    assert order.state == S.CLOSED


def test_shipping_more_than_reserved_is_refused_with_the_numbers(shop, make_order):
    order = make_order([shop.line(shop.robot, 5)], confirm=True)
    line = order.lines.get()
    order_reserve_line(actor=shop.manager, line=line, qty=D("2"))
    before = row_counts()
    with pytest.raises(MoreThanReserved) as exc:
        shipment_create(actor=shop.manager, order=order, lines=[(line, D("3"))])
    assert str(exc.value) == (
        f"{order.number}/1 (Standard robot R1): shipping 3 is more than the 2 reserved for the line. "
        "Reserve the goods first."
    )
    assert exc.value.data == {"line": 1, "product": "Standard robot R1", "wanted": "3", "reserved": "2"}
    with pytest.raises(MoreThanOrdered):
        shipment_create(actor=shop.manager, order=order, lines=[(line, D("6"))])
    with pytest.raises(ValidationFailed):
        shipment_create(actor=shop.manager, order=order, lines=[(line, D("-1"))])
    with pytest.raises(ValidationFailed):
        shipment_create(actor=shop.manager, order=order, lines=[])
    assert row_counts() == before


def test_a_planned_shipment_holds_its_share_until_posted(shop, make_order):
    order = make_order([shop.line(shop.robot, 3)], confirm=True, promised_date=None)
    order_reserve(actor=shop.manager, order=order)
    line = order.lines.get()
    planned = shipment_create(actor=shop.manager, order=order, lines=[(line, D("2"))], post=False)
    assert planned.state == Shipment.State.PLANNED and planned.document.state == StockDocument.State.DRAFT
    with pytest.raises(MoreThanOrdered):  # 3 ordered, 2 planned: 1 left
        shipment_create(actor=shop.manager, order=order, lines=[(line, D("2"))], post=False)
    shipment_post(actor=shop.manager, shipment=planned)
    order.refresh_from_db()
    assert order.state == S.PARTLY_SHIPPED and order.lines.get().qty_shipped == D("2")
    # A posted shipment reversed: the goods are back in (free) stock, the order a step back.
    shipment_cancel(actor=shop.manager, shipment=planned)
    order.refresh_from_db()
    assert order.state == S.CONFIRMED
    assert balance(shop, shop.robot) == (D("10"), D("1"))


def test_shipping_in_another_unit(shop, make_order):
    box = shop.bolt.conversions.get().unit
    order = make_order([shop.line(shop.bolt, "2.5", unit=box, price=D("12.00"))], confirm=True)
    order_reserve(actor=shop.manager, order=order)
    assert balance(shop, shop.bolt) == (D("1000"), D("250"))
    line = order.lines.get()
    shipment = shipment_create(actor=shop.manager, order=order, lines=[(line, D("0.5"))])
    assert [ln.qty for ln in shipment.document.lines.all()] == [D("50")]
    assert balance(shop, shop.bolt) == (D("950"), D("200"))


def test_cancel_lists_what_it_cancels_and_does_it_on_confirmation(shop, make_order, production_manager):
    order = make_order([shop.line(shop.robot, 2), shop.line(shop.kit, 1)], confirm=True)
    order_reserve(actor=shop.manager, order=order)
    invoice = invoice_create(actor=shop.manager, order=order, kind="advance", amount=D("100.00"))
    preview = order_cancel_preview(order)
    assert [(i.kind, i.label, i.blocking) for i in preview] == [
        ("reservation", f"{order.number}/1 · Standard robot R1 × 2", False),
        ("reservation", f"{order.number}/2 · Construction kit K1 × 1", False),
        ("invoice", f"Invoice {invoice.number}", False),
        ("task", f"Task of {production_manager}: Order {order.number} confirmed: Robokids School of Robotics", False),
    ]
    before = row_counts()
    with pytest.raises(CancelNeedsConfirmation) as exc:
        order_cancel(actor=shop.manager, order=order, confirm=False)
    assert len(exc.value.data["items"]) == 4
    assert row_counts() == before
    order = order_cancel(actor=shop.manager, order=order, confirm=True, reason="Budget cut")
    assert order.state == S.CANCELLED and order.cancel_reason == "Budget cut"
    assert balance(shop, shop.robot) == (D("10"), D("0"))
    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.CANCELLED
    assert order.tasks.get().activity.done


def test_a_paid_invoice_blocks_the_cancellation(shop, make_order):
    order = make_order(confirm=True)
    invoice = invoice_create(actor=shop.manager, order=order, amount=D("100.00"))
    payment_create(
        actor=shop.manager,
        counterparty=shop.customer,
        date=order.order_date,
        amount=D("40"),
        allocations=[(invoice, D("40"))],
    )
    before = row_counts()
    with pytest.raises(CancelBlocked) as exc:
        order_cancel(actor=shop.manager, order=order, confirm=True)
    assert "has payments of 40.00 EUR" in str(exc.value)
    assert row_counts() == before


def test_cancelling_a_shipped_order_is_refused_and_changes_nothing(shop, make_order):
    order = make_order([shop.line(shop.robot, 2)], confirm=True)
    order_reserve(actor=shop.manager, order=order)
    shipment_create(actor=shop.manager, order=order, lines=[(order.lines.get(), D("1"))])
    order.refresh_from_db()
    before = row_counts()
    with pytest.raises(OrderShipped) as exc:
        order_cancel(actor=shop.manager, order=order, confirm=True)
    assert str(exc.value) == (
        f"{order.number} cannot be cancelled: goods were shipped for it (Standard robot R1 × 1). "
        "Take a return instead, or cancel the shipments first."
    )
    assert row_counts() == before


def test_other_apps_plug_into_the_cancellation(shop, make_order):
    calls = []

    def production_orders(*, order, actor, execute):
        calls.append(execute)
        return [CancelItem("production_order", "PO-1", "cancelled")]

    register_cancel_participant(production_orders)
    try:
        order = make_order(confirm=True)
        assert order_cancel_preview(order)[-1].label == "PO-1"
        order_cancel(actor=shop.manager, order=order, confirm=True)
        assert calls == [False, False, True]
    finally:
        PARTICIPANTS.remove(production_orders)


def test_a_return_posts_goods_back_and_credits_them(shop, make_order):
    order = make_order([shop.line(shop.robot, 2, discount_pct=D("10"))], confirm=True)
    order_start_work(actor=shop.manager, order=order)
    order_reserve(actor=shop.manager, order=order)
    line = order.lines.get()
    shipment_create(actor=shop.manager, order=order, lines=[(line, D("2"))])
    order.refresh_from_db()
    before = row_counts()
    with pytest.raises(MoreThanOrdered):
        order_return(actor=shop.manager, order=order, lines=[(line, D("3"))], credit=True)
    assert row_counts() == before
    back = order_return(actor=shop.manager, order=order, lines=[(line, D("1"))], credit=True, reason="Broken arm")
    assert back.document.type == StockDocument.Type.CUSTOMER_RETURN
    assert back.document.state == StockDocument.State.POSTED
    assert balance(shop, shop.robot)[0] == D("9")  # 10 − 2 + 1
    # 1 × 1450.00 − 10 % = 1305.00; VAT 261.00
    credit = back.credit_note
    assert (credit.kind, credit.amount, credit.vat_amount) == ("credit", D("-1566.00"), D("-261.00"))
    line.refresh_from_db()
    assert (line.qty_shipped, line.qty_returned) == (D("2"), D("1"))
