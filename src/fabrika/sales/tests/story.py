"""The Robokids order of issue 5 over the robot factory of production/tests/factory.py, shared by
the service-level story (test_story_robokids.py) and the browser story (test_browser_story.py).

Robokids School of Robotics orders 10 standard robots at 1,450.00, 5 construction kits at 189.00
and 4 custom robots at 1,890.00 (their own BOM: a bigger case and an extra sensor board). Net
23,005.00 + VAT 20 % 4,601.00 = 27,606.00; terms 50 % advance (13,803.00), 50 % on delivery; the
advance blocks production.

Stock in Main: 5 robots (made earlier, 1,277.20), 5 construction kits, cases, electronics kits,
peripheral sets, bolts, 4 big cases and 4 sensor boards; 4 smart boards left after 6 defective ones
were written off, and 7 processors after two went to warranty replacements. So 5 standard robots
come from stock and 9 must be made: 9 brains need 9 boards (4 → 5 short) and 9 processors
(7 → 2 short).
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from fabrika.access.tests.factories import make_user, unique_username
from fabrika.core.models import CompanySettings
from fabrika.crm import services as crm
from fabrika.inventory.services import document_create, document_post
from fabrika.production.services import bom_save
from fabrika.production.tests.factory import Factory, build, receive
from fabrika.sales.services import order_create, payment_terms_save


def write_off(wh, product, qty, reason):
    doc = document_create(
        actor=None,
        type="writeoff",
        data={"warehouse": wh, "reason": reason},
        lines=[{"product": product, "qty": D(qty)}],
    )
    return document_post(actor=None, document=doc)


@pytest.fixture
def factory() -> Factory:
    """The robot factory with the construction kits, big cases and sensor boards, after the
    write-offs: 4 boards and 7 processors left."""
    company = CompanySettings.load()
    company.currency, company.vat_rate = "EUR", D("20.00")
    company.save()
    f = build()
    pcs = f.p["CASE"].unit
    Product = f.p["CASE"].__class__
    f.p["CKIT"] = Product.objects.create(code="CKIT", name="Construction kit", unit=pcs, type="kit")
    f.p["BIGCASE"] = Product.objects.create(code="BIGCASE", name="Big case", unit=pcs)
    f.p["SENSOR"] = Product.objects.create(code="SENSOR", name="Sensor board", unit=pcs)
    receive(f.p["ROBOT"], 5, "1277.20", f.main)
    receive(f.p["CKIT"], 5, "450.00", f.main)
    receive(f.p["BIGCASE"], 4, "600.00", f.main)
    receive(f.p["SENSOR"], 4, "88.00", f.main)
    receive(f.p["CPU"], 1, "25.00", f.main, when=timezone.now() - timedelta(days=4))  # after the factory's lots
    write_off(f.main, f.p["BOARD"], 6, "defective")
    write_off(f.main, f.p["CPU"], 2, "warranty replacement")
    return f


@dataclass
class Story:
    f: Factory
    manager: object  # Anna, the sales manager
    school: object
    maria: object  # the school's contact
    supplier: object  # Chip Supply
    custom: object  # the custom robots' BOM
    terms: object
    order: object  # a draft


def robokids(f: Factory, manager=None) -> Story:
    """Anna's draft order for Robokids (see the module's text), with everything it needs."""
    today = timezone.localdate()
    manager = manager or make_user(unique_username("anna"), "sales_manager", first_name="Anna", last_name="Becker")
    school = crm.counterparty_create(actor=None, data={"name": "Robokids School of Robotics", "responsible": manager})
    maria = crm.contact_create(
        actor=None,
        counterparty=school,
        data={"first_name": "Maria", "last_name": "Huber", "email": "maria@robokids.example"},
    )
    supplier = crm.counterparty_create(
        actor=None, data={"name": "Chip Supply", "is_supplier": True, "is_customer": False}
    )
    custom = bom_save(
        actor=None,
        product=f.p["ROBOT"],
        data={"name": "Robokids: big case, extra sensor", "is_custom": True},
        lines=[
            {"component": f.p["BIGCASE"], "qty": 1},
            {"component": f.p["KIT"], "qty": 1},
            {"component": f.p["PERIPH"], "qty": 1},
            {"component": f.p["BOLT"], "qty": 20},
            {"component": f.p["BRAIN"], "qty": 1},
            {"component": f.p["SENSOR"], "qty": 1},
        ],
    )
    terms = payment_terms_save(
        actor=None,
        data={"name": "50 % advance, 50 % on delivery"},
        lines=[{"percent": D(50), "trigger": "confirmation"}, {"percent": D(50), "trigger": "shipment"}],
    )
    order = order_create(
        actor=manager,
        data={
            "counterparty": school,
            "contact": maria,
            "manager": manager,
            "warehouse": f.main,
            "promised_date": today + timedelta(days=30),
            "payment_terms": terms,
            "advance_policy": "block",
        },
        lines=[
            {"product": f.p["ROBOT"], "qty": D(10), "price": D("1450.00")},
            {"product": f.p["CKIT"], "qty": D(5), "price": D("189.00")},
            {"product": f.p["ROBOT"], "qty": D(4), "price": D("1890.00"), "custom_bom": custom},
        ],
    )
    return Story(f, manager, school, maria, supplier, custom, terms, order)
