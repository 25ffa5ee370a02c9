"""The demo's inventory step: warehouses, components in several lots, a few movements; idempotent."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Count

from fabrika.catalog.models import Product
from fabrika.demo import loaders
from fabrika.inventory.checks import check_ledger
from fabrika.inventory.models import Balance, CostLayer, Reservation, StockDocument, StockMove, Warehouse

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="class")
def _loaded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            # The steps up to the warehouse's own (later steps ship and reserve more).
            steps = loaders.STEPS[: [s.name for s in loaders.STEPS].index("inventory") + 1]
            yield loaders.run(now=NOW, steps=steps)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(_loaded, db):
    return _loaded


class TestTheDemoWarehouse:
    def test_warehouses(self, demo):
        assert list(Warehouse.objects.order_by("code").values_list("name", "valuation")) == [
            ("Main warehouse", "fifo"),
            ("Workshop", "average"),
        ]

    def test_every_component_is_in_stock_in_several_lots(self, demo):
        main = Warehouse.objects.get(code="MAIN")
        components = Product.objects.filter(type=Product.Type.COMPONENT)
        lots = dict(
            CostLayer.objects.filter(warehouse=main, remaining_qty__gt=0)
            .values("product__code")
            .annotate(n=Count("lot", distinct=True))
            .values_list("product__code", "n")
        )
        assert components.exists()
        assert {p.code for p in components} == set(lots)
        assert all(n >= 2 for n in lots.values()), lots
        assert lots["SB-100"] == 3 and lots["CASE-S"] == 2

    def test_the_story_in_numbers(self, demo):
        docs = StockDocument.objects.filter(state="posted")
        assert docs.filter(type="shipment").count() == 3
        assert docs.filter(type="transfer").count() == 1
        assert docs.filter(type="writeoff").count() == 1
        assert not StockDocument.objects.exclude(state="posted").exists()
        bolts = Balance.objects.get(product__code="M3-BOLT", warehouse__code="MAIN")
        # 10 + 6 + 8 boxes of 100, 400 moved to the workshop.
        assert bolts.qty == Decimal("2000")
        workshop_bolts = Balance.objects.get(product__code="M3-BOLT", warehouse__code="WS")
        assert workshop_bolts.qty == Decimal("400")
        boards = Balance.objects.get(product__code="SB-100", warehouse__code="MAIN")
        assert (boards.qty, boards.reserved) == (Decimal("55"), Decimal("4"))
        assert Reservation.objects.get().reference == "ORD-DEMO/1"
        first, last = (
            StockMove.objects.order_by("posted_at").first().posted_at,
            StockMove.objects.order_by("posted_at").last().posted_at,
        )
        assert ((NOW.date() - first.date()).days, (NOW.date() - last.date()).days) == (58, 3)
        assert check_ledger() == []

    def test_second_run_writes_nothing(self, demo):
        counts = [m.objects.count() for m in (StockDocument, StockMove, CostLayer, Reservation, Warehouse)]
        balances = list(Balance.objects.order_by("pk").values_list("qty", "value", "reserved"))
        again = loaders.run(now=NOW, steps=[s for s in loaders.STEPS if s.name == "inventory"])
        assert not again.created
        assert [m.objects.count() for m in (StockDocument, StockMove, CostLayer, Reservation, Warehouse)] == counts
        assert list(Balance.objects.order_by("pk").values_list("qty", "value", "reserved")) == balances
