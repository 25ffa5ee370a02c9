"""/api/stock/receipts/, /api/stock/shipments/ and /api/stock-documents/ (drafts, post, cancel)."""

from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from fabrika.access.tests.factories import make_user
from fabrika.audit.models import BusinessEvent
from fabrika.inventory.models import Balance, Reservation, StockDocument, StockMove
from fabrika.inventory.services import reserve, warehouse_create

from .stock_story import make_products

pytestmark = pytest.mark.django_db


def api_for(role: str, username: str | None = None) -> APIClient:
    client = APIClient()
    client.force_login(make_user(username or role, role))
    return client


@pytest.fixture
def world():
    _pcs, _h, _f, _p, bolt, nut, _panel = make_products()
    main = warehouse_create(actor=None, data={"code": "MAIN", "name": "Main warehouse", "valuation": "fifo"})
    return {"bolt": bolt, "nut": nut, "main": main}


@pytest.fixture
def keeper():
    return api_for("storekeeper", "kate")


def state():
    return (
        StockMove.objects.count(),
        StockDocument.objects.count(),
        BusinessEvent.objects.count(),
        list(Balance.objects.order_by("pk").values_list("qty", "value", "reserved")),
    )


def receipt(api, world, qty="95", price="1.20"):
    return api.post(
        "/api/stock/receipts/",
        {"warehouse": world["main"].pk, "lines": [{"product": world["bolt"].pk, "qty": qty, "price": price}]},
        format="json",
    )


def test_receipt_and_shipment_command_endpoints(keeper, world):
    response = receipt(keeper, world)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["type"] == "receipt" and body["state"] == "posted" and body["number"].startswith("REC-")
    # The storekeeper has no cost right: prices and values are input only, never shown back.
    assert [line["qty"] for line in body["lines"]] == ["95.000000"]
    assert "price" not in body["lines"][0] and "value" not in body["lines"][0]
    # The storekeeper has no cost right: the moves come without values.
    assert set(body["moves"][0]) == {
        "id",
        "posted_at",
        "kind",
        "product",
        "qty",
        "from_location",
        "to_location",
        "lot",
        "reverses",
    }
    shipped = keeper.post(
        "/api/stock/shipments/",
        {"warehouse": world["main"].pk, "lines": [{"product": world["bolt"].pk, "qty": "40"}]},
        format="json",
    )
    assert shipped.status_code == 201 and shipped.json()["state"] == "posted"
    b = Balance.objects.get(product=world["bolt"], warehouse=world["main"])
    assert (b.qty, b.value) == (D("55"), D("66.00"))
    # The director sees the values.
    director = api_for("director", "dora")
    moves = director.get(f"/api/stock-documents/{shipped.json()['id']}/").json()["moves"]
    assert [(m["qty"], m["value"], m["unit_cost"]) for m in moves] == [("40.000000", "48.00", "1.200000")]
    lines = director.get(f"/api/stock-documents/{body['id']}/").json()["lines"]
    assert [(line["qty"], line["price"], line["value"]) for line in lines] == [("95.000000", "1.20", "114.00")]


def test_a_refused_shipment_answers_409_with_the_numbers_and_keeps_nothing(keeper, world):
    receipt(keeper, world)
    before = state()
    response = keeper.post(
        "/api/stock/shipments/",
        {"warehouse": world["main"].pk, "lines": [{"product": world["bolt"].pk, "qty": "120"}]},
        format="json",
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Not enough M3 bolt in Main warehouse: wanted 120, available 95",
        "code": "insufficient_stock",
        "data": {
            "product": "M3 bolt",
            "warehouse": "Main warehouse",
            "wanted": "120.000000",
            "available": "95.000000",
            "lot": "None",
        },
    }
    assert state() == before


def test_draft_crud_post_and_cancel(keeper, world):
    created = keeper.post(
        "/api/stock-documents/",
        {
            "type": "receipt",
            "warehouse": world["main"].pk,
            "lines": [{"product": world["bolt"].pk, "qty": "10", "price": "2"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["state"] == "draft" and created.json()["moves"] == []
    patched = keeper.patch(
        f"/api/stock-documents/{pk}/",
        {"comment": "pallet 3", "lines": [{"product": world["bolt"].pk, "qty": "12", "price": "2"}]},
        format="json",
    )
    assert patched.status_code == 200
    assert (patched.json()["comment"], patched.json()["lines"][0]["qty"]) == ("pallet 3", "12.000000")
    assert keeper.patch(f"/api/stock-documents/{pk}/", {"type": "shipment"}, format="json").status_code == 400
    posted = keeper.post(f"/api/stock-documents/{pk}/post/")
    assert posted.status_code == 200 and posted.json()["state"] == "posted"
    again = keeper.post(f"/api/stock-documents/{pk}/post/")
    assert again.status_code == 409 and again.json()["code"] == "illegal_transition"
    edit_posted = keeper.patch(f"/api/stock-documents/{pk}/", {"comment": "x"}, format="json")
    assert edit_posted.status_code == 409
    cancelled = keeper.post(f"/api/stock-documents/{pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert [m["kind"] for m in cancelled.json()["moves"]] == ["receipt", "reversal"]
    assert Balance.objects.get(product=world["bolt"], warehouse=world["main"]).qty == D("0")
    assert keeper.delete(f"/api/stock-documents/{pk}/").status_code in (403, 405)  # no deleting: cancel
    assert StockDocument.objects.filter(pk=pk).exists()


def test_line_errors_use_dotted_names(keeper, world):
    before = state()
    response = keeper.post(
        "/api/stock-documents/",
        {
            "type": "receipt",
            "warehouse": world["main"].pk,
            "lines": [
                {"product": world["bolt"].pk, "qty": "1.5", "price": "1"},
                {"product": world["bolt"].pk, "qty": "2"},
                {"product": 999999, "qty": "1"},
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["lines.2.product"]
    response = keeper.post(
        "/api/stock-documents/",
        {
            "type": "receipt",
            "warehouse": world["main"].pk,
            "lines": [
                {"product": world["bolt"].pk, "qty": "1.5", "price": "1"},
                {"product": world["bolt"].pk, "qty": "2"},
            ],
        },
        format="json",
    )
    assert response.json()["errors"] == {
        "lines.0.qty": ["pcs allows 0 decimal places."],
        "lines.1.price": ["Enter the purchase price."],
    }
    assert keeper.post(
        "/api/stock-documents/", {"type": "receipt", "warehouse": world["main"].pk}, format="json"
    ).json()["errors"] == {"lines": ["Add at least one line."]}
    assert state() == before


def test_shipment_consumes_its_reservation(keeper, world):
    receipt(keeper, world, qty="10")
    held = reserve(actor=None, product=world["bolt"], warehouse=world["main"], qty=D("4"), reference="ORD-1/1")
    response = keeper.post(
        "/api/stock/shipments/",
        {
            "warehouse": world["main"].pk,
            "lines": [{"product": world["bolt"].pk, "qty": "4", "reservation": held.pk}],
        },
        format="json",
    )
    assert response.status_code == 201
    held.refresh_from_db()
    assert held.state == Reservation.State.CONSUMED


def test_list_filters_and_rights(keeper, world):
    receipt(keeper, world)
    assert [d["type"] for d in keeper.get("/api/stock-documents/?type=receipt").json()["results"]] == ["receipt"]
    assert keeper.get("/api/stock-documents/?type=shipment").json()["count"] == 0
    assert keeper.get("/api/stock-documents/?search=REC").json()["count"] == 1
    assert keeper.get("/api/stock-documents/?colour=red").status_code == 400
    sales = api_for("sales_manager", "sam")
    assert sales.get("/api/stock-documents/").status_code == 200
    assert receipt(sales, world).status_code == 403
    # Production managers may add and post, but not change: the command endpoint works for them.
    assert receipt(api_for("production_manager", "pete"), world).status_code == 201
    # The director may view but not post.
    assert receipt(api_for("director", "dora"), world).status_code == 403
