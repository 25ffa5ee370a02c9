"""The only code that changes sales data. Views, API, jobs and the demo call these functions."""

from .billing import (
    advance_status,
    invoice_cancel,
    invoice_create,
    order_advance_ok,
    order_check_advance,
    payment_allocate,
    payment_create,
    payment_delete,
    payment_unallocate,
)
from .cancel import CancelItem, order_cancel, order_cancel_preview, register_cancel_participant
from .orders import order_close, order_confirm, order_create, order_delete, order_start_work, order_update
from .reservations import order_release, order_release_line, order_reserve, order_reserve_line
from .settings import discount_limit_set, payment_terms_delete, payment_terms_save, sales_settings_update
from .shipments import order_return, shipment_cancel, shipment_create, shipment_post

__all__ = [
    "CancelItem",
    "advance_status",
    "discount_limit_set",
    "invoice_cancel",
    "invoice_create",
    "order_advance_ok",
    "order_cancel",
    "order_cancel_preview",
    "order_check_advance",
    "order_close",
    "order_confirm",
    "order_create",
    "order_delete",
    "order_release",
    "order_release_line",
    "order_reserve",
    "order_reserve_line",
    "order_return",
    "order_start_work",
    "order_update",
    "payment_allocate",
    "payment_create",
    "payment_delete",
    "payment_terms_delete",
    "payment_terms_save",
    "payment_unallocate",
    "register_cancel_participant",
    "sales_settings_update",
    "shipment_cancel",
    "shipment_create",
    "shipment_post",
]
