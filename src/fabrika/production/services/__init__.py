"""The only code that changes production state. Stock moves go through `fabrika.inventory.services`."""

from .boms import (
    bom_activate,
    bom_copy,
    bom_save,
    profile_save,
    techcard_activate,
    techcard_save,
    workcentre_save,
)
from .orders import (
    order_cancel,
    order_create,
    order_finish,
    order_release,
    order_report,
    order_update,
    orders_release,
    planned_costs,
)

__all__ = [
    "bom_activate",
    "bom_copy",
    "bom_save",
    "order_cancel",
    "order_create",
    "order_finish",
    "order_release",
    "order_report",
    "order_update",
    "orders_release",
    "planned_costs",
    "profile_save",
    "techcard_activate",
    "techcard_save",
    "workcentre_save",
]
