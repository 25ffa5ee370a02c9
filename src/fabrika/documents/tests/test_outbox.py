"""The e-mail outbox against real SMTP servers (aiosmtpd on 127.0.0.1): delivery with attachments
byte for byte, a refusing server and a closed port (queued, retried, failed), bad input refused
with nothing saved, the retry service, `send_due` and `fabrika send-outbox`."""

import hashlib
import os
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from fabrika.audit.models import BusinessEvent
from fabrika.conftest import attachments_of
from fabrika.core.errors import IllegalTransition, ValidationFailed
from fabrika.documents.models import OutboxAttachment, OutboxMessage
from fabrika.documents.outbox import messages_for, outbox_retry, queue_email, send_due, send_message
from fabrika.documents.printing.render import html_to_pdf

pytestmark = pytest.mark.django_db

State = OutboxMessage.State


@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    return html_to_pdf("<h1>Request SR-2026-00001</h1><p>Twelve M3 bolts, please.</p>", cache=False)


def queue(actor, related=None, **kwargs) -> OutboxMessage:
    kwargs.setdefault("to", ["orders@supplier.example"])
    kwargs.setdefault("subject", "Request SR-2026-00001")
    kwargs.setdefault("body", "Hello,\nplease find our request attached.\n")
    return queue_email(actor=actor, related=related, **kwargs)


def test_a_message_with_a_pdf_arrives_intact(
    smtp_server, manager, counterparty, pdf_bytes, django_capture_on_commit_callbacks
):
    binary = bytes(range(256)) + os.urandom(4096)
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(
            manager,
            counterparty,
            to=["Orders desk <orders@supplier.example>", "boss@supplier.example"],
            cc=["anna@robo.example"],
            reply_to="anna@robo.example",
            attachments=[
                ("SR-2026-00001.pdf", pdf_bytes, "application/pdf"),
                ("data.bin", binary, "application/octet-stream"),
            ],
        )
    received = smtp_server.wait_for(1)
    assert len(received) == 1
    envelope = smtp_server.envelopes[0]
    assert sorted(envelope.rcpt_tos) == ["anna@robo.example", "boss@supplier.example", "orders@supplier.example"]
    email = received[0]
    assert email["Subject"] == "Request SR-2026-00001"
    assert email["Reply-To"] == "anna@robo.example"
    assert email["Message-ID"] == message.message_id
    assert "please find our request attached" in email.get_body(preferencelist=("plain",)).get_content()
    files = attachments_of(email)
    assert [(name, kind) for name, _content, kind in files] == [
        ("SR-2026-00001.pdf", "application/pdf"),
        ("data.bin", "application/octet-stream"),
    ]
    assert files[0][1] == pdf_bytes
    assert files[1][1] == binary
    message.refresh_from_db()
    assert message.state == State.SENT
    assert message.attempts == 1
    assert message.sent_at is not None and message.last_error == "" and message.next_attempt_at is None
    stored = list(message.attachments.all())
    assert bytes(stored[0].content) == pdf_bytes
    assert stored[0].sha256 == hashlib.sha256(pdf_bytes).hexdigest() and stored[0].size == len(pdf_bytes)
    assert list(messages_for(counterparty)) == [message]
    events = set(BusinessEvent.objects.filter(event__startswith="documents.email").values_list("event", flat=True))
    assert events == {"documents.email_queued", "documents.email_sent"}


def test_nothing_is_sent_before_the_transaction_commits(smtp_server, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = queue(manager)
    assert len(callbacks) == 1
    assert smtp_server.envelopes == []
    message.refresh_from_db()
    assert message.state == State.QUEUED and message.attempts == 0


def test_a_refusing_server_leaves_it_queued_and_send_due_delivers_it_later(
    failing_smtp_server, smtp_server, settings, manager, counterparty, pdf_bytes, django_capture_on_commit_callbacks
):
    settings.EMAIL_PORT = failing_smtp_server.port
    before = counterparty.updated_at
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(manager, counterparty, attachments=[("request.pdf", pdf_bytes, "application/pdf")])
    assert len(failing_smtp_server.refused) == 1
    message.refresh_from_db()
    assert message.state == State.QUEUED
    assert message.attempts == 1
    assert "451" in message.last_error
    assert message.next_attempt_at > timezone.now() + timedelta(minutes=4)
    assert send_due() == 0  # not due yet: nothing is attempted
    assert len(failing_smtp_server.refused) == 1

    settings.EMAIL_PORT = smtp_server.port  # the server works again
    assert send_due(now=timezone.now() + timedelta(minutes=6)) == 1
    received = smtp_server.wait_for(1)
    assert attachments_of(received[0])[0][1] == pdf_bytes
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == (State.SENT, 2, "")
    counterparty.refresh_from_db()
    assert counterparty.updated_at == before  # sending never touches the related record
    assert send_due(now=timezone.now() + timedelta(days=1)) == 0  # sent once only


def test_a_closed_port_fails_the_message_after_the_last_attempt(closed_smtp_port, settings, manager):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    message = queue(manager)  # no commit in this test: the first attempt is made by hand
    assert send_message(message=message) is False
    assert (message.state, message.attempts) == (State.QUEUED, 1)
    assert message.last_error.startswith("ConnectionRefusedError")
    first_wait = message.next_attempt_at
    assert send_due(now=first_wait + timedelta(seconds=1)) == 0
    message.refresh_from_db()
    assert message.attempts == 2 and message.next_attempt_at - timezone.now() > timedelta(minutes=9)
    assert send_due(now=timezone.now() + timedelta(hours=1)) == 0
    message.refresh_from_db()
    assert (message.state, message.attempts, message.next_attempt_at) == (State.FAILED, 3, None)
    assert send_due(now=timezone.now() + timedelta(days=1)) == 0
    message.refresh_from_db()
    assert message.attempts == 3  # a failed message is not attempted again by send_due
    assert BusinessEvent.objects.filter(event="documents.email_failed").count() == 1


def test_retry_gives_a_failed_message_one_more_attempt(
    closed_smtp_port, smtp_server, settings, manager, django_capture_on_commit_callbacks
):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    settings.EMAIL_PORT = closed_smtp_port
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(manager)
    message.refresh_from_db()
    assert message.state == State.FAILED
    settings.EMAIL_PORT = smtp_server.port
    with django_capture_on_commit_callbacks(execute=True):
        outbox_retry(actor=manager, message=message)
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.SENT, 2)
    assert len(smtp_server.wait_for(1)) == 1
    with pytest.raises(IllegalTransition):
        outbox_retry(actor=manager, message=message)


def test_a_message_is_not_sent_twice(smtp_server, manager):
    message = queue(manager)
    assert send_message(message=message) is True
    assert send_message(message=message) is True  # already sent: no second delivery
    assert send_due(now=timezone.now() + timedelta(days=1)) == 0
    assert len(smtp_server.wait_for(1)) == 1
    assert OutboxMessage.objects.get(pk=message.pk).attempts == 1


def _counts():
    return (OutboxMessage.objects.count(), OutboxAttachment.objects.count(), BusinessEvent.objects.count())


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"to": []}, "to"),
        ({"to": ["not an address"]}, "to"),
        ({"to": ["orders@supplier.example", "bad@"]}, "to"),
        ({"to": ["orders@supplier.example\nBcc: victim@example.com"]}, "to"),
        ({"cc": ["@example.com"]}, "cc"),
        ({"reply_to": "nobody"}, "reply_to"),
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 256}, "subject"),
        ({"attachments": [("empty.pdf", b"", "application/pdf")]}, "attachments"),
        ({"attachments": [("text.pdf", "not bytes", "application/pdf")]}, "attachments"),
        ({"attachments": [("broken",)]}, "attachments"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(kwargs, field, manager, smtp_server):
    before = _counts()
    with pytest.raises(ValidationFailed) as refused:
        queue(manager, **kwargs)
    assert field in refused.value.errors
    assert _counts() == before
    assert smtp_server.envelopes == []


def test_every_bad_address_is_named(manager):
    with pytest.raises(ValidationFailed) as refused:
        queue(manager, to=["good@supplier.example", "first@", "second"], cc=["third@@x"])
    errors = refused.value.errors
    assert len(errors["to"]) == 2 and "first@" in errors["to"][0] and "second" in errors["to"][1]
    assert "third@@x" in errors["cc"][0]


def test_attachments_too_large_together_are_refused(settings, manager):
    settings.OUTBOX_MAX_MB = 1
    big = b"x" * (700 * 1024)
    before = _counts()
    with pytest.raises(ValidationFailed) as refused:
        queue(manager, attachments=[("a.bin", big, "application/octet-stream"), ("b.bin", big, "")])
    assert "1 MB" in refused.value.errors["attachments"][0]
    assert _counts() == before


def test_an_unsaved_related_record_is_refused(manager):
    from fabrika.crm.models import Counterparty

    with pytest.raises(ValidationFailed) as refused:
        queue(manager, related=Counterparty(name="Unsaved"))
    assert "related" in refused.value.errors


def test_addresses_are_normalised(manager):
    message = queue(
        manager, to=["a@x.example, Bob <b@x.example>", " A@X.example ", ""], cc=("c@x.example",), reply_to=""
    )
    assert message.to == ["a@x.example", "Bob <b@x.example>"]
    assert message.cc == ["c@x.example"]


def test_errors_speak_the_users_language(manager):
    with translation.override("fr"), pytest.raises(ValidationFailed) as refused:
        queue(manager, to=[])
    assert refused.value.errors["to"] == ["Indiquez au moins un destinataire."]


def test_send_outbox_command(smtp_server, manager):
    queue(manager)
    queue(manager, subject="Second")
    call_command("send-outbox", verbosity=0)
    assert len(smtp_server.wait_for(2)) == 2
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {State.SENT}
