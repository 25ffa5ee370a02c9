"""Every change is attributed: actor, request id and before/after, from pages, commands and jobs."""

import re

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fabrika.audit.context import audit_context
from fabrika.audit.models import BusinessEvent
from fabrika.audit.services import record_event
from fabrika.crm.models import Counterparty
from fabrika.crm.services import counterparty_create, counterparty_delete, counterparty_update
from fabrika.documents.models import Attachment


def entries_for(obj):
    return LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_pk=str(obj.pk)).order_by(
        "timestamp", "id"
    )


def test_change_in_a_request_records_actor_request_id_and_before_after(manager):
    counterparty = counterparty_create(actor=manager, data={"name": "Acme", "phone": "+33 1 00"})
    with audit_context(actor=manager, request_id="req-x"):
        counterparty_update(actor=manager, counterparty=counterparty, data={"name": "Acme Robotics", "phone": ""})
    update = entries_for(counterparty).get(action=LogEntry.Action.UPDATE)
    assert update.actor == manager
    assert update.actor_email == "anna@example.com"
    assert update.cid == "req-x"
    assert update.changes["name"] == ["Acme", "Acme Robotics"]
    assert update.changes["phone"] == ["+33 1 00", ""]
    event = BusinessEvent.objects.get(event="crm.counterparty_updated")
    assert (event.actor, event.request_id, event.object_id) == (manager, "req-x", str(counterparty.pk))


def test_change_in_a_command_has_the_command_request_id_and_no_actor(db):
    with audit_context(kind="cmd", name="demo") as request_id:
        counterparty = counterparty_create(actor=None, data={"name": "Demo Ltd"})
    assert re.fullmatch(r"cmd-demo-[0-9a-f]{16}", request_id)
    create = entries_for(counterparty).get()
    assert create.action == LogEntry.Action.CREATE
    assert create.actor is None
    assert create.cid == request_id
    assert create.changes["name"] == ["None", "Demo Ltd"]
    event = BusinessEvent.objects.get(event="crm.counterparty_created")
    assert (event.actor, event.request_id) == (None, request_id)


def test_deletion_is_recorded_with_the_values_before(manager):
    counterparty = counterparty_create(actor=manager, data={"name": "Gone SA", "email": "hello@gone.example"})
    pk = counterparty.pk
    with audit_context(actor=manager, request_id="req-del"):
        counterparty_delete(actor=manager, counterparty=counterparty)
    assert not Counterparty.objects.filter(pk=pk).exists()
    delete = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Counterparty),
        object_pk=str(pk),
        action=LogEntry.Action.DELETE,
    )
    assert delete.object_repr == "Gone SA"
    assert (delete.actor, delete.cid) == (manager, "req-del")
    assert delete.changes["name"] == ["Gone SA", "None"]
    assert delete.changes["email"] == ["hello@gone.example", "None"]
    assert delete.changes["responsible"] == [str(manager.pk), "None"]
    event = BusinessEvent.objects.get(event="crm.counterparty_deleted")
    assert (event.actor, event.request_id, event.data) == (manager, "req-del", {"name": "Gone SA"})


def test_business_events_take_actor_and_request_id_from_the_context(manager):
    with audit_context(actor=manager, request_id="job-mrp-1"):
        event = record_event("planning.mrp_run", None, lines=3)
    assert (event.actor, event.request_id, event.data, event.content_type) == (
        manager,
        "job-mrp-1",
        {"lines": 3},
        None,
    )
    outside = record_event("system.started")
    assert (outside.actor, outside.request_id) == (None, "")


def test_an_anonymous_user_is_no_actor(db):
    from django.contrib.auth.models import AnonymousUser

    with audit_context(actor=AnonymousUser(), request_id="req-anon"):
        event = record_event("access.login_failed", None, actor=AnonymousUser())
    assert (event.actor, event.request_id) == (None, "req-anon")


def test_response_header_is_the_request_id_of_the_changes_it_made(client, manager):
    from fabrika.crm.services import counterparty_create

    counterparty = counterparty_create(actor=manager, data={"name": "Acme"})
    client.force_login(manager)
    ct = ContentType.objects.get_for_model(Counterparty)
    response = client.post(
        reverse("documents:attachment-add", args=[ct.pk, counterparty.pk]),
        {"file": SimpleUploadedFile("offer.pdf", b"%PDF-1.4")},
    )
    assert response.status_code == 302
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"req-[0-9a-f]{16}", request_id)
    attachment = Attachment.objects.get()
    create = entries_for(attachment).get()
    assert (create.cid, create.actor, create.action) == (request_id, manager, LogEntry.Action.CREATE)
    assert create.changes["filename"] == ["None", "offer.pdf"]
    assert "file" not in create.changes  # the storage name is not audited
    event = BusinessEvent.objects.get(event="documents.attachment_added")
    assert (event.request_id, event.actor) == (request_id, manager)

    response = client.post(reverse("access:language"), {"language": "fr", "next": "/"})
    assert response.status_code == 302
    event = BusinessEvent.objects.get(event="user.language_changed")
    assert event.request_id == response["X-Request-ID"] != request_id
    assert event.actor == manager
    if auditlog.contains(type(manager)):  # the user model is audited too: same request id
        changes = LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(manager),
            action=LogEntry.Action.UPDATE,
            changes__has_key="language",
        )
        assert [(e.cid, e.actor, e.changes["language"]) for e in changes] == [
            (response["X-Request-ID"], manager, ["", "fr"])
        ]


def test_a_proxys_request_id_is_kept_and_a_strange_one_replaced(client, manager):
    client.force_login(manager)
    response = client.post(reverse("access:language"), {"language": "ru"}, HTTP_X_REQUEST_ID="edge-7f3a-0042")
    assert response["X-Request-ID"] == "edge-7f3a-0042"
    assert BusinessEvent.objects.get(event="user.language_changed").request_id == "edge-7f3a-0042"
    response = client.post(reverse("access:language"), {"language": "en"}, HTTP_X_REQUEST_ID="a b;<script>")
    assert re.fullmatch(r"req-[0-9a-f]{16}", response["X-Request-ID"])
