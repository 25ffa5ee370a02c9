"""The sales API: orders with their lines, the command endpoints, invoices and payments."""

import datetime
from decimal import Decimal as D

import pytest

from fabrika.access.tests.factories import make_user
from fabrika.crm.tests.conftest import token_client
from fabrika.sales.models import Invoice, SalesOrder

from .conftest import row_counts

pytestmark = pytest.mark.django_db
URL = "/api/sales/orders/"


@pytest.fixture
def api(shop):
    return token_client(shop.manager)


def create(api, shop, lines=None, **header):
    body = {"counterparty": shop.customer.pk, "lines": lines or [{"product": shop.robot.pk, "qty": "2"}], **header}
    return api.post(URL, body, format="json")


def test_create_read_update_and_delete_a_draft(api, shop):
    response = create(api, shop, [{"product": shop.robot.pk, "qty": "2", "discount_pct": "5"}])
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["state"] == "draft" and data["manager"] == shop.manager.pk
    assert (data["subtotal"], data["vat_amount"], data["total"]) == ("2755.00", "551.00", "3306.00")
    assert data["lines"][0]["price"] == "1450.00" and data["lines"][0]["amount"] == "2755.00"
    url = f"{URL}{data['id']}/"
    response = api.patch(url, {"lines": [{"product": shop.kit.pk, "qty": "3"}]}, format="json")
    assert response.status_code == 200 and response.json()["total"] == "680.40"
    assert api.get(URL, {"search": "robokids"}).json()["count"] == 1
    assert api.get(URL, {"state": "confirmed"}).json()["count"] == 0
    boss = token_client(make_user("boss", "administrator"))
    assert boss.delete(url).status_code == 204
    assert not SalesOrder.objects.exists()


def test_refusals_answer_with_their_data_and_change_nothing(api, shop):
    before = row_counts()
    response = create(api, shop, [{"product": shop.robot.pk, "qty": "-1"}])
    assert response.status_code == 400
    assert response.json()["errors"] == {"lines.0.qty": ["The quantity must be greater than zero."]}
    response = create(api, shop, [{"product": shop.robot.pk, "qty": "1", "discount_pct": "30"}])
    assert response.status_code == 409
    assert response.json()["code"] == "discount_over_limit"
    assert response.json()["data"] == {"line": 1, "product": "Standard robot R1", "discount": "30.00", "limit": "10.00"}
    assert row_counts() == before


def test_the_workflow_through_the_command_endpoints(api, shop, half_and_half):
    order = create(api, shop, [{"product": shop.robot.pk, "qty": "3"}], payment_terms=half_and_half.pk).json()
    url = f"{URL}{order['id']}/"
    assert api.post(url + "confirm/").json()["state"] == "confirmed"
    assert api.post(url + "confirm/").status_code == 409
    assert api.post(url + "reserve/", {}, format="json").status_code == 200
    line = order["lines"][0]["id"]
    before = row_counts()
    response = api.post(url + "ship/", {"lines": [{"line": line, "qty": "4"}]}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "more_than_ordered"
    assert row_counts() == before
    response = api.post(url + "ship/", {"lines": [{"line": line, "qty": "2"}], "carrier": "DPD"}, format="json")
    assert response.status_code == 201 and response.json()["state"] == "shipped"
    assert api.get(url).json()["state"] == "partly_shipped"
    preview = api.get(url + "cancel-preview/").json()
    assert [item["kind"] for item in preview] == ["reservation"]
    response = api.post(url + "cancel/", {"confirm": True}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "order_shipped"
    response = api.post(url + "return/", {"lines": [{"line": line, "qty": "1"}], "credit": True}, format="json")
    assert response.status_code == 200
    assert Invoice.objects.get(kind="credit").amount == D("-1740.00")


def test_cancel_needs_confirmation(api, shop):
    order = create(api, shop).json()
    url = f"{URL}{order['id']}/"
    api.post(url + "confirm/")
    api.post(url + "reserve/", {}, format="json")
    response = api.post(url + "cancel/", {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "confirm_cancel"
    assert response.json()["data"]["items"][0]["kind"] == "reservation"
    assert (
        api.post(url + "cancel/", {"confirm": True, "reason": "No budget"}, format="json").json()["state"]
        == "cancelled"
    )


def test_invoices_and_payments(api, shop):
    order = create(api, shop).json()  # 2 × 1450.00 + 20 % = 3480.00
    api.post(f"{URL}{order['id']}/confirm/")
    response = api.post(
        "/api/sales/invoices/", {"order": order["id"], "kind": "advance", "amount": "1200.00"}, format="json"
    )
    assert response.status_code == 201, response.json()
    invoice = response.json()
    assert (invoice["amount"], invoice["vat_amount"], invoice["state"]) == ("1200.00", "200.00", "issued")
    body = {
        "counterparty": shop.customer.pk,
        "date": datetime.date.today().isoformat(),
        "amount": "1500.00",
        "allocations": [{"invoice": invoice["id"], "amount": "1300.00"}],
    }
    before = row_counts()
    response = api.post("/api/sales/payments/", body, format="json")
    assert response.status_code == 409 and response.json()["code"] == "overpayment"
    assert response.json()["data"] == {"invoice": invoice["number"], "wanted": "1300.00", "open": "1200.00"}
    assert row_counts() == before
    body["allocations"][0]["amount"] = "1200.00"
    payment = api.post("/api/sales/payments/", body, format="json").json()
    assert payment["unallocated"] == "300.00"
    assert api.get(f"/api/sales/invoices/{invoice['id']}/").json()["state"] == "paid"
    second = api.post("/api/sales/invoices/", {"order": order["id"]}, format="json").json()
    assert second["amount"] == "2280.00"
    response = api.post(
        f"/api/sales/payments/{payment['id']}/allocate/",
        {"allocations": [{"invoice": second["id"], "amount": "300.00"}]},
        format="json",
    )
    assert response.status_code == 200 and response.json()["unallocated"] == "0.00"
    assert api.post(f"/api/sales/invoices/{second['id']}/cancel/").status_code == 409  # paid in part


def test_record_scope(api, shop):
    order = create(api, shop).json()
    other = token_client(make_user("boris", "sales_manager"))
    assert other.get(f"{URL}{order['id']}/").status_code == 404
    assert other.get(URL).json()["count"] == 0
    assert token_client(make_user("ivan", "storekeeper")).get(URL).status_code == 403
