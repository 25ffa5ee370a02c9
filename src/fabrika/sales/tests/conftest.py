"""Fixtures of the sales tests: a small robot maker with stock, prices, customers and people."""

import datetime
from dataclasses import dataclass
from decimal import Decimal as D

import pytest
from auditlog.models import LogEntry
from django.apps import apps

from fabrika.access.tests.factories import make_user, unique_username
from fabrika.audit.models import BusinessEvent
from fabrika.catalog import services as catalog
from fabrika.catalog.models import Product, Unit, UnitConversion
from fabrika.core.models import CompanySettings, NumberSequence
from fabrika.crm import services as crm
from fabrika.inventory import services as inventory
from fabrika.inventory.models import Balance, Reservation, StockDocument, StockMove

__all__ = ["Shop", "row_counts"]


def row_counts() -> dict[str, int]:
    """Rows of every sales and warehouse table, the audit trail and the number sequences: equal
    before and after a refused operation."""
    counts = {m._meta.label: m.objects.count() for m in apps.get_app_config("sales").get_models()}
    for model in (StockDocument, StockMove, Reservation):
        counts[model._meta.label] = model.objects.count()
    counts["reserved"] = [(b.product_id, b.qty, b.reserved) for b in Balance.objects.order_by("pk")]
    counts["states"] = list(
        apps.get_model("sales", "SalesOrder").objects.order_by("pk").values_list("state", flat=True)
    )
    counts["shipped"] = list(
        apps.get_model("sales", "SalesOrderLine").objects.order_by("pk").values_list("qty_shipped", flat=True)
    )
    counts["audit.BusinessEvent"] = BusinessEvent.objects.count()
    counts["auditlog.LogEntry"] = LogEntry.objects.count()
    counts["core.NumberSequence.last"] = sum(NumberSequence.objects.values_list("last_number", flat=True))
    counts["crm.Activity"] = apps.get_model("crm", "Activity").objects.count()
    return counts


@dataclass
class Shop:
    pcs: Unit
    robot: Product  # R1, 1450.00 retail
    kit: Product  # K1, 189.00 retail
    bolt: Product  # sold in boxes of 100 as well
    setup: Product  # a service, no list price
    warehouse: object
    retail: object
    customer: object
    other_customer: object
    manager: object
    director: object

    def line(self, product, qty, **extra):
        return {"product": product, "qty": D(str(qty)), **extra}


@pytest.fixture
def shop(db) -> Shop:
    company = CompanySettings.load()
    company.currency, company.vat_rate = "EUR", D("20.00")
    company.save()
    pcs = Unit.objects.create(code="pcs", name="pieces", precision=0)
    box = Unit.objects.create(code="box", name="box of 100", precision=1)
    robot = Product.objects.create(code="R1", name="Standard robot R1", unit=pcs, type=Product.Type.FINISHED)
    kit = Product.objects.create(code="K1", name="Construction kit K1", unit=pcs, type=Product.Type.KIT)
    bolt = Product.objects.create(code="M3", name="M3 bolt", unit=pcs)
    UnitConversion.objects.create(product=bolt, unit=box, factor=D("100"))
    setup = Product.objects.create(code="SETUP", name="Setup and commissioning", unit=pcs, type=Product.Type.SERVICE)
    warehouse = inventory.warehouse_create(
        actor=None, data={"code": "MAIN", "name": "Main warehouse", "valuation": "fifo"}
    )
    receipt = inventory.document_create(
        actor=None,
        type="receipt",
        data={"warehouse": warehouse},
        lines=[
            {"product": robot, "qty": D("10"), "price": D("800")},
            {"product": kit, "qty": D("20"), "price": D("90")},
            {"product": bolt, "qty": D("1000"), "price": D("0.05")},
        ],
    )
    inventory.document_post(actor=None, document=receipt)
    retail = catalog.price_type_save(actor=None, data={"code": "retail", "name": "Retail"})
    price_list = catalog.price_list_create(
        actor=None, data={"name": "Retail 2026", "price_type": retail, "valid_from": datetime.date(2020, 1, 1)}
    )
    for product, price in ((robot, "1450.00"), (kit, "189.00"), (bolt, "0.12")):
        catalog.price_item_save(actor=None, price_list=price_list, product=product, price=D(price))
    manager = make_user(unique_username("anna"), "sales_manager", first_name="Anna", last_name="Becker")
    director = make_user(unique_username("dora"), "director", first_name="Dora", last_name="Gruber")
    customer = crm.counterparty_create(
        actor=None,
        data={"name": "Robokids School of Robotics", "responsible": manager},
        addresses=[{"kind": "delivery", "text": "Schulgasse 5, 1180 Vienna"}],
    )
    other = crm.counterparty_create(actor=None, data={"name": "Linz Youth Robotics Club", "responsible": manager})
    from fabrika.sales.models import SalesSettings
    from fabrika.sales.services import sales_settings_update

    SalesSettings.load()
    sales_settings_update(actor=None, data={"default_warehouse": warehouse, "default_price_type": retail})
    return Shop(pcs, robot, kit, bolt, setup, warehouse, retail, customer, other, manager, director)


@pytest.fixture
def make_order(shop):
    """`make_order(lines, **header)`: a draft order of the shop's customer by its manager."""
    from fabrika.sales.services import order_create

    def make(lines=None, *, actor=None, confirm=False, **header):
        header.setdefault("counterparty", shop.customer)
        header.setdefault("manager", shop.manager)
        lines = lines if lines is not None else [shop.line(shop.robot, 3)]
        order = order_create(actor=actor or shop.manager, data=header, lines=lines)
        if confirm:
            from fabrika.sales.services import order_confirm

            order = order_confirm(actor=actor or shop.manager, order=order)
        return order

    return make


@pytest.fixture
def half_and_half(db):
    from fabrika.sales.services import payment_terms_save

    return payment_terms_save(
        actor=None,
        data={"name": "50 % advance, 50 % on delivery"},
        lines=[{"percent": D("50"), "trigger": "confirmation"}, {"percent": D("50"), "trigger": "shipment"}],
    )


@pytest.fixture
def production_manager(db):
    return make_user(unique_username("martin"), "production_manager", first_name="Martin", last_name="Wagner")


@pytest.fixture
def engineer(db):
    return make_user(unique_username("lukas"), "engineer", first_name="Lukas", last_name="Hofer")
