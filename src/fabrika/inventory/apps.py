from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "fabrika.inventory"
    label = "inventory"
    verbose_name = _("Warehouse")

    def ready(self):
        from auditlog.registry import auditlog

        from fabrika.core import numbering

        from . import models

        for code, prefix, label in (
            ("receipt", "REC", _("Receipt")),
            ("shipment", "SHP", _("Shipment")),
            ("transfer", "TRF", _("Transfer")),
            ("writeoff", "WOF", _("Write-off")),
            ("stocktake", "CNT", _("Stocktake")),
            ("customer_return", "CRT", _("Return from customer")),
            ("supplier_return", "SRT", _("Return to supplier")),
        ):
            numbering.register(code, prefix=prefix, label=label)
        # Reference data is audited field by field; the ledger is its own audit (append-only).
        for model in (models.Warehouse, models.Location, models.StockDocument, models.StockDocumentLine, models.Period):
            auditlog.register(model)
