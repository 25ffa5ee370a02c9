"""The e-mail outbox: every message Fabrika sends is a row first, then a delivery attempt.

A message is queued with its attachments (stored as blobs on rows of their own, so the message
and its files are written and rolled back together), sent by a background task after the
transaction that queued it has committed, and retried with a growing delay until it is sent or
has failed `max attempts` times. See `fabrika.documents.outbox` for the services.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OutboxMessage(models.Model):
    """One e-mail: queued → sent, or queued → failed after the last attempt."""

    access_area = "documents"

    class State(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("e-mail state", "Queued")
        SENT = "sent", pgettext_lazy("e-mail state", "Sent")
        FAILED = "failed", pgettext_lazy("e-mail state", "Failed")

    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    from_email = models.CharField(_("from"), max_length=320)
    to = models.JSONField(_("to"), default=list)
    cc = models.JSONField(_("copy"), default=list, blank=True)
    reply_to = models.CharField(_("reply to"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("text"), blank=True)
    message_id = models.CharField(_("message id"), max_length=255, blank=True)
    # The record the message is about (an order, a supplier request…): its card lists the messages.
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    object_id = models.CharField(max_length=64, blank=True)
    related = GenericForeignKey("content_type", "object_id")
    related_label = models.CharField(_("about"), max_length=255, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sending_since = models.DateTimeField(null=True, blank=True, editable=False)  # claimed by a sender
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("queued by"),
    )
    created_at = models.DateTimeField(_("queued"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("e-mail message")
        verbose_name_plural = _("e-mail messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["content_type", "object_id"], name="outbox_related"),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("documents:outbox-detail", args=[self.pk])

    @property
    def recipients_display(self) -> str:
        return ", ".join(self.to or [])


def _blob_default() -> bytes:
    return b""


class OutboxAttachment(models.Model):
    """A file sent with a message, kept with it (the bytes are what was sent, byte for byte)."""

    access_area = "documents"

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attachments")
    position = models.PositiveIntegerField(default=0)
    filename = models.CharField(_("file name"), max_length=255)
    mimetype = models.CharField(_("type"), max_length=120, default="application/octet-stream")
    size = models.PositiveBigIntegerField(_("size, bytes"))
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField(default=_blob_default)

    class Meta:
        verbose_name = _("e-mail attachment")
        verbose_name_plural = _("e-mail attachments")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.filename
