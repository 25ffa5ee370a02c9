"""The real login page and home page in headless Chromium."""

import pytest

from fabrika.access.models import Role, User
from fabrika.conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_director_signs_in_and_sees_home(page, live_server):
    user = User.objects.create_user("dora", password="s3cret-passw0rd", first_name="Dora")
    user.roles.add(Role.objects.get(code="director"))

    login(page, "dora", "s3cret-passw0rd")

    assert page.url == f"{live_server.url}/"
    assert page.get_by_role("heading", name="Welcome, Dora").is_visible()
    # Every stylesheet (vendored Bootstrap, icons, ours) was served by whitenoise and parsed.
    sheets = page.evaluate("[...document.styleSheets].map(s => [s.href, s.cssRules.length])")
    assert len(sheets) >= 3
    assert all(rules > 0 for _href, rules in sheets), sheets
    path = screenshot(page, "home-director")
    assert path.stat().st_size > 1000


def test_wrong_password_stays_on_login(page):
    User.objects.create_user("dora", password="s3cret-passw0rd")

    login(page, "dora", "wrong")

    assert "/access/login/" in page.url
    assert page.locator(".alert-danger").count() == 1
