"""The catalog API: CRUD through the services, filters, permissions, stock with and without costs."""

from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from fabrika.access.tests.factories import make_user
from fabrika.catalog import services
from fabrika.catalog.models import GroupCharacteristic, PriceListItem, Product, ProductGroup
from fabrika.inventory.services import document_create, document_post, warehouse_create

from .conftest import row_counts

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def api(engineer):
    return client_for(engineer)


def codes(response) -> list[str]:
    return [row["code"] for row in response.json()["results"]]


def test_product_crud(api, pcs, box, tree, templates):
    created = api.post(
        "/api/products/",
        {
            "code": "CPU-16",
            "name": "Processor 16 cores",
            "type": "component",
            "unit": pcs.pk,
            "group": tree["processors"].pk,
            "characteristics": {"voltage": 12, "cores": "16", "frequency": 3.5},
            "conversions": [{"unit": box.pk, "factor": "20"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["characteristics"] == {"voltage": "12", "cores": "16", "frequency": "3.5"}
    assert body["conversions"] == [
        {"id": body["conversions"][0]["id"], "unit": box.pk, "unit_code": "box", "factor": "20.000000", "barcode": ""}
    ]
    assert (body["unit_code"], body["group_path"], body["active"], body["photo_url"]) == (
        "pcs",
        "Components / Electronics / Processors",
        True,
        None,
    )
    url = f"/api/products/{body['id']}/"
    assert api.get(url).json() == body
    changed = api.patch(url, {"name": "CPU sixteen", "characteristics": {"voltage": 12, "cores": 16}}, format="json")
    assert changed.status_code == 200
    assert changed.json()["characteristics"] == {"voltage": "12", "cores": "16"}
    assert changed.json()["conversions"][0]["unit_code"] == "box"  # not sent: kept
    assert api.patch(url, {"active": False}, format="json").json()["active"] is True  # read-only
    assert api.delete(url).status_code == 204
    assert Product.objects.get(pk=body["id"]).active is False  # archived, not gone
    restored = api.post(f"{url}restore/")
    assert restored.status_code == 200 and restored.json()["active"] is True


def test_product_refusals_are_400_with_field_errors(api, pcs, box, tree, templates, cpu):
    before = row_counts()
    response = api.post(
        "/api/products/",
        {
            "code": "CPU-4",
            "name": "Copy",
            "unit": pcs.pk,
            "group": tree["cases"].pk,
            "characteristics": {"size": "XXL"},
            "conversions": [{"unit": box.pk, "factor": "-1"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "code": ["Product with this Code already exists."],
        "characteristics.size": ["“XXL” is not one of the choices of size: S, M, L."],
        "conversions.0.factor": ["The factor must be greater than zero (got -1.000000)."],
    }
    assert row_counts() == before


def test_product_filters(api, cpu, bolt, robot, tree):
    services.product_archive(actor=None, product=robot)
    assert codes(api.get("/api/products/")) == ["CPU-4", "M3", "R1"]
    assert codes(api.get("/api/products/", {"group": tree["components"].pk})) == ["CPU-4", "M3"]
    assert codes(api.get("/api/products/", {"type": "finished"})) == ["R1"]
    assert codes(api.get("/api/products/", {"active": "true"})) == ["CPU-4", "M3"]
    assert codes(api.get("/api/products/", {"search": "4006381333931"})) == ["M3"]
    assert codes(api.get("/api/products/", {"search": "processor"})) == ["CPU-4"]
    assert codes(api.get("/api/products/", {"ordering": "-name"})) == ["R1", "CPU-4", "M3"]
    unknown = api.get("/api/products/", {"colour": "red"})
    assert unknown.status_code == 400 and "Unknown filter: colour" in unknown.json()["detail"]


def test_permissions(client, cpu, pcs):
    seller = client_for(make_user("sam", "sales_manager"))  # catalog: view
    assert seller.get("/api/products/").status_code == 200
    assert seller.post("/api/products/", {"code": "X", "name": "X", "unit": pcs.pk}, format="json").status_code == 403
    assert seller.patch(f"/api/products/{cpu.pk}/", {"name": "Y"}, format="json").status_code == 403
    buyer = client_for(make_user("pete", "purchaser"))  # catalog: view, add, change
    assert buyer.patch(f"/api/products/{cpu.pk}/", {"name": "Y"}, format="json").status_code == 200
    assert buyer.delete(f"/api/products/{cpu.pk}/").status_code == 403
    assert seller.post(f"/api/products/{cpu.pk}/restore/").status_code == 403
    assert buyer.post(f"/api/products/{cpu.pk}/restore/").status_code == 200
    stranger = client_for(make_user("nobody", []))
    assert stranger.get("/api/products/").status_code == 403
    assert APIClient().get("/api/units/").status_code in (401, 403)
    assert Product.objects.get(pk=cpu.pk).name == "Y"


def test_stock_with_cost_fields_only_for_cost_roles(cpu):
    wh = warehouse_create(actor=None, data={"code": "MAIN", "name": "Main warehouse", "valuation": "fifo"})
    doc = document_create(
        actor=None, type="receipt", data={"warehouse": wh}, lines=[{"product": cpu, "qty": D("4"), "price": D("25.25")}]
    )
    document_post(actor=None, document=doc)
    url = f"/api/products/{cpu.pk}/stock/"
    row = {
        "warehouse": {"id": wh.pk, "code": "MAIN", "name": "Main warehouse"},
        "on_hand": "4.000000",
        "reserved": "0.000000",
        "available": "4.000000",
    }
    director = client_for(make_user("dora", "director")).get(url)
    assert director.json() == [{**row, "value": "101.00", "average_cost": "25.250000"}]
    storekeeper = client_for(make_user("stan", "storekeeper")).get(url)
    assert storekeeper.json() == [row]
    assert client_for(make_user("stan2", "storekeeper")).get(url, {"x": 1}).status_code == 400


def test_units_and_groups(api, pcs, tree, templates):
    unit = api.post("/api/units/", {"code": "m", "name": "metre", "precision": 3}, format="json")
    assert unit.status_code == 201 and unit.json()["precision"] == 3
    assert api.post("/api/units/", {"code": "m", "name": "again"}, format="json").json()["errors"] == {
        "code": ["Unit of measure with this Code already exists."]
    }
    assert api.delete(f"/api/units/{pcs.pk}/").status_code == 204  # not used yet
    group = api.post(
        "/api/product-groups/",
        {
            "name": "Sensors",
            "parent": tree["electronics"].pk,
            "characteristics": [{"name": "range", "kind": "number", "unit": "cm", "required": True}],
        },
        format="json",
    ).json()
    assert group["path"] == "Components / Electronics / Sensors"
    assert [(c["name"], c["group"]) for c in group["template"]] == [
        ("supplier code", tree["components"].pk),
        ("voltage", tree["electronics"].pk),
        ("range", group["id"]),
    ]
    range_id = group["characteristics"][0]["id"]
    updated = api.patch(
        f"/api/product-groups/{group['id']}/",
        {
            "characteristics": [
                {"id": range_id, "name": "range", "kind": "number", "unit": "m"},
                {"name": "type", "kind": "choice", "choices": ["IR", "ultrasonic"]},
            ]
        },
        format="json",
    ).json()
    assert [(c["name"], c["unit"], c["choices"]) for c in updated["characteristics"]] == [
        ("range", "m", []),
        ("type", "", ["IR", "ultrasonic"]),
    ]
    assert GroupCharacteristic.objects.get(pk=range_id).unit == "m"


def test_a_cycle_in_the_group_tree_is_refused_with_the_path(api, tree):
    response = api.patch(
        f"/api/product-groups/{tree['components'].pk}/", {"parent": tree["processors"].pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "parent": ["A group cannot be its own ancestor: Components › Electronics › Processors › Components."]
    }
    assert ProductGroup.objects.get(pk=tree["components"].pk).parent is None


def test_price_types_lists_and_items(api, robot, bolt):
    retail = api.post("/api/price-types/", {"code": "retail", "name": "Retail"}, format="json").json()
    price_list = api.post(
        "/api/price-lists/",
        {"name": "Retail 2026", "price_type": retail["id"], "valid_from": "2026-01-01"},
        format="json",
    ).json()
    assert (price_list["currency"], price_list["valid_to"], price_list["item_count"]) == ("EUR", None, 0)
    item = api.post(
        "/api/price-list-items/",
        {"price_list": price_list["id"], "product": robot.pk, "price": "1450.00"},
        format="json",
    )
    assert item.status_code == 201
    assert item.json() == {
        "id": item.json()["id"],
        "price_list": price_list["id"],
        "product": robot.pk,
        "product_code": "R1",
        "product_name": "Standard robot R1",
        "price": "1450.00",
    }
    twice = api.post(
        "/api/price-list-items/", {"price_list": price_list["id"], "product": robot.pk, "price": "1"}, format="json"
    )
    assert twice.status_code == 400
    assert twice.json()["errors"] == {"product": ["R1 already has a price in Retail 2026: 1450.00."]}
    api.post(
        "/api/price-list-items/", {"price_list": price_list["id"], "product": bolt.pk, "price": "0.10"}, format="json"
    )
    items = api.get(f"/api/price-lists/{price_list['id']}/items/").json()
    assert [(i["product_code"], i["price"]) for i in items["results"]] == [("M3", "0.10"), ("R1", "1450.00")]
    assert api.get(f"/api/price-lists/{price_list['id']}/").json()["item_count"] == 2
    assert api.get("/api/price-lists/", {"valid_on": "2025-12-31"}).json()["count"] == 0
    assert api.get("/api/price-lists/", {"valid_on": "2026-01-01"}).json()["count"] == 1
    patched = api.patch(f"/api/price-list-items/{item.json()['id']}/", {"price": "1399.00"}, format="json")
    assert patched.json()["price"] == "1399.00"
    assert api.get("/api/price-list-items/", {"product": robot.pk}).json()["count"] == 1
    assert api.delete(f"/api/price-types/{retail['id']}/").status_code == 409
    assert api.delete(f"/api/price-lists/{price_list['id']}/").status_code == 204
    assert not PriceListItem.objects.exists()
    assert api.delete(f"/api/price-types/{retail['id']}/").status_code == 204


def test_schema_lists_the_catalog(api):
    schema = api.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/products/",
        "/api/products/{id}/",
        "/api/products/{id}/stock/",
        "/api/units/",
        "/api/product-groups/",
        "/api/price-types/",
        "/api/price-lists/",
        "/api/price-lists/{id}/items/",
        "/api/price-list-items/",
    ):
        assert path in paths, path


def test_the_product_list_does_not_query_per_row(api, pcs, tree, templates):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def listed(n):
        for i in range(n):
            services.product_create(
                actor=None,
                data={"code": f"C-{n}-{i}", "name": "CPU", "unit": pcs, "group": tree["processors"]},
                characteristics={"voltage": "5", "cores": "2", "frequency": "1"},
            )
        api.get("/api/products/")  # the user's rights are read once
        with CaptureQueriesContext(connection) as queries:
            body = api.get("/api/products/").json()
        assert {row["group_path"] for row in body["results"]} == {"Components / Electronics / Processors"}
        return len(queries)

    assert listed(2) == listed(8)
