"""Activity pages: logging (presets, `next`), the task rule beside its field, done/reopen by htmx, scope."""

import csv
import io
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fabrika.access.tests.factories import sign_in
from fabrika.audit.models import BusinessEvent
from fabrika.crm import services
from fabrika.crm.models import Activity

from .conftest import row_counts
from .funnel_helpers import company, manager, new_deal, person_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna():
    return manager("anna", "Anna", "Petit")


@pytest.fixture
def boris():
    return manager("boris", "Boris", "Moreau")


@pytest.fixture
def acme(anna):
    return company(anna, "Acme")


@pytest.fixture
def client_anna(client, anna):
    return sign_in(client, anna)


def aware(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def test_a_task_without_a_due_date_is_refused_beside_the_field_and_nothing_is_created(client_anna, anna, acme):
    before = row_counts()
    response = client_anna.post(
        reverse("crm:activity-create"),
        {
            "kind": "task",
            "subject": "Send the quote",
            "counterparty": acme.pk,
            "owner": anna.pk,
            "occurred_at": "2025-03-12T10:00",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"due_at": ["A task needs a due date."]}
    html = response.content.decode()
    assert '<ul class="errorlist" id="id_due_at_errors"><li>A task needs a due date.</li></ul>' in html
    assert 'value="Send the quote"' in html  # the input is kept
    assert row_counts() == before


def test_logging_a_call_from_the_card_is_preset_and_returns_to_the_cards_activities_tab(client_anna, anna, acme):
    ivan = person_at(anna, acme, "Ivan")
    beta = company(anna, "Beta")
    person_at(anna, beta, "Olga")
    acme_deal = new_deal(anna, acme, "Line A")
    new_deal(anna, beta, "Line B")
    card_tab = f"/crm/counterparties/{acme.pk}/?tab=activities"

    url = reverse("crm:activity-create") + f"?counterparty={acme.pk}&kind=call&next={card_tab.replace('?', '%3F')}"
    page = client_anna.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    assert (form["kind"].value(), str(form["counterparty"].value()), form["owner"].value()) == (
        "call",
        str(acme.pk),
        anna.pk,
    )
    # Contacts and deals are limited to the chosen counterparty.
    assert list(form.fields["contact"].queryset) == [ivan]
    assert list(form.fields["deal"].queryset) == [acme_deal]
    assert f'<input type="hidden" name="next" value="{card_tab}">' in page.content.decode()

    response = client_anna.post(
        reverse("crm:activity-create"),
        {
            "kind": "call",
            "subject": "Asked for a quote",
            "counterparty": acme.pk,
            "contact": ivan.pk,
            "deal": acme_deal.pk,
            "owner": anna.pk,
            "occurred_at": "2025-03-12T10:30",
            "done": "on",
            "next": card_tab,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == card_tab
    call = Activity.objects.get()
    assert (call.kind, call.subject, call.counterparty, call.contact, call.deal, call.owner, call.created_by) == (
        "call",
        "Asked for a quote",
        acme,
        ivan,
        acme_deal,
        anna,
        anna,
    )
    assert call.occurred_at == aware(2025, 3, 12, 10, 30)
    assert call.done is True and call.done_at is not None


def test_a_deal_preset_brings_its_counterparty(client_anna, anna, acme):
    deal = new_deal(anna, acme)
    form = client_anna.get(reverse("crm:activity-create") + f"?deal={deal.pk}&kind=meeting").context["form"]
    assert (form["kind"].value(), str(form["counterparty"].value()), str(form["deal"].value())) == (
        "meeting",
        str(acme.pk),
        str(deal.pk),
    )


def test_choosing_another_counterparty_redraws_the_fields_with_its_contacts(client_anna, anna, acme):
    person_at(anna, acme, "Ivan")
    beta = company(anna, "Beta")
    olga = person_at(anna, beta, "Olga")
    response = client_anna.get(
        reverse("crm:activity-create"),
        {"kind": "note", "subject": "Draft", "counterparty": beta.pk, "owner": anna.pk},
        HTTP_HX_REQUEST="true",
    )
    form = response.context["form"]
    assert list(form.fields["contact"].queryset) == [olga]
    assert (form["subject"].value(), form["done"].value()) == ("Draft", False)


def test_a_foreign_next_is_ignored(client_anna, anna, acme):
    response = client_anna.post(
        reverse("crm:activity-create"),
        {
            "kind": "note",
            "subject": "Note",
            "counterparty": acme.pk,
            "owner": anna.pk,
            "occurred_at": "2025-03-12T10:00",
            "next": "https://evil.example/steal",
        },
    )
    note = Activity.objects.get()
    assert response["Location"] == reverse("crm:activity-detail", args=[note.pk])


def test_done_by_htmx_returns_the_updated_row_and_reopen_undoes_it(client_anna, anna, acme):
    task = services.activity_create(
        actor=anna,
        data={
            "kind": "task",
            "subject": "Call back",
            "counterparty": acme,
            "due_at": timezone.now() - timedelta(hours=2),
        },
    )
    url = reverse("crm:activity-complete", args=[task.pk])

    response = client_anna.post(url, {"done": "1", "fragment": "row"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "crm/activity_row.html"
    html = response.content.decode().strip()
    assert html.startswith(f'<tr id="activity-row-{task.pk}" class="text-body-secondary">')
    assert '<input type="hidden" name="done" value="0">' in html  # the button now reopens
    assert "text-danger" not in html  # a done task is no longer overdue
    task.refresh_from_db()
    assert task.done is True and task.done_at is not None
    assert BusinessEvent.objects.filter(event="crm.activity_completed", object_id=str(task.pk)).count() == 1

    response = client_anna.post(url, {"done": "0", "fragment": "my_day"}, HTTP_HX_REQUEST="true")
    assert response.content.decode().startswith("<li ")
    task.refresh_from_db()
    assert (task.done, task.done_at) == (False, None)


def test_done_without_htmx_redirects_back(client_anna, anna, acme):
    task = services.activity_create(
        actor=anna, data={"kind": "task", "subject": "Call back", "counterparty": acme, "due_at": timezone.now()}
    )
    response = client_anna.post(reverse("crm:activity-complete", args=[task.pk]), {"next": "/crm/my-day/"})
    assert (response.status_code, response["Location"]) == (302, "/crm/my-day/")
    task.refresh_from_db()
    assert task.done is True


def test_the_list_shows_the_users_scope_marks_overdue_tasks_and_exports(client_anna, anna, boris, acme):
    due = aware(2020, 1, 15, 9, 0)
    services.activity_create(
        actor=anna,
        data={
            "kind": "task",
            "subject": "Old task",
            "counterparty": acme,
            "due_at": due,
            "occurred_at": aware(2020, 1, 10, 8, 0),
        },
    )
    services.activity_create(actor=boris, data={"kind": "call", "subject": "Boris's call"})

    page = client_anna.get(reverse("crm:activity-list"))
    html = page.content.decode()
    assert "Old task" in html and "Boris's call" not in html
    assert '<td class="text-nowrap text-danger fw-semibold"><i class="bi bi-exclamation-circle"' in html
    assert f'hx-post="{reverse("crm:activity-complete", args=[Activity.objects.get(subject="Old task").pk])}"' in html

    export = client_anna.get(reverse("crm:activity-list") + "?export=csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows == [
        ["Kind", "Subject", "Counterparty", "Contact", "Deal", "Assigned to", "When", "Due", "Done"],
        ["Task", "Old task", "Acme", "", "", "Anna Petit", "2020-01-10 08:00:00", "2020-01-15 09:00:00", "0"],
    ]


def test_the_filter_offers_only_counterparties_in_scope(client_anna, anna, boris):
    company(anna, "Acme")
    company(boris, "Zeta")
    page = client_anna.get(reverse("crm:activity-list"))
    choices = [str(c) for c in page.context["filter"].form.fields["counterparty"].queryset]
    assert choices == ["Acme"]


def test_another_managers_activity_is_not_found(client, anna, boris, acme):
    task = services.activity_create(
        actor=anna, data={"kind": "task", "subject": "Mine", "counterparty": acme, "due_at": timezone.now()}
    )
    sign_in(client, boris)
    assert client.get(reverse("crm:activity-detail", args=[task.pk])).status_code == 404
    assert client.get(reverse("crm:activity-update", args=[task.pk])).status_code == 404
    assert client.post(reverse("crm:activity-complete", args=[task.pk]), HTTP_HX_REQUEST="true").status_code == 404
    task.refresh_from_db()
    assert task.done is False


def test_edit_and_delete(client_anna, anna, acme):
    note = services.activity_create(actor=anna, data={"kind": "note", "subject": "Draft", "counterparty": acme})
    page = client_anna.get(reverse("crm:activity-update", args=[note.pk]))
    assert page.context["form"]["subject"].value() == "Draft"

    response = client_anna.post(
        reverse("crm:activity-update", args=[note.pk]),
        {
            "kind": "task",
            "subject": "Now a task",
            "counterparty": acme.pk,
            "owner": anna.pk,
            "occurred_at": "2025-03-12T10:00",
            "due_at": "2025-03-14T17:00",
        },
    )
    assert response["Location"] == reverse("crm:activity-detail", args=[note.pk])
    note.refresh_from_db()
    assert (note.kind, note.subject, note.due_at) == ("task", "Now a task", aware(2025, 3, 14, 17, 0))

    detail = client_anna.get(reverse("crm:activity-detail", args=[note.pk]))
    assert detail.status_code == 200 and "Now a task" in detail.content.decode()

    response = client_anna.post(reverse("crm:activity-delete", args=[note.pk]))
    assert response["Location"] == reverse("crm:activity-list")
    assert not Activity.objects.exists()


def test_a_role_without_crm_rights_is_refused(client):
    keeper = manager("kate", "Kate", role="storekeeper")
    sign_in(client, keeper)
    assert client.get(reverse("crm:activity-list")).status_code == 403
    assert client.get(reverse("crm:activity-create")).status_code == 403


@pytest.mark.browser
def test_the_form_follows_the_chosen_counterparty_in_the_browser(page, anna, acme):
    from fabrika.access.tests.factories import PASSWORD
    from fabrika.conftest import login, screenshot

    person_at(anna, acme, "Ivan")
    beta = company(anna, "Beta")
    person_at(anna, beta, "Olga")
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    login(page, "anna", PASSWORD)
    page.goto(reverse("crm:activity-create") + f"?counterparty={acme.pk}&kind=call")
    assert page.locator("#id_contact option").all_inner_texts() == ["---------", "Ivan"]
    page.fill("#id_subject", "First call")
    with page.expect_response(lambda r: r.request.method == "GET" and "/activities/new/" in r.url):
        page.evaluate(f"document.getElementById('id_counterparty').tomselect.setValue('{beta.pk}')")
    page.wait_for_function("document.querySelector('#id_contact option:last-child').textContent === 'Olga'")
    assert page.input_value("#id_subject") == "First call"  # what was typed survives the re-draw
    screenshot(page, "crm-activity-form")
    page.select_option("#id_contact", label="Olga")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    call = Activity.objects.get()
    assert (call.subject, call.counterparty, str(call.contact)) == ("First call", beta, "Olga")
    page.goto(reverse("crm:activity-list"))
    screenshot(page, "crm-activity-list")
    assert errors == []
