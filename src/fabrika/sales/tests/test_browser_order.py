"""A sales manager in headless Chromium: enters an order (the customer and one line searched, one from a suggestion),
confirms it, reserves the goods and ships part of them."""

from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from fabrika.access.tests.factories import PASSWORD
from fabrika.conftest import choose, login, screenshot
from fabrika.crm import services as crm
from fabrika.inventory.models import Balance
from fabrika.sales.models import SalesOrder

pytestmark = pytest.mark.browser


def test_a_manager_enters_confirms_reserves_and_ships_part(page, shop, make_order, production_manager):
    make_order([shop.line(shop.kit, 4)], confirm=True)  # Robokids ordered kits before: a suggestion
    buyer = crm.contact_create(actor=None, counterparty=shop.customer, data={"first_name": "Max", "last_name": "Berg"})
    login(page, shop.manager.username, PASSWORD)
    page.goto("/sales/orders/new/")
    # The customer box searches as one types (the page carries no list of customers); the contact
    # box then offers the customer's contacts.
    choose(page.locator("#id_counterparty-ts-control"), "robokids", "Robokids School of Robotics")
    expect(page.locator("#id_contact option")).to_have_count(2)
    page.select_option("#id_contact", str(buyer.pk))

    # The first line: search the robot as one types.
    row = page.locator("#line-rows tr.line-row").first
    choose(row.locator(".ts-control input").first, "R1", "R1 — Standard robot R1")
    row.locator("td.line-qty input").fill("3")

    # The suggestions panel knows what this customer orders: one click adds the kit with its price.
    suggestion = page.locator(f"#suggestions button.suggestion[data-product='{shop.kit.pk}'][data-group='customer']")
    suggestion.wait_for()
    rows_before = page.locator("#line-rows tr.line-row").count()
    suggestion.click()
    expect(page.locator("#line-rows tr.line-row")).to_have_count(rows_before + 1)
    added = page.locator("#line-rows tr.line-row").last
    assert added.locator("td.line-price input").input_value() == "189.00"
    assert page.locator("input[name='lines-TOTAL_FORMS']").input_value() == str(rows_before + 1)
    added.locator("td.line-qty input").fill("2")
    expect(suggestion).to_have_count(0)  # the panel refreshed: the kit is on the order now
    screenshot(page, "sales-order-form")

    with page.expect_navigation():
        page.click("#save-and-confirm")
    order = SalesOrder.objects.get(state="confirmed", lines__product=shop.robot)
    assert (order.counterparty, order.contact) == (shop.customer, buyer)
    assert [(ln.product, ln.qty, ln.price) for ln in order.lines.order_by("position")] == [
        (shop.robot, D("3"), D("1450.00")),
        (shop.kit, D("2"), D("189.00")),
    ]
    assert "Confirmed" in page.locator("#order-state").inner_text()
    assert order.tasks.get().activity.owner == production_manager

    with page.expect_navigation():
        page.click("#reserve-order")
    assert Balance.objects.get(product=shop.robot, warehouse=shop.warehouse).reserved == D("3")
    assert page.locator("#order-lines tr[data-line='1'] td.line-reserved").inner_text() == "3"

    with page.expect_navigation():
        page.click("#ship-order")
    robot_line, kit_line = order.lines.order_by("position")
    page.fill(f"#id_qty_{robot_line.pk}", "1")
    page.fill(f"#id_qty_{kit_line.pk}", "")
    page.fill("#id_carrier", "DHL Freight")
    screenshot(page, "sales-ship-form")
    with page.expect_navigation():
        page.click("#ship-submit")
    order.refresh_from_db()
    assert order.state == "partly_shipped"
    assert "Partly shipped" in page.locator("#order-state").inner_text()
    assert "DHL Freight" in page.locator("#order-shipments").inner_text()
    balance = Balance.objects.get(product=shop.robot, warehouse=shop.warehouse)
    assert (balance.qty, balance.reserved) == (D("9"), D("2"))
    screenshot(page, "sales-order-card")
