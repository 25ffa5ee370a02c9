from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fabrika.core.models import TimeStampedModel


class Activity(TimeStampedModel):
    """A call, meeting, e-mail, note or task logged on a counterparty's card."""

    access_area = "crm"
    owner_fields = ("owner", "counterparty__responsible")

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        EMAIL = "email", _("E-mail")
        NOTE = "note", _("Note")
        TASK = "task", _("Task")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CALL)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    counterparty = models.ForeignKey(
        "crm.Counterparty", verbose_name=_("counterparty"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="activities",
    )
    contact = models.ForeignKey(
        "crm.Contact", verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="activities",
    )
    deal = models.ForeignKey(
        "crm.Deal", verbose_name=_("deal"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="activities",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), on_delete=models.PROTECT,
        related_name="activities",
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    remind_at = models.DateTimeField(_("reminder"), null=True, blank=True)
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["owner", "done", "due_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    @property
    def is_overdue(self) -> bool:
        return bool(self.due_at and not self.done and self.due_at < timezone.now())
