"""How the permission matrix (access/tests/test_permission_matrix.py) fills the sales pages' and
endpoints' URL arguments.

`route_args()` maps a route name to `(make, scope_area)`. Orders, their invoices and shipments
belong to the order's manager, payments to the customer's responsible manager: the record scope
of the "sales" area decides who sees another user's records.
"""

from decimal import Decimal


def _stock(world):
    def make():
        from fabrika.catalog.models import Product, Unit
        from fabrika.inventory import services as inventory

        unit = Unit.objects.create(code="matrix-sales", name="pieces")
        product = Product.objects.create(code="MATRIX-SALES", name="Matrix robot", unit=unit, type="finished")
        warehouse = inventory.warehouse_create(
            actor=None, data={"code": "MXS", "name": "Matrix sales warehouse", "valuation": "fifo"}
        )
        receipt = inventory.document_create(
            actor=None,
            type="receipt",
            data={"warehouse": warehouse},
            lines=[{"product": product, "qty": Decimal("100"), "price": Decimal("2")}],
        )
        inventory.document_post(actor=None, document=receipt)
        return product, warehouse

    return world._once("sales-stock", make)


def _records(world, owner) -> dict:
    def make():
        from fabrika.sales import services
        from fabrika.sales.models import PaymentTerms

        product, warehouse = _stock(world)
        customer = world.counterparty(owner)
        terms = PaymentTerms.objects.filter(name="Matrix terms").first() or services.payment_terms_save(
            actor=None,
            data={"name": "Matrix terms"},
            lines=[{"percent": Decimal("100"), "trigger": "confirmation"}],
        )
        order = services.order_create(
            actor=None,
            data={"counterparty": customer, "manager": owner, "warehouse": warehouse, "payment_terms": terms},
            lines=[{"product": product, "qty": Decimal("3"), "price": Decimal("10")}],
        )
        order = services.order_confirm(actor=None, order=order)
        services.order_reserve(actor=None, order=order)
        line = order.lines.get()
        shipment = services.shipment_create(actor=None, order=order, lines=[(line, Decimal("1"))], post=False)
        invoice = services.invoice_create(actor=None, order=order, amount=Decimal("12.00"))
        payment = services.payment_create(
            actor=None,
            counterparty=customer,
            date=order.order_date,
            amount=Decimal("5.00"),
            allocations=[(invoice, Decimal("5.00"))],
        )
        return {
            "order": order,
            "line": line,
            "shipment": shipment,
            "invoice": invoice,
            "payment": payment,
            "allocation": payment.allocations.get(),
            "terms": terms,
        }

    return world._once(("sales-records", owner.pk), make)


def _pk(kind: str):
    return lambda world, owner: {"pk": _records(world, owner)[kind].pk}


def route_args() -> dict[str, tuple]:
    order, shipment, invoice, payment = _pk("order"), _pk("shipment"), _pk("invoice"), _pk("payment")
    pages = {
        **{
            name: order
            for name in (
                "order-detail",
                "order-update",
                "order-delete",
                "order-confirm",
                "order-start",
                "order-close",
                "order-cancel",
                "order-reserve",
                "order-release",
                "order-ship",
                "order-return",
                "order-invoice",
                "order-email",
                "order-availability-export",
                "order-availability-reserve",
                "order-availability-produce",
                "order-availability-request",
            )
        },
        "shipment-post": shipment,
        "shipment-cancel": shipment,
        "invoice-detail": invoice,
        "invoice-cancel": invoice,
        "payment-detail": payment,
        "payment-allocate": payment,
        "payment-delete": payment,
        "allocation-delete": _pk("allocation"),
    }
    api = {
        **{
            f"sales-order-{action}": order
            for action in ("detail", "confirm", "start", "close", "cancel", "reserve", "release", "ship", "return")
        },
        **{
            f"sales-order-{action}": order
            for action in ("availability", "reserve-available", "create-production", "create-requests")
        },
        "sales-order-cancel-preview": order,
        "sales-invoice-detail": invoice,
        "sales-invoice-cancel": invoice,
        "sales-payment-detail": payment,
        "sales-payment-allocate": payment,
    }
    shared = {
        "sales:terms-update": _pk("terms"),
        "sales:terms-delete": _pk("terms"),
    }
    return {
        **{f"sales:{name}": (make, "sales") for name, make in pages.items()},
        **{f"api:{name}": (make, "sales") for name, make in api.items()},
        **{
            f"documents:print-{code}": (make, "sales")
            for code, make in (("sales.invoice", invoice), ("sales.vat_invoice", invoice), ("sales.act", order))
        },
        **{name: (make, None) for name, make in shared.items()},
    }
