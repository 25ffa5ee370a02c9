from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProductionConfig(AppConfig):
    name = "fabrika.production"
    label = "production"
    verbose_name = _("Production")

    def ready(self):
        from auditlog.registry import auditlog

        from fabrika.core import numbering

        from . import models, printing  # noqa: F401  (printing registers the job card, costing sheet, tech card)

        numbering.register("production_order", prefix="PO", label=_("Production order"))
        for model in (
            models.WorkCentre,
            models.ProductionProfile,
            models.Bom,
            models.BomLine,
            models.TechCard,
            models.Operation,
            models.ProductionOrder,
        ):
            auditlog.register(model)

        from fabrika.catalog.tabs import ProductTab, register_product_tab

        from .views.products import product_tab_context, tab_visible

        register_product_tab(
            ProductTab(
                key="production",
                label=_("Production"),
                icon="gear-wide-connected",
                template="production/product_tab.html",
                context=product_tab_context,
                visible=tab_visible,
            )
        )
