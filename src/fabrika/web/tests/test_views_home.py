"""The home page: areas the user may open, and the dashboard widgets other apps register."""

import pytest

from fabrika.access.policy import Policy
from fabrika.access.tests.factories import make_user, sign_in
from fabrika.web import dashboard

pytestmark = pytest.mark.django_db


@pytest.fixture
def widget_templates(tmp_path, settings):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "numbers.html").write_text('<div class="card-body">Open tasks: {{ count }}</div>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    yield
    for code in [c for c in dashboard.REGISTRY if c.startswith("test.")]:
        dashboard.unregister(code)


def test_home_links_only_to_areas_the_user_may_open(client):
    sign_in(client, make_user("anna", "sales_manager", first_name="Anna"))

    html = client.get("/").content.decode()

    assert "Welcome, Anna" in html
    home_areas = html.split('id="home-areas"')[1].split('id="home-widgets"')[0]
    assert 'href="/access/users/"' not in home_areas
    assert 'href="/settings/company/"' not in home_areas


def test_home_shows_administration_links_to_an_administrator(client):
    sign_in(client, make_user("root", "administrator"))

    html = client.get("/").content.decode()

    home_areas = html.split('id="home-areas"')[1]
    for url in (
        "/access/users/",
        "/access/roles/",
        "/access/departments/",
        "/settings/company/",
        "/settings/numbering/",
    ):
        assert f'href="{url}"' in home_areas


def test_registered_widgets_follow_their_policy(client, widget_templates):
    dashboard.register(
        "test.tasks",
        title="My open tasks",
        template="t/numbers.html",
        context=lambda request: {"count": 7},
        policy=Policy("crm", "view"),
        order=1,
    )
    dashboard.register(
        "test.hidden",
        title="Hidden for now",
        template="t/numbers.html",
        context=lambda request: None,
        order=2,
    )

    sign_in(client, make_user("anna", "sales_manager"))
    html = client.get("/").content.decode()
    assert 'data-widget="test.tasks"' in html
    assert "Open tasks: 7" in html
    assert "Hidden for now" not in html

    other = client.__class__()
    sign_in(other, make_user("sam", "storekeeper"))  # no crm right
    assert 'data-widget="test.tasks"' not in other.get("/").content.decode()


def test_a_failing_widget_does_not_break_the_home_page(client, widget_templates, caplog):
    def broken(request):
        raise RuntimeError("boom")

    dashboard.register("test.broken", title="Broken", template="t/numbers.html", context=broken)
    sign_in(client, make_user("anna", "sales_manager"))

    response = client.get("/")

    assert response.status_code == 200
    assert "This block could not be shown." in response.content.decode()
    assert "dashboard widget test.broken failed" in caplog.text


def test_recent_actions_widget_lists_my_events(client):
    user = make_user("anna", "sales_manager")
    sign_in(client, user)
    client.post("/access/language/", {"language": "en", "next": "/"})

    html = client.get("/").content.decode()

    widget = html.split('data-widget="web.recent_actions"')[1].split("</section>")[0]
    assert "user.language_changed" in widget


def test_register_refuses_a_widget_without_a_policy():
    with pytest.raises(TypeError):
        dashboard.register("test.bad", title="x", template="t.html", context=dict, policy="crm")
