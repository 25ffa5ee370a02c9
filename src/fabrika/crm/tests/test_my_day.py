""" "My day": the user's open tasks in sections, one-click done, and sections added by other areas."""

from datetime import datetime, timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from fabrika.access.tests.factories import sign_in
from fabrika.crm import services
from fabrika.crm.views import my_day as my_day_view
from fabrika.crm.views.my_day import DaySection, register_section, sections_for

from .funnel_helpers import company, manager

pytestmark = pytest.mark.django_db

# Wednesday 12 March 2025, 10:00 in the company's time zone.
NOW = timezone.make_aware(datetime(2025, 3, 12, 10, 0))


@pytest.fixture
def anna():
    return manager("anna", "Anna", "Petit")


@pytest.fixture
def acme(anna):
    return company(anna, "Acme")


def task(actor, subject, due, **data):
    return services.activity_create(actor=actor, data={"kind": "task", "subject": subject, "due_at": due, **data})


def subjects(section: DaySection) -> list[str]:
    return [a.subject for a in section.items]


def test_sections_around_a_fixed_now(anna, acme):
    boris = manager("boris", "Boris")
    task(anna, "Yesterday's call", NOW - timedelta(days=1), counterparty=acme)
    task(anna, "An hour ago", NOW - timedelta(hours=1))
    task(anna, "This afternoon", NOW + timedelta(hours=5))  # 15:00 today
    task(anna, "Late tonight", NOW.replace(hour=23, minute=59))
    task(anna, "Tomorrow", NOW + timedelta(days=1))
    task(anna, "Friday with a reminder", NOW + timedelta(days=2), remind_at=NOW - timedelta(minutes=30))
    task(anna, "In a week", NOW + timedelta(days=7, hours=13))  # 19 March 23:00: the last upcoming day
    task(anna, "In eight days", NOW + timedelta(days=8))  # 20 March: too far
    task(anna, "Reminder later", NOW + timedelta(days=3), remind_at=NOW + timedelta(hours=1))
    done = task(anna, "Already done", NOW - timedelta(hours=3))
    services.activity_complete(actor=anna, activity=done)
    task(boris, "Boris's task", NOW)

    request = RequestFactory().get("/crm/my-day/")
    request.user = anna
    # Other apps add their own sections after these (sales: confirmed orders to look at).
    crm_keys = ["overdue", "today", "upcoming", "reminders"]
    sections = {s.key: s for s in sections_for(request, now=NOW) if s.key in crm_keys}

    assert list(sections) == crm_keys
    assert subjects(sections["overdue"]) == ["Yesterday's call", "An hour ago"]
    assert subjects(sections["today"]) == ["This afternoon", "Late tonight"]
    assert subjects(sections["upcoming"]) == ["Tomorrow", "Friday with a reminder", "Reminder later", "In a week"]
    assert subjects(sections["reminders"]) == ["Friday with a reminder"]
    assert [s.color for s in sections.values()] == ["danger", "primary", "secondary", "warning"]


def test_the_page_shows_overdue_in_red_with_one_click_done(client, anna, acme):
    now = timezone.now()
    late = task(anna, "Overdue call", now - timedelta(days=1), counterparty=acme)
    task(anna, "Next week", now + timedelta(days=3))
    sign_in(client, anna)

    response = client.get(reverse("crm:my-day"))
    assert response.status_code == 200
    assert [s.key for s in response.context["sections"]][:4] == ["overdue", "today", "upcoming", "reminders"]
    assert [len(s.items) for s in response.context["sections"]][:4] == [1, 0, 1, 0]
    html = response.content.decode()
    overdue = html[html.index('id="my-day-overdue"') : html.index('id="my-day-today"')]
    assert "Overdue call" in overdue
    assert '<div class="text-danger fw-semibold"><i class="bi bi-exclamation-circle"></i>' in overdue
    complete_url = reverse("crm:activity-complete", args=[late.pk])
    assert f'hx-post="{complete_url}" hx-target="closest li"' in overdue
    assert '<input type="hidden" name="fragment" value="my_day">' in overdue

    fragment = client.post(complete_url, {"fragment": "my_day", "next": "/crm/my-day/"}, HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    assert text.startswith(
        f'<li class="list-group-item py-1 d-flex align-items-start gap-2 text-body-secondary" '
        f'data-activity="{late.pk}">'
    )
    assert "text-decoration-line-through" in text
    late.refresh_from_db()
    assert late.done is True


def test_any_signed_in_user_has_a_day_even_without_crm_rights(client):
    keeper = manager("kate", "Kate", role="storekeeper")
    sign_in(client, keeper)
    response = client.get(reverse("crm:my-day"))
    assert response.status_code == 200
    assert "hx-post" not in response.content.decode()


def test_other_areas_add_their_sections(client, anna):
    def routing(request, *, now):
        return [DaySection("routing", "Orders to route", [], icon="signpost", empty_text="No orders to route.")]

    def broken(request, *, now):
        raise RuntimeError("boom")

    register_section("test.routing", routing, order=50)
    register_section("test.broken", broken, order=60)
    try:
        sign_in(client, anna)
        response = client.get(reverse("crm:my-day"))
    finally:
        my_day_view.PROVIDERS.pop("test.routing")
        my_day_view.PROVIDERS.pop("test.broken")
    assert response.status_code == 200
    keys = [s.key for s in response.context["sections"]]
    assert keys[:4] == ["overdue", "today", "upcoming", "reminders"] and keys[-1] == "routing"  # by its order
    html = response.content.decode()
    assert 'id="my-day-routing"' in html and "No orders to route." in html


def test_home_page_widgets_show_my_open_tasks_and_deals(client, anna, acme):
    from decimal import Decimal

    from .funnel_helpers import new_deal

    task(anna, "Overdue call", timezone.now() - timedelta(days=1), counterparty=acme)
    new_deal(anna, acme, "Robots", amount=Decimal("1500.00"))
    boris = manager("boris", "Boris")
    task(boris, "Boris's task", timezone.now())
    sign_in(client, anna)

    html = client.get(reverse("web:home")).content.decode()
    tasks = html[html.index('data-widget="crm.my_tasks"') : html.index('data-widget="crm.my_deals"')]
    assert "Overdue call" in tasks and "Boris&#x27;s task" not in tasks
    assert "1 overdue" in tasks
    deals = html[html.index('data-widget="crm.my_deals"') :]
    assert "Robots" in deals and "1,500.00 EUR" in deals


@pytest.mark.browser
def test_one_click_done_in_the_browser(page, anna, acme):
    from fabrika.access.tests.factories import PASSWORD
    from fabrika.conftest import login, screenshot

    late = task(anna, "Overdue call", timezone.now() - timedelta(days=1), counterparty=acme)
    task(anna, "Next week", timezone.now() + timedelta(days=3), remind_at=timezone.now() - timedelta(hours=1))
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    login(page, "anna", PASSWORD)
    page.goto(reverse("crm:my-day"))
    screenshot(page, "crm-my-day")
    item = page.locator(f'#my-day-overdue li[data-activity="{late.pk}"]')
    with page.expect_response(lambda r: "/complete/" in r.url):
        item.locator("button[type=submit]").click()
    page.locator(f'#my-day-overdue li[data-activity="{late.pk}"] a.text-decoration-line-through').wait_for()
    assert page.url.endswith(reverse("crm:my-day"))  # no page load: htmx swapped the item
    late.refresh_from_db()
    assert late.done is True
    assert errors == []
