"""A purchaser in headless Chromium: opens the journal, creates a request with two lines (supplier
and products searched as one types), and e-mails it to the supplier (a real SMTP server)."""

from decimal import Decimal as D

import pytest

from fabrika.access.tests.factories import PASSWORD
from fabrika.conftest import attachments_of, choose, login, screenshot
from fabrika.purchasing.models import SupplierRequest

pytestmark = pytest.mark.browser


def pick(page, control_id: str, text: str, option: str) -> None:
    choose(page.locator(f"#{control_id}"), text, option)


def test_purchaser_creates_a_request_with_two_lines_and_sends_it(page, smtp_server, purchaser, supplier, bolt, cable):
    login(page, "sophie", PASSWORD)
    page.goto("/")
    page.locator("nav.fab-sidebar").get_by_role("link", name="Supplier requests").click()
    page.wait_for_url("**/purchasing/requests/")
    with page.expect_navigation():
        page.get_by_role("link", name="New").click()

    pick(page, "id_supplier-ts-control", "Schraub", "Schraub & Co.")
    page.fill("#id_needed_by", "2026-12-15")
    rows = page.locator("#line-rows tr.line-row")
    pick(page, "id_lines-0-product-ts-control", "bolt", "M3 — M3 bolt")
    rows.nth(0).locator("td.line-unit select option", has_text="box").wait_for(state="attached")  # units arrived
    rows.nth(0).locator("td.line-qty input").fill("500")
    rows.nth(0).locator("td.line-expected_price input").fill("0.12")
    pick(page, "id_lines-1-product-ts-control", "cable", "CABLE-4 — 4-wire cable")
    rows.nth(1).locator("td.line-qty input").fill("12.5")
    rows.nth(1).locator("td.line-note input").fill("reels of 50 m")
    screenshot(page, "purchasing-request-form")
    with page.expect_navigation():
        page.click("#save-request")

    request = SupplierRequest.objects.get()
    assert request.supplier == supplier and request.state == "draft"
    assert [(ln.product.code, ln.qty) for ln in request.lines.all()] == [("M3", D("500")), ("CABLE-4", D("12.5"))]
    assert page.locator("#request-lines tbody tr").count() == 2

    with page.expect_navigation():
        page.click("#send-request")
    assert page.input_value("#id_to") == "eva@schraub.example"
    screenshot(page, "purchasing-request-send")
    with page.expect_navigation():
        page.click("#send-now")
    assert "was e-mailed to eva@schraub.example" in page.content()
    assert page.locator(".badge.state-sent").first.is_visible()
    screenshot(page, "purchasing-request-card")

    (email,) = smtp_server.wait_for(1)
    assert smtp_server.envelopes[0].rcpt_tos == ["eva@schraub.example"]
    ((name, pdf, kind),) = attachments_of(email)
    assert name == f"{request.number}.pdf" and pdf.startswith(b"%PDF-")
    request.refresh_from_db()
    assert request.state == "sent"
    # the card's e-mail panel lists the message as sent
    page.reload()
    assert page.locator("#outbox .state-sent").count() == 1
