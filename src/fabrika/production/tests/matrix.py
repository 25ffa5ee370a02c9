"""How the permission matrix (access/tests/test_permission_matrix.py) fills the production pages' and
endpoints' URL arguments.

`route_args()` maps a route name to `(make, scope_area)`: `make(world, owner)` returns the URL
kwargs of a record (made once per matrix run and kept on the world). Production records have no
owner scope, so the scope area is None and every role sees the same records.
"""

from decimal import Decimal


def _records(world) -> dict:
    def make():
        from fabrika.catalog.models import Product, Unit
        from fabrika.inventory.services import warehouse_create
        from fabrika.production import services
        from fabrika.production.models import WorkCentre

        unit = Unit.objects.create(code="matrix-prod", name="pieces")
        part = Product.objects.create(code="MATRIX-PART", name="Matrix part", unit=unit)
        made = Product.objects.create(code="MATRIX-MADE", name="Matrix product", unit=unit, type="finished")
        warehouse = warehouse_create(actor=None, data={"code": "MXP", "name": "Matrix shop", "valuation": "fifo"})
        centre = WorkCentre.objects.create(code="MX-WC", name="Matrix bench")
        bom = services.bom_save(actor=None, product=made, data={}, lines=[{"component": part, "qty": 2}])
        operation = {"name": "Assemble", "work_centre": centre, "run_minutes": 5}
        card = services.techcard_save(actor=None, product=made, data={}, operations=[operation])
        draft = services.order_create(
            actor=None, data={"product": made, "qty": Decimal(1), "input_warehouse": warehouse}
        )
        released = services.order_create(
            actor=None, data={"product": made, "qty": Decimal(1), "input_warehouse": warehouse}
        )
        services.order_release(actor=None, order=released, children=False)
        return {
            "product": made,
            "centre": centre,
            "bom": bom,
            "card": card,
            "draft": draft,
            "released": released,
        }

    return world._once("production-records", make)


def _pk(kind: str):
    return lambda world, owner: {"pk": _records(world)[kind].pk}


def route_args() -> dict[str, tuple]:
    product, centre, bom, card = _pk("product"), _pk("centre"), _pk("bom"), _pk("card")
    draft, released = _pk("draft"), _pk("released")
    pages = {
        "profile-update": product,
        "product-costing": product,
        "bom-create": product,
        "bom-detail": bom,
        "bom-update": bom,
        "bom-activate": bom,
        "bom-copy": bom,
        "techcard-create": product,
        "techcard-detail": card,
        "techcard-update": card,
        "techcard-activate": card,
        "workcentre-update": centre,
        "order-detail": released,
        "order-update": draft,
        "order-release": draft,
        "order-report": released,
        "order-finish": released,
        "order-cancel": released,
    }
    api = {
        "production-work-centre-detail": centre,
        "production-bom-detail": bom,
        "production-bom-activate": bom,
        "production-bom-copy": bom,
        "production-tech-card-detail": card,
        "production-tech-card-activate": card,
        "production-order-detail": released,
        "production-order-release": draft,
        "production-order-report": released,
        "production-order-finish": released,
        "production-order-cancel": released,
        "production-product-explosion": product,
        "production-product-rollup": product,
    }
    return {
        **{f"production:{name}": (make, None) for name, make in pages.items()},
        **{f"api:{name}": (make, None) for name, make in api.items()},
    }
