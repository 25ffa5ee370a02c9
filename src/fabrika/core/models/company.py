from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class CompanySettings(models.Model):
    """The company that runs this Fabrika: one row (pk=1)."""

    name = models.CharField(_("company name"), max_length=200, default="My factory")
    legal_name = models.CharField(_("legal name"), max_length=300, blank=True)
    tax_id = models.CharField(_("tax id"), max_length=50, blank=True)
    registration_number = models.CharField(_("registration number"), max_length=50, blank=True)
    address = models.TextField(_("address"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=64, blank=True)
    bank_code = models.CharField(_("bank code (BIC)"), max_length=32, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    vat_rate = models.DecimalField(
        _("VAT rate, %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("20.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    logo = models.ImageField(_("logo"), upload_to="company/", blank=True)

    class Meta:
        verbose_name = _("company settings")
        verbose_name_plural = _("company settings")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def load(cls) -> "CompanySettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj
