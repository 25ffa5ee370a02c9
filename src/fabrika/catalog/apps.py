from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "fabrika.catalog"
    label = "catalog"
    verbose_name = _("Catalog")

    def ready(self):
        from auditlog.registry import auditlog

        from . import models

        for model in (
            models.Unit,
            models.UnitConversion,
            models.ProductGroup,
            models.GroupCharacteristic,
            models.Product,
            models.PriceType,
            models.PriceList,
            models.PriceListItem,
        ):
            auditlog.register(model)
