"""The sales pages: the list and its export, the card, the form with its lines, the buttons."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fabrika.access.tests.factories import make_user, sign_in
from fabrika.sales.models import DiscountLimit, SalesOrder, Shipment
from fabrika.sales.services import invoice_create, order_reserve, payment_create, shipment_create

from .conftest import row_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_of(shop):
    def make(user=None):
        client = Client()
        sign_in(client, user or shop.manager)
        return client

    return make


def form_data(shop, lines, **header):
    data = {
        "counterparty": shop.customer.pk,
        "manager": shop.manager.pk,
        "order_date": datetime.date.today().isoformat(),
        "warehouse": shop.warehouse.pk,
        "price_type": shop.retail.pk,
        "currency": "EUR",
        "advance_policy": "none",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "500",
        **header,
    }
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{i}-{key}"] = value
    return data


def test_the_form_creates_an_order_with_list_prices(shop, client_of):
    client = client_of()
    assert client.get(reverse("sales:order-create")).status_code == 200
    response = client.post(
        reverse("sales:order-create"),
        form_data(
            shop, [{"product": shop.robot.pk, "qty": "2", "discount_pct": "5"}, {"product": shop.kit.pk, "qty": "1"}]
        ),
    )
    order = SalesOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    assert [(ln.product, ln.price, ln.amount) for ln in order.lines.order_by("position")] == [
        (shop.robot, D("1450.00"), D("2755.00")),
        (shop.kit, D("189.00"), D("189.00")),
    ]
    page = client.get(order.get_absolute_url()).content.decode()
    assert order.number in page and "2,944.00" in page  # subtotal
    assert "3,532.80" in page  # with VAT


def test_the_form_shows_the_services_refusals_on_the_lines(shop, client_of):
    client = client_of()
    before = row_counts()
    response = client.post(
        reverse("sales:order-create"),
        form_data(
            shop, [{"product": shop.robot.pk, "qty": "1", "discount_pct": "25"}, {"product": shop.kit.pk, "qty": "-3"}]
        ),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The quantity must be greater than zero." in page
    response = client.post(
        reverse("sales:order-create"), form_data(shop, [{"product": shop.robot.pk, "qty": "1", "discount_pct": "25"}])
    )
    assert "a discount of 25 % is more than your limit of 10 %" in response.content.decode()
    assert row_counts() == before


def test_save_and_confirm(shop, client_of, production_manager):
    response = client_of().post(
        reverse("sales:order-create"), form_data(shop, [{"product": shop.robot.pk, "qty": "1"}], action="confirm")
    )
    order = SalesOrder.objects.get()
    assert response.status_code == 302 and order.state == "confirmed"
    assert order.tasks.get().activity.owner == production_manager
    my_day = client_of(production_manager).get(reverse("crm:my-day")).content.decode()
    assert order.get_absolute_url() in my_day and order.number in my_day


def test_the_card_tabs_and_buttons(shop, make_order, client_of, half_and_half):
    order = make_order([shop.line(shop.robot, 2)], payment_terms=half_and_half, confirm=True)
    client = client_of()
    for tab in ("lines", "shipments", "billing", "documents", "history"):
        assert client.get(order.get_absolute_url() + f"?tab={tab}").status_code == 200
    response = client.post(reverse("sales:order-reserve", args=[order.pk]))
    assert response.status_code == 302
    assert client.get(order.get_absolute_url()).content.decode().count("bi-bookmark-x") == 1  # a release button
    page = client.get(reverse("sales:order-ship", args=[order.pk])).content.decode()
    assert 'name="qty_' in page
    line = order.lines.get()
    response = client.post(
        reverse("sales:order-ship", args=[order.pk]),
        {f"qty_{line.pk}": "1", "carrier": "DHL", "post": "on", "delivery_address": "Dock 1"},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == "partly_shipped"
    assert Shipment.objects.get().carrier == "DHL"
    card = client.get(order.get_absolute_url()).content.decode()
    assert 'id="confirm-order"' not in card and 'id="start-order"' not in card and 'id="cancel-order"' not in card
    assert 'id="ship-order"' in card
    # shipping more than reserved: the form says why, nothing happens
    before = row_counts()
    response = client.post(reverse("sales:order-ship", args=[order.pk]), {f"qty_{line.pk}": "5", "post": "on"})
    assert "more than the 1 still to ship" in response.content.decode()
    assert row_counts() == before


def test_cancel_page_lists_what_is_cancelled(shop, make_order, client_of):
    order = make_order(confirm=True)
    order_reserve(actor=shop.manager, order=order)
    client = client_of()
    page = client.get(reverse("sales:order-cancel", args=[order.pk])).content.decode()
    assert f"{order.number}/1 · Standard robot R1 × 3" in page
    response = client.post(reverse("sales:order-cancel", args=[order.pk]), {"reason": "Changed their mind"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == "cancelled"


def test_cancel_page_of_a_shipped_order_refuses(shop, make_order, client_of):
    order = make_order(confirm=True)
    order_reserve(actor=shop.manager, order=order)
    shipment_create(actor=shop.manager, order=order, lines=[(order.lines.get(), D("1"))])
    client = client_of()
    page = client.get(reverse("sales:order-cancel", args=[order.pk])).content.decode()
    assert "cannot be cancelled: goods were shipped for it" in page
    assert 'id="confirm-cancel"' not in page


def test_the_list_filters_exports_and_keeps_its_query_count(shop, make_order, client_of):
    orders = [make_order() for _ in range(3)]
    make_order(counterparty=shop.other_customer, confirm=True)
    client = client_of()
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("sales:order-list")).status_code == 200
    for _ in range(20):
        make_order(counterparty=shop.other_customer)
    with CaptureQueriesContext(connection) as big:
        page = client.get(reverse("sales:order-list")).content.decode()
    assert len(big) == len(small)  # no query per row
    assert orders[0].number in page
    page = client.get(reverse("sales:order-list") + "?state=confirmed").content.decode()
    assert orders[0].number not in page and "Linz Youth Robotics Club" in page
    page = client.get(reverse("sales:order-list") + "?q=robokids").content.decode()
    assert orders[0].number in page and "Linz" not in page.split("<tbody>")[1]
    # Words may match the customer or the number: "robokids" and the number's year and sequence.
    year, sequence = orders[1].number.split("-")[-2:]
    page = client.get(reverse("sales:order-list") + f"?q=robokids+{year}+{sequence}").content.decode()
    rows = page.split("<tbody>")[1].split("</tbody>")[0]
    assert orders[1].number in rows and orders[0].number not in rows and "Linz" not in rows
    page = client.get(reverse("sales:order-list") + f"?q=linz+{sequence}").content.decode()
    assert orders[1].number not in page.split("<tbody>")[1].split("</tbody>")[0]
    export = client.get(reverse("sales:order-list") + "?export=csv&state=draft")
    rows = b"".join(export.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert len(rows) == 1 + 23 and rows[0].startswith("Number,Date,State,Customer")
    xlsx = client.get(reverse("sales:order-list") + "?export=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_list_counts_at_most_its_limit(shop, make_order, client_of, monkeypatch):
    from fabrika.sales.queries import LimitedCountPaginator

    monkeypatch.setattr(LimitedCountPaginator, "limit", 2)
    for _ in range(3):
        make_order()
    page = client_of().get(reverse("sales:order-list")).content.decode()
    assert 'id="count-capped"' in page and "more than 2" in page


def test_an_other_managers_order_is_not_found(shop, make_order, client_of):
    order = make_order()
    boris = make_user("boris", "sales_manager")
    client = client_of(boris)
    assert client.get(order.get_absolute_url()).status_code == 404
    assert order.number not in client.get(reverse("sales:order-list")).content.decode()


def test_suggestions_and_the_line_row_partial(shop, make_order, client_of):
    make_order([shop.line(shop.robot, 1), shop.line(shop.kit, 2)], confirm=True)
    client = client_of()
    panel = client.get(reverse("sales:order-suggestions"), {"counterparty": shop.customer.pk}).content.decode()
    assert f'data-product="{shop.robot.pk}"' in panel and 'data-group="customer"' in panel
    panel = client.get(
        reverse("sales:order-suggestions"), {"counterparty": shop.customer.pk, "lines-0-product": shop.robot.pk}
    ).content.decode()
    assert f'data-product="{shop.robot.pk}" data-group="customer"' not in panel
    assert f'data-product="{shop.kit.pk}" data-group="customer"' in panel
    row = client.get(
        reverse("sales:order-line-row"),
        {"product": shop.kit.pk, "lines-TOTAL_FORMS": "3", "price_type": shop.retail.pk, "order_date": "2026-01-05"},
    ).content.decode()
    assert 'name="lines-3-product"' in row and 'value="189.00"' in row
    assert 'id="id_lines-TOTAL_FORMS" hx-swap-oob="true"' in row and 'value="4"' in row


def test_billing_pages(shop, make_order, client_of):
    order = make_order(confirm=True)
    client = client_of()
    response = client.post(
        reverse("sales:order-invoice", args=[order.pk]),
        {"kind": "regular", "amount": "1000.00", "issue_date": datetime.date.today().isoformat()},
    )
    assert response.status_code == 302
    invoice = order.invoices.get()
    assert client.get(invoice.get_absolute_url()).status_code == 200
    response = client.post(
        reverse("sales:payment-create"),
        {
            "counterparty": shop.customer.pk,
            "date": datetime.date.today().isoformat(),
            "amount": "1200.00",
            "auto_allocate": "on",
        },
    )
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.state == "paid"
    for name in ("sales:invoice-list", "sales:payment-list", "sales:receivables", "sales:overdue"):
        assert client.get(reverse(name)).status_code == 200
    export = client.get(reverse("sales:payment-list") + "?export=csv")
    assert "1200.00" in b"".join(export.streaming_content).decode()


def test_the_overdue_page(shop, make_order, client_of):
    order = make_order(confirm=True)
    past = datetime.date.today() - datetime.timedelta(days=10)
    late = invoice_create(actor=shop.manager, order=order, amount=D("100.00"), issue_date=past, due_date=past)
    fresh = invoice_create(actor=shop.manager, order=order, amount=D("50.00"))
    payment_create(
        actor=shop.manager, counterparty=shop.customer, date=past, amount=D("20"), allocations=[(late, D("20"))]
    )
    client = client_of()
    page = client.get(reverse("sales:overdue")).content.decode()
    assert late.number in page and fresh.number not in page and "80.00" in page
    rows = b"".join(client.get(reverse("sales:overdue") + "?export=csv").streaming_content).decode("utf-8-sig")
    assert rows.strip().splitlines()[1].split(",")[-1] == "10"  # days overdue


def test_the_calendar(shop, make_order, client_of):
    soon = datetime.date.today() + datetime.timedelta(days=2)
    order = make_order(confirm=True, promised_date=soon)
    other = make_order(confirm=True, promised_date=soon)
    order_reserve(actor=shop.manager, order=order)
    shipment_create(
        actor=shop.manager, order=order, lines=[(order.lines.get(), D("1"))], post=False, planned_delivery=soon
    )
    page = client_of().get(reverse("sales:shipment-calendar") + f"?month={soon:%Y-%m}").content.decode()
    cell = page.split(f'data-date="{soon.isoformat()}"')[1].split("</td>")[0]
    assert order.number in cell and other.number in cell and "text-bg-primary" in cell
    page = client_of().get(reverse("sales:shipment-calendar") + f"?week={soon.isoformat()}").content.decode()
    cell = page.split(f'data-date="{soon.isoformat()}"')[1].split("</td>")[0]
    assert order.number in cell and "Standard robot R1 × 1" in cell
    assert client_of().get(reverse("sales:shipment-calendar") + "?month=garbage").status_code == 200


def test_settings_page(shop, client_of, half_and_half):
    director = make_user("dir", "director")
    client = client_of(director)
    assert client.get(reverse("sales:settings")).status_code == 200
    response = client.post(
        reverse("sales:settings"), {"form": "limit", "user": shop.manager.pk, "max_discount_pct": "12.5"}
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert response["Location"] == reverse("sales:settings")
    assert DiscountLimit.objects.get(user=shop.manager).max_discount_pct == D("12.5")
    response = client.post(
        reverse("sales:terms-create"),
        {
            "name": "30/70",
            "active": "on",
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "0",
            "lines-0-percent": "30",
            "lines-0-trigger": "confirmation",
            "lines-1-percent": "60",
            "lines-1-trigger": "after_shipment",
            "lines-1-days": "30",
        },
    )
    assert "The parts add up to 90 %, not 100 %." in response.content.decode()
    assert client_of().get(reverse("sales:settings")).status_code == 403
