"""The product form in headless Chromium: choosing a group brings its characteristics (htmx)."""

import pytest

from fabrika.access.tests.factories import PASSWORD, make_user
from fabrika.catalog.models import Product
from fabrika.conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_the_group_brings_its_characteristics(page, live_server, pcs, box, tree, templates):
    make_user("eva", "engineer")
    login(page, "eva", PASSWORD)
    page.goto("/catalog/products/new/")
    assert page.locator("#characteristics").inner_text().strip() == "Choose a group to fill in its characteristics."
    page.fill("#id_code", "CPU-2")
    page.fill("#id_name", "Processor 2 cores")
    page.select_option("#id_unit", str(pcs.pk))
    page.select_option("#id_group", str(tree["processors"].pk))
    voltage = f"#id_char_{templates['voltage'].pk}"
    page.wait_for_selector(voltage)
    assert page.locator("#characteristic-fields label").all_inner_texts()[:2] == ["Supplier code", "Voltage (V) *"]
    page.fill(voltage, "3.3")
    page.fill(f"#id_char_{templates['cores'].pk}", "2")
    # Another group and back: what was typed stays.
    page.select_option("#id_group", str(tree["electronics"].pk))
    page.wait_for_selector(f"#id_char_{templates['cores'].pk}", state="detached")
    assert page.input_value(voltage) == "3.3"
    page.select_option("#id_group", str(tree["processors"].pk))
    page.wait_for_selector(f"#id_char_{templates['cores'].pk}")
    page.fill(f"#id_char_{templates['cores'].pk}", "2")
    page.click("#add-conversion")
    page.select_option("#id_conv-1-unit", str(box.pk))
    page.fill("#id_conv-1-factor", "10")
    page.select_option("#id_conv-0-unit", str(box.pk))
    page.fill("#id_conv-0-factor", "10")
    screenshot(page, "catalog-product-form")
    with page.expect_navigation():
        page.click("#product-form button[type=submit]")
    # Two rows with the same unit: refused beside the second row, everything typed is still there.
    assert "box is listed twice." in page.locator("#conversion-rows").inner_text()
    assert page.input_value(voltage) == "3.3"
    page.select_option("#id_conv-1-unit", "")
    page.fill("#id_conv-1-factor", "")
    with page.expect_navigation():
        page.click("#product-form button[type=submit]")
    product = Product.objects.get(code="CPU-2")
    assert page.url == f"{live_server.url}{product.get_absolute_url()}"
    assert product.characteristics == {"voltage": "3.3", "cores": "2"}
    assert page.locator('[data-characteristic="voltage"]').inner_text() == "3.3 V"
    screenshot(page, "catalog-product-card")
