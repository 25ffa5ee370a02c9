"""How the permission matrix (access/tests/test_permission_matrix.py) fills the arguments of the printed
production forms. Production records have no owner scope (access/areas.py): every role with
production rights sees the same order and tech card."""

from decimal import Decimal


def _product(world):
    def make():
        from fabrika.catalog.models import Product, Unit
        from fabrika.inventory.services import warehouse_create
        from fabrika.production.services import bom_save, techcard_save

        unit = Unit.objects.create(code="matrix-prd", name="pieces")
        part = Product.objects.create(code="MATRIX-PRD-PART", name="Matrix part", unit=unit)
        product = Product.objects.create(code="MATRIX-PRD", name="Matrix robot", unit=unit, type="finished")
        bom_save(actor=None, product=product, data={}, lines=[{"component": part, "qty": 2}])
        card = techcard_save(actor=None, product=product, data={}, operations=[{"name": "Assemble", "run_minutes": 5}])
        data = {"code": "MX-PRINT", "name": "Matrix print shop", "valuation": "fifo"}
        warehouse = warehouse_create(actor=None, data=data)
        return {"product": product, "card": card, "warehouse": warehouse}

    return world._once("production-print", make)


def _order(world):
    def make():
        from fabrika.production.services import order_create

        records = _product(world)
        return order_create(
            actor=None,
            data={"product": records["product"], "qty": Decimal("3"), "input_warehouse": records["warehouse"]},
        )

    return world._once("production-print-order", make)


def route_args() -> dict[str, tuple]:
    order = (lambda world, owner: {"pk": _order(world).pk}, None)
    card = (lambda world, owner: {"pk": _product(world)["card"].pk}, None)
    return {
        "documents:print-production.order": order,
        "documents:print-production.costing": order,
        "documents:print-production.techcard": card,
    }
