from datetime import date
from decimal import Decimal as D

import pytest

from fabrika.access.tests.factories import make_user
from fabrika.catalog.models import Product, Unit, UnitConversion
from fabrika.crm import services as crm

NEEDED = date(2026, 12, 15)


@pytest.fixture
def purchaser(db):
    return make_user("sophie", "purchaser", first_name="Sophie", last_name="Bauer", email="sophie@robo.example")


@pytest.fixture
def pcs(db):
    return Unit.objects.create(code="pcs", name="pieces", precision=0)


@pytest.fixture
def metre(db):
    return Unit.objects.create(code="m", name="metre", precision=1)


@pytest.fixture
def bolt(pcs):
    product = Product.objects.create(code="M3", name="M3 bolt", unit=pcs)
    box = Unit.objects.create(code="box", name="box of 100")
    UnitConversion.objects.create(product=product, unit=box, factor=D("100"))
    return product


@pytest.fixture
def cable(metre):
    return Product.objects.create(code="CABLE-4", name="4-wire cable", unit=metre)


@pytest.fixture
def supplier(purchaser):
    supplier = crm.counterparty_create(
        actor=purchaser,
        data={"name": "Schraub & Co.", "is_supplier": True, "is_customer": False, "email": "info@schraub.example"},
    )
    crm.contact_create(
        actor=purchaser,
        counterparty=supplier,
        data={"first_name": "Eva", "last_name": "Huber", "email": "eva@schraub.example", "is_primary": True},
    )
    return supplier


@pytest.fixture
def other_supplier(purchaser):
    return crm.counterparty_create(
        actor=purchaser,
        data={"name": "Kabel AG", "is_supplier": True, "is_customer": False, "email": "orders@kabel.example"},
    )


@pytest.fixture
def customer(purchaser):
    return crm.counterparty_create(actor=purchaser, data={"name": "School No. 5", "is_customer": True})
