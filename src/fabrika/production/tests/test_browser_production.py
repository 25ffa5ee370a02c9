"""The production story in headless Chromium, through the real pages.

Eva, an engineer, builds a two-level BOM — a frame node made of tubes and clamps, a chair made of
the frame and a seat — and the chair's tech card. Max, the production manager, orders two chairs,
releases the order (a child order for the frames appears in the tree), reports the frames, then
the chairs, and sees the order done with its cost. No page may throw or log a console error.

Screenshots of every step are written to var/screenshots/production-*.png.
"""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from fabrika.access.tests.factories import PASSWORD, make_user
from fabrika.catalog.models import Product, Unit
from fabrika.conftest import choose, login, screenshot
from fabrika.inventory.models import Balance, StockMove
from fabrika.inventory.services import warehouse_create
from fabrika.production.models import Bom, ProductionOrder, TechCard, WorkCentre
from fabrika.production.services import order_create

from .factory import receive

pytestmark = pytest.mark.browser


def pick_product(row, text: str, label: str) -> None:
    """Type into a row's product box (Tom Select loading from the search) and choose `label`."""
    choose(row.locator(".ts-control input").first, text, label)


def test_engineer_builds_a_bom_and_the_manager_makes_chairs(page, live_server):
    problems = []
    page.on("pageerror", lambda exc: problems.append(f"{exc} ({page.url})"))
    page.on("console", lambda m: problems.append(f"{m.text} ({page.url})") if m.type == "error" else None)

    make_user("eva", "engineer", first_name="Eva")
    make_user("max", "production_manager", first_name="Max")
    pcs = Unit.objects.create(code="pcs", name="pieces", precision=0)
    tube = Product.objects.create(code="TUBE", name="Steel tube", unit=pcs)
    clamp = Product.objects.create(code="CLAMP", name="Clamp", unit=pcs)
    seat = Product.objects.create(code="SEAT", name="Seat", unit=pcs)
    frame = Product.objects.create(code="FRAME", name="Chair frame", unit=pcs, type="node")
    chair = Product.objects.create(code="CHAIR", name="Office chair", unit=pcs, type="finished")
    main = warehouse_create(actor=None, data={"code": "MAIN", "name": "Main", "valuation": "fifo"})
    WorkCentre.objects.create(code="WELD", name="Welding bay", hourly_rate=D("12.00"))
    when = timezone.now() - timedelta(days=2)
    receive(tube, 20, "100.00", main, when)  # 5.00 each
    receive(clamp, 10, "20.00", main, when)  # 2.00 each
    receive(seat, 5, "150.00", main, when)  # 30.00 each

    # --- Eva: the frame's BOM, the chair's BOM and tech card --------------------------------------
    login(page, "eva", PASSWORD)
    page.goto(f"/catalog/products/{frame.pk}/?tab=production")
    assert page.locator("#no-bom").is_visible()
    with page.expect_navigation():
        page.click("#new-bom")
    rows = page.locator("#bom-lines tr.fab-row")
    pick_product(rows.nth(0), "tube", "TUBE — Steel tube")
    rows.nth(0).locator("td.row-qty input").fill("4")
    pick_product(rows.nth(1), "clamp", "CLAMP — Clamp")
    rows.nth(1).locator("td.row-qty input").fill("2")
    screenshot(page, "production-bom-form")
    with page.expect_navigation():
        page.click("#save-bom")
    assert page.locator("#bom-active").is_visible()

    page.goto(f"/catalog/products/{chair.pk}/?tab=production")
    with page.expect_navigation():
        page.click("#new-bom")
    page.fill("#id_name", "Standard")
    rows = page.locator("#bom-lines tr.fab-row")
    pick_product(rows.nth(0), "frame", "FRAME — Chair frame")
    rows.nth(0).locator("td.row-qty input").fill("1")
    pick_product(rows.nth(1), "seat", "SEAT — Seat")
    rows.nth(1).locator("td.row-qty input").fill("1")
    with page.expect_navigation():
        page.click("#save-bom")
    # The explosion of two chairs goes down to the frame's parts.
    page.fill("#explosion-form input[name=qty]", "2")
    with page.expect_navigation():
        page.click("#explosion-form button[type=submit]")
    explosion = page.locator("#explosion-table tbody tr")
    assert [explosion.nth(i).get_attribute("data-component") for i in range(explosion.count())] == [
        "FRAME",
        "TUBE",
        "CLAMP",
        "SEAT",
    ]
    assert page.locator('#explosion-table tr[data-component="TUBE"] td[data-col="qty"]').inner_text() == "8"
    screenshot(page, "production-bom-detail")
    page.click("#tab-summary")
    assert page.locator("#summary-total").inner_text() == "108.00"  # 8 × 5.00 + 4 × 2.00 + 2 × 30.00

    page.goto(f"/catalog/products/{chair.pk}/?tab=production")
    with page.expect_navigation():
        page.click("#new-techcard")
    row = page.locator("#operations tr.fab-row").first
    row.locator("td.row-name input").fill("Assemble")
    row.locator("td.row-work_centre select").select_option(label="WELD Welding bay")
    row.locator("td.row-run_minutes input").fill("30")
    row.locator("td.row-labour_rate input").fill("20")
    screenshot(page, "production-techcard-form")
    with page.expect_navigation():
        page.click("#save-techcard")
    assert page.locator("#techcard-active").is_visible()
    screenshot(page, "production-techcard-detail")
    page.goto(f"/catalog/products/{chair.pk}/?tab=production")
    screenshot(page, "production-product-tab")
    card = TechCard.objects.get(product=chair)
    assert [(op.name, op.work_centre.code, op.run_minutes) for op in card.operations.all()] == [
        ("Assemble", "WELD", D(30))
    ]
    assert [line.component.code for line in Bom.objects.get(product=chair).lines.all()] == ["FRAME", "SEAT"]

    # --- Max: order two chairs, release, report the frames, then the chairs -----------------------
    page.context.clear_cookies()
    login(page, "max", PASSWORD)
    page.goto(f"/production/orders/new/?product={chair.pk}")
    page.fill("#id_qty", "2")
    page.select_option("#id_input_warehouse", str(main.pk))
    screenshot(page, "production-order-form")
    with page.expect_navigation():
        page.click("#create-order")
    order = ProductionOrder.objects.get(product=chair)
    assert page.locator("#id_children").is_checked()  # child orders for short nodes by default
    with page.expect_navigation():
        page.click("#release-order")
    child = ProductionOrder.objects.get(parent=order)
    tree = page.locator("#order-tree tbody tr")
    assert [tree.nth(i).get_attribute("data-order") for i in range(tree.count())] == [order.number, child.number]
    assert page.locator(f'#order-tree tr[data-order="{child.number}"]').get_attribute("data-state") == "released"
    screenshot(page, "production-order-released")

    with page.expect_navigation():
        page.click(f'#order-tree a:text("{child.number}")')
    with page.expect_navigation():
        page.click("#report-order")
    assert page.input_value("#id_qty") == "2"
    with page.expect_navigation():
        page.click("#post-report")
    assert page.locator("#order-state").inner_text() == "Done"

    page.goto(order.get_absolute_url())
    with page.expect_navigation():
        page.click("#report-order")
    screenshot(page, "production-order-report")
    with page.expect_navigation():
        page.click("#post-report")
    assert page.locator("#order-state").inner_text() == "Done"
    # 2 frames: 8 tubes 40.00 + 4 clamps 8.00 = 48.00; 2 chairs: frames 48.00 + seats 60.00 + assembly
    # 1 h: labour 20.00, overhead (the bay's 12.00/h) 12.00 → 140.00
    assert page.locator('#order-costing tr[data-row="actual"] td[data-col="output"]').inner_text() == "140.00"
    screenshot(page, "production-order-done")
    order.refresh_from_db()
    assert (order.state, order.qty_done) == ("done", D(2))
    assert Balance.objects.get(product=chair, warehouse=main).value == D("140.00")
    assert StockMove.objects.filter(product=frame).count() == 2

    for path, name in (
        (f"/production/products/{chair.pk}/costing/?qty=2", "production-costing"),
        ("/production/orders/", "production-order-list"),
        ("/production/workcentres/", "production-workcentres"),
        (f"/production/genealogy/?q={chair.lots.get().number}", "production-genealogy"),
    ):
        page.goto(path)
        screenshot(page, name)

    # Ten more chairs: the shortage analysis goes through the frame to the tubes and clamps, and the
    # parts to buy become supplier requests.
    big = order_create(actor=None, data={"product": chair, "qty": D(10), "input_warehouse": main})
    page.goto("/production/shortages/")
    shortage = page.locator("#shortage-table tbody tr")
    assert [shortage.nth(i).get_attribute("data-product") for i in range(shortage.count())] == [
        "FRAME",
        "TUBE",
        "CLAMP",
        "SEAT",
    ]
    screenshot(page, "production-shortages")
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#create-requests")
    assert page.url.endswith("/purchasing/requests/")
    assert big.number in page.content()
    assert problems == []
