from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ..fields import MoneyField


class PriceType(models.Model):
    """Retail, wholesale, dealer…"""

    access_area = "catalog"

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("price type")
        verbose_name_plural = _("price types")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PriceList(models.Model):
    access_area = "catalog"

    name = models.CharField(_("name"), max_length=150)
    price_type = models.ForeignKey(
        PriceType, verbose_name=_("price type"), on_delete=models.PROTECT, related_name="price_lists"
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    includes_vat = models.BooleanField(_("prices include VAT"), default=False)

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["price_type", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")), name="price_list_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("catalog:price-list-detail", args=[self.pk])


class PriceListItem(models.Model):
    access_area = "catalog"

    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), on_delete=models.CASCADE, related_name="items"
    )
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="prices"
    )
    price = MoneyField(_("price"))

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product"], name="uniq_price_list_product"),
            models.CheckConstraint(condition=Q(price__gte=0), name="price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.price}"
