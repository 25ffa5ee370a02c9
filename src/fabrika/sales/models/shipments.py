"""Shipments and returns of an order: each is a warehouse document plus what only sales needs
(carrier, vehicle, planned delivery, the order lines it serves)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fabrika.catalog.fields import MoneyField, QuantityField


class Shipment(models.Model):
    """Goods for an order leaving the warehouse: planned (a draft document) → shipped (posted)."""

    access_area = "sales"
    owner_fields = ("order__manager",)

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        SHIPPED = "shipped", _("Shipped")
        CANCELLED = "cancelled", _("Cancelled")

    order = models.ForeignKey("sales.SalesOrder", on_delete=models.PROTECT, related_name="shipments")
    document = models.OneToOneField(
        "inventory.StockDocument", verbose_name=_("delivery note"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PLANNED)
    carrier = models.CharField(_("carrier"), max_length=150, blank=True)
    vehicle = models.CharField(_("vehicle"), max_length=100, blank=True)
    delivery_address = models.TextField(_("delivery address"), blank=True)
    shipping_cost = MoneyField(_("shipping cost"), default=Decimal("0.00"))
    planned_delivery = models.DateField(_("planned delivery"), null=True, blank=True, db_index=True)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(shipping_cost__gte=0), name="shipment_cost_not_negative")]

    def __str__(self) -> str:
        return self.document.number if self.document_id else f"shipment {self.pk}"

    def get_absolute_url(self) -> str:
        return self.order.get_absolute_url() + "?tab=shipments"


class ShipmentLine(models.Model):
    access_area = "sales"
    owner_fields = ("shipment__order__manager",)

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("sales.SalesOrderLine", on_delete=models.PROTECT, related_name="shipment_lines")
    qty = QuantityField(_("quantity"))  # in the order line's unit

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(qty__gt=0), name="shipmentline_qty_positive")]

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.order_line_id} × {self.qty}"


class SalesReturn(models.Model):
    """Goods the customer sent back: a posted return document, and maybe a credit note."""

    access_area = "sales"
    owner_fields = ("order__manager",)

    order = models.ForeignKey("sales.SalesOrder", on_delete=models.PROTECT, related_name="returns")
    document = models.OneToOneField(
        "inventory.StockDocument", verbose_name=_("return note"), on_delete=models.PROTECT, related_name="+"
    )
    credit_note = models.OneToOneField(
        "sales.Invoice",
        verbose_name=_("credit note"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sales_return",
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer return")
        verbose_name_plural = _("customer returns")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.document.number if self.document_id else f"return {self.pk}"


class SalesReturnLine(models.Model):
    access_area = "sales"
    owner_fields = ("sales_return__order__manager",)

    sales_return = models.ForeignKey(SalesReturn, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("sales.SalesOrderLine", on_delete=models.PROTECT, related_name="return_lines")
    qty = QuantityField(_("quantity"))
    amount = MoneyField(_("amount"), default=Decimal("0.00"))  # before VAT, at the line's price and discount

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(qty__gt=0), name="returnline_qty_positive")]

    def __str__(self) -> str:
        return f"{self.sales_return_id}: {self.order_line_id} × {self.qty}"
