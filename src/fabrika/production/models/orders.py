"""Production orders: make (or take apart, or convert) a quantity, posting through the stock ledger."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fabrika.catalog.fields import MoneyField, QuantityField
from fabrika.core.models import TimeStampedModel

from .boms import MINUTES, PERCENT, OperationFields


class ProductionOrder(TimeStampedModel):
    # No owner_fields: the production area has no record scope (access/areas.py), so every user with
    # production rights sees every order; with owner_fields, restrict() filtered to the responsible's own.
    access_area = "production"

    class Kind(models.TextChoices):
        PRODUCTION = "production", _("Production")
        DISASSEMBLY = "disassembly", _("Disassembly")
        CONVERSION = "conversion", pgettext_lazy("production order kind", "Conversion")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RELEASED = "released", pgettext_lazy("production order state", "Released")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    TRANSITIONS = {
        (State.DRAFT, State.RELEASED),
        (State.RELEASED, State.IN_PROGRESS),
        (State.RELEASED, State.DONE),
        (State.IN_PROGRESS, State.DONE),
        (State.DRAFT, State.CANCELLED),
        (State.RELEASED, State.CANCELLED),
        (State.IN_PROGRESS, State.CANCELLED),
    }

    number = models.CharField(_("number"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.PRODUCTION)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.DRAFT, db_index=True)
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="production_orders"
    )
    qty = QuantityField(_("quantity"))
    bom = models.ForeignKey(
        "production.Bom", verbose_name=_("BOM"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tech_card = models.ForeignKey(
        "production.TechCard",
        verbose_name=_("tech card"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    input_warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("components warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    output_warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("output warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_finish = models.DateField(_("planned finish"), null=True, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("parent order"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # What the order is for (a customer order line, a shortage analysis): a label and a link back.
    source_label = models.CharField(_("for"), max_length=200, blank=True)
    source_type = models.ForeignKey(
        "contenttypes.ContentType", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_id = models.BigIntegerField(null=True, blank=True)
    qty_done = QuantityField(_("quantity made"), default=0)
    qty_scrap = QuantityField(_("scrap"), default=0)
    note = models.TextField(_("note"), blank=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("production order")
        verbose_name_plural = _("production orders")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["source_type", "source_id"], name="prodorder_source"),
            models.Index(fields=["product", "state"], name="prodorder_product_state"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("production:order-detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state in (self.State.DRAFT, self.State.RELEASED, self.State.IN_PROGRESS)

    @property
    def qty_remaining(self):
        return max(self.qty - self.qty_done, 0)

    def history_children(self) -> list[tuple]:
        return [(OrderLine, {"order_id": self.pk}), (OrderOperation, {"order_id": self.pk})]


class OrderLine(models.Model):
    """The order's own material list, copied from the BOM (phantoms exploded) and editable while a
    draft: inputs are consumed, outputs are received and share the inputs' value by `share`."""

    access_area = "production"

    class Role(models.TextChoices):
        INPUT = "in", _("Consumed")
        OUTPUT = "out", _("Produced")

    order = models.ForeignKey(ProductionOrder, on_delete=models.CASCADE, related_name="lines")
    role = models.CharField(_("role"), max_length=3, choices=Role.choices, default=Role.INPUT)
    position = models.PositiveIntegerField(_("position"), default=0)
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    qty_per_unit = QuantityField(_("per unit"))
    scrap_pct = models.DecimalField(_("scrap, %"), default=0, **PERCENT)
    share = models.DecimalField(_("cost share"), max_digits=24, decimal_places=6, default=1)
    qty_posted = QuantityField(_("posted"), default=0)

    class Meta:
        verbose_name = _("order material")
        verbose_name_plural = _("order materials")
        ordering = ["order", "role", "position", "id"]

    def __str__(self) -> str:
        return f"{self.product} × {self.qty_per_unit}"


class OrderOperation(OperationFields):
    access_area = "production"

    order = models.ForeignKey(ProductionOrder, on_delete=models.CASCADE, related_name="operations")
    actual_minutes = models.DecimalField(_("actual, min"), default=0, **MINUTES)

    class Meta:
        verbose_name = _("order operation")
        verbose_name_plural = _("order operations")
        ordering = ["order", "seq", "id"]

    def __str__(self) -> str:
        return f"{self.seq} {self.name}"


class ProductionReport(models.Model):
    """One posting of an order: materials consumed and output received as one ledger step."""

    access_area = "production"

    class State(models.TextChoices):
        POSTED = "posted", _("Posted")
        CANCELLED = "cancelled", _("Cancelled")

    order = models.ForeignKey(ProductionOrder, on_delete=models.PROTECT, related_name="reports")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.POSTED)
    posted_at = models.DateTimeField(_("date"))
    qty = QuantityField(_("good quantity"))
    qty_scrap = QuantityField(_("scrap"), default=0)
    value_group = models.OneToOneField(
        "inventory.ValueGroup", on_delete=models.PROTECT, related_name="production_report"
    )
    labour = MoneyField(_("labour"), default=0)
    overhead = MoneyField(_("overhead"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("production report")
        verbose_name_plural = _("production reports")
        ordering = ["order", "posted_at", "id"]

    def __str__(self) -> str:
        return f"{self.order.number} · {self.posted_at:%Y-%m-%d}"


class ReportOperation(models.Model):
    access_area = "production"

    report = models.ForeignKey(ProductionReport, on_delete=models.CASCADE, related_name="operations")
    operation = models.ForeignKey(OrderOperation, on_delete=models.PROTECT, related_name="+")
    minutes = models.DecimalField(_("minutes"), **MINUTES)
    labour = MoneyField(_("labour"), default=0)
    overhead = MoneyField(_("overhead"), default=0)

    class Meta:
        verbose_name = _("recorded operation")
        verbose_name_plural = _("recorded operations")

    def __str__(self) -> str:
        return f"{self.operation} · {self.minutes}"
