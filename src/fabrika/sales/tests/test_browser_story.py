"""The Robokids story of issue 5 (story.py) in headless Chromium, through the real pages.

Anna, the sales manager, confirms the order and looks at its availability: 5 robots from stock, 9 to
make, 5 boards and 2 processors to buy. She reserves what is in stock. Martin, the production
manager (who also works on customer orders), creates the supplier requests; production is refused
until the advance is paid. Anna issues the advance invoice, e-mails it (a real SMTP server) and
records the payment; Martin creates the production orders. Kate, the storekeeper, receives the
components; Martin reports the brains, then the robots. Anna ships the order, prints the delivery
note, e-mails the act and the final invoice, records the final payment and closes the order.

No page may throw or log a console error. Screenshots: var/screenshots/sales-story-*.png.
"""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import formats, timezone
from playwright.sync_api import expect

from fabrika.access.tests.factories import PASSWORD, make_user
from fabrika.conftest import attachments_of, choose, login, screenshot
from fabrika.crm import services as crm
from fabrika.documents.tests.printing_helpers import pdf_text
from fabrika.inventory.checks import check_ledger
from fabrika.inventory.models import Balance
from fabrika.production.models import ProductionOrder, ProductionProfile
from fabrika.purchasing.models import SupplierRequest
from fabrika.sales.models import Invoice
from fabrika.sales.services import order_create

from . import story
from .availability_table import availability_rows

pytestmark = pytest.mark.browser
factory = story.factory  # the fixture


def sign_in_as(page, username):
    page.context.clear_cookies()
    login(page, username, PASSWORD)


def click_and_wait(page, selector):
    with page.expect_navigation():
        page.click(selector)


def alerts(page) -> str:
    return " ".join(page.locator("main .alert").all_inner_texts())


def rows_by_line(page) -> dict:
    return {r["data-line"]: r for r in availability_rows(page.content()) if "data-line" in r}


def email(page, order, code, contact):
    page.goto(f"/sales/orders/{order.pk}/email/")
    page.select_option("#id_code", code)
    page.select_option("#id_contact", str(contact.pk))
    click_and_wait(page, "form.card button[type=submit]")
    assert "is queued" in alerts(page)


def pay(page, order, amount):
    page.goto(f"/sales/orders/{order.pk}/?tab=billing")
    click_and_wait(page, "a[href*='/sales/payments/new/']")
    page.fill("#id_amount", amount)
    click_and_wait(page, "form.card button[type=submit]")
    assert "was recorded" in alerts(page)


def invoice(page, order, position, kind=None):
    page.goto(f"/sales/orders/{order.pk}/?tab=billing")
    click_and_wait(page, f"#order-schedule tbody tr:nth-child({position}) a.btn")
    if kind:
        page.select_option("#id_kind", kind)
    click_and_wait(page, "form.card button[type=submit]")
    assert "was issued" in alerts(page)
    return Invoice.objects.filter(order=order).order_by("-pk").first()


def test_the_robokids_order_through_the_pages(page, factory, smtp_server):
    problems = []
    page.on("pageerror", lambda exc: problems.append(f"{exc} ({page.url})"))
    page.on("console", lambda m: problems.append(f"{m.text} ({page.url})") if m.type == "error" else None)
    page.on("dialog", lambda dialog: dialog.accept())  # the buttons that ask "are you sure?"
    f = factory
    for code, days in (("ROBOT", 2), ("BRAIN", 1), ("BOARD", 7), ("CPU", 10)):  # lead times
        ProductionProfile.objects.create(product=f.p[code], lead_time_days=days)
    the = story.robokids(f)
    order, anna, maria = the.order, the.manager, the.maria
    make_user("martin", ["production_manager", "sales_manager"], first_name="Martin", last_name="Wagner")
    make_user("kate", "storekeeper", first_name="Kate")

    # --- Anna confirms the order and looks at its availability ------------------------------------
    login(page, anna.username, PASSWORD)
    page.goto(order.get_absolute_url())
    click_and_wait(page, "#confirm-order")
    expect(page.locator("#order-state")).to_have_text("Confirmed")
    click_and_wait(page, "#tab-availability")
    lines = rows_by_line(page)
    assert [(r["now-from_stock"], r["now-to_produce"], r["now-to_purchase"]) for r in lines.values()] == [
        ("5", "5", "0"),
        ("5", "0", "0"),
        ("0", "4", "0"),
    ]
    # Processors take 10 days to buy, a brain a day to make, a robot two: 13 days from today.
    assert page.locator("#earliest-now").inner_text() == formats.date_format(
        timezone.localdate() + timedelta(13), "SHORT_DATE_FORMAT"
    )
    assert page.locator("#to-make").inner_text() == "Robot × 9"
    assert page.locator("#to-buy").inner_text() == "Board × 5, Cpu × 2"
    page.click("#toggle-all-parts")
    expect(page.locator('#availability tr[data-part="3"][data-code="SENSOR"]')).to_be_visible()
    boards = page.locator('#availability tr[data-code="BOARD"] td[data-col="now-to_purchase"]').all_inner_texts()
    assert boards == ["1", "4"]
    page.set_viewport_size({"width": 1920, "height": 1080})  # a desk's screen: both analyses side by side
    screenshot(page, "sales-story-availability")
    page.set_viewport_size({"width": 1366, "height": 900})
    # A sales manager reserves; production orders and supplier requests need other rights.
    expect(page.locator("#create-production")).to_have_count(0)
    expect(page.locator("#create-requests")).to_have_count(0)
    click_and_wait(page, "#reserve-available")
    assert "Reserved: Robot × 5, Construction kit × 5" in alerts(page)
    assert [r["reserved"] for r in rows_by_line(page).values()] == ["5", "5", "0"]

    # --- Martin requests the components; production waits for the advance ------------------------
    sign_in_as(page, "martin")
    page.goto(order.get_absolute_url() + "?tab=availability")
    click_and_wait(page, "#create-requests")
    [request] = SupplierRequest.objects.filter(source_id=str(order.pk))
    assert f"Supplier requests created: {request.number}" in alerts(page)
    assert sorted((x.product.code, x.qty) for x in request.lines.all()) == [("BOARD", 5), ("CPU", 2)]
    expect(page.locator("#create-requests")).to_have_count(0)  # nothing left to buy
    assert page.locator("#to-buy").inner_text() == "—"
    click_and_wait(page, "#create-production")
    assert f"{order.number} waits for its advance: 13,803.00 EUR is due, 0.00 is paid." in alerts(page)
    assert not ProductionOrder.objects.exists()
    screenshot(page, "sales-story-advance-required")

    # --- Anna: the advance invoice by e-mail, then the payment ------------------------------------
    sign_in_as(page, anna.username)
    advance = invoice(page, order, 1)
    assert (advance.kind, advance.amount) == ("advance", D("13803.00"))
    email(page, order, f"sales.invoice:{advance.pk}", maria)
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "Maria Huber <maria@robokids.example>"
    [(name, pdf, _kind)] = attachments_of(mail)
    assert name == f"{advance.number}.pdf" and "13,803.00" in pdf_text(pdf)
    pay(page, order, "13803.00")
    page.goto(order.get_absolute_url())
    assert page.locator("#order-advance").inner_text() == "13,803.00 / 13,803.00"

    # --- Martin creates the production orders -----------------------------------------------------
    sign_in_as(page, "martin")
    page.goto(order.get_absolute_url() + "?tab=availability")
    click_and_wait(page, "#create-production")
    robots = list(ProductionOrder.objects.filter(parent__isnull=True).order_by("pk"))
    brains = [ProductionOrder.objects.get(parent=o) for o in robots]
    assert [(o.product.code, o.qty) for o in (*robots, *brains)] == [
        ("ROBOT", 5),
        ("ROBOT", 4),
        ("BRAIN", 5),
        ("BRAIN", 4),
    ]
    assert "Production orders created:" in alerts(page)
    assert all(o.number in page.locator("#availability-made").inner_text() for o in (*robots, *brains))
    expect(page.locator("#order-state")).to_have_text("In work")
    screenshot(page, "sales-story-production-created")

    # --- Kate receives the components -------------------------------------------------------------
    sign_in_as(page, "kate")
    page.goto("/inventory/documents/new/?type=receipt")
    page.select_option("#id_warehouse", str(f.main.pk))
    rows = page.locator("#line-rows tr.line-row")
    for i, (text, label, qty, price) in enumerate(
        (("BOARD", "BOARD — Board", "5", "15.50"), ("CPU", "CPU — Cpu", "2", "26.00"))
    ):
        row = rows.nth(i)
        choose(row.locator(".ts-control input").first, text, label)
        row.locator("td.line-qty input").fill(qty)
        row.locator("td.line-price input").fill(price)
    screenshot(page, "sales-story-receipt")
    click_and_wait(page, "#save-and-post")
    assert Balance.objects.get(product=f.p["BOARD"], warehouse=f.main).qty == 9
    assert Balance.objects.get(product=f.p["CPU"], warehouse=f.main).qty == 9

    # --- Martin reports the brains, then the robots -----------------------------------------------
    sign_in_as(page, "martin")
    for po in (*brains, *robots):
        page.goto(po.get_absolute_url())
        click_and_wait(page, "#report-order")
        assert page.input_value("#id_qty") == str(po.qty.normalize())
        click_and_wait(page, "#post-report")
        expect(page.locator("#order-state")).to_have_text("Done")
    screenshot(page, "sales-story-robots-done")

    # --- Anna ships, prints the delivery note, invoices, e-mails, is paid and closes --------------
    sign_in_as(page, anna.username)
    page.goto(order.get_absolute_url() + "?tab=availability")
    assert [(r["ordered"], r["reserved"]) for r in rows_by_line(page).values()] == [
        ("10 pcs", "10"),
        ("5 pcs", "5"),
        ("4 pcs", "4"),
    ]
    screenshot(page, "sales-story-all-reserved")
    click_and_wait(page, "#ship-order")
    standard, kits, customs = order.lines.order_by("position")
    for line, qty in ((standard, "10"), (kits, "5"), (customs, "4")):
        page.fill(f"#id_qty_{line.pk}", qty)
    page.fill("#id_carrier", "DHL Freight")
    page.fill("#id_vehicle", "W-12345")
    click_and_wait(page, "#ship-submit")
    expect(page.locator("#order-state")).to_have_text("Shipped")
    shipment = order.shipments.get()

    page.goto(order.get_absolute_url() + "?tab=shipments")
    click_and_wait(page, f"#order-shipments a:text('{shipment.document.number}')")
    note = page.request.get(page.locator("[data-print-menu] a").first.get_attribute("href"))
    assert note.ok and note.headers["content-type"] == "application/pdf"
    text = pdf_text(note.body())
    assert shipment.document.number in text and "Robokids School of Robotics" in text

    final = invoice(page, order, 2, "final")
    assert (final.kind, final.amount) == ("final", D("13803.00"))
    email(page, order, f"sales.act:{order.pk}", maria)
    email(page, order, f"sales.invoice:{final.pk}", maria)
    mails = smtp_server.wait_for(3)
    act, bill = (pdf_text(attachments_of(m)[0][1]) for m in mails[1:])
    assert "27,606.00" in act
    assert final.number in bill and "13,803.00" in bill
    pay(page, order, "13803.00")
    page.goto(order.get_absolute_url() + "?tab=documents")
    screenshot(page, "sales-story-documents")
    click_and_wait(page, "#close-order")
    expect(page.locator("#order-state")).to_have_text("Closed")
    screenshot(page, "sales-story-closed")
    assert Balance.objects.get(product=f.p["ROBOT"], warehouse=f.main).qty == 0

    # The order list, filtered by the customer chosen in a box that searches as one types.
    other = crm.counterparty_create(actor=None, data={"name": "Linz Youth Robotics Club", "responsible": anna})
    order_create(
        actor=anna,
        data={"counterparty": other, "manager": anna, "warehouse": f.main},
        lines=[{"product": f.p["CKIT"], "qty": D(1), "price": D("189.00")}],
    )
    page.goto("/sales/orders/")
    expect(page.locator("#list-filters")).to_be_visible()
    box = page.locator("#list-filters .ts-control input").nth(1)  # the states, then the customer
    choose(box, "robokids", "Robokids School of Robotics")
    with page.expect_navigation():
        page.press("#id_q", "Enter")
    table = page.locator("main table").inner_text()
    assert order.number in table and "Linz Youth Robotics Club" not in table
    screenshot(page, "sales-story-order-list")
    assert check_ledger() == []
    assert not problems, problems
