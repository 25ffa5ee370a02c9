from .billing import (
    ADVANCE_TRIGGERS,
    Invoice,
    Payment,
    PaymentAllocation,
    PaymentScheduleLine,
    PaymentTerms,
    PaymentTermsLine,
    Trigger,
)
from .orders import OrderTask, SalesOrder, SalesOrderLine, line_amount
from .settings import DiscountLimit, SalesSettings
from .shipments import SalesReturn, SalesReturnLine, Shipment, ShipmentLine

__all__ = [
    "ADVANCE_TRIGGERS",
    "DiscountLimit",
    "Invoice",
    "OrderTask",
    "Payment",
    "PaymentAllocation",
    "PaymentScheduleLine",
    "PaymentTerms",
    "PaymentTermsLine",
    "SalesOrder",
    "SalesOrderLine",
    "SalesReturn",
    "SalesReturnLine",
    "SalesSettings",
    "Shipment",
    "ShipmentLine",
    "Trigger",
    "line_amount",
]
