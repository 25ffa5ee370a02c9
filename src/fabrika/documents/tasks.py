"""Background jobs of the documents app (django-tasks): sending the e-mail outbox."""

from django_tasks import task

from fabrika.audit.context import audit_context


@task()
def send_outbox_message(message_id: int) -> bool:
    """One delivery attempt of a queued message (enqueued when the message is queued)."""
    from .models_outbox import OutboxMessage
    from .outbox import send_message

    with audit_context(kind="job", name="outbox"):
        message = OutboxMessage.objects.filter(pk=message_id).first()
        return message is not None and send_message(message=message)


@task()
def send_due_outbox() -> int:
    """Retry every queued message that is due (run it on a schedule, or `fabrika send-outbox`)."""
    from .outbox import send_due

    with audit_context(kind="job", name="outbox"):
        return send_due()
