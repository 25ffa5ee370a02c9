"""The demo's production step: work centres, BOMs and tech cards, an order in every state; idempotent."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import transaction

from fabrika.demo import loaders
from fabrika.inventory.checks import check_ledger
from fabrika.inventory.models import StockMove
from fabrika.production.models import Bom, ProductionOrder, TechCard, WorkCentre

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)
S = ProductionOrder.State


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


def order(note: str) -> ProductionOrder:
    return ProductionOrder.objects.get(note=note)


class TestTheDemoProduction:
    def test_work_centres_boms_and_tech_cards(self, demo):
        assert list(WorkCentre.objects.values_list("code", flat=True)) == ["ASM", "PACK", "PAINT", "SMT", "TEST"]
        brain = Bom.objects.get(product__code="NODE-BRAIN", is_active=True)
        assert [(line.component.code, line.qty) for line in brain.lines.all()] == [
            ("SB-100", Decimal(1)),
            ("CPU-Q18", Decimal(1)),
            ("MB-200", Decimal(1)),
            ("CABLE-4", Decimal("0.5")),
        ]
        robot = Bom.objects.get(product__code="R1", is_active=True)
        assert [line.component.code for line in robot.lines.all()] == [
            "NODE-CHASSIS",
            "NODE-BRAIN",
            "PERIPH-01",
            "M3-BOLT",
        ]
        assert Bom.objects.get(product__code="K1").lines.count() == 8
        card = TechCard.objects.get(product__code="NODE-BRAIN", is_active=True)
        assert [(op.name, op.work_centre.code) for op in card.operations.all()] == [
            ("Solder the processor and the smart board", "SMT"),
            ("Flash the firmware and test", "TEST"),
        ]
        assert all(c.created_by is None or c.created_by.username == "engineer" for c in Bom.objects.all())

    def test_an_order_in_every_state(self, demo):
        states = dict(ProductionOrder.objects.filter(note__startswith="Demo:").values_list("note", "state"))
        assert states == {
            "Demo: R1 for the dealer stock": S.DONE,
            "Demo: K1 for the autumn term": S.IN_PROGRESS,
            "Demo: R1 for the Linz club": S.RELEASED,
            "Demo: R1 planned for next week": S.DRAFT,
            "Demo: K1 for the summer camp (called off)": S.CANCELLED,
        }
        # The dealer robots were made from their own brains and chassis, the Linz ones wait for theirs.
        dealer = order("Demo: R1 for the dealer stock")
        assert sorted((c.product.code, c.qty, c.state) for c in dealer.children.all()) == [
            ("NODE-BRAIN", Decimal(3), S.DONE),
            ("NODE-CHASSIS", Decimal(3), S.DONE),
        ]
        linz = order("Demo: R1 for the Linz club")
        assert sorted((c.product.code, c.qty, c.state) for c in linz.children.all()) == [
            ("NODE-BRAIN", Decimal(2), S.RELEASED),
            ("NODE-CHASSIS", Decimal(2), S.RELEASED),
        ]
        kits = order("Demo: K1 for the autumn term")
        assert (kits.qty, kits.qty_done) == (Decimal(12), Decimal(5))
        assert all(o.responsible.username == "production" for o in ProductionOrder.objects.all())

    def test_made_goods_are_worth_what_they_consumed_and_the_ledger_is_clean(self, demo):
        dealer = order("Demo: R1 for the dealer stock")
        [report] = dealer.reports.all()
        moves = StockMove.objects.filter(value_group=report.value_group)
        consumed = sum(m.value for m in moves if m.value_share is None)
        [robots] = [m for m in moves if m.value_share is not None]
        assert robots.qty == Decimal(3)
        assert robots.value == consumed + report.labour + report.overhead
        # Assembly 75 min: 30.00 + 20.00 (bench 16.00/h); test 30 min: 14.00 + 6.00; packing 15 min: 5.00 + 2.25
        assert (report.labour, report.overhead) == (Decimal("49.00"), Decimal("28.25"))
        # The called-off kit was packed and taken back apart: its moves are reversed.
        called_off = order("Demo: K1 for the summer camp (called off)")
        [cancelled] = called_off.reports.all()
        assert cancelled.state == "cancelled"
        assert StockMove.objects.filter(reverses__value_group=cancelled.value_group).count() == 9
        assert check_ledger() == []

    def test_second_run_writes_nothing(self, demo):
        again = loaders.run(now=NOW, steps=[s for s in loaders.STEPS if s.name == "production"])
        assert not again.created
