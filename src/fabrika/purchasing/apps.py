from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PurchasingConfig(AppConfig):
    name = "fabrika.purchasing"
    label = "purchasing"
    verbose_name = _("Purchasing")

    def ready(self):
        from auditlog.registry import auditlog

        from fabrika.core import numbering

        from . import models, printing  # noqa: F401  (printing registers the request form)

        numbering.register("purchasing.request", prefix="SR", label=_("Supplier request"))
        auditlog.register(models.SupplierRequest)
        auditlog.register(models.SupplierRequestLine)
