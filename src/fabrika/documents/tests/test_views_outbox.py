"""Outbox pages, the card panel and the read-only API: who sees which message, downloads, Retry."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from fabrika.documents.models import OutboxMessage
from fabrika.documents.outbox import queue_email, send_message

pytestmark = pytest.mark.django_db

State = OutboxMessage.State
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"


@pytest.fixture
def message(manager, counterparty):
    return queue_email(
        actor=manager,
        to=["orders@acme.example"],
        subject="Our request",
        body="Line one\nLine two",
        attachments=[("request.pdf", PDF, "application/pdf")],
        related=counterparty,
    )


@pytest.fixture
def stranger(make_user):
    """A sales manager who may view documents but not Anna's counterparty (own records only)."""
    return make_user("boris", "sales_manager")


@pytest.fixture
def purchaser(make_user):
    return make_user("petra", "purchaser")


def test_list_shows_the_message_with_its_state_and_record(client, manager, message):
    client.force_login(manager)
    response = client.get(reverse("documents:outbox-list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Our request" in page and "orders@acme.example" in page and "Acme Robotics" in page
    assert 'class="badge text-bg-warning state-queued"' in page
    filtered = client.get(reverse("documents:outbox-list"), {"state": "sent"})
    assert "Our request" not in filtered.content.decode()
    by_type = client.get(reverse("documents:outbox-list"), {"related_type": "crm.counterparty", "q": "acme"})
    assert "Our request" in by_type.content.decode()
    export = client.get(reverse("documents:outbox-list"), {"export": "csv"})
    content = b"".join(export.streaming_content) if export.streaming else export.content
    assert export.status_code == 200 and b"orders@acme.example" in content


def test_a_message_about_a_record_one_cannot_see_is_hidden(client, stranger, message):
    client.force_login(stranger)
    assert "Our request" not in client.get(reverse("documents:outbox-list")).content.decode()
    assert client.get(reverse("documents:outbox-detail", args=[message.pk])).status_code == 404
    attachment = message.attachments.get()
    assert client.get(reverse("documents:outbox-attachment", args=[attachment.pk])).status_code == 404
    api = APIClient()
    api.force_authenticate(stranger)
    assert api.get("/api/outbox/").json()["count"] == 0
    assert api.get(f"/api/outbox/{message.pk}/").status_code == 404


def test_detail_and_attachment_download(client, manager, message):
    client.force_login(manager)
    page = client.get(reverse("documents:outbox-detail", args=[message.pk])).content.decode()
    assert "Line one\nLine two" in page and "request.pdf" in page
    assert 'id="retry-message"' not in page  # a sales manager may not change documents
    download = client.get(reverse("documents:outbox-attachment", args=[message.attachments.get().pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"] == 'attachment; filename="request.pdf"'
    assert download["Content-Type"] == "application/octet-stream"


@pytest.mark.django_db(transaction=True)  # the view's transaction commits, so the task sends at once
def test_retry_button_sends_a_queued_message(
    client, make_user, archivist_role, manager, counterparty, smtp_server, closed_smtp_port, settings
):
    message = queue_email(
        actor=manager, to=["orders@acme.example"], subject="Our request", body="", related=counterparty
    )
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.QUEUED, 1)  # sent at commit, to a closed port
    settings.EMAIL_PORT = smtp_server.port
    archivist = make_user("arch", archivist_role)
    client.force_login(archivist)
    # The archivist sees CRM records of their own only: Anna's counterparty hides the message.
    assert client.post(reverse("documents:outbox-retry", args=[message.pk])).status_code == 404
    archivist_role.scopes = {"crm": "all"}
    archivist_role.save()
    client.force_login(archivist)
    page = client.get(reverse("documents:outbox-detail", args=[message.pk])).content.decode()
    assert 'id="retry-message"' in page
    response = client.post(reverse("documents:outbox-retry", args=[message.pk]), follow=True)
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.state == State.SENT
    assert "The message was sent." in response.content.decode()
    assert len(smtp_server.wait_for(1)) == 1
    again = client.post(reverse("documents:outbox-retry", args=[message.pk]), follow=True)
    assert "was sent already" in again.content.decode()
    assert message.attempts == 2 == OutboxMessage.objects.get(pk=message.pk).attempts


def test_retry_needs_the_documents_change_right(client, manager, message):
    client.force_login(manager)
    assert client.post(reverse("documents:outbox-retry", args=[message.pk])).status_code == 403


def test_a_purchaser_without_crm_scope_problems_sees_the_list(client, purchaser, message):
    client.force_login(purchaser)  # purchaser: documents view, crm view with scope all
    assert "Our request" in client.get(reverse("documents:outbox-list")).content.decode()


def test_panel_lists_the_messages_of_a_card(manager, counterparty, message, closed_smtp_port):
    send_message(message=message)
    request = RequestFactory().get("/crm/counterparties/1/")
    request.user = manager
    html = Template("{% load documents_tags %}{% outbox_panel obj %}").render(
        Context({"request": request, "obj": counterparty})
    )
    assert "Our request" in html and "orders@acme.example" in html
    assert "ConnectionRefusedError" in html  # the reason it is still queued
    assert reverse("documents:outbox-detail", args=[message.pk]) in html
    html = Template("{% load outbox_tags %}{% outbox_panel obj %}").render(
        Context({"request": request, "obj": manager})
    )
    assert "No e-mail sent yet." in html


def test_api_lists_and_filters_by_record(manager, counterparty, message):
    queue_email(actor=manager, to=["x@example.com"], subject="About nothing", body="")
    api = APIClient()
    api.force_authenticate(manager)
    everything = api.get("/api/outbox/").json()
    assert everything["count"] == 2
    one = api.get("/api/outbox/", {"content_type": "crm.counterparty", "object_id": str(counterparty.pk)}).json()
    assert [m["subject"] for m in one["results"]] == ["Our request"]
    detail = api.get(f"/api/outbox/{message.pk}/").json()
    assert detail["to"] == ["orders@acme.example"]
    assert detail["state"] == "queued" and detail["content_type"] == "crm.counterparty"
    assert detail["attachments"][0]["filename"] == "request.pdf"
    assert detail["attachments"][0]["size"] == len(PDF)
    assert api.post("/api/outbox/", {"subject": "x"}).status_code in (403, 405)
    assert api.get("/api/outbox/", {"object_id": "1"}).status_code == 400
