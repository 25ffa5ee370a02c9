from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..fields import QuantityField


class Unit(models.Model):
    """A unit of measure; `precision` is how many decimal places its quantities may have."""

    access_area = "catalog"

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=60)
    precision = models.PositiveSmallIntegerField(_("decimal places"), default=0, validators=[MaxValueValidator(6)])

    class Meta:
        verbose_name = _("unit of measure")
        verbose_name_plural = _("units of measure")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class UnitConversion(models.Model):
    """1 `unit` = `factor` × the product's base unit (a box of 100 → factor 100)."""

    access_area = "catalog"

    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="conversions"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    factor = QuantityField(_("base units in one"))
    barcode = models.CharField(_("barcode"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("unit conversion")
        verbose_name_plural = _("unit conversions")
        constraints = [
            models.UniqueConstraint(fields=["product", "unit"], name="uniq_conversion_product_unit"),
            models.CheckConstraint(condition=models.Q(factor__gt=0), name="conversion_factor_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.unit} = {self.factor.normalize()} {self.product.unit}"
