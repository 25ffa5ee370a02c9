"""The availability analysis in the API and its three actions, over the world of
test_availability.py (the numbers are worked out there)."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import translation

from fabrika.access.tests.factories import make_user, unique_username
from fabrika.core.errors import IllegalTransition
from fabrika.crm.tests.conftest import token_client
from fabrika.production.models import ProductionOrder
from fabrika.purchasing.models import SupplierRequest
from fabrika.sales.availability import create_production
from fabrika.sales.services import order_confirm, order_update, payment_terms_save

from . import test_availability
from .conftest import row_counts

pytestmark = pytest.mark.django_db
world = test_availability.world  # the fixture


def url(order, action="availability"):
    return f"/api/sales/orders/{order.pk}/{action}/"


def part_rows(line):
    return [
        (
            p["level"],
            p["product_code"],
            p["required"],
            p["from_stock"],
            p["from_supply"],
            p["to_produce"],
            p["to_purchase"],
        )
        for p in line["parts"]
    ]


def test_the_analysis_now_and_as_of_a_date(world):
    f, order, manager, today = world
    api = token_client(manager)
    data = api.get(url(order)).json()
    assert (data["number"], data["as_of"], data["with_supply"]) == (order.number, today.isoformat(), False)
    assert data["earliest"] == (today + timedelta(13)).isoformat()
    [line] = data["lines"]
    assert {k: line[k] for k in ("position", "product_code", "unit", "ordered", "reserved", "free")} == {
        "position": 1,
        "product_code": "ROBOT",
        "unit": "pcs",
        "ordered": "12",
        "reserved": "0",
        "free": "2",
    }
    assert (line["from_stock"], line["to_produce"], line["to_purchase"], line["covered"]) == ("2", "10", "0", False)
    assert part_rows(line)[-3:] == [
        (1, "BRAIN", "10", "0", "0", "10", "0"),
        (2, "BOARD", "10", "8", "0", "0", "2"),
        (2, "CPU", "10", "6", "0", "0", "4"),
    ]
    assert [(p["product_code"], p["qty"]) for p in data["purchases"]] == [("BOARD", "2"), ("CPU", "4")]

    later = api.get(url(order), {"as_of": order.promised_date.isoformat()}).json()
    assert (later["with_supply"], later["earliest"], later["purchases"]) == (
        True,
        (today + timedelta(21)).isoformat(),
        [],
    )
    assert part_rows(later["lines"][0])[-3:] == [
        (1, "BRAIN", "10", "0", "2", "8", "0"),
        (2, "BOARD", "8", "8", "0", "0", "0"),
        (2, "CPU", "8", "6", "2", "0", "0"),
    ]
    stock_only = api.get(url(order), {"as_of": order.promised_date.isoformat(), "with_supply": "false"}).json()
    assert stock_only["with_supply"] is False and len(stock_only["purchases"]) == 2
    bad = api.get(url(order), {"as_of": "tomorrow"})
    assert bad.status_code == 400 and "as_of" in bad.json()["errors"]


def test_the_actions_answer_with_what_they_made(world):
    f, order, manager, today = world
    order = order_confirm(actor=manager, order=order)
    sales = token_client(manager)
    boss = token_client(make_user(unique_username("olga"), ["sales_manager", "production_manager"]))

    before = row_counts()
    for action in ("create-requests", "create-production"):  # a sales manager has neither right
        response = sales.post(url(order, action))
        assert response.status_code == 403, action
    assert row_counts() == before and not ProductionOrder.objects.filter(source_id=order.lines.get().pk).exists()
    engineer = token_client(make_user(unique_username("lukas"), "engineer"))  # sales: view only
    assert engineer.get(url(order)).status_code == 200
    assert engineer.post(url(order, "reserve-available")).status_code == 403

    response = sales.post(url(order, "reserve-available"))
    assert response.status_code == 200
    [reservation] = response.json()
    assert (reservation["line"], reservation["qty"]) == (order.lines.get().pk, "2")
    assert sales.post(url(order, "reserve-available")).json() == []  # nothing more is free

    response = boss.post(url(order, "create-requests"))
    assert response.status_code == 201
    [request] = response.json()
    assert request["state"] == "draft" and request["supplier"] is None
    assert [(x["product_code"], x["qty"], x["needed_by"]) for x in request["lines"]] == [
        ("BOARD", "2", order.promised_date.isoformat()),
        ("CPU", "4", order.promised_date.isoformat()),
    ]
    again = boss.post(url(order, "create-requests"))
    assert again.status_code == 400
    assert again.json()["errors"] == {"lines": ["Nothing on this order needs to be bought."]}
    assert SupplierRequest.objects.count() == 2  # the world's own and this one

    response = boss.post(url(order, "create-production"))
    assert response.status_code == 201
    made = response.json()
    assert [(o["product_code"], o["qty"], o["state"]) for o in made] == [
        ("ROBOT", "10", "released"),
        ("BRAIN", "8", "released"),
    ]
    assert made[1]["parent"] == made[0]["id"]
    [line] = boss.get(url(order)).json()["lines"]
    assert (line["reserved"], line["in_production"], line["covered"]) == ("2", "10", True)


def test_a_draft_order_gets_neither_production_nor_requests(world):
    f, order, manager, today = world  # the world's order is a draft
    boss = token_client(make_user(unique_username("olga"), ["sales_manager", "production_manager"]))
    before = (row_counts(), ProductionOrder.objects.count(), SupplierRequest.objects.count())
    for action, what in (("create-production", "produced"), ("create-requests", "ordered from suppliers")):
        response = boss.post(url(order, action))
        assert response.status_code == 409, action
        assert response.json()["detail"] == f"{order.number} is draft: nothing can be {what} for it."
    assert (row_counts(), ProductionOrder.objects.count(), SupplierRequest.objects.count()) == before
    with translation.override("ru"), pytest.raises(IllegalTransition) as exc:
        create_production(actor=manager, order=order)
    assert str(exc.value) == f"{order.number} в состоянии «черновик»: по нему ничего нельзя произвести."


def test_production_is_refused_while_the_advance_is_unpaid(world):
    f, order, manager, today = world
    terms = payment_terms_save(
        actor=None,
        data={"name": "Half first"},
        lines=[{"percent": D(50), "trigger": "confirmation"}, {"percent": D(50), "trigger": "shipment"}],
    )
    order = order_update(actor=manager, order=order, data={"payment_terms": terms, "advance_policy": "block"})
    order = order_confirm(actor=manager, order=order)
    boss = token_client(make_user(unique_username("olga"), ["sales_manager", "production_manager"]))
    before = (row_counts(), ProductionOrder.objects.count())
    response = boss.post(url(order, "create-production"))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "advance_required"
    data = body["data"]
    assert (data["number"], D(data["required"]), D(data["paid"])) == (order.number, D("10440.00"), 0)
    assert (row_counts(), ProductionOrder.objects.count()) == before
