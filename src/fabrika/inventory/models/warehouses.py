from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Warehouse(models.Model):
    access_area = "inventory"

    class Valuation(models.TextChoices):
        FIFO = "fifo", _("Lot FIFO (never negative)")
        AVERAGE = "average", _("Average cost (negative allowed)")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=150)
    valuation = models.CharField(_("valuation"), max_length=10, choices=Valuation.choices)
    address = models.TextField(_("address"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("inventory:warehouse-detail", args=[self.pk])

    @property
    def is_fifo(self) -> bool:
        return self.valuation == self.Valuation.FIFO


class Location(models.Model):
    """Where goods are: a warehouse's storage, or a virtual place (supplier, customer, production…).

    Every operation is a move from one location to another.
    """

    access_area = "inventory"

    class Kind(models.TextChoices):
        STORAGE = "storage", _("Storage")
        SUPPLIER = "supplier", _("Supplier")
        CUSTOMER = "customer", _("Customer")
        PRODUCTION = "production", _("Production")
        SCRAP = "scrap", _("Scrap")
        ADJUSTMENT = "adjustment", _("Inventory adjustment")
        TRANSIT = "transit", _("Transit")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=150)
    warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("warehouse"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="locations",
    )

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="storage", warehouse__isnull=False) | ~Q(kind="storage"),
                name="storage_location_has_warehouse",
            ),
            models.UniqueConstraint(
                fields=["kind"], condition=~Q(kind="storage"), name="one_virtual_location_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_storage(self) -> bool:
        return self.kind == self.Kind.STORAGE
