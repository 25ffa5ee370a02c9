"""The e-mail outbox: the only code that queues, sends and retries e-mail.

    from fabrika.documents.outbox import queue_email

    message = queue_email(
        actor=request.user,
        to=["orders@supplier.example"],
        subject="Request SR-2026-00012",
        body="Please find our request attached.",
        attachments=[("SR-2026-00012.pdf", pdf_bytes, "application/pdf")],
        related=supplier_request,          # its card lists the message ({% outbox_panel obj %})
    )

`queue_email` validates the addresses and stores the message with its attachments (nothing is
saved when anything is wrong: ValidationFailed with a message per field, in the user's
language). Once the caller's transaction has committed, a django-tasks task sends it
(`documents.tasks.send_outbox_message`; the immediate backend sends at once, the database
backend when a worker picks it up).

`send_message` makes one delivery attempt through Django's SMTP backend (settings EMAIL_*). It
never raises: a refused or unreachable server leaves the message `queued` with `attempts`,
`last_error` and `next_attempt_at` (5, 10, 20, 40… minutes later); after
`settings.OUTBOX_MAX_ATTEMPTS` attempts (5 by default) the message is `failed`. The related
record is never read for writing nor changed by sending.

`send_due` retries the queued messages that are due (`fabrika send-outbox`, or the
`documents.tasks.send_due_outbox` task on a schedule); `outbox_retry` is the "Retry" button:
one more attempt now, also for a failed message.
"""

import hashlib
import logging
import mimetypes
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event
from fabrika.core.errors import IllegalTransition, ValidationFailed

from .models_outbox import OutboxAttachment, OutboxMessage
from .services import sanitize_filename

logger = logging.getLogger(__name__)

State = OutboxMessage.State

MAX_RECIPIENTS = 100
FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=6)
# A sender that claimed a message and died (killed worker) gives it back after this long.
CLAIM_TIMEOUT = timedelta(minutes=10)


def max_attempts() -> int:
    return max(1, int(getattr(settings, "OUTBOX_MAX_ATTEMPTS", 5)))


def max_total_bytes() -> int:
    return int(getattr(settings, "OUTBOX_MAX_MB", 25)) * 1024 * 1024


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 5, 10, 20, 40 minutes…, at most 6 hours."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_RETRY)


# --- validation -----------------------------------------------------------------------------------


def _as_list(values) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        return [values]
    return [str(v) for v in values]


_PIECE = re.compile(r'(?:"[^"]*"|[^,;])+')
_NAMED = re.compile(r"^(?P<name>[^<>]*)<(?P<addr>[^<>]*)>$")


def clean_addresses(values, *, field: str, errors: dict) -> list[str]:
    """Addresses as "a@b.example" or "Name <a@b.example>" (commas or semicolons split an entry).

    Invalid ones are reported on `errors[field]`, each as it was typed; duplicates are dropped.
    """
    cleaned, seen = [], set()
    for raw in _as_list(values):
        for piece in _PIECE.findall(raw):
            text = piece.strip()
            if not text:
                continue
            match = _NAMED.match(text)
            name, addr = (
                (match.group("name").strip().strip('"').strip(), match.group("addr").strip()) if match else ("", text)
            )
            try:
                if any(c in text for c in "\r\n\x00"):
                    raise ValidationError("header injection")
                validate_email(addr)
            except ValidationError:
                errors.setdefault(field, []).append(
                    _("%(address)s is not a valid e-mail address.") % {"address": " ".join(text.split())}
                )
                continue
            if addr.lower() in seen:
                continue
            seen.add(addr.lower())
            cleaned.append(formataddr((name, addr)) if name else addr)
    return cleaned


def _clean_attachments(attachments, errors: dict) -> list[OutboxAttachment]:
    built, total = [], 0
    for index, item in enumerate(attachments or ()):
        try:
            filename, content, mimetype = item
        except (TypeError, ValueError):
            errors.setdefault("attachments", []).append(
                _("Attachment %(n)d is not (file name, bytes, type).") % {"n": index + 1}
            )
            continue
        name = sanitize_filename(filename or "")
        if isinstance(content, memoryview | bytearray):
            content = bytes(content)
        if not isinstance(content, bytes):
            errors.setdefault("attachments", []).append(
                _("Attachment %(name)s has no content in bytes.") % {"name": name}
            )
            continue
        if not content:
            errors.setdefault("attachments", []).append(_("Attachment %(name)s is empty.") % {"name": name})
            continue
        total += len(content)
        mimetype = (mimetype or mimetypes.guess_type(name)[0] or "application/octet-stream").strip()[:120]
        if "/" not in mimetype or any(c in mimetype for c in "\r\n"):
            errors.setdefault("attachments", []).append(
                _("Attachment %(name)s has an unknown type %(type)s.") % {"name": name, "type": mimetype}
            )
            continue
        built.append(
            OutboxAttachment(
                position=index + 1,
                filename=name,
                mimetype=mimetype,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
            )
        )
    limit = max_total_bytes()
    if total > limit:
        errors.setdefault("attachments", []).append(
            _("The attachments are too large together: %(size)d MB; the limit is %(limit)d MB.")
            % {"size": -(-total // (1024 * 1024)), "limit": limit // (1024 * 1024)}
        )
    return built


def _clean_subject(subject, errors: dict) -> str:
    subject = " ".join(str(subject or "").split())  # a header is one line
    if not subject:
        errors["subject"] = [_("Write a subject.")]
    elif len(subject) > 255:
        errors["subject"] = [_("The subject is longer than %(n)d characters.") % {"n": 255}]
    return subject


# --- queue ----------------------------------------------------------------------------------------


def queue_email(
    *,
    actor,
    to: list[str],
    subject: str,
    body: str,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    related=None,
    cc: list[str] = (),
    reply_to: str = "",
) -> OutboxMessage:
    """Store a message with its attachments and send it once the caller's transaction commits.

    Raises ValidationFailed (fields to, cc, reply_to, subject, attachments, related) and saves
    nothing when an address is invalid, there is no recipient, the subject is empty or too long,
    an attachment is empty or they are too large together.
    """
    errors: dict[str, list[str]] = {}
    to_list = clean_addresses(to, field="to", errors=errors)
    if not to_list and "to" not in errors:
        errors["to"] = [_("Give at least one recipient.")]
    cc_list = clean_addresses(cc, field="cc", errors=errors)
    reply = clean_addresses([reply_to] if reply_to else [], field="reply_to", errors=errors)
    if len(reply) > 1:
        errors.setdefault("reply_to", []).append(_("Give one reply-to address."))
    if len(to_list) + len(cc_list) > MAX_RECIPIENTS:
        errors.setdefault("to", []).append(_("At most %(n)d recipients per message.") % {"n": MAX_RECIPIENTS})
    subject = _clean_subject(subject, errors)
    built = _clean_attachments(attachments, errors)
    if related is not None and getattr(related, "pk", None) is None:
        errors["related"] = [_("Save the record before sending e-mail about it.")]
    if errors:
        raise ValidationFailed(errors)

    now = timezone.now()
    message = OutboxMessage(
        state=State.QUEUED,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to_list,
        cc=cc_list,
        reply_to=reply[0] if reply else "",
        subject=subject,
        body=str(body or "").replace("\r\n", "\n"),
        message_id=make_msgid(domain=_msgid_domain()),
        next_attempt_at=now,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if related is not None:
        message.content_type = ContentType.objects.get_for_model(related)
        message.object_id = str(related.pk)
        message.related_label = str(related)[:255]
    with transaction.atomic():
        message.save()
        for attachment in built:
            attachment.message = message
        OutboxAttachment.objects.bulk_create(built)
        record_event(
            "documents.email_queued",
            message,
            actor=actor,
            to=to_list,
            cc=cc_list,
            subject=subject,
            attachments=[a.filename for a in built],
            related=f"{message.content_type.app_label}.{message.content_type.model}:{message.object_id}"
            if related is not None
            else "",
        )
        _enqueue_on_commit(message.pk)
    return message


def _msgid_domain() -> str:
    address = settings.DEFAULT_FROM_EMAIL
    domain = address.rpartition("@")[2].strip("> ")
    return domain or "fabrika.localhost"


def _enqueue_on_commit(message_id: int) -> None:
    def enqueue():
        from .tasks import send_outbox_message

        send_outbox_message.enqueue(message_id)

    # robust: a broken task queue must not fail the request; send_due picks the message up later.
    transaction.on_commit(enqueue, robust=True)


# --- send -----------------------------------------------------------------------------------------


def _claim(message_id: int, now: datetime) -> bool:
    """Take the message for one attempt, so that two senders never send it twice at once."""
    stale = now - CLAIM_TIMEOUT
    return bool(
        OutboxMessage.objects.filter(pk=message_id, state=State.QUEUED)
        .filter(Q(sending_since__isnull=True) | Q(sending_since__lt=stale))
        .update(sending_since=now)
    )


def build_email(message: OutboxMessage, connection=None) -> EmailMessage:
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
        to=list(message.to or []),
        cc=list(message.cc or []),
        reply_to=[message.reply_to] if message.reply_to else None,
        headers={"Message-ID": message.message_id} if message.message_id else None,
        connection=connection,
    )
    for attachment in message.attachments.all():
        email.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
    return email


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip()
    return (f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:2000]


def send_message(*, message: OutboxMessage) -> bool:
    """One delivery attempt; True when the message is sent (now or before). Never raises.

    On success: state sent, sent_at. On any error (refused, unreachable, timed out…): attempts
    + 1, last_error, and either queued again with next_attempt_at or, after the last attempt,
    failed. `message` is updated in place. The related record is not touched.
    """
    started = timezone.now()
    if not _claim(message.pk, started):
        message.refresh_from_db()
        return message.state == State.SENT
    try:
        fresh = OutboxMessage.objects.get(pk=message.pk)
        connection = get_connection(fail_silently=False)
        delivered = build_email(fresh, connection).send()
        if not delivered:
            raise RuntimeError("the mail backend accepted no message")
    except Exception as exc:  # any SMTP, socket, DNS or backend error: record it, never raise
        _record_failure(message.pk, exc)
    else:
        _record_success(message.pk)
    message.refresh_from_db()
    return message.state == State.SENT


def _record_success(message_id: int) -> None:
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message_id)
        message.state = State.SENT
        message.sent_at = timezone.now()
        message.attempts += 1
        message.last_error = ""
        message.next_attempt_at = None
        message.sending_since = None
        message.save(
            update_fields=[
                "state",
                "sent_at",
                "attempts",
                "last_error",
                "next_attempt_at",
                "sending_since",
                "updated_at",
            ]
        )
        record_event("documents.email_sent", message, to=message.to, attempts=message.attempts)


def _record_failure(message_id: int, exc: BaseException) -> None:
    error = _error_text(exc)
    logger.warning("e-mail %s not sent: %s", message_id, error)
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message_id)
        message.attempts += 1
        message.last_error = error
        message.sending_since = None
        if message.attempts >= max_attempts():
            message.state = State.FAILED
            message.next_attempt_at = None
        else:
            message.next_attempt_at = timezone.now() + retry_delay(message.attempts)
        message.save(
            update_fields=["state", "attempts", "last_error", "next_attempt_at", "sending_since", "updated_at"]
        )
        record_event(
            "documents.email_failed" if message.state == State.FAILED else "documents.email_deferred",
            message,
            attempts=message.attempts,
            error=error,
            next_attempt_at=message.next_attempt_at,
        )


def due_messages(*, now: datetime | None = None) -> QuerySet:
    now = now or timezone.now()
    return (
        OutboxMessage.objects.filter(state=State.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(sending_since__isnull=True) | Q(sending_since__lt=timezone.now() - CLAIM_TIMEOUT))
        .order_by("next_attempt_at", "id")
    )


def send_due(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Attempt every queued message that is due at `now` (default: now); returns how many were sent.

    `now` only decides which messages are due; attempts are timed by the clock.
    """
    ids = due_messages(now=now).values_list("pk", flat=True)
    ids = list(ids[:limit] if limit else ids)
    sent = 0
    for pk in ids:
        message = OutboxMessage.objects.filter(pk=pk).first()
        if message is not None and send_message(message=message):
            sent += 1
    return sent


@transaction.atomic
def outbox_retry(*, actor, message: OutboxMessage) -> OutboxMessage:
    """The "Retry" button: a queued or failed message gets one more attempt right after commit.

    A sent message is refused (IllegalTransition). A failed message is queued again; if that
    attempt fails too, it is failed again at once (its attempts are used up).
    """
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if message.state == State.SENT:
        raise IllegalTransition(
            message, message.state, State.QUEUED, _("This message was sent already; it is not sent again.")
        )
    previous = message.state
    message.state = State.QUEUED
    message.next_attempt_at = timezone.now()
    message.save(update_fields=["state", "next_attempt_at", "updated_at"])
    record_event("documents.email_retry", message, actor=actor, previous=previous, attempts=message.attempts)
    _enqueue_on_commit(message.pk)
    return message


# --- read side ------------------------------------------------------------------------------------


def messages_for(obj) -> QuerySet:
    """The messages about `obj` (its card's outbox panel), newest first."""
    if obj is None or getattr(obj, "pk", None) is None:
        return OutboxMessage.objects.none()
    return OutboxMessage.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).order_by("-created_at", "-id")
