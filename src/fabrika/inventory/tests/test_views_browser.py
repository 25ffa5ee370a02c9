"""The document form in headless Chromium: search a product, its lots appear, add a line, post."""

from decimal import Decimal as D

import pytest

from fabrika.access.tests.factories import PASSWORD, make_user
from fabrika.conftest import login, screenshot
from fabrika.inventory.models import Balance, StockDocument
from fabrika.inventory.services import document_create, document_post, warehouse_create

from .stock_story import T, make_products

pytestmark = pytest.mark.browser


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
    row.locator(".ts-control input").first.fill("bolt")
    page.locator(".ts-dropdown .option", has_text="M3 — M3 bolt").first.click()
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
