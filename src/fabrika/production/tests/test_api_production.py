"""The production API on the robot factory (factory.py has the numbers): BOMs and tech cards through
their services, an order created, released (a child order for the brains), reported level by level
with exact values; refusals answer 4xx with their data and change nothing."""

from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from fabrika.access.tests.factories import make_user
from fabrika.inventory.models import Balance, StockMove
from fabrika.production.models import Bom, ProductionOrder, TechCard, WorkCentre

pytestmark = pytest.mark.django_db
S = ProductionOrder.State


@pytest.fixture
def api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


def ledger():
    return (
        StockMove.objects.count(),
        sorted(Balance.objects.values_list("product_id", "warehouse_id", "qty", "value")),
        list(ProductionOrder.objects.order_by("pk").values_list("state", "qty_done")),
    )


def create_robots(api, f, qty="5", **extra):
    response = api.post(
        "/api/production/orders/",
        {"product": f.p["ROBOT"].pk, "qty": qty, "input_warehouse": f.main.pk, **extra},
        format="json",
    )
    assert response.status_code == 201, response.data
    return response.data


def test_robots_made_through_the_api_with_exact_values(api, f):
    order = create_robots(api, f)
    assert order["number"].startswith("PO-") and order["state"] == "draft"
    assert [(x["role"], x["qty_per_unit"]) for x in order["lines"]] == [("in", "1")] * 3 + [
        ("in", "20"),
        ("in", "1"),
    ] + [("out", "1")]
    assert [op["name"] for op in order["operations"]] == ["Assemble"]

    released = api.post(f"/api/production/orders/{order['id']}/release/", {}, format="json")
    assert released.status_code == 200
    [child] = released.data["children"]
    assert (released.data["state"], child["product"], child["qty"], child["state"]) == (
        "released",
        f.p["BRAIN"].pk,
        "5",
        "released",
    )

    # The parent cannot finish before its child: 409 with the open children, nothing changed.
    before = ledger()
    refused = api.post(f"/api/production/orders/{order['id']}/finish/")
    assert refused.status_code == 409
    assert (refused.data["code"], refused.data["data"]["children"]) == ("children_open", [child["number"]])
    assert ledger() == before

    # Stage 1: 5 brains — boards 74.95, CPUs 3 × 20 + 2 × 25 = 110.00, soldering 30.00 + 30.00.
    report = api.post(f"/api/production/orders/{child['id']}/report/", {"qty": "5"}, format="json")
    assert report.status_code == 201
    moves = {m["product_code"]: (m["qty"], m["value"]) for m in report.data["moves"]}
    assert moves == {"BOARD": ("5", "74.95"), "CPU": ("5", "110.00"), "BRAIN": ("5", "244.95")}
    assert (report.data["labour"], report.data["overhead"]) == ("30.00", "30.00")

    # Stage 2: 5 robots at 1,277.20, the assembly minutes as recorded.
    op = order["operations"][0]["id"]
    report = api.post(
        f"/api/production/orders/{order['id']}/report/", {"qty": "5", "minutes": {str(op): "225"}}, format="json"
    )
    assert report.status_code == 201
    moves = {m["product_code"]: m["value"] for m in report.data["moves"]}
    assert moves == {
        "CASE": "602.50",
        "KIT": "175.50",
        "PERIPH": "91.25",
        "BOLT": "13.00",
        "BRAIN": "244.95",
        "ROBOT": "1277.20",
    }
    assert [(o["minutes"], o["labour"], o["overhead"]) for o in report.data["operations"]] == [
        ("225.000", "90.00", "60.00")
    ]
    done = api.get(f"/api/production/orders/{order['id']}/").data
    assert (done["state"], done["qty_done"]) == ("done", "5")


def test_a_short_report_is_refused_with_every_component(api, f):
    order = create_robots(api, f, qty="12")
    api.post(f"/api/production/orders/{order['id']}/release/", {"children": False}, format="json")
    before = ledger()
    refused = api.post(f"/api/production/orders/{order['id']}/report/", {"qty": "12"}, format="json")
    assert refused.status_code == 409
    assert refused.data["code"] == "components_short"
    short = {s["product"]: (D(s["wanted"]), D(s["available"])) for s in refused.data["data"]["shortages"]}
    assert short == {"CASE": (12, 10), "KIT": (12, 10), "PERIPH": (12, 10), "BRAIN": (12, 0)}
    assert "Case in Main: wanted 12, available 10" in refused.data["detail"]
    assert ledger() == before


def test_bad_input_answers_400_per_field(api, f):
    response = api.post("/api/production/orders/", {"product": f.p["ROBOT"].pk, "qty": "0"}, format="json")
    assert response.status_code == 400 and "qty" in response.data["errors"]
    order = create_robots(api, f, qty="2")
    api.post(f"/api/production/orders/{order['id']}/release/", {"children": False}, format="json")
    response = api.post(f"/api/production/orders/{order['id']}/report/", {"qty": "3"}, format="json")
    assert response.status_code == 400
    assert response.data["errors"]["qty"] == ["Only 2 of 2 remain to be made."]
    # Reporting a draft is a wrong state (409).
    draft = create_robots(api, f, qty="1")
    response = api.post(f"/api/production/orders/{draft['id']}/report/", {"qty": "1"}, format="json")
    assert response.status_code == 409 and response.data["code"] == "illegal_transition"


def test_cancel_reverses_and_answers_the_order(api, f):
    order = create_robots(api, f, qty="2")
    api.post(f"/api/production/orders/{order['id']}/release/", {}, format="json")
    child = ProductionOrder.objects.get(parent_id=order["id"])
    api.post(f"/api/production/orders/{child.pk}/report/", {"qty": "1"}, format="json")
    response = api.post(f"/api/production/orders/{order['id']}/cancel/")
    assert response.status_code == 200 and response.data["state"] == "cancelled"
    child.refresh_from_db()
    assert child.state == S.CANCELLED
    assert Balance.objects.get(product=f.p["BRAIN"], warehouse=f.main).qty == D(0)


def test_boms_and_tech_cards_through_their_services(api, engineer, f):
    client = APIClient()
    client.force_authenticate(engineer)
    robot = f.p["ROBOT"]
    response = client.post(
        "/api/production/boms/",
        {
            "product": robot.pk,
            "name": "Two brains",
            "lines": [
                {"component": f.p["CASE"].pk, "qty": "1"},
                {"component": f.p["BRAIN"].pk, "qty": "2", "scrap_pct": "5.000"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    assert (response.data["version"], response.data["is_active"]) == (2, False)
    assert [(x["qty"], x["qty_base"]) for x in response.data["lines"]] == [("1", "1"), ("2", "2")]
    bom = Bom.objects.get(pk=response.data["id"])
    assert client.post(f"/api/production/boms/{bom.pk}/activate/").data["is_active"] is True
    copy = client.post(f"/api/production/boms/{bom.pk}/copy/")
    assert copy.status_code == 201 and copy.data["version"] == 3
    # A cycle: 409 with its path; the brain's BOM is unchanged.
    brain_bom = f.p["BRAIN"].boms.get()
    refused = client.patch(
        f"/api/production/boms/{brain_bom.pk}/", {"lines": [{"component": robot.pk, "qty": "1"}]}, format="json"
    )
    assert refused.status_code == 409
    assert (refused.data["code"], refused.data["data"]["path"]) == ("bom_cycle", ["BRAIN", "ROBOT", "BRAIN"])
    assert [x.component.code for x in brain_bom.lines.all()] == ["BOARD", "CPU"]
    # A line error names its line.
    refused = client.post(
        "/api/production/boms/", {"product": robot.pk, "lines": [{"component": robot.pk, "qty": "1"}]}, format="json"
    )
    assert refused.status_code == 400 and "lines.0.component" in refused.data["errors"]

    centre = client.post(
        "/api/production/work-centres/", {"code": "PAINT", "name": "Paint", "hourly_rate": "20.00"}, format="json"
    )
    assert centre.status_code == 201 and centre.data["hourly_rate"] == "20.00"
    card = client.post(
        "/api/production/tech-cards/",
        {"product": robot.pk, "operations": [{"name": "Paint", "work_centre": centre.data["id"], "run_minutes": "10"}]},
        format="json",
    )
    assert card.status_code == 201 and card.data["version"] == 2 and card.data["is_active"] is False
    assert client.post(f"/api/production/tech-cards/{card.data['id']}/activate/").data["is_active"] is True
    assert TechCard.objects.get(product=robot, is_active=True).operations.get().work_centre == WorkCentre.objects.get(
        code="PAINT"
    )
    # The engineer may not post.
    order = create_robots(api, f, qty="1")
    assert client.post(f"/api/production/orders/{order['id']}/release/").status_code == 403


def test_explosion_and_rollup_endpoints(api, f):
    robot = f.p["ROBOT"]
    response = api.get(f"/api/production/products/{robot.pk}/explosion/?qty=5&method=fifo")
    assert response.status_code == 200
    lines = [(x["level"], x["code"], x["qty"], x.get("cost")) for x in response.data["lines"]]
    assert lines[-2:] == [(2, "BOARD", "5", "74.95"), (2, "CPU", "5", "100.00")]
    summary = {x["code"]: x["qty"] for x in response.data["summary"]}
    assert summary == {"CASE": "5", "KIT": "5", "PERIPH": "5", "BOLT": "100", "BOARD": "5", "CPU": "5"}
    rollup = api.get(f"/api/production/products/{robot.pk}/rollup/?qty=5")
    assert rollup.status_code == 200
    data = rollup.data
    assert (data["material"], data["labour"], data["overhead"], data["total"]) == (
        "1072.83",
        "120.00",
        "90.00",
        "1282.83",
    )
    assert data["cost_per_unit"] == "256.566000"
    assert [x["level"] for x in data["levels"]] == [0, 1, 2]
    assert api.get(f"/api/production/products/{robot.pk}/explosion/?qty=x").status_code == 400
    assert api.get(f"/api/production/products/{robot.pk}/explosion/?quantity=5").status_code == 400
    # Without production/cost: no costs in the explosion, no roll-up.
    sales = APIClient()
    sales.force_authenticate(make_user("dora", "director"))
    assert sales.get(f"/api/production/products/{robot.pk}/rollup/").status_code == 200
    viewer = make_user("sam", "sales_manager")
    sales.force_authenticate(viewer)
    assert sales.get(f"/api/production/products/{robot.pk}/explosion/").status_code == 403


def test_shortages_endpoint(api, f):
    order = create_robots(api, f, qty="12")
    response = api.get(f"/api/production/shortages/?orders={order['id']}")
    assert response.status_code == 200
    assert [(r["level"], r["product_code"], r["short"], r["make"]) for r in response.data] == [
        (1, "CASE", "2", False),
        (1, "KIT", "2", False),
        (1, "PERIPH", "2", False),
        (1, "BRAIN", "12", True),
        (2, "BOARD", "2", False),
        (2, "CPU", "4", False),
    ]
    assert api.get("/api/production/shortages/?orders=a,b").status_code == 400
    assert len(api.get("/api/production/shortages/").data) == 6


def test_lists_filter(api, f):
    first = create_robots(api, f, qty="1")
    create_robots(api, f, qty="2")
    api.post(f"/api/production/orders/{first['id']}/release/", {"children": False}, format="json")
    response = api.get("/api/production/orders/?state=released")
    assert [o["id"] for o in response.data["results"]] == [first["id"]]
    assert api.get("/api/production/orders/?colour=red").status_code == 400
    boms = api.get(f"/api/production/boms/?product={f.p['BRAIN'].pk}").data["results"]
    assert [(b["version"], b["is_active"]) for b in boms] == [(1, True)]
