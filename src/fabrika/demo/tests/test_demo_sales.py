"""The demo's sales step: orders in every state with their stock, invoices and payments; idempotent."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import transaction

from fabrika.audit.models import BusinessEvent
from fabrika.demo import loaders
from fabrika.inventory.checks import check_ledger
from fabrika.inventory.models import Balance
from fabrika.sales.models import Invoice, SalesOrder, Shipment

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


class TestTheDemoSales:
    def test_an_order_in_every_state(self, demo):
        states = sorted(SalesOrder.objects.filter(note__startswith="Demo:").values_list("counterparty__name", "state"))
        assert states == [
            ("Alpine Technical University", "draft"),
            ("EduTech Dealers GmbH", "confirmed"),
            ("Linz Youth Robotics Club", "in_work"),
            ("Robokids School of Robotics", "closed"),
            ("Robokids School of Robotics", "partly_shipped"),
            ("Robokids School of Robotics", "shipped"),
            ("Summer Science Camps e.V.", "cancelled"),
            ("École de Robotique Lumière", "confirmed"),
        ]

    def test_money(self, demo):
        robots = SalesOrder.objects.get(note="Demo: two robots for the new lab")
        # 2 × 1450.00 + 4 × 249.00 = 3896.00; VAT 20 % (the company's) 779.20; 4675.20
        assert (robots.subtotal, robots.total) == (Decimal("3896.00"), Decimal("4675.20"))
        assert sorted(robots.invoices.values_list("kind", "amount", "state")) == [
            ("advance", Decimal("2337.60"), "paid"),
            ("final", Decimal("2337.60"), "issued"),
        ]
        overdue = Invoice.objects.filter(state="issued", due_date__lt=NOW.date())
        assert [i.order.counterparty.name for i in overdue] == ["EduTech Dealers GmbH"]
        closed = SalesOrder.objects.get(state="closed")
        assert closed.invoices.filter(kind="credit").count() == 1
        assert Shipment.objects.filter(state="planned").get().order.counterparty.name == "École de Robotique Lumière"

    def test_the_stock_follows(self, demo):
        r1 = Balance.objects.get(product__code="R1", warehouse__code="MAIN")
        # 8 counted; 2 shipped to Robokids; 3 made by the production step; held: 2 for EduTech, 1 for Lumière
        assert (r1.qty, r1.reserved) == (Decimal("9"), Decimal("3"))
        k1 = Balance.objects.get(product__code="K1", warehouse__code="MAIN")
        # 45 counted; 10 + 12 shipped to Robokids, 1 back; 5 packed by the production step; 8 still held
        # for the club's kits
        assert (k1.qty, k1.reserved) == (Decimal("29"), Decimal("8"))
        assert check_ledger() == []

    def test_a_second_run_writes_nothing(self, demo):
        before = (SalesOrder.objects.count(), BusinessEvent.objects.count())
        again = loaders.run(now=NOW, steps=[s for s in loaders.STEPS if s.name == "sales"])
        assert not again.created
        assert (SalesOrder.objects.count(), BusinessEvent.objects.count()) == before
