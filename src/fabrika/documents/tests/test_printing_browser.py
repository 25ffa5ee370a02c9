"""An administrator changes a print template in the real page, in headless Chromium."""

import pytest

from fabrika.access.tests.factories import PASSWORD, make_role, make_user
from fabrika.conftest import login, screenshot
from fabrika.documents.models import PrintTemplate

pytestmark = pytest.mark.browser


def test_edit_a_template_in_the_browser(page):
    role = make_role("templater", {"documents": ["view", "change"], "inventory": ["view", "cost"]})
    make_user("tess", role.code, first_name="Tess")
    login(page, "tess", PASSWORD)

    page.goto("/")
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Print templates").click()
    assert page.locator("#print-templates").is_visible()
    screenshot(page, "print-templates-list")

    page.locator("tr", has_text="inventory.writeoff").get_by_role("button", name="Change").click()
    page.get_by_role("link", name="French").click()
    body = page.locator("#id_body")
    assert "Write-off act" in body.input_value()
    body.fill("<p>Hello</p>\n{{ ''.__class__ }}")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#id_body_errors")
    assert "Line 2:" in error.inner_text()
    screenshot(page, "print-template-error")
    assert not PrintTemplate.objects.exists()

    body.fill('{% extends "fabrika/layout.html" %}{% block lines %}<p>{{ lines|length }}</p>{% endblock %}')
    page.get_by_role("button", name="Save").click()
    assert page.locator(".alert-success").is_visible()
    saved = PrintTemplate.objects.get()
    assert (saved.code, saved.language) == ("inventory.writeoff", "fr")
    assert page.get_by_role("button", name="Reset to default").is_visible()
    screenshot(page, "print-template-edit")
