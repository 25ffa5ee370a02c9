from decimal import Decimal as D

import pytest

from fabrika.catalog.models import Product, Unit, UnitConversion
from fabrika.inventory.services import warehouse_create


@pytest.fixture
def pcs(db):
    return Unit.objects.create(code="pcs", name="pieces", precision=0)


@pytest.fixture
def bolt(pcs):
    product = Product.objects.create(code="M3", name="M3 bolt", unit=pcs)
    box = Unit.objects.create(code="box", name="box of 100")
    UnitConversion.objects.create(product=product, unit=box, factor=D("100"))
    return product


@pytest.fixture
def fifo_wh(db):
    return warehouse_create(actor=None, data={"code": "MAIN", "name": "Main warehouse", "valuation": "fifo"})


@pytest.fixture
def avg_wh(db):
    return warehouse_create(actor=None, data={"code": "AVG", "name": "Workshop", "valuation": "average"})
