from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "fabrika.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self):
        from auditlog.registry import auditlog

        from fabrika.core import numbering

        from . import models

        numbering.register("sales.order", prefix="SO", label=_("Sales order"))
        numbering.register("sales.invoice", prefix="INV", label=_("Invoice"))
        numbering.register("sales.payment", prefix="PAY", label=_("Payment"))
        for model in (
            models.SalesOrder,
            models.SalesOrderLine,
            models.SalesSettings,
            models.DiscountLimit,
            models.PaymentTerms,
            models.PaymentTermsLine,
            models.Invoice,
            models.Payment,
            models.Shipment,
        ):
            auditlog.register(
                model,
                m2m_fields=getattr(model, "audit_m2m", set()),
                # Totals and counters follow from the lines: not news to the people reading the history.
                exclude_fields=[
                    "created_at",
                    "updated_at",
                    "subtotal",
                    "discount_amount",
                    "vat_amount",
                    "total",
                    "qty_shipped",
                    "qty_returned",
                    "qty_base",
                    "paid_amount",
                ],
            )

        from . import printing, services  # noqa: F401  (print forms; built-in cancel participants)
        from .views.my_day import register as register_my_day

        register_my_day()

        from .availability import register as register_order_centre

        register_order_centre()
