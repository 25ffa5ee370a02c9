"""Orders: totals worked by hand, prices from the price list, discount limits, the state machine."""

import datetime
from decimal import Decimal as D

import pytest

from fabrika.access.tests.factories import make_role, make_user, unique_username
from fabrika.core.errors import IllegalTransition, ValidationFailed
from fabrika.crm.models import Activity
from fabrika.sales.errors import DiscountOverLimit, PriceChangeNotAllowed
from fabrika.sales.models import DiscountLimit, OrderTask, SalesOrder
from fabrika.sales.services import (
    discount_limit_set,
    order_close,
    order_confirm,
    order_create,
    order_delete,
    order_start_work,
    order_update,
    sales_settings_update,
)

from .conftest import row_counts

pytestmark = pytest.mark.django_db
S = SalesOrder.State


def test_totals_with_discounts_and_vat_worked_by_hand(shop, make_order, half_and_half):
    order = make_order(
        [
            shop.line(shop.robot, 3, discount_pct=D("5")),  # 3 × 1450.00 = 4350.00, −5 % → 4132.50
            shop.line(shop.kit, 7, discount_pct=D("2.5")),  # 7 × 189.00 = 1323.00, −2.5 % → 1289.925 → 1289.93
            shop.line(shop.setup, 1, price=D("333.33")),  # a service, no list price: entered
        ],
        payment_terms=half_and_half,
    )
    lines = list(order.lines.order_by("position"))
    assert [(ln.position, ln.price, ln.amount) for ln in lines] == [
        (1, D("1450.00"), D("4132.50")),
        (2, D("189.00"), D("1289.93")),
        (3, D("333.33"), D("333.33")),
    ]
    assert order.number == f"SO-{datetime.date.today().year}-00001"
    assert order.subtotal == D("5755.76")
    assert order.discount_amount == D("250.57")  # 6006.33 − 5755.76
    assert order.vat_rate == D("20.00")
    assert order.vat_amount == D("1151.15")  # 1151.152
    assert order.total == D("6906.91")
    assert order.currency == "EUR"
    assert order.warehouse == shop.warehouse
    assert order.delivery_address == "Schulgasse 5, 1180 Vienna"
    # 50 % of 6906.91 = 3453.455 → 3453.46; the last part takes the rest.
    assert [(s.trigger, s.amount, s.due_date) for s in order.schedule.all()] == [
        ("confirmation", D("3453.46"), None),
        ("shipment", D("3453.45"), None),
    ]


def test_a_price_list_with_vat_gives_the_price_before_vat(shop, make_order):
    from fabrika.catalog import services as catalog

    gross = catalog.price_type_save(actor=None, data={"code": "shop", "name": "Shop (with VAT)"})
    pl = catalog.price_list_create(
        actor=None,
        data={"name": "Shop", "price_type": gross, "valid_from": datetime.date(2020, 1, 1), "includes_vat": True},
    )
    catalog.price_item_save(actor=None, price_list=pl, product=shop.kit, price=D("226.80"))
    order = make_order([shop.line(shop.kit, 1)], price_type=gross)
    assert order.lines.get().price == D("189.00")  # 226.80 / 1.2


def test_units_other_than_the_base_unit(shop, make_order):
    box = shop.bolt.conversions.get().unit
    order = make_order([shop.line(shop.bolt, "1.5", unit=box, price=D("11.00"))], actor=shop.director)
    line = order.lines.get()
    assert (line.qty, line.qty_base, line.amount) == (D("1.5"), D("150"), D("16.50"))


def test_bad_lines_are_refused_with_their_fields_and_nothing_is_written(shop, make_order):
    before = row_counts()
    with pytest.raises(ValidationFailed) as exc:
        make_order(
            [
                shop.line(shop.robot, -2),
                shop.line(shop.kit, "1.5"),
                shop.line(shop.setup, 1),
                shop.line(shop.kit, 1, discount_pct=D("120")),
                shop.line(shop.kit, 1, price=D("-1")),
            ]
        )
    assert exc.value.errors == {
        "lines.0.qty": ["The quantity must be greater than zero."],
        "lines.1.qty": ["pcs allows 0 decimal places."],
        "lines.2.price": ["The price list has no price for Setup and commissioning: enter the price."],
        "lines.3.discount_pct": ["A discount is from 0 to 100 %."],
        "lines.4.price": ["The price cannot be negative."],
    }
    with pytest.raises(ValidationFailed) as exc:
        make_order([])
    assert exc.value.errors == {"lines": ["Add at least one line."]}
    with pytest.raises(ValidationFailed) as exc:
        make_order(promised_date=datetime.date(2000, 1, 1))
    assert exc.value.errors == {"promised_date": ["The promised delivery is before the order date."]}
    assert row_counts() == before


def test_a_discount_over_the_managers_limit_is_refused_with_the_numbers(shop, make_order):
    before = row_counts()
    with pytest.raises(DiscountOverLimit) as exc:
        make_order([shop.line(shop.kit, 2), shop.line(shop.robot, 1, discount_pct=D("12.5"))])
    assert str(exc.value) == (
        "Line 2 (Standard robot R1): a discount of 12.5 % is more than your limit of 10 %. "
        "A discount beyond it needs someone with the right to approve sales."
    )
    assert exc.value.data == {"line": 2, "product": "Standard robot R1", "discount": "12.5", "limit": "10.00"}
    assert row_counts() == before
    # Up to the limit is fine; a user's own limit replaces the company's; approvers have none.
    assert make_order([shop.line(shop.robot, 1, discount_pct=D("10"))]).subtotal == D("1305.00")
    discount_limit_set(actor=None, user=shop.manager, max_discount_pct=D("15"))
    assert make_order([shop.line(shop.robot, 1, discount_pct=D("12.5"))]).subtotal == D("1268.75")
    assert make_order([shop.line(shop.robot, 1, discount_pct=D("40"))], actor=shop.director).subtotal == D("870.00")
    discount_limit_set(actor=None, user=shop.manager, max_discount_pct=None)
    assert not DiscountLimit.objects.exists()


def test_a_price_other_than_the_list_needs_the_approve_right(shop, make_order):
    before = row_counts()
    with pytest.raises(PriceChangeNotAllowed) as exc:
        make_order([shop.line(shop.robot, 1, price=D("1400.00"))])
    assert exc.value.data == {"line": 1, "product": "Standard robot R1", "price": "1400.00", "list_price": "1450.00"}
    assert row_counts() == before
    order = make_order([shop.line(shop.robot, 1, price=D("1400.00"))], actor=shop.director)
    # The manager may change other things of the order: the approved price stays.
    order = order_update(actor=shop.manager, order=order, data={}, lines=[shop.line(shop.robot, 2, price=D("1400.00"))])
    assert order.subtotal == D("2800.00")
    with pytest.raises(PriceChangeNotAllowed):
        order_update(actor=shop.manager, order=order, data={}, lines=[shop.line(shop.robot, 2, price=D("1300.00"))])


def test_confirm_creates_tasks_for_the_configured_roles(shop, make_order, production_manager, engineer):
    economist = make_user(unique_username("eva"), "economist", language="fr")
    make_user(unique_username("olga"), "storekeeper")
    gone = make_user(unique_username("gone"), "engineer")
    gone.is_active = False
    gone.save()
    order = make_order([shop.line(shop.robot, 2)], promised_date=datetime.date(2030, 5, 1))
    assert not Activity.objects.exists()
    order = order_confirm(actor=shop.manager, order=order)
    assert order.state == S.CONFIRMED and order.confirmed_at is not None
    tasks = {t.activity.owner: t.activity for t in OrderTask.objects.filter(order=order).select_related("activity")}
    assert set(tasks) == {production_manager, engineer, economist}
    task = tasks[production_manager]
    assert task.kind == "task" and not task.done and task.due_at is not None
    assert task.counterparty == shop.customer
    assert task.subject == f"Order {order.number} confirmed: Robokids School of Robotics"
    assert f"/sales/orders/{order.pk}/" in task.body and "2030-05-01" in task.body
    assert tasks[economist].subject == f"Commande {order.number} confirmée : Robokids School of Robotics"
    # The roles are a setting.
    sales_settings_update(actor=None, data={"notify_roles": [make_role("shop", {"sales": ["view"]})]})
    second = order_confirm(actor=shop.manager, order=make_order())
    assert not second.tasks.exists()


def test_the_state_machine_refuses_illegal_moves_and_changes_nothing(shop, make_order):
    order = make_order()
    before = row_counts()
    for service in (order_start_work, order_close):
        with pytest.raises(IllegalTransition) as exc:
            service(actor=shop.manager, order=order)
        assert exc.value.current == S.DRAFT
    assert str(exc.value) == f"{order.number} is draft and cannot become closed."
    assert row_counts() == before
    order = order_confirm(actor=shop.manager, order=order)
    with pytest.raises(IllegalTransition):
        order_confirm(actor=shop.manager, order=order)
    order = order_start_work(actor=shop.manager, order=order)
    assert order.state == S.IN_WORK and order.work_started_at is not None
    before = row_counts()
    with pytest.raises(IllegalTransition):
        order_close(actor=shop.manager, order=order)
    assert row_counts() == before


def test_a_confirmed_order_keeps_its_lines_and_prices(shop, make_order):
    order = make_order(confirm=True)
    before = row_counts()
    with pytest.raises(ValidationFailed) as exc:
        order_update(actor=shop.manager, order=order, data={}, lines=[shop.line(shop.robot, 9)])
    assert exc.value.errors == {
        "__all__": [f"{order.number} is confirmed: only its contact, dates, address, note and manager may change."]
    }
    with pytest.raises(ValidationFailed):
        order_update(actor=shop.manager, order=order, data={"counterparty": shop.other_customer})
    assert row_counts() == before
    order = order_update(
        actor=shop.manager, order=order, data={"note": "Ring at the gate", "counterparty": shop.customer}
    )
    assert order.note == "Ring at the gate"
    with pytest.raises(ValidationFailed):
        order_delete(actor=shop.manager, order=order)


def test_a_draft_is_deleted(shop, make_order, half_and_half):
    order = make_order(payment_terms=half_and_half)
    order_delete(actor=shop.manager, order=order)
    assert not SalesOrder.objects.exists()


def test_numbers_are_gapless_when_an_order_is_refused(shop, make_order):
    first = make_order()
    with pytest.raises(ValidationFailed):
        order_create(actor=shop.manager, data={"counterparty": shop.customer}, lines=[shop.line(shop.robot, 0)])
    second = make_order()
    assert int(second.number[-5:]) == int(first.number[-5:]) + 1
