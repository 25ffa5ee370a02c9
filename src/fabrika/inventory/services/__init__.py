"""The only code that changes stock. Everything that moves goods posts through `post_moves()`."""

from .documents import document_cancel, document_create, document_post, document_update, reversal_specs, to_base
from .posting import MoveSpec, post_moves
from .reservations import release, reserve
from .warehouses import storage_of, virtual_location, warehouse_create, warehouse_update

__all__ = [
    "MoveSpec",
    "document_cancel",
    "document_create",
    "document_post",
    "document_update",
    "post_moves",
    "release",
    "reserve",
    "reversal_specs",
    "storage_of",
    "to_base",
    "virtual_location",
    "warehouse_create",
    "warehouse_update",
]
