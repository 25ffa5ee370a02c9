"""How the permission matrix (access/tests/test_permission_matrix.py) fills the purchasing routes'
arguments. Supplier requests have no owner (the purchasing area has no record scope), so every
role with purchasing/view sees the same draft request."""

from decimal import Decimal


def _records(world) -> dict:
    def make():
        from fabrika.catalog.models import Product, Unit
        from fabrika.crm import services as crm
        from fabrika.purchasing import services

        unit = Unit.objects.create(code="matrix-pur", name="pieces")
        product = Product.objects.create(code="MATRIX-PUR", name="Matrix purchase", unit=unit)
        supplier = crm.counterparty_create(
            actor=None,
            data={"name": "Matrix supplier", "is_supplier": True, "email": "matrix-supplier@example.com"},
        )
        draft = services.request_create(
            actor=None, data={"supplier": supplier}, lines=[{"product": product, "qty": Decimal("3")}]
        )
        return {"draft": draft}

    return world._once("purchasing-records", make)


def _pk(kind: str):
    return lambda world, owner: {"pk": _records(world)[kind].pk}


def route_args() -> dict[str, tuple]:
    draft = _pk("draft")
    pages = {
        "request-detail": draft,
        "request-update": draft,
        "request-transition": draft,
        "request-send": draft,
        "request-export": draft,
    }
    api = {"supplier-request-detail": draft, "supplier-request-transition": draft}
    return {
        **{f"purchasing:{name}": (make, None) for name, make in pages.items()},
        **{f"api:{name}": (make, None) for name, make in api.items()},
        "documents:print-purchasing.request": (draft, None),
    }
