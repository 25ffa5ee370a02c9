from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fabrika.catalog.fields import MoneyField, QuantityField
from fabrika.core.models import TimeStampedModel


class StockDocument(TimeStampedModel):
    """A warehouse document: draft → posted → cancelled. Posting writes moves; cancelling reverses them."""

    access_area = "inventory"

    class Type(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        SHIPMENT = "shipment", _("Shipment to customer")
        TRANSFER = "transfer", _("Transfer")
        WRITEOFF = "writeoff", _("Write-off")
        STOCKTAKE = "stocktake", _("Stocktake")
        CUSTOMER_RETURN = "customer_return", _("Return from customer")
        SUPPLIER_RETURN = "supplier_return", _("Return to supplier")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        POSTED = "posted", _("Posted")
        CANCELLED = "cancelled", _("Cancelled")

    TRANSITIONS = {(State.DRAFT, State.POSTED), (State.POSTED, State.CANCELLED), (State.DRAFT, State.CANCELLED)}

    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    number = models.CharField(_("number"), max_length=40, unique=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    date = models.DateTimeField(_("date"))
    warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="documents"
    )
    to_warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("to warehouse"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incoming_documents",
    )
    counterparty = models.ForeignKey(
        "crm.Counterparty",
        verbose_name=_("counterparty"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stock_documents",
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    posted_at = models.DateTimeField(_("posted"), null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("stock document")
        verbose_name_plural = _("stock documents")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["type", "state", "date"], name="stockdoc_type_state")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("inventory:document-detail", args=[self.pk])


class StockDocumentLine(models.Model):
    access_area = "inventory"

    document = models.ForeignKey(StockDocument, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    qty = QuantityField(_("quantity"))
    unit = models.ForeignKey("catalog.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    qty_base = QuantityField(_("quantity in base unit"))
    price = MoneyField(_("unit price"), null=True, blank=True)  # receipts: purchase price per document unit
    value = MoneyField(_("value"), null=True, blank=True)  # receipts: round(qty × price, 2) unless given
    lot = models.ForeignKey(
        "inventory.Lot", verbose_name=_("lot"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lot_number = models.CharField(_("lot number"), max_length=64, blank=True)  # receipts: the lot to create
    counted_qty = QuantityField(_("counted"), null=True, blank=True)  # stocktake
    reservation = models.ForeignKey(
        "inventory.Reservation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.CheckConstraint(condition=Q(qty__gte=0), name="line_qty_not_negative")]

    def __str__(self) -> str:
        return f"{self.document_id}/{self.position}: {self.product_id} × {self.qty}"
