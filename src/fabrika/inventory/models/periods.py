from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fabrika.catalog.fields import MoneyField, QuantityField


class Period(models.Model):
    """A month of the ledger. A closed period refuses postings dated inside it."""

    access_area = "inventory"

    start = models.DateField(_("month"), unique=True)  # first day of the month
    closed = models.BooleanField(_("closed"), default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        ordering = ["-start"]

    def __str__(self) -> str:
        return self.start.strftime("%Y-%m")


class BalanceSnapshot(models.Model):
    """Quantity and value of a (product, warehouse) at the end of a month: "as of" reports start here."""

    period_end = models.DateTimeField(db_index=True)
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.CASCADE, related_name="+")
    qty = QuantityField()
    value = MoneyField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["period_end", "product", "warehouse"], name="uniq_snapshot")]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id} {self.period_end:%Y-%m}: {self.qty}"


class Recosting(models.Model):
    """A replay of a timeline after a backdated posting: what triggered it and what changed."""

    at = models.DateTimeField(auto_now_add=True)
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="+")
    from_time = models.DateTimeField()
    trigger = models.ForeignKey("inventory.StockMove", null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=255)
    moves_replayed = models.PositiveIntegerField(default=0)
    moves_changed = models.PositiveIntegerField(default=0)
    request_id = models.CharField(max_length=80, blank=True)

    def __str__(self) -> str:
        return f"recosting {self.product_id}@{self.warehouse_id} from {self.from_time}"


class RecostingChange(models.Model):
    recosting = models.ForeignKey(Recosting, on_delete=models.CASCADE, related_name="changes")
    move = models.ForeignKey("inventory.StockMove", on_delete=models.PROTECT, related_name="+")
    old_value = MoneyField(null=True)
    new_value = MoneyField()

    def __str__(self) -> str:
        return f"{self.move_id}: {self.old_value} -> {self.new_value}"
