from django.core.management.base import BaseCommand

from fabrika.audit.context import audit_context
from fabrika.documents.models_outbox import OutboxMessage
from fabrika.documents.outbox import due_messages, send_due


class Command(BaseCommand):
    help = (
        "Send the e-mail outbox: every queued message that is due gets one delivery attempt. "
        "Run it every few minutes (cron or a systemd timer) when the task worker does not."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="Attempt at most this many messages.")

    def handle(self, *args, limit=None, verbosity=1, **options):
        due = due_messages().count()
        with audit_context(kind="cmd", name="send-outbox"):
            sent = send_due(limit=limit)
        waiting = OutboxMessage.objects.filter(state=OutboxMessage.State.QUEUED).count()
        failed = OutboxMessage.objects.filter(state=OutboxMessage.State.FAILED).count()
        if verbosity >= 1:
            self.stdout.write(f"due: {due}, sent: {sent}, still queued: {waiting}, failed: {failed}")
