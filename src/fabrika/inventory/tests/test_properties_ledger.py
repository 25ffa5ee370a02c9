"""Property-based test of the whole ledger on the database.

Random sequences of receipts, issues, transfers, returns, cancellations and backdated postings
across two FIFO warehouses and one average-cost warehouse. After every sequence:

* every refused operation left the database exactly as it was;
* check-ledger is clean (balances = moves, FIFO layers = balances, no value at zero quantity);
* replaying every timeline from its first move changes nothing: incremental (and backdated)
  posting gives exactly what a recomputation from scratch gives.
"""

import os
from datetime import timedelta
from decimal import Decimal as D

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from fabrika.catalog.models import Product, Unit
from fabrika.core.errors import DomainError
from fabrika.inventory.checks import check_ledger
from fabrika.inventory.models import Balance, CostLayer, LayerConsumption, StockDocument, StockMove
from fabrika.inventory.services import document_cancel, document_create, document_post, warehouse_create
from fabrika.inventory.services.posting import replay_from_start

T = StockDocument.Type
EXAMPLES = int(os.environ.get("FABRIKA_LEDGER_EXAMPLES", "60"))
BASE = timezone.now().replace(microsecond=0) - timedelta(days=40)


def state():
    """Everything posting may change, as comparable tuples."""
    return (
        list(StockMove.objects.order_by("id").values_list("id", "qty", "value", "settlement")),
        list(Balance.objects.order_by("id").values_list("id", "qty", "value", "reserved", "average_cost")),
        # Layers are derived rows: a rebuild may recreate them, so compare them by what they are.
        sorted(
            CostLayer.objects.values_list(
                "move_id", "warehouse_id", "piece", "lot_id", "qty_in", "value_in", "remaining_qty", "remaining_value"
            )
        ),
        sorted(LayerConsumption.objects.values_list("move_id", "layer__move_id", "layer__piece", "qty", "value")),
        list(StockDocument.objects.order_by("id").values_list("id", "state")),
    )


class Ledger(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        # Each example runs in its own savepoint, rolled back in teardown: examples don't see each other.
        self._example = transaction.atomic()
        self._example.__enter__()
        unit = Unit.objects.create(code="pcs", name="pieces")
        self.product = Product.objects.create(code="P1", name="Processor", unit=unit)
        self.whs = [
            warehouse_create(actor=None, data={"code": "F1", "name": "Main", "valuation": "fifo"}),
            warehouse_create(actor=None, data={"code": "F2", "name": "Branch", "valuation": "fifo"}),
            warehouse_create(actor=None, data={"code": "A1", "name": "Workshop", "valuation": "average"}),
        ]
        self.posted = []

    def _run(self, type_, wh, line, minutes, **data):
        before = state()
        try:
            doc = document_create(
                actor=None,
                type=type_,
                data={"warehouse": wh, "date": BASE + timedelta(minutes=minutes), **data},
                lines=[line],
            )
        except DomainError:
            assert state() == before
            return
        draft = state()
        try:
            document_post(actor=None, document=doc)
            self.posted.append(doc)
        except DomainError:
            assert state() == draft  # a refused posting changes nothing

    @rule(
        wh=st.integers(0, 2),
        qty=st.integers(1, 9),
        price=st.decimals("0.01", "99.99", places=2),
        minutes=st.integers(0, 50_000),
    )
    def receipt(self, wh, qty, price, minutes):
        self._run(T.RECEIPT, self.whs[wh], {"product": self.product, "qty": D(qty), "price": price}, minutes)

    @rule(wh=st.integers(0, 2), qty=st.integers(1, 9), minutes=st.integers(0, 50_000))
    def shipment(self, wh, qty, minutes):
        self._run(T.SHIPMENT, self.whs[wh], {"product": self.product, "qty": D(qty)}, minutes)

    @rule(
        wh=st.integers(0, 2),
        qty=st.integers(1, 5),
        price=st.decimals("0.01", "99.99", places=2),
        minutes=st.integers(0, 50_000),
    )
    def customer_return(self, wh, qty, price, minutes):
        self._run(T.CUSTOMER_RETURN, self.whs[wh], {"product": self.product, "qty": D(qty), "price": price}, minutes)

    @rule(src=st.integers(0, 2), dst=st.integers(0, 2), qty=st.integers(1, 9), minutes=st.integers(0, 50_000))
    def transfer(self, src, dst, qty, minutes):
        if src != dst:
            self._run(
                T.TRANSFER, self.whs[src], {"product": self.product, "qty": D(qty)}, minutes, to_warehouse=self.whs[dst]
            )

    @precondition(lambda self: self.posted)
    @rule(index=st.integers(0, 1000))
    def cancel(self, index):
        doc = self.posted[index % len(self.posted)]
        before = state()
        try:
            document_cancel(actor=None, document=doc)
            self.posted.remove(doc)
        except DomainError:
            assert state() == before

    @invariant()
    def ledger_is_consistent(self):
        if hasattr(self, "whs"):
            assert check_ledger() == []

    def teardown(self):
        if not hasattr(self, "whs"):
            return
        try:
            before = state()
            changed = replay_from_start(keys=[(self.product.pk, wh.pk) for wh in self.whs])
            assert changed == [] and state() == before
        finally:
            transaction.set_rollback(True)
            self._example.__exit__(None, None, None)


Ledger.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class TestLedgerProperties(Ledger.TestCase, TestCase):
    pass
