"""/api/deals/, /api/funnel-stages/, /api/funnel-report/ and /api/activities/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fabrika.crm import services
from fabrika.crm.models import Activity, Deal, DealStageChange, FunnelStage

from .conftest import make_user, row_counts, session_client, token_client

pytestmark = pytest.mark.django_db


def stage(name):
    return FunnelStage.objects.get(name=name)


@pytest.fixture
def acme(manager):
    return services.counterparty_create(actor=manager, data={"name": "Acme"})


@pytest.fixture
def api(manager):
    return token_client(manager)


# --- deals -----------------------------------------------------------------------------------


def test_deal_crud_with_amounts_as_strings(api, manager, acme):
    year = timezone.localdate().year
    created = api.post(
        "/api/deals/",
        {"title": "Robots for schools", "counterparty": acme.pk, "amount": "1500.50"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["number"] == f"DEAL-{year}-00001"
    assert (body["stage_name"], body["status"], body["probability"]) == ("Lead", "open", 10)
    assert (body["amount"], body["weighted_amount"]) == ("1500.50", "150.05")
    assert body["owner"] == manager.pk
    assert body["currency"] == "EUR"
    pk = body["id"]

    patched = api.patch(f"/api/deals/{pk}/", {"title": "Robots x10", "amount": 2000}, format="json")
    assert patched.status_code == 200, patched.json()
    assert (patched.json()["title"], patched.json()["amount"]) == ("Robots x10", "2000.00")

    # Sending the record back unchanged (same stage) is fine; another stage is refused.
    record = api.get(f"/api/deals/{pk}/").json()
    assert api.put(f"/api/deals/{pk}/", record, format="json").status_code == 200
    before = row_counts()
    moved = api.patch(f"/api/deals/{pk}/", {"stage": stage("Won").pk, "title": "Sneaky"}, format="json")
    assert moved.status_code == 400
    assert list(moved.json()["errors"]) == ["stage"]
    assert row_counts() == before
    assert Deal.objects.get(pk=pk).title == "Robots x10"

    assert api.delete(f"/api/deals/{pk}/").status_code == 204
    assert not Deal.objects.exists()


def test_deal_missing_fields_and_bad_amount(api, acme):
    before = row_counts()
    response = api.post("/api/deals/", {"amount": "12.345"}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"title", "counterparty", "amount"}
    negative = api.post("/api/deals/", {"title": "T", "counterparty": acme.pk, "amount": "-5"}, format="json")
    assert negative.status_code == 400
    assert negative.json()["errors"] == {"amount": ["The amount cannot be negative."]}
    assert row_counts() == before


def test_move_win_lose(api, manager, acme):
    deal = services.deal_create(actor=manager, data={"title": "T", "counterparty": acme})
    url = f"/api/deals/{deal.pk}/"

    moved = api.post(f"{url}move/", {"stage": stage("Proposal sent").pk}, format="json")
    assert moved.status_code == 200, moved.json()
    assert (moved.json()["stage_name"], moved.json()["probability"]) == ("Proposal sent", 50)

    before = row_counts()
    no_reason = api.post(f"{url}move/", {"stage": stage("Lost").pk}, format="json")
    assert no_reason.status_code == 400
    assert no_reason.json()["errors"] == {"lost_reason": ["Say why the deal was lost."]}
    empty_lose = api.post(f"{url}lose/", {"reason": ""}, format="json")
    assert empty_lose.status_code == 400
    missing_lose = api.post(f"{url}lose/", {}, format="json")
    assert missing_lose.status_code == 400
    assert missing_lose.json()["errors"] == {"reason": ["This field is required."]}
    unknown_stage = api.post(f"{url}move/", {"stage": 999999}, format="json")
    assert unknown_stage.status_code == 400
    assert row_counts() == before

    lost = api.post(f"{url}lose/", {"reason": "Too expensive"}, format="json")
    assert lost.status_code == 200
    assert (lost.json()["status"], lost.json()["lost_reason"]) == ("lost", "Too expensive")
    assert lost.json()["closed_at"] is not None

    won = api.post(f"{url}win/")
    assert won.status_code == 200
    assert (won.json()["status"], won.json()["lost_reason"]) == ("won", "")
    assert [c.to_stage.name for c in DealStageChange.objects.filter(deal=deal).order_by("id")] == [
        "Lead",
        "Proposal sent",
        "Lost",
        "Won",
    ]


def test_deal_filters(director, manager, other_manager, acme):
    lead = services.deal_create(actor=manager, data={"title": "A", "counterparty": acme})
    won = services.deal_create(actor=manager, data={"title": "B", "counterparty": acme})
    services.deal_win(actor=manager, deal=won)
    theirs = services.deal_create(actor=manager, data={"title": "C", "counterparty": acme, "owner": other_manager})
    api = token_client(director)

    def ids(query):
        response = api.get(f"/api/deals/?{query}")
        assert response.status_code == 200, response.json()
        return sorted(d["id"] for d in response.json()["results"])

    assert ids("status=won") == [won.pk]
    assert ids(f"stage={stage('Lead').pk}") == sorted([lead.pk, theirs.pk])
    assert ids(f"owner={other_manager.pk}") == [theirs.pk]
    assert ids(f"counterparty={acme.pk}") == sorted([lead.pk, won.pk, theirs.pk])
    bad = api.get("/api/deals/?colour=red")
    assert bad.status_code == 400
    assert "colour" in bad.json()["detail"]


# --- funnel stages and report ----------------------------------------------------------------


def test_funnel_stages_read_for_viewers_write_for_changers(db):
    engineer = token_client(make_user("eng", "engineer"))  # crm: view only
    purchaser = token_client(make_user("pur", "purchaser"))  # crm: view, add, change

    listed = engineer.get("/api/funnel-stages/")
    assert listed.status_code == 200
    assert [s["name"] for s in listed.json()["results"]] == [
        "Lead",
        "Qualified",
        "Proposal sent",
        "Negotiation",
        "Won",
        "Lost",
    ]
    before = row_counts()
    assert engineer.post("/api/funnel-stages/", {"name": "Demo", "order": 5}, format="json").status_code == 403
    lead = stage("Lead")
    assert engineer.patch(f"/api/funnel-stages/{lead.pk}/", {"probability": 5}, format="json").status_code == 403
    assert row_counts() == before

    created = purchaser.post("/api/funnel-stages/", {"name": "Demo", "order": 5, "probability": 60}, format="json")
    assert created.status_code == 201, created.json()
    changed = purchaser.patch(f"/api/funnel-stages/{lead.pk}/", {"probability": 5}, format="json")
    assert changed.json()["probability"] == 5
    invalid = purchaser.patch(f"/api/funnel-stages/{lead.pk}/", {"probability": 101}, format="json")
    assert invalid.status_code == 400
    assert list(invalid.json()["errors"]) == ["probability"]
    assert purchaser.delete(f"/api/funnel-stages/{created.json()['id']}/").status_code == 204


def test_a_stage_with_deals_cannot_be_deleted(director, acme, manager):
    services.deal_create(actor=manager, data={"title": "T", "counterparty": acme})
    api = token_client(director)
    before = row_counts()
    response = api.delete(f"/api/funnel-stages/{stage('Lead').pk}/")
    assert response.status_code == 409
    assert response.json()["code"] == "in_use"
    assert row_counts() == before


def test_funnel_report_rows(director, manager, acme):
    first = services.deal_create(actor=manager, data={"title": "A", "counterparty": acme, "amount": "1000.00"})
    services.deal_create(actor=manager, data={"title": "B", "counterparty": acme, "amount": "3000.10"})
    services.deal_move(actor=manager, deal=first, stage=stage("Qualified"))

    response = session_client(director).get("/api/funnel-report/")
    assert response.status_code == 200
    rows = response.json()
    assert [r["stage"]["name"] for r in rows] == [
        "Lead",
        "Qualified",
        "Proposal sent",
        "Negotiation",
        "Won",
        "Lost",
    ]
    assert rows[0] == {
        "stage": {
            "id": stage("Lead").pk,
            "name": "Lead",
            "order": 1,
            "probability": 10,
            "kind": "open",
            "color": "secondary",
        },
        "count": 1,
        "amount": "3000.10",
        "weighted": "300.01",
        "reached": 2,
        "conversion": "50.0",
    }
    assert (rows[1]["count"], rows[1]["amount"], rows[1]["weighted"], rows[1]["conversion"]) == (
        1,
        "1000.00",
        "250.00",
        "0.0",
    )
    assert rows[4]["conversion"] is None

    mine = session_client(director).get(f"/api/funnel-report/?owner={manager.pk}").json()
    assert sum(r["count"] for r in mine) == 2
    unknown = session_client(director).get("/api/funnel-report/?colour=red")
    assert unknown.status_code == 400
    assert "colour" in unknown.json()["detail"]


# --- activities ------------------------------------------------------------------------------


def test_activity_crud_complete_and_filters(api, manager, acme):
    due = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    before = row_counts()
    no_due = api.post(
        "/api/activities/", {"kind": "task", "subject": "Send quote", "counterparty": acme.pk}, format="json"
    )
    assert no_due.status_code == 400
    assert no_due.json()["errors"] == {"due_at": ["A task needs a due date."]}
    assert row_counts() == before

    task = api.post(
        "/api/activities/",
        {"kind": "task", "subject": "Send quote", "counterparty": acme.pk, "due_at": due.isoformat()},
        format="json",
    )
    assert task.status_code == 201, task.json()
    assert (task.json()["owner"], task.json()["done"], task.json()["is_overdue"]) == (
        manager.pk,
        False,
        False,
    )
    call = api.post("/api/activities/", {"kind": "call", "subject": "Intro", "counterparty": acme.pk}, format="json")
    assert call.status_code == 201
    task_id = task.json()["id"]

    done = api.post(f"/api/activities/{task_id}/complete/")
    assert done.status_code == 200
    assert done.json()["done"] is True and done.json()["done_at"] is not None

    def subjects(query):
        return [a["subject"] for a in api.get(f"/api/activities/?{query}").json()["results"]]

    assert subjects("done=true") == ["Send quote"]
    assert subjects("kind=call") == ["Intro"]
    assert subjects(f"owner={manager.pk}&counterparty={acme.pk}&ordering=id") == ["Send quote", "Intro"]

    reopened = api.post(f"/api/activities/{task_id}/complete/", {"done": False}, format="json")
    assert reopened.json()["done"] is False and reopened.json()["done_at"] is None

    patched = api.patch(f"/api/activities/{task_id}/", {"body": "With the options"}, format="json")
    assert patched.status_code == 200 and patched.json()["body"] == "With the options"
    assert api.delete(f"/api/activities/{task_id}/").status_code == 204
    assert Activity.objects.count() == 1


def test_activity_contact_of_another_counterparty_is_refused(api, manager, acme):
    beta = services.counterparty_create(actor=manager, data={"name": "Beta"})
    boris = services.contact_create(actor=manager, counterparty=beta, data={"first_name": "Boris"})
    before = row_counts()
    response = api.post(
        "/api/activities/",
        {"kind": "call", "subject": "Call", "counterparty": acme.pk, "contact": boris.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"contact": ["This contact belongs to another counterparty."]}
    assert row_counts() == before


# --- segments --------------------------------------------------------------------------------


def test_segments_crud_and_counterparties(api, manager, other_manager):
    services.counterparty_create(actor=manager, data={"name": "Robots Supply", "is_supplier": True})
    services.counterparty_create(actor=manager, data={"name": "School", "is_customer": True})
    services.counterparty_create(actor=other_manager, data={"name": "Robots Parts", "is_supplier": True})

    before = row_counts()
    unknown = api.post("/api/segments/", {"name": "Red", "filters": {"colour": "red"}}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["errors"] == {"filters": ["Unknown filter: colour."]}
    assert row_counts() == before

    created = api.post("/api/segments/", {"name": "Suppliers", "filters": {"role": "supplier"}}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["owner"] == manager.pk
    pk = created.json()["id"]

    members = api.get(f"/api/segments/{pk}/counterparties/")
    assert members.status_code == 200
    assert [c["name"] for c in members.json()["results"]] == ["Robots Supply"]  # the other manager's is not in scope
    assert api.get(f"/api/segments/{pk}/counterparties/?colour=red").status_code == 400

    renamed = api.patch(f"/api/segments/{pk}/", {"name": "Our suppliers"}, format="json")
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["filters"]) == ("Our suppliers", {"role": "supplier"})
    assert token_client(other_manager).get(f"/api/segments/{pk}/").status_code == 404
    assert api.delete(f"/api/segments/{pk}/").status_code == 204
