"""Printed sales documents: the text of the PDFs holds the numbers worked out by hand."""

from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse

from fabrika.access.tests.factories import sign_in
from fabrika.core.models import CompanySettings
from fabrika.documents.printing import registry
from fabrika.documents.printing.render import render_document
from fabrika.documents.tests.printing_helpers import pdf_text
from fabrika.sales.services import invoice_create, order_reserve, order_return, shipment_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoiced(shop, make_order, half_and_half):
    company = CompanySettings.load()
    company.legal_name, company.bank_account, company.bank_name = (
        "Robofabrika GmbH",
        "AT61 1904 3002 3457 3201",
        "Erste",
    )
    company.save()
    order = make_order(
        [shop.line(shop.robot, 3, discount_pct=D("5")), shop.line(shop.kit, 7, discount_pct=D("2.5"))],
        payment_terms=half_and_half,
        confirm=True,
    )  # 4132.50 + 1289.93 = 5422.43; VAT 1084.49; total 6506.92
    advance = invoice_create(actor=shop.manager, order=order, kind="advance", schedule_line=order.schedule.first())
    final = invoice_create(actor=shop.manager, order=order, kind="final")
    return order, advance, final


def text(code, obj, language="en"):
    return pdf_text(render_document(registry.get(code), obj, language=language, show_costs=False).pdf)


def test_the_advance_invoice(invoiced):
    order, advance, _final = invoiced
    assert (order.total, advance.amount, advance.vat_amount) == (D("6506.92"), D("3253.46"), D("542.24"))
    page = text("sales.invoice", advance)
    assert f"Advance invoice No. {advance.number}" in page
    assert "Robofabrika GmbH" in page and "AT61 1904 3002 3457 3201" in page
    assert "Robokids School of Robotics" in page
    assert f"Advance payment for order {order.number}" in page and "(50.00 % of 6,506.92)" in page
    assert "2,711.22" in page  # before VAT: 3253.46 − 542.24
    assert "Total to pay: 3,253.46 EUR" in page


def test_the_final_invoice_lists_the_goods_less_the_advance(invoiced):
    order, advance, final = invoiced
    page = text("sales.invoice", final)
    assert "Invoice for payment" in page
    assert "Standard robot R1" in page and "4,132.50" in page and "1,289.93" in page
    assert "5,422.43" in page and "1,084.49" in page and "6,506.92" in page
    assert f"Less invoice {advance.number}" in page and "−3,253.46" in page
    assert "Total to pay: 3,253.46 EUR" in page


def test_the_vat_invoice_in_french(invoiced):
    _order, _advance, final = invoiced
    page = text("sales.vat_invoice", final, "fr")
    assert final.number in page
    assert "4 132,50" in page.replace("\u202f", " ").replace("\xa0", " ")


def test_the_act_and_a_credit_note(shop, invoiced):
    order, _advance, _final = invoiced
    order_reserve(actor=shop.manager, order=order)
    robot, kit = order.lines.order_by("position")
    shipment_create(actor=shop.manager, order=order, lines=[(robot, D("3")), (kit, D("7"))])
    page = text("sales.act", order)
    assert f"Act of completed work No. {order.number}" in page
    assert "6,506.92" in page and "Executor" in page
    back = order_return(actor=shop.manager, order=order, lines=[(kit, D("2"))], credit=True)
    # 2 × 189.00 − 2.5 % = 368.55; VAT 73.71; 442.26
    page = text("sales.invoice", back.credit_note)
    assert "Credit note" in page and "368.55" in page and "Total credited: 442.26 EUR" in page


def test_print_pages_follow_the_record_scope(shop, invoiced, other_manager_client):
    _order, advance, _final = invoiced
    client = Client()
    sign_in(client, shop.manager)
    response = client.get(reverse("documents:print-sales.invoice", args=[advance.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert other_manager_client.get(reverse("documents:print-sales.invoice", args=[advance.pk])).status_code == 404


@pytest.fixture
def other_manager_client(db):
    from fabrika.access.tests.factories import make_user

    client = Client()
    sign_in(client, make_user("boris", "sales_manager"))
    return client
