from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fabrika.catalog.fields import QuantityField


class Reservation(models.Model):
    """A quantity of a product (optionally one lot) held for an order line. Counted in Balance.reserved."""

    access_area = "inventory"

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        CONSUMED = "consumed", _("Shipped")
        RELEASED = "released", _("Released")

    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="reservations"
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="reservations"
    )
    lot = models.ForeignKey(
        "inventory.Lot",
        verbose_name=_("lot"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reservations",
    )
    qty = QuantityField(_("reserved"))
    qty_consumed = QuantityField(_("shipped"), default=0)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ACTIVE)
    reference = models.CharField(_("for"), max_length=100)  # e.g. "SO-2026-00017/3", readable without the source
    # What the goods are held for (a sales order line, later a production order…); None for a
    # reservation made by hand in the warehouse.
    source_type = models.ForeignKey(
        "contenttypes.ContentType", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    counterparty = models.ForeignKey(
        "crm.Counterparty",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            models.CheckConstraint(condition=Q(qty__gt=0), name="reservation_qty_positive"),
            models.CheckConstraint(condition=Q(qty_consumed__lte=models.F("qty")), name="reservation_not_overshipped"),
        ]
        indexes = [
            models.Index(fields=["product", "warehouse", "state"], name="reservation_open"),
            models.Index(fields=["source_type", "source_id"], name="reservation_source"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.product_id} × {self.qty}"

    @property
    def open_qty(self):
        return self.qty - self.qty_consumed if self.state == self.State.ACTIVE else 0
