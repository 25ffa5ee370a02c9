"""What a product is made of (BOM) and how it is made (tech card, work centres)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fabrika.catalog.fields import MoneyField, QuantityField
from fabrika.core.models import TimeStampedModel

PERCENT = {"max_digits": 7, "decimal_places": 3}
MINUTES = {"max_digits": 12, "decimal_places": 3}


class WorkCentre(TimeStampedModel):
    """A machine, line or team that operations run on, with its hourly cost and capacity."""

    access_area = "production"

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    hourly_rate = MoneyField(_("hourly rate"), default=0)
    hours_per_day = models.DecimalField(_("hours per day"), max_digits=5, decimal_places=2, default=8)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("work centre")
        verbose_name_plural = _("work centres")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("production:workcentre-list")


class ProductionProfile(TimeStampedModel):
    """The product card's Production section: where it is stored and how long it takes."""

    access_area = "production"

    product = models.OneToOneField(
        "catalog.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="production"
    )
    output_warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("finished goods warehouse"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    input_warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("components warehouse"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lead_time_days = models.PositiveIntegerField(_("lead time, days"), default=0)
    description = models.TextField(_("production description"), blank=True)

    class Meta:
        verbose_name = _("production profile")
        verbose_name_plural = _("production profiles")

    def __str__(self) -> str:
        return str(self.product)


class Bom(TimeStampedModel):
    """A version of a product's specification. One standard version is active at a time;
    custom versions belong to one order (a robot configured for one customer)."""

    access_area = "production"

    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="boms"
    )
    version = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=False)
    is_custom = models.BooleanField(_("custom (one order)"), default=False)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("bill of materials")
        verbose_name_plural = _("bills of materials")
        ordering = ["product", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["product", "version"], name="uniq_bom_product_version"),
            models.UniqueConstraint(fields=["product"], condition=Q(is_active=True), name="uniq_bom_active"),
        ]

    def __str__(self) -> str:
        return f"{self.product.code} v{self.version}" + (f" {self.name}" if self.name else "")

    def get_absolute_url(self) -> str:
        return reverse("production:bom-detail", args=[self.pk])

    def history_children(self) -> list[tuple]:
        """Its lines' changes show in the card's history (`{% object_history %}`)."""
        return [(BomLine, {"bom_id": self.pk})]


class BomLine(models.Model):
    access_area = "production"

    bom = models.ForeignKey(Bom, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("position"), default=0)
    component = models.ForeignKey(
        "catalog.Product", verbose_name=_("component"), on_delete=models.PROTECT, related_name="used_in_bom_lines"
    )
    qty = QuantityField(_("quantity"))
    unit = models.ForeignKey(
        "catalog.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The quantity in the component's base unit (qty converted through the unit), per one parent.
    qty_base = QuantityField(_("quantity in base unit"))
    scrap_pct = models.DecimalField(_("scrap, %"), default=0, **PERCENT)
    phantom = models.BooleanField(_("phantom"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("BOM line")
        verbose_name_plural = _("BOM lines")
        ordering = ["bom", "position", "id"]
        indexes = [models.Index(fields=["component"], name="bomline_component")]

    def __str__(self) -> str:
        return f"{self.component} × {self.qty}"


class TechCard(TimeStampedModel):
    """The routing: ordered operations with their work centres, times and rates."""

    access_area = "production"

    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="tech_cards"
    )
    version = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=False)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("tech card")
        verbose_name_plural = _("tech cards")
        ordering = ["product", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["product", "version"], name="uniq_techcard_product_version"),
            models.UniqueConstraint(fields=["product"], condition=Q(is_active=True), name="uniq_techcard_active"),
        ]

    def __str__(self) -> str:
        return f"{self.product.code} v{self.version}" + (f" {self.name}" if self.name else "")

    def get_absolute_url(self) -> str:
        return reverse("production:techcard-detail", args=[self.pk])

    def history_children(self) -> list[tuple]:
        return [(Operation, {"tech_card_id": self.pk})]


class OperationFields(models.Model):
    """What an operation is and costs; shared by tech cards and the operations copied onto an order."""

    seq = models.PositiveIntegerField(_("step"), default=10)
    name = models.CharField(_("operation"), max_length=200)
    work_centre = models.ForeignKey(
        WorkCentre, verbose_name=_("work centre"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    setup_minutes = models.DecimalField(_("setup, min"), default=0, **MINUTES)
    run_minutes = models.DecimalField(_("run per unit, min"), default=0, **MINUTES)
    labour_rate = MoneyField(_("labour rate per hour"), default=0)
    overhead_rate = MoneyField(_("overhead rate per hour"), default=0)
    instructions = models.TextField(_("instructions"), blank=True)

    class Meta:
        abstract = True


class Operation(OperationFields):
    access_area = "production"

    tech_card = models.ForeignKey(TechCard, on_delete=models.CASCADE, related_name="operations")

    class Meta:
        verbose_name = _("operation")
        verbose_name_plural = _("operations")
        ordering = ["tech_card", "seq", "id"]

    def __str__(self) -> str:
        return f"{self.seq} {self.name}"
