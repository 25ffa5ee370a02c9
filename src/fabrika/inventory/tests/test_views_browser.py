"""Warehouse documents in headless Chromium: the storekeeper's story (a receipt and a shipment posted
through the forms, the delivery note printed from the card), and shipping from a chosen lot."""

from decimal import Decimal as D

import pytest

from fabrika.access.tests.factories import PASSWORD, make_user
from fabrika.conftest import choose, login, screenshot
from fabrika.documents.tests.printing_helpers import pdf_text
from fabrika.inventory.models import Balance, StockDocument
from fabrika.inventory.services import document_create, document_post, warehouse_create

from .stock_story import T, make_products

pytestmark = pytest.mark.browser


def fill_line(row, search: str, option: str, qty: str, price: str | None = None) -> None:
    """Choose a product in the line's search box (Tom Select) and type the quantity (and price)."""
    choose(row.locator(".ts-control input").first, search, option)
    row.locator("td.line-qty input").fill(qty)
    if price is not None:
        row.locator("td.line-price input").fill(price)


def post_through_the_form(page, doc_type: str, warehouse, lines: list[tuple]) -> StockDocument:
    page.goto(f"/inventory/documents/new/?type={doc_type}")
    page.select_option("#id_warehouse", str(warehouse.pk))
    for index, line in enumerate(lines):
        fill_line(page.locator("#line-rows tr.line-row").nth(index), *line)
    with page.expect_navigation():
        page.click("#save-and-post")
    document = StockDocument.objects.filter(type=doc_type).latest("id")
    assert document.state == StockDocument.State.POSTED
    assert page.url.endswith(f"/inventory/documents/{document.pk}/")
    return document


def test_storekeeper_posts_a_receipt_and_a_shipment_and_prints_the_delivery_note(page, live_server):
    make_user("kate", "storekeeper")
    _pcs, _h, _f, _p, bolt, nut, _panel = make_products()
    main = warehouse_create(actor=None, data={"code": "MAIN", "name": "Main warehouse", "valuation": "fifo"})
    login(page, "kate", PASSWORD)

    receipt = post_through_the_form(
        page, T.RECEIPT, main, [("bolt", "M3 — M3 bolt", "120", "0.25"), ("nut", "M4 — M4 nut", "50", "0.10")]
    )
    assert [(ln.product, ln.qty) for ln in receipt.lines.order_by("position")] == [(bolt, D(120)), (nut, D(50))]
    shipment = post_through_the_form(
        page, T.SHIPMENT, main, [("bolt", "M3 — M3 bolt", "45"), ("nut", "M4 — M4 nut", "20")]
    )
    assert Balance.objects.get(product=bolt, warehouse=main).qty == D(75)
    assert Balance.objects.get(product=nut, warehouse=main).qty == D(30)
    screenshot(page, "inventory-shipment-card")

    # The card's Print button opens the delivery note: a PDF in a new tab.
    with page.context.expect_event("response", lambda r: "/inventory.shipment/" in r.url) as printed:
        page.locator("[data-print-menu] a.btn", has_text="Print").click()
    response = printed.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    # The tab shows it in Chromium's PDF viewer; the same URL in the same session gives the bytes.
    pdf = page.context.request.get(response.url)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.body())
    assert f"Delivery note No. {shipment.number}" in " ".join(text.split())
    rows = {line.split()[1]: line.split() for line in text.splitlines() if line.split()[:1] in (["1"], ["2"])}
    assert rows["M3"][-2:] == ["pcs", "45"] and rows["M4"][-2:] == ["pcs", "20"]  # no values: no cost right
    total = next(line.split() for line in text.splitlines() if line.split()[:1] == ["Total"])
    assert total == ["Total", "65"]


def test_storekeeper_ships_from_a_lot_through_the_form(page, live_server):
    make_user("kate", "storekeeper")
    _pcs, _h, _f, _p, bolt, nut, _panel = make_products()
    main = warehouse_create(actor=None, data={"code": "MAIN", "name": "Main warehouse", "valuation": "fifo"})
    for number, qty in (("A", "10"), ("B", "20")):
        document_post(
            actor=None,
            document=document_create(
                actor=None,
                type=T.RECEIPT,
                data={"warehouse": main},
                lines=[{"product": bolt, "qty": D(qty), "price": D("1"), "lot_number": number}],
            ),
        )
    login(page, "kate", PASSWORD)
    page.goto("/inventory/documents/new/?type=shipment")
    page.select_option("#id_warehouse", str(main.pk))
    # The product box searches as one types (Tom Select loading from the search endpoint).
    row = page.locator("#line-rows tr.line-row").first
    choose(row.locator(".ts-control input").first, "bolt", "M3 — M3 bolt")
    lot = row.locator("td.line-lot select")
    lot.locator("option", has_text="B (20)").wait_for(state="attached")  # the lots of the product arrived
    assert lot.locator("option").all_inner_texts() == ["any (FIFO)", "A (10)", "B (20)"]
    lot.select_option(label="B (20)")
    row.locator("td.line-qty input").fill("15")
    page.click("#add-line")
    assert page.locator("#line-rows tr.line-row").count() == 4
    screenshot(page, "inventory-shipment-form")
    with page.expect_navigation():
        page.click("#save-and-post")
    shipment = StockDocument.objects.get(type=T.SHIPMENT)
    assert shipment.state == "posted"
    assert [(m.lot.number, m.qty) for m in shipment.moves.select_related("lot")] == [("B", D("15"))]
    assert Balance.objects.get(product=bolt, warehouse=main).qty == D("15")
    assert "posted" in page.content()
