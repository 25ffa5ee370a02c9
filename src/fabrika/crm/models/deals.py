from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from fabrika.core.models import TimeStampedModel
from fabrika.core.money import money


class FunnelStage(models.Model):
    """A stage of the sales funnel. Open stages are ordered; `won` and `lost` close a deal."""

    access_area = "crm"

    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveIntegerField(_("order"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("probability, %"), default=10, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OPEN)
    color = models.CharField(_("colour"), max_length=20, blank=True, default="secondary")

    class Meta:
        verbose_name = _("funnel stage")
        verbose_name_plural = _("funnel stages")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class Deal(TimeStampedModel):
    """An opportunity moving through the sales funnel."""

    access_area = "crm"
    owner_fields = ("owner",)

    number = models.CharField(_("number"), max_length=40, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    counterparty = models.ForeignKey(
        "crm.Counterparty", verbose_name=_("counterparty"), on_delete=models.PROTECT, related_name="deals"
    )
    contact = models.ForeignKey(
        "crm.Contact", verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="deals"
    )
    stage = models.ForeignKey(FunnelStage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals")
    amount = models.DecimalField(_("expected amount"), max_digits=16, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    expected_close = models.DateField(_("expected close date"), null=True, blank=True)
    lost_reason = models.CharField(_("reason lost"), max_length=300, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    reached_order = models.PositiveIntegerField(default=0, editable=False)  # furthest open stage reached
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_closed(self) -> bool:
        return self.stage.kind != FunnelStage.Kind.OPEN

    @property
    def weighted_amount(self) -> Decimal:
        return money(self.amount * self.stage.probability / Decimal(100))

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("crm:deal-detail", args=[self.pk])


class DealStageChange(models.Model):
    """Each move of a deal between stages (the funnel's conversion is read from these)."""

    access_area = "crm"

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(FunnelStage, null=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(FunnelStage, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} -> {self.to_stage_id}"
