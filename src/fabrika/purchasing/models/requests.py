"""Supplier requests: what we ask a supplier for, kept in the request journal.

A request is made by hand, or from needs (a customer order's shortage, a production order, a
shortage analysis) with `services.requests_for_needs`; it and each of its lines keep a link back
to where they came from (`source`, a generic link, and a `source_label` that survives the
source). States: draft → sent → ordered → received, or cancelled from draft, sent or ordered.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fabrika.catalog.fields import MoneyField, QuantityField
from fabrika.core.models import TimeStampedModel


class SupplierRequest(TimeStampedModel):
    access_area = "purchasing"

    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("supplier request state", "Draft")
        SENT = "sent", pgettext_lazy("supplier request state", "Sent")
        ORDERED = "ordered", pgettext_lazy("supplier request state", "Ordered")
        RECEIVED = "received", pgettext_lazy("supplier request state", "Received")
        CANCELLED = "cancelled", pgettext_lazy("supplier request state", "Cancelled")

    TRANSITIONS = {
        (State.DRAFT, State.SENT),
        (State.SENT, State.ORDERED),
        (State.ORDERED, State.RECEIVED),
        (State.DRAFT, State.CANCELLED),
        (State.SENT, State.CANCELLED),
        (State.ORDERED, State.CANCELLED),
    }

    number = models.CharField(_("number"), max_length=40, unique=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    date = models.DateField(_("date"))
    supplier = models.ForeignKey(
        "crm.Counterparty",
        verbose_name=_("supplier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supplier_requests",
    )
    needed_by = models.DateField(_("needed by"), null=True, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    currency = models.CharField(_("currency"), max_length=3)
    note = models.TextField(_("note"), blank=True)
    source_label = models.CharField(_("source"), max_length=200, blank=True)
    source_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source_id = models.CharField(max_length=64, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    ordered_at = models.DateTimeField(_("ordered"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("supplier request")
        verbose_name_plural = _("supplier requests")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["state", "date"], name="supplierrequest_state_date"),
            models.Index(fields=["source_type", "source_id"], name="supplierrequest_source"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("purchasing:request-detail", args=[self.pk])

    def history_children(self) -> list[tuple]:
        """Its lines' changes show in the card's history (`{% object_history %}`)."""
        return [(SupplierRequestLine, {"request_id": self.pk})]

    @property
    def is_draft(self) -> bool:
        return self.state == self.State.DRAFT

    def can_move_to(self, state: str) -> bool:
        return (self.state, state) in self.TRANSITIONS


class SupplierRequestLine(models.Model):
    access_area = "purchasing"

    request = models.ForeignKey(SupplierRequest, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    qty = QuantityField(_("quantity"))
    unit = models.ForeignKey("catalog.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    needed_by = models.DateField(_("needed by"), null=True, blank=True)
    expected_price = MoneyField(_("expected price"), null=True, blank=True)
    source_label = models.CharField(_("source"), max_length=200, blank=True)
    source_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source_id = models.CharField(max_length=64, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("supplier request line")
        verbose_name_plural = _("supplier request lines")
        ordering = ["position", "id"]
        constraints = [models.CheckConstraint(condition=Q(qty__gt=0), name="supplierrequestline_qty_positive")]
        indexes = [models.Index(fields=["source_type", "source_id"], name="supplierrequestline_source")]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.position}: {self.product_id} × {self.qty}"

    @property
    def amount(self):
        """qty × expected price, rounded to the cent; None without a price."""
        if self.expected_price is None:
            return None
        from fabrika.core.money import money

        return money(self.qty * self.expected_price)
