"""Deal pages: create with its number and first stage, edit without the stage, the card, win, lose, scope."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from fabrika.access.tests.factories import sign_in
from fabrika.audit.models import BusinessEvent
from fabrika.crm import services
from fabrika.crm.models import Deal, DealStageChange

from .conftest import row_counts
from .funnel_helpers import company, manager, new_deal, person_at, stage

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


def moves(deal):
    return [
        (c.from_stage.name if c.from_stage else None, c.to_stage.name)
        for c in DealStageChange.objects.filter(deal=deal).order_by("id")
    ]


def test_create_from_the_counterparty_gets_the_first_number_and_the_first_open_stage(client_anna, anna, acme):
    ivan = person_at(anna, acme, "Ivan")
    person_at(anna, company(anna, "Beta"), "Olga")

    page = client_anna.get(reverse("crm:deal-create") + f"?counterparty={acme.pk}")
    form = page.context["form"]
    assert (
        str(form["counterparty"].value()),
        form["stage"].value(),
        form["currency"].value(),
        form["owner"].value(),
    ) == (str(acme.pk), stage("Lead").pk, "EUR", anna.pk)
    assert list(form.fields["contact"].queryset) == [ivan]
    assert [s.name for s in form.fields["stage"].queryset] == ["Lead", "Qualified", "Proposal sent", "Negotiation"]

    response = client_anna.post(
        reverse("crm:deal-create"),
        {
            "title": "Ten school robots",
            "counterparty": acme.pk,
            "contact": ivan.pk,
            "stage": stage("Lead").pk,
            "owner": anna.pk,
            "amount": "12500.50",
            "currency": "eur",
            "expected_close": "2025-06-30",
        },
    )
    deal = Deal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("crm:deal-detail", args=[deal.pk])
    year = timezone.localdate().year
    assert (deal.number, deal.title, deal.amount, deal.currency, deal.stage.name, deal.owner, deal.contact) == (
        f"DEAL-{year}-00001",
        "Ten school robots",
        Decimal("12500.50"),
        "EUR",
        "Lead",
        anna,
        ivan,
    )
    assert moves(deal) == [(None, "Lead")]


def test_a_refused_deal_shows_the_errors_and_takes_no_number(client_anna, anna, acme):
    before = row_counts()
    response = client_anna.post(
        reverse("crm:deal-create"),
        {
            "title": "Robots",
            "counterparty": acme.pk,
            "stage": stage("Lead").pk,
            "owner": anna.pk,
            "amount": "-5",
            "currency": "EUR",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"amount": ["The amount cannot be negative."]}
    assert row_counts() == before


def test_edit_keeps_the_stage(client_anna, anna, acme):
    deal = new_deal(anna, acme, amount=Decimal("100.00"))
    form = client_anna.get(reverse("crm:deal-update", args=[deal.pk])).context["form"]
    assert "stage" not in form.fields

    response = client_anna.post(
        reverse("crm:deal-update", args=[deal.pk]),
        {
            "title": "Robots, 12 pcs",
            "counterparty": acme.pk,
            "owner": anna.pk,
            "amount": "2400.00",
            "currency": "EUR",
            "stage": stage("Negotiation").pk,
        },
    )
    assert response["Location"] == reverse("crm:deal-detail", args=[deal.pk])
    deal.refresh_from_db()
    assert (deal.title, deal.amount, deal.stage.name) == ("Robots, 12 pcs", Decimal("2400.00"), "Lead")


def test_the_card_shows_details_moves_and_activities(client_anna, anna, acme):
    deal = new_deal(anna, acme, amount=Decimal("1000.00"))
    services.deal_move(actor=anna, deal=deal, stage=stage("Qualified"))
    services.activity_create(actor=anna, data={"kind": "call", "subject": "Kick-off call", "deal": deal})

    response = client_anna.get(reverse("crm:deal-detail", args=[deal.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="badge text-bg-info">Qualified</span>' in html
    assert [(c.from_stage and c.from_stage.name, c.to_stage.name) for c in response.context["history"]] == [
        (None, "Lead"),
        ("Lead", "Qualified"),
    ]
    assert [a.subject for a in response.context["activities"]] == ["Kick-off call"]
    assert "25 % · weighted 250.00 EUR" in html  # 1000.00 × 25 %
    log_url = response.context["log_activity_url"]
    assert log_url.startswith(reverse("crm:activity-create") + f"?counterparty={acme.pk}&deal={deal.pk}&next=")
    assert [s.name for s in response.context["move_stages"]] == ["Lead", "Proposal sent", "Negotiation"]


def test_the_card_renders_when_the_history_and_files_tags_are_missing(client_anna, anna, acme, monkeypatch):
    deal = new_deal(anna, acme)
    monkeypatch.setattr("fabrika.crm.views.deals.library_available", lambda name: False)
    response = client_anna.get(reverse("crm:deal-detail", args=[deal.pk]) + "?tab=history")
    assert response.status_code == 200
    assert response.context["tab"] == "history"
    assert response.content.decode().count("This part is not available yet.") == 2


def test_win(client_anna, anna, acme):
    deal = new_deal(anna, acme, amount=Decimal("4000.00"))
    response = client_anna.post(reverse("crm:deal-win", args=[deal.pk]))
    assert response["Location"] == reverse("crm:deal-detail", args=[deal.pk])
    deal.refresh_from_db()
    assert (deal.stage.name, deal.reached_order, deal.closed_at is not None) == ("Won", 4, True)
    assert moves(deal) == [(None, "Lead"), ("Lead", "Won")]
    assert BusinessEvent.objects.filter(event="crm.deal_won", object_id=str(deal.pk)).count() == 1


def test_lose_needs_a_reason(client_anna, anna, acme):
    deal = new_deal(anna, acme)
    before = row_counts()
    response = client_anna.post(reverse("crm:deal-lose", args=[deal.pk]), {"lost_reason": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors == {"lost_reason": ["This field is required."]}
    assert row_counts() == before

    response = client_anna.post(reverse("crm:deal-lose", args=[deal.pk]), {"lost_reason": "Too expensive"})
    assert response["Location"] == reverse("crm:deal-detail", args=[deal.pk])
    deal.refresh_from_db()
    assert (deal.stage.name, deal.lost_reason) == ("Lost", "Too expensive")
    assert moves(deal) == [(None, "Lead"), ("Lead", "Lost")]


def test_delete(client_anna, anna, acme):
    deal = new_deal(anna, acme)
    response = client_anna.post(reverse("crm:deal-delete", args=[deal.pk]))
    assert response["Location"] == reverse("crm:deal-list")
    assert not Deal.objects.exists()


def test_the_list_shows_stage_badges_weighted_amounts_and_exports(client_anna, anna, boris, acme):
    deal = new_deal(anna, acme, "Doors", amount=Decimal("3000.00"), expected_close="2025-05-31")
    services.deal_move(actor=anna, deal=deal, stage=stage("Proposal sent"))
    new_deal(boris, company(boris, "Zeta"), "Boris's deal")

    page = client_anna.get(reverse("crm:deal-list"))
    html = page.content.decode()
    assert "Doors" in html and "Boris's deal" not in html
    assert '<span class="badge text-bg-primary">Proposal sent</span>' in html

    export = client_anna.get(reverse("crm:deal-list") + "?export=csv&q=doors")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    year = timezone.localdate().year
    assert rows == [
        [
            "Number",
            "Title",
            "Counterparty",
            "Stage",
            "Amount",
            "Currency",
            "Probability, %",
            "Weighted",
            "Expected close",
            "Owner",
        ],
        [
            f"DEAL-{year}-00001",
            "Doors",
            "Acme",
            "Proposal sent",
            "3000.00",
            "EUR",
            "50",
            "1500.00",
            "2025-05-31",
            "Anna Petit",
        ],
    ]

    by_weighted = client_anna.get(reverse("crm:deal-list") + "?sort=-weighted")
    assert by_weighted.status_code == 200


def test_a_sales_manager_cannot_see_or_change_another_managers_deal(client, anna, boris, acme):
    deal = new_deal(anna, acme)
    sign_in(client, boris)
    before = row_counts()
    assert client.get(reverse("crm:deal-detail", args=[deal.pk])).status_code == 404
    assert client.get(reverse("crm:deal-update", args=[deal.pk])).status_code == 404
    assert client.post(reverse("crm:deal-win", args=[deal.pk])).status_code == 404
    assert client.post(reverse("crm:deal-lose", args=[deal.pk]), {"lost_reason": "x"}).status_code == 404
    assert client.post(reverse("crm:deal-delete", args=[deal.pk])).status_code == 404
    assert row_counts() == before

    director = manager("dora", "Dora", role="director")
    sign_in(client, director)
    assert client.get(reverse("crm:deal-detail", args=[deal.pk])).status_code == 200


# --- funnel stage settings --------------------------------------------------------------------


@pytest.fixture
def client_director(client):
    return sign_in(client, manager("dora", "Dora", "Director", role="director"))


def test_stage_settings_create_edit_and_delete(client_director, anna, acme):
    client_anna = client_director  # the funnel is company configuration: a director sets it up
    assert client_anna.get(reverse("crm:stage-list")).status_code == 200
    page = client_anna.get(reverse("crm:stage-create"))
    assert page.context["form"]["order"].value() == 5  # after the last open stage (Negotiation, 4)

    response = client_anna.post(
        reverse("crm:stage-create"),
        {"name": "Trial", "order": "5", "probability": "85", "kind": "open", "color": "dark"},
    )
    assert response["Location"] == reverse("crm:stage-list")
    trial = stage("Trial")
    assert (trial.order, trial.probability, trial.kind, trial.color) == (5, 85, "open", "dark")

    response = client_anna.post(
        reverse("crm:stage-update", args=[trial.pk]),
        {"name": "Pilot", "order": "5", "probability": "101", "kind": "open", "color": "dark"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"probability": ["Ensure this value is less than or equal to 100."]}
    response = client_anna.post(
        reverse("crm:stage-update", args=[trial.pk]),
        {"name": "Pilot", "order": "5", "probability": "80", "kind": "open", "color": "not-a-colour"},
    )
    assert list(response.context["form"].errors) == ["color"]

    listing = client_anna.get(reverse("crm:stage-list")).content.decode()
    assert '<span class="badge text-bg-dark">Trial</span>' in listing

    client_anna.post(reverse("crm:stage-delete", args=[trial.pk]))
    assert not type(trial).objects.filter(pk=trial.pk).exists()


def test_a_used_stage_is_not_deleted(client_director, anna, acme):
    client_anna = client_director
    new_deal(anna, acme)
    before = row_counts()
    response = client_anna.post(reverse("crm:stage-delete", args=[stage("Lead").pk]), follow=True)
    assert row_counts() == before
    assert [str(m) for m in response.context["messages"]] == ["Lead holds 1 deals; move them first."]


def test_stage_settings_need_the_settings_right(client):
    sign_in(client, manager("erik", "Erik"))  # a sales manager may change deals, not the funnel
    assert client.get(reverse("crm:stage-list")).status_code == 403
    assert client.post(reverse("crm:stage-delete", args=[stage("Lead").pk])).status_code == 403


@pytest.mark.browser
def test_the_card_in_the_browser_loses_a_deal_through_the_modal(page, anna, acme):
    from fabrika.access.tests.factories import PASSWORD
    from fabrika.conftest import login, screenshot

    deal = new_deal(anna, acme, "Robots", amount=Decimal("1000.00"), expected_close="2025-06-30")
    services.deal_move(actor=anna, deal=deal, stage=stage("Qualified"))
    services.activity_create(actor=anna, data={"kind": "call", "subject": "Kick-off call", "deal": deal})
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    login(page, "anna", PASSWORD)
    page.goto(reverse("crm:deal-detail", args=[deal.pk]))
    screenshot(page, "crm-deal-card")
    page.get_by_role("link", name="Lost").click()
    page.locator("#lose-reason").wait_for(state="visible")
    page.locator("#lose-reason").fill("Budget cut")
    with page.expect_navigation():
        page.locator("#lose-modal button[type=submit]").click()
    deal.refresh_from_db()
    assert (deal.stage.name, deal.lost_reason) == ("Lost", "Budget cut")
    assert page.locator(".alert-success").inner_text().strip() == f"Deal {deal.number} is lost."

    page.goto(reverse("crm:deal-list"))
    screenshot(page, "crm-deal-list")
    assert errors == []
