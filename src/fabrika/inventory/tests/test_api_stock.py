"""/api/stock/on-hand/, /api/stock/value/, /api/periods/, /api/reservations/, /api/warehouses/."""

from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from fabrika.access.tests.factories import make_user
from fabrika.inventory.models import Balance, Period, Reservation, StockMove, Warehouse

from .stock_story import at, last_day, make_story

pytestmark = pytest.mark.django_db


def api_for(role: str) -> APIClient:
    client = APIClient()
    client.force_login(make_user(role, role))
    return client


@pytest.fixture
def story():
    return make_story()


def test_on_hand_now_and_as_of(story):
    director = api_for("director")
    now = director.get(f"/api/stock/on-hand/?warehouse={story.main.pk}").json()
    assert now["count"] == 2
    assert now["results"][0] == {
        "product": story.bolt.pk,
        "product_code": "M3",
        "product_name": "M3 bolt",
        "unit": "pcs",
        "group": "Hardware / Fasteners",
        "warehouse": story.main.pk,
        "warehouse_name": "Main warehouse",
        "lot": None,
        "lot_number": "",
        "qty": "7",
        "reserved": "0",
        "available": "7",
        "value": "890.00",
        "average_cost": "127.142857",
    }
    past = director.get(f"/api/stock/on-hand/?as_of={story.m2.replace(day=6).isoformat()}&group={story.hardware.pk}")
    assert [
        (r["product_code"], r["warehouse_name"], r["qty"], r["value"], r["reserved"]) for r in past.json()["results"]
    ] == [
        ("M3", "Main warehouse", "5", "600.00", None),
        ("M3", "Workshop", "5", "600.00", None),
        ("M4", "Main warehouse", "50", "100.00", None),
    ]
    lots = director.get(f"/api/stock/on-hand/?product={story.bolt.pk}&warehouse={story.main.pk}&by_lot=true").json()
    assert [(r["lot_number"], r["qty"]) for r in lots["results"]] == [("B", "2"), ("C", "5")]
    assert director.get("/api/stock/on-hand/?warehouse=&as_of=&group=").json()["count"] == 4
    assert director.get("/api/stock/on-hand/?as_of=yesterday").status_code == 400
    assert director.get("/api/stock/on-hand/?colour=red").status_code == 400


def test_storekeeper_gets_no_values_and_no_value_report(story):
    keeper = api_for("storekeeper")
    row = keeper.get(f"/api/stock/on-hand/?warehouse={story.workshop.pk}").json()["results"][0]
    assert "value" not in row and "average_cost" not in row and row["qty"] == "3"
    assert keeper.get("/api/stock/value/").status_code == 403


def test_value_as_of(story):
    director = api_for("director")
    body = director.get(f"/api/stock/value/?as_of={last_day(story.m2).isoformat()}").json()
    assert body == {
        "as_of": last_day(story.m2).isoformat(),
        "total": "1812.00",
        "by_warehouse": [
            {"id": story.main.pk, "name": "Main warehouse", "value": "1350.00"},
            {"id": story.workshop.pk, "name": "Workshop", "value": "462.00"},
        ],
        "by_group": [
            {"id": story.fasteners.pk, "name": "Hardware / Fasteners", "value": "1710.00"},
            {"id": story.panels.pk, "name": "Panels", "value": "102.00"},
        ],
    }
    assert director.get("/api/stock/value/").json()["total"] == "1452.00"


def test_periods_list_and_close(story):
    keeper = api_for("storekeeper")
    months = keeper.get("/api/periods/").json()
    assert [(m["month"], m["closed"]) for m in months[-2:]] == [
        (f"{story.m2:%Y-%m}", False),
        (f"{story.m1:%Y-%m}", False),
    ]
    closed = keeper.post("/api/periods/close/", {"month": f"{story.m2:%Y-%m}"}, format="json")
    assert closed.status_code == 200, closed.json()
    assert closed.json()["month"] == f"{story.m2:%Y-%m}" and closed.json()["closed"] is True
    assert Period.objects.filter(closed=True).count() == 2
    again = keeper.post("/api/periods/close/", {"month": f"{story.m1:%Y-%m}"}, format="json")
    assert again.status_code == 409
    assert keeper.post("/api/periods/close/", {"month": "soon"}, format="json").status_code == 400
    # Posting into the closed month: 409 with the period.
    moves = StockMove.objects.count()
    response = keeper.post(
        "/api/stock/receipts/",
        {
            "warehouse": story.main.pk,
            "date": at(story.m2, 20).isoformat(),
            "lines": [{"product": story.nut.pk, "qty": "1", "price": "2"}],
        },
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "period_closed" and response.json()["data"] == {"period": f"{story.m2:%Y-%m}"}
    assert StockMove.objects.count() == moves
    assert (
        api_for("director").post("/api/periods/close/", {"month": f"{story.m3:%Y-%m}"}, format="json").status_code
        == 403
    )


def test_reservations(story):
    keeper = api_for("storekeeper")
    created = keeper.post(
        "/api/reservations/",
        {"product": story.bolt.pk, "warehouse": story.main.pk, "qty": "5", "reference": "ORD-7/1"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert (created.json()["state"], created.json()["open_qty"]) == ("active", "5.000000")
    refused = keeper.post(
        "/api/reservations/",
        {"product": story.bolt.pk, "warehouse": story.main.pk, "qty": "3", "reference": "ORD-8/1"},
        format="json",
    )
    assert refused.status_code == 409
    assert refused.json()["detail"] == "Not enough M3 bolt in Main warehouse: wanted 3, available 2"
    assert keeper.get("/api/reservations/?state=active").json()["count"] == 1
    released = keeper.post(f"/api/reservations/{created.json()['id']}/release/")
    assert released.status_code == 200 and released.json()["state"] == "released"
    assert Balance.objects.get(product=story.bolt, warehouse=story.main).reserved == D("0")
    assert keeper.post(f"/api/reservations/{created.json()['id']}/release/").status_code == 409
    assert Reservation.objects.count() == 1


def test_warehouses(story):
    keeper = api_for("storekeeper")
    listed = keeper.get("/api/warehouses/").json()
    assert [(w["code"], w["valuation"], [loc["kind"] for loc in w["locations"]]) for w in listed["results"]] == [
        ("MAIN", "fifo", ["storage"]),
        ("WS", "average", ["storage"]),
    ]
    created = keeper.post("/api/warehouses/", {"code": "B2", "name": "Branch", "valuation": "fifo"}, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    refused = keeper.patch(f"/api/warehouses/{pk}/", {"valuation": "average"}, format="json")
    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["valuation"]
    assert keeper.patch(f"/api/warehouses/{pk}/", {"name": "Branch office"}, format="json").status_code == 200
    assert Warehouse.objects.get(pk=pk).name == "Branch office"
    duplicate = keeper.post("/api/warehouses/", {"code": "B2", "name": "Again", "valuation": "fifo"}, format="json")
    assert duplicate.status_code == 400 and list(duplicate.json()["errors"]) == ["code"]


def test_schema_lists_the_warehouse_endpoints(story):
    schema = api_for("director").get("/api/schema/?format=json").json()
    for path in (
        "/api/warehouses/",
        "/api/stock-documents/",
        "/api/stock-documents/{id}/post/",
        "/api/stock-documents/{id}/cancel/",
        "/api/stock/receipts/",
        "/api/stock/shipments/",
        "/api/stock/on-hand/",
        "/api/stock/value/",
        "/api/reservations/",
        "/api/reservations/{id}/release/",
        "/api/periods/",
        "/api/periods/close/",
    ):
        assert path in schema["paths"], path
