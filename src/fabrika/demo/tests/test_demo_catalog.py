"""The demo's catalog step: what it creates, counted from the story (not from the loader's tables)."""

from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import transaction

from fabrika.audit.models import BusinessEvent
from fabrika.catalog.models import (
    GroupCharacteristic,
    PriceList,
    PriceListItem,
    PriceType,
    Product,
    ProductGroup,
    Unit,
    UnitConversion,
)
from fabrika.catalog.queries import characteristic_template, group_tree, price_for
from fabrika.demo import loaders

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="class")
def _loaded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield loaders.run(now=NOW)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(_loaded, db):
    return _loaded


class TestTheDemoCatalog:
    def test_units_and_the_group_tree(self, demo):
        assert sorted(Unit.objects.values_list("code", "precision")) == [
            ("box", 0),
            ("kg", 3),
            ("m", 3),
            ("pcs", 0),
            ("set", 0),
        ]
        assert [(g.name, depth) for g, depth in group_tree()] == [
            ("Components", 0),
            ("Cases", 1),
            ("Electronics", 1),
            ("Processors", 2),
            ("Sensors", 2),
            ("Smart boards", 2),
            ("Fasteners", 1),
            ("Finished robots", 0),
            ("Kits", 0),
            ("Nodes", 0),
        ]

    def test_characteristics_templates(self, demo):
        assert GroupCharacteristic.objects.count() == 16
        processors = ProductGroup.objects.get(name="Processors")
        assert [(c.name, c.kind, c.unit, c.required) for c in characteristic_template(processors)] == [
            ("supplier article", "text", "", False),
            ("voltage", "number", "V", False),
            ("cores", "number", "", True),
            ("frequency", "number", "GHz", True),
        ]
        cases = ProductGroup.objects.get(name="Cases")
        size = GroupCharacteristic.objects.get(group=cases, name="size")
        assert (size.kind, size.choice_list, size.required) == ("choice", ["S", "M", "L"], True)
        assert GroupCharacteristic.objects.get(group=cases, name="colour").kind == "text"

    def test_products_of_every_type(self, demo):
        assert Product.objects.count() == 26
        assert Counter(Product.objects.values_list("type", flat=True)) == {
            "component": 18,
            "node": 2,
            "finished": 2,
            "kit": 2,
            "service": 2,
        }
        assert sorted(
            Product.objects.filter(type__in=["node", "finished", "kit", "service"]).values_list("name", flat=True)
        ) == [
            "Brain node",
            "Chassis node",
            "Construction kit K1",
            "Construction kit K2 advanced",
            "Robot R2 custom base",
            "Robot programming course",
            "Robot setup and commissioning",
            "Standard robot R1",
        ]
        cpu = Product.objects.get(code="CPU-O24")
        assert cpu.characteristics == {"voltage": "3.3", "cores": "8", "frequency": "2.4"}
        assert [c.name for c in Product.objects.filter(group__name="Cases").order_by("code")] == [
            "Robot case L",
            "Robot case M",
            "Robot case S",
        ]
        assert Product.objects.get(code="CASE-L").characteristics["size"] == "L"
        bolt = Product.objects.get(code="M3-BOLT")
        assert [(c.unit.code, c.factor) for c in bolt.conversions.all()] == [("box", Decimal("100.000000"))]
        assert UnitConversion.objects.count() == 2
        assert Product.objects.get(code="CABLE-4").unit.code == "m"
        assert Product.objects.get(code="PAINT-BLUE").unit.code == "kg"
        assert Product.objects.get(code="K1").unit.code == "set"
        assert Product.objects.get(code="COURSE-PROG").group is None
        assert not Product.objects.filter(active=False).exists()
        barcodes = [b for b in Product.objects.values_list("barcode", flat=True) if b]
        assert len(barcodes) == len(set(barcodes)) == 19

    def test_price_lists_match_the_deals(self, demo):
        assert sorted(PriceType.objects.values_list("code", flat=True)) == ["dealer", "retail", "wholesale"]
        assert sorted(PriceList.objects.values_list("name", "valid_from", "valid_to", "currency")) == [
            ("Dealer prices 2026", date(2026, 1, 1), None, "EUR"),
            ("Retail prices 2026", date(2026, 1, 1), None, "EUR"),
            ("Wholesale prices 2026", date(2026, 1, 1), None, "EUR"),
        ]
        assert PriceListItem.objects.count() == 12
        assert set(PriceListItem.objects.values_list("product__type", flat=True)) == {"finished", "kit"}
        robot, kit = Product.objects.get(code="R1"), Product.objects.get(code="K1")
        on = date(2026, 3, 15)
        # "10 standard robots for Robokids": 14,500.00; "Construction kits for summer camp": 60 × 189.00;
        # the dealer batch for Danube Electronics: 1,305.00 per robot.
        assert price_for(robot, "retail", on).price * 10 == Decimal("14500.00")
        assert price_for(kit, "retail", on).price * 60 == Decimal("11340.00")
        assert price_for(robot, "dealer", on).price == Decimal("1305.00")
        assert price_for(robot, "wholesale", on).price == Decimal("1380.00")
        assert price_for(Product.objects.get(code="R2-CUSTOM"), "retail", on).price == Decimal("6500.00")
        assert price_for(robot, "retail", date(2025, 12, 31)) is None

    def test_the_engineer_did_it(self, demo):
        assert demo.created["products"] == 26 and demo.created["prices"] == 12
        events = BusinessEvent.objects.filter(event__startswith="catalog.")
        assert events.count() == 5 + 10 + 16 + 26 + 3 + 3 + 12
        assert set(events.values_list("actor__username", flat=True)) == {"engineer"}

    def test_a_second_run_adds_nothing(self, demo):
        counts = {m: m.objects.count() for m in (Unit, ProductGroup, GroupCharacteristic, Product, PriceList)}
        again = loaders.run(now=NOW, steps=[s for s in loaders.STEPS if s.name in ("users", "catalog")])
        assert not +again.created
        assert {m: m.objects.count() for m in counts} == counts


def test_existing_products_are_kept(db):
    from fabrika.catalog import services

    steps = [s for s in loaders.STEPS if s.name in ("company", "users")]
    loaders.run(now=NOW, steps=steps)
    pcs = services.unit_save(actor=None, data={"code": "pcs", "name": "Stück", "precision": 0})
    mine = services.product_create(actor=None, data={"code": "R1", "name": "Our robot", "unit": pcs})
    ctx = loaders.run(now=NOW, steps=[s for s in loaders.STEPS if s.name == "catalog"])
    mine.refresh_from_db()
    assert (mine.name, mine.group, Unit.objects.get(code="pcs").name) == ("Our robot", None, "Stück")
    assert ctx.created["products"] == 25 and ctx.created["units"] == 4
    assert price_for(mine, "retail", date(2026, 6, 1)).price == Decimal("1450.00")
