"""The funnel board: columns with counts and totals, moves by drag and drop (JSON) and by the no-JS form."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from fabrika.access.tests.factories import sign_in
from fabrika.audit.models import BusinessEvent
from fabrika.crm import services
from fabrika.crm.models import DealStageChange

from .conftest import row_counts
from .funnel_helpers import company, manager, new_deal, stage

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


def post_json(client, deal, **body):
    return client.post(
        reverse("crm:deal-move", args=[deal.pk]),
        data=json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )


def test_columns_show_each_stage_with_its_deals_count_and_total(client_anna, anna, boris, acme):
    new_deal(anna, acme, "Robots", amount=Decimal("1000.00"))
    new_deal(anna, acme, "Doors", amount=Decimal("2000.50"))
    shelves = new_deal(anna, acme, "Shelves", amount=Decimal("300.00"))
    services.deal_move(actor=anna, deal=shelves, stage=stage("Negotiation"))
    new_deal(boris, company(boris, "Zeta"), "Not Anna's", amount=Decimal("999.00"))

    response = client_anna.get(reverse("crm:deal-board"))
    assert response.status_code == 200
    columns = response.context["columns"]
    assert [(c["stage"].name, c["count"], c["total"]) for c in columns] == [
        ("Lead", 2, Decimal("3000.50")),
        ("Qualified", 0, Decimal("0.00")),
        ("Proposal sent", 0, Decimal("0.00")),
        ("Negotiation", 1, Decimal("300.00")),
        ("Won", 0, Decimal("0.00")),
        ("Lost", 0, Decimal("0.00")),
    ]
    html = response.content.decode()
    assert "Not Anna&#x27;s" not in html
    assert html.count('class="deal-card"') == 3
    assert 'data-kind="lost"' in html
    assert 'src="/static/vendor/sortablejs/Sortable.min.js"' in html and 'src="/static/crm/board.js"' in html
    # The no-JS fallback: a "move to" form on each card, posting to the same URL.
    assert html.count(f'action="{reverse("crm:deal-move", args=[shelves.pk])}"') == 1


def test_the_board_filters_by_owner_and_counterparty(client, anna, boris, acme):
    beta = company(anna, "Beta")
    new_deal(anna, acme, "Robots")
    new_deal(anna, beta, "Doors")
    director = manager("dora", "Dora", role="director")
    new_deal(director, acme, "Director's deal")
    sign_in(client, director)

    def titles(**params):
        columns = client.get(reverse("crm:deal-board"), params).context["columns"]
        return sorted(d.title for c in columns for d in c["deals"])

    assert titles() == ["Director's deal", "Doors", "Robots"]
    assert titles(owner=anna.pk) == ["Doors", "Robots"]
    assert titles(counterparty=acme.pk) == ["Director's deal", "Robots"]
    assert titles(owner=anna.pk, counterparty=acme.pk) == ["Robots"]


def test_a_drop_moves_the_deal_records_the_change_and_returns_the_totals(client_anna, anna, acme):
    robots = new_deal(anna, acme, "Robots", amount=Decimal("1000.00"))
    new_deal(anna, acme, "Doors", amount=Decimal("2000.00"))

    response = post_json(client_anna, robots, stage=stage("Qualified").pk)
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] is True
    assert data["deal"] == {
        "id": robots.pk,
        "number": robots.number,
        "title": "Robots",
        "stage": stage("Qualified").pk,
        "url": reverse("crm:deal-detail", args=[robots.pk]),
    }
    assert data["stage"] == {
        "id": stage("Qualified").pk,
        "name": "Qualified",
        "kind": "open",
        "color": "info",
        "probability": 25,
    }
    totals = {name: data["totals"][str(stage(name).pk)] for name in ("Lead", "Qualified", "Won")}
    assert totals == {
        "Lead": {"count": 1, "amount": "2000.00", "amount_display": "2,000.00"},
        "Qualified": {"count": 1, "amount": "1000.00", "amount_display": "1,000.00"},
        "Won": {"count": 0, "amount": "0.00", "amount_display": "0.00"},
    }
    robots.refresh_from_db()
    assert (robots.stage.name, robots.reached_order) == ("Qualified", 2)
    change = DealStageChange.objects.filter(deal=robots).order_by("-id").first()
    assert (change.from_stage.name, change.to_stage.name, change.by) == ("Lead", "Qualified", anna)
    assert BusinessEvent.objects.filter(event="crm.deal_moved", object_id=str(robots.pk)).count() == 1


def test_a_form_encoded_drop_asking_for_json_gets_json(client_anna, anna, acme):
    deal = new_deal(anna, acme)
    response = client_anna.post(
        reverse("crm:deal-move", args=[deal.pk]), {"stage": stage("Negotiation").pk}, HTTP_ACCEPT="application/json"
    )
    assert (response.status_code, response.json()["ok"]) == (200, True)
    deal.refresh_from_db()
    assert deal.stage.name == "Negotiation"


def test_the_totals_follow_the_boards_filter(client_anna, anna, acme):
    beta = company(anna, "Beta")
    robots = new_deal(anna, acme, "Robots", amount=Decimal("1000.00"))
    new_deal(anna, beta, "Doors", amount=Decimal("2000.00"))
    data = post_json(client_anna, robots, stage=stage("Qualified").pk, counterparty=acme.pk, owner="").json()
    assert data["totals"][str(stage("Lead").pk)] == {"count": 0, "amount": "0.00", "amount_display": "0.00"}


def test_a_drop_on_lost_without_a_reason_is_refused_and_nothing_changes(client_anna, anna, acme):
    deal = new_deal(anna, acme)
    before = row_counts()
    response = post_json(client_anna, deal, stage=stage("Lost").pk, lost_reason="   ")
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "error": "Say why the deal was lost.",
        "errors": {"lost_reason": ["Say why the deal was lost."]},
    }
    assert row_counts() == before
    deal.refresh_from_db()
    assert deal.stage.name == "Lead"


def test_a_drop_on_lost_with_a_reason_closes_the_deal(client_anna, anna, acme):
    deal = new_deal(anna, acme)
    response = post_json(client_anna, deal, stage=stage("Lost").pk, lost_reason="Chose a competitor")
    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.stage.name, deal.lost_reason, deal.closed_at is not None) == ("Lost", "Chose a competitor", True)


def test_the_refusal_speaks_the_users_language(client, acme, anna):
    deal = new_deal(anna, acme)
    sign_in(client, anna)
    response = client.post(
        reverse("crm:deal-move", args=[deal.pk]),
        data=json.dumps({"stage": "999999"}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "stage": ["Sélectionnez un choix valide. Ce choix ne fait pas partie de ceux disponibles."]
    }


def test_the_no_js_form_moves_and_redirects_back_to_the_board(client_anna, anna, acme):
    deal = new_deal(anna, acme)
    board = reverse("crm:deal-board") + f"?owner={anna.pk}"
    response = client_anna.post(
        reverse("crm:deal-move", args=[deal.pk]), {"stage": stage("Proposal sent").pk, "next": board}
    )
    assert (response.status_code, response["Location"]) == (302, board)
    deal.refresh_from_db()
    assert deal.stage.name == "Proposal sent"

    # Lost needs a reason: the plain form goes on to the lose form, nothing changed yet.
    response = client_anna.post(reverse("crm:deal-move", args=[deal.pk]), {"stage": stage("Lost").pk, "next": board})
    assert response["Location"] == reverse(
        "crm:deal-lose", args=[deal.pk]
    ) + "?next=%2Fcrm%2Fdeals%2Fboard%2F%3Fowner%3D" + str(anna.pk)
    deal.refresh_from_db()
    assert deal.stage.name == "Proposal sent"


def test_a_sales_manager_cannot_move_another_managers_deal(client, anna, boris, acme):
    deal = new_deal(anna, acme)
    sign_in(client, boris)
    before = row_counts()
    response = post_json(client, deal, stage=stage("Qualified").pk)
    assert response.status_code == 404
    assert row_counts() == before
    board = client.get(reverse("crm:deal-board"))
    assert sum(c["count"] for c in board.context["columns"]) == 0


def test_a_viewer_sees_the_board_but_may_not_move(client, anna, acme):
    deal = new_deal(anna, acme)
    engineer = manager("erik", "Erik", role="engineer")  # crm: view only, all records
    sign_in(client, engineer)
    board = client.get(reverse("crm:deal-board"))
    assert 'data-can-move="0"' in board.content.decode()
    assert post_json(client, deal, stage=stage("Qualified").pk).status_code == 403


# --- in the browser ---------------------------------------------------------------------------


def _column(page, name):
    return page.locator(f'.board-column[aria-label="{name}"]')


def _drag(page, card, column):
    """Drag a card onto a column with real mouse moves (Sortable.js listens to the native drag events)."""
    target = column.locator(".cards")
    card.drag_to(target, target_position={"x": 60, "y": 20})


@pytest.mark.browser
def test_drag_and_drop_in_the_browser(page, anna, acme):
    from fabrika.access.tests.factories import PASSWORD
    from fabrika.conftest import login, screenshot

    robots = new_deal(anna, acme, "Robots", amount=Decimal("1000.00"))
    new_deal(anna, acme, "Doors", amount=Decimal("2000.00"))
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size({"width": 1920, "height": 900})  # all six columns in view
    login(page, "anna", PASSWORD)
    page.goto(reverse("crm:deal-board"))

    card = page.locator(f'.deal-card[data-deal="{robots.pk}"]')
    with page.expect_response(lambda r: r.url.endswith(reverse("crm:deal-move", args=[robots.pk]))) as answer:
        _drag(page, card, _column(page, "Qualified"))
    assert answer.value.status == 200
    page.wait_for_function(
        "document.querySelector('.board-column[aria-label=\"Qualified\"] [data-count]').textContent.trim() === '1'"
    )
    assert _column(page, "Lead").locator("[data-total]").inner_text() == "2,000.00"
    robots.refresh_from_db()
    assert robots.stage.name == "Qualified"

    # Onto "Lost": the reason is asked first; cancelling puts the card back and changes nothing.
    _drag(page, card, _column(page, "Lost"))
    page.locator("#lost-modal").wait_for(state="visible")
    screenshot(page, "crm-board-lost-reason")
    page.locator("#lost-modal .btn-link").click()
    page.locator("#lost-modal").wait_for(state="hidden")
    _column(page, "Qualified").locator(f'.deal-card[data-deal="{robots.pk}"]').wait_for()
    assert _column(page, "Lost").locator(".deal-card").count() == 0
    robots.refresh_from_db()
    assert robots.stage.name == "Qualified"

    _drag(page, card, _column(page, "Lost"))
    page.locator("#lost-reason").fill("Chose a competitor")
    with page.expect_response(lambda r: "/move/" in r.url) as answer:
        page.locator("#lost-form button[type=submit]").click()
    assert answer.value.status == 200
    page.wait_for_function(
        "document.querySelector('.board-column[aria-label=\"Lost\"] [data-count]').textContent.trim() === '1'"
    )
    robots.refresh_from_db()
    assert (robots.stage.name, robots.lost_reason) == ("Lost", "Chose a competitor")
    screenshot(page, "crm-board")
    assert errors == []
