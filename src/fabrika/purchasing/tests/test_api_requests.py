"""`/api/supplier-requests/`: list with filters, detail, create with lines, transition; refused
input changes nothing; prices only with the purchasing cost right."""

from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from fabrika.access.tests.factories import make_user
from fabrika.purchasing.models import SupplierRequest
from fabrika.purchasing.services import request_create

pytestmark = pytest.mark.django_db

URL = "/api/supplier-requests/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def draft(purchaser, supplier, bolt, customer):
    return request_create(
        actor=purchaser,
        data={"supplier": supplier, "source": customer, "source_label": "ORD-9"},
        lines=[{"product": bolt, "qty": D("10"), "expected_price": D("0.50")}],
    )


def test_create_list_detail(purchaser, supplier, bolt, cable):
    client = api(purchaser)
    response = client.post(
        URL,
        {
            "supplier": supplier.pk,
            "needed_by": "2026-12-15",
            "note": "by API",
            "lines": [
                {"product": bolt.pk, "qty": "100", "expected_price": "0.11"},
                {"product": cable.pk, "qty": "2.5", "needed_by": "2026-12-20", "note": "reel"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("SR-") and body["state"] == "draft" and body["currency"] == "EUR"
    assert [(ln["product"], ln["qty"], ln["expected_price"], ln["amount"]) for ln in body["lines"]] == [
        (bolt.pk, "100.000000", "0.11", "11.00"),
        (cable.pk, "2.500000", None, None),
    ]
    listed = client.get(URL).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]
    detail = client.get(f"{URL}{body['id']}/").json()
    assert detail["note"] == "by API" and detail["supplier"] == supplier.pk


def test_filters(purchaser, draft, other_supplier, cable, bolt):
    other = request_create(
        actor=purchaser, data={"supplier": other_supplier}, lines=[{"product": cable, "qty": D("1")}]
    )
    client = api(purchaser)
    assert [r["id"] for r in client.get(URL, {"supplier": other_supplier.pk}).json()["results"]] == [other.pk]
    assert [r["id"] for r in client.get(URL, {"product": bolt.pk}).json()["results"]] == [draft.pk]
    assert [r["id"] for r in client.get(URL, {"search": "ORD-9"}).json()["results"]] == [draft.pk]
    assert client.get(URL, {"state": "sent"}).json()["count"] == 0
    assert client.get(URL, {"colour": "red"}).status_code == 400  # unknown filters are refused


def test_source_is_shown_as_a_reference(purchaser, draft, customer):
    body = api(purchaser).get(f"{URL}{draft.pk}/").json()
    assert body["source"] == f"crm.counterparty:{customer.pk}" and body["source_label"] == "ORD-9"


def test_bad_lines_answer_400_and_save_nothing(purchaser, bolt, customer):
    client = api(purchaser)
    response = client.post(URL, {"lines": [{"product": bolt.pk, "qty": "1.5"}]}, format="json")
    assert response.status_code == 400
    assert "lines.0.qty" in response.json()["errors"]
    response = client.post(URL, {"supplier": customer.pk, "lines": []}, format="json")
    assert response.status_code == 400 and "supplier" in response.json()["errors"]
    assert SupplierRequest.objects.count() == 0


def test_transition_and_illegal_ones(purchaser, draft):
    client = api(purchaser)
    url = f"{URL}{draft.pk}/transition/"
    refused = client.post(url, {"to": "received"}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "illegal_transition"
    draft.refresh_from_db()
    assert draft.state == "draft"
    assert client.post(url, {"to": "nowhere"}, format="json").status_code == 400
    for state in ("sent", "ordered"):
        response = client.post(url, {"to": state}, format="json")
        assert response.status_code == 200 and response.json()["state"] == state
    assert response.json()["ordered_at"] is not None


def test_rights(draft, bolt):
    planner = make_user("planner", "production_manager")  # purchasing view + add
    body = api(planner).get(f"{URL}{draft.pk}/").json()
    assert "expected_price" not in body["lines"][0] and "amount" not in body["lines"][0]
    assert api(planner).post(f"{URL}{draft.pk}/transition/", {"to": "sent"}, format="json").status_code == 403
    created = api(planner).post(URL, {"lines": [{"product": bolt.pk, "qty": "1"}]}, format="json")
    assert created.status_code == 201
    storekeeper = make_user("kate", "storekeeper")
    assert api(storekeeper).get(URL).status_code == 403
    assert APIClient().get(URL).status_code in (401, 403)
