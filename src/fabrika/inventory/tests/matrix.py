"""How the permission matrix (access/tests/test_permission_matrix.py) fills the warehouse pages' and
endpoints' URL arguments.

`route_args()` maps a route name to `(make, scope_area)`: `make(world, owner)` returns the URL
kwargs of a record (made once per matrix run and kept on the world). Warehouse records have no
owner, so the scope area is None and every role sees the same records.
"""

from decimal import Decimal


def _records(world) -> dict:
    def make():
        from fabrika.catalog.models import Product, Unit
        from fabrika.inventory import services

        unit = Unit.objects.create(code="matrix-inv", name="pieces")
        product = Product.objects.create(code="MATRIX-INV", name="Matrix stock item", unit=unit)
        warehouse = services.warehouse_create(
            actor=None, data={"code": "MXI", "name": "Matrix warehouse", "valuation": "fifo"}
        )
        receipt = services.document_create(
            actor=None,
            type="receipt",
            data={"warehouse": warehouse},
            lines=[{"product": product, "qty": Decimal("5"), "price": Decimal("2")}],
        )
        services.document_post(actor=None, document=receipt)
        draft = services.document_create(
            actor=None,
            type="shipment",
            data={"warehouse": warehouse},
            lines=[{"product": product, "qty": Decimal("1")}],
        )
        reservation = services.reserve(
            actor=None, product=product, warehouse=warehouse, qty=Decimal("1"), reference="MATRIX/1"
        )
        return {"warehouse": warehouse, "receipt": receipt, "draft": draft, "reservation": reservation}

    return world._once("inventory-records", make)


def _pk(kind: str):
    return lambda world, owner: {"pk": _records(world)[kind].pk}


def route_args() -> dict[str, tuple]:
    warehouse, draft, posted, reservation = _pk("warehouse"), _pk("draft"), _pk("receipt"), _pk("reservation")
    pages = {
        "warehouse-detail": warehouse,
        "warehouse-update": warehouse,
        "document-detail": posted,
        "document-update": draft,
        "document-post": draft,
        "document-cancel": posted,
        "reservation-release": reservation,
    }
    api = {
        "warehouse-detail": warehouse,
        "stock-document-detail": posted,
        "stock-document-post": draft,
        "stock-document-cancel": posted,
        "reservation-detail": reservation,
        "reservation-release": reservation,
    }
    return {
        **{f"inventory:{name}": (make, None) for name, make in pages.items()},
        **{f"api:{name}": (make, None) for name, make in api.items()},
    }
