"""Property-based test of the whole ledger on the database.

Random sequences of receipts (a new lot each in FIFO warehouses), shipments, customer returns,
transfers, cancellations (reversing moves, as documents and production cancel), backdated
postings and production steps (a value group: k units of a component issued, one unit of a
product received at their value plus an extra amount) across two FIFO warehouses and one
average-cost warehouse, posted through post_moves(). After every operation:

* a refused operation left the database exactly as it was;
* a production step's output is valued at what the step consumed plus its extra;

and after every sequence:

* check-ledger is clean (balances = moves, FIFO layers = balances, no value at zero quantity);
* every production step's output is still worth its inputs plus its extra, after later backdated
  postings re-costed them;
* replaying every timeline from its first move changes nothing: incremental (and backdated)
  posting gives exactly what a recomputation from scratch gives.

How many examples (docs/decisions.md, "The ledger's property test on the database"): in CI
(`CI=true`, which `.ci/run` exports) 2,000 on SQLite and 200 on PostgreSQL; 100 elsewhere;
FABRIKA_LEDGER_EXAMPLES overrides both. To afford that, an example is cheap: up to 10 steps,
moves posted through post_moves() rather than documents (documents add queries, not ledger
logic: their own tests cover them), a savepoint per example on fixtures made once, one
fingerprint query per operation for the "refused changes nothing" check, and check-ledger and
the full comparison once per sequence.
"""

import os
from datetime import timedelta
from decimal import Decimal as D

from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from fabrika.catalog.models import Product, Unit
from fabrika.core.errors import DomainError
from fabrika.inventory.checks import check_ledger
from fabrika.inventory.domain.money import money
from fabrika.inventory.models import (
    Balance,
    CostLayer,
    LayerConsumption,
    Location,
    Lot,
    StockMove,
    ValueGroup,
)
from fabrika.inventory.services import (
    MoveSpec,
    post_moves,
    reversal_specs,
    storage_of,
    virtual_location,
    warehouse_create,
)
from fabrika.inventory.services.posting import replay_from_start

K = StockMove.Kind
BASE = timezone.now().replace(microsecond=0) - timedelta(days=40)


def examples() -> int:
    if os.environ.get("FABRIKA_LEDGER_EXAMPLES"):
        return int(os.environ["FABRIKA_LEDGER_EXAMPLES"])
    if os.environ.get("CI"):
        return 2000 if connection.vendor == "sqlite" else 200
    return 100


def state():
    """Everything posting may change, as comparable tuples."""
    return (
        list(StockMove.objects.order_by("id").values_list("id", "qty", "value", "unit_cost", "settlement")),
        list(Balance.objects.order_by("id").values_list("id", "qty", "value", "reserved", "average_cost")),
        # Layers are derived rows: a rebuild may recreate them, so compare them by what they are.
        sorted(
            CostLayer.objects.values_list(
                "move_id", "warehouse_id", "piece", "lot_id", "qty_in", "value_in", "remaining_qty", "remaining_value"
            )
        ),
        sorted(LayerConsumption.objects.values_list("move_id", "layer__move_id", "layer__piece", "qty", "value")),
    )


def fingerprint() -> tuple:
    """Counts and sums of every table posting writes, in one query: equal before and after a refusal."""
    columns = {
        "inventory_stockmove": ["COUNT(*)", "MAX(id)", "SUM(value)", "SUM(unit_cost)", "SUM(settlement)"],
        "inventory_balance": ["COUNT(*)", "SUM(qty)", "SUM(value)", "SUM(reserved)", "SUM(average_cost)"],
        "inventory_costlayer": ["COUNT(*)", "MAX(id)", "SUM(remaining_qty)", "SUM(remaining_value)"],
        "inventory_layerconsumption": ["COUNT(*)", "MAX(id)", "SUM(qty)", "SUM(value)"],
        "inventory_lot": ["COUNT(*)", "MAX(id)"],
        "inventory_valuegroup": ["COUNT(*)", "MAX(id)"],
        "inventory_recosting": ["COUNT(*)", "MAX(id)"],
    }
    parts = [f"(SELECT {column} FROM {table})" for table, cols in columns.items() for column in cols]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return tuple(cursor.fetchone())


def group_values_hold() -> None:
    """Every production step's output is worth what its inputs are worth now, plus its extra."""
    for group in ValueGroup.objects.prefetch_related("moves"):
        moves = list(group.moves.all())
        inputs = sum((m.value for m in moves if m.value_share is None), D("0.00"))
        [output] = [m for m in moves if m.value_share is not None]
        assert output.value == inputs + output.input_value, (group.pk, output.value, inputs, output.input_value)


class Ledger(RuleBasedStateMachine):
    world: dict = {}  # made once per test run by TestLedgerProperties.setUpTestData

    @initialize()
    def setup(self):
        # Each example runs in its own savepoint, rolled back in teardown: examples don't see each other.
        self._example = transaction.atomic()
        self._example.__enter__()
        w = self.world
        self.product, self.output, self.whs, self.stores = w["product"], w["output"], w["whs"], w["stores"]
        self.supplier, self.customer, self.shop = w["supplier"], w["customer"], w["shop"]
        self.posted = []  # (moves, is a transfer) that can be cancelled
        self.lots = 0

    def _post(self, make_specs, check=None, transfer=False, writes=False):
        """Post the specs `make_specs()` builds (in one savepoint with them when it `writes` rows,
        a lot or a value group); a refusal must leave the database as it was."""
        before = fingerprint()
        try:
            if writes:
                with transaction.atomic():
                    moves = post_moves(specs=make_specs())
            else:
                moves = post_moves(specs=make_specs())
        except DomainError:
            assert fingerprint() == before
            return
        if check is not None:
            check(moves)
        self.posted.append((moves, transfer))

    def _lot(self, wh, at):
        if not self.whs[wh].is_fifo:
            return None
        self.lots += 1
        return Lot.objects.create(product=self.product, number=f"L{self.lots}", received_at=at)

    def _incoming(self, source, kind, wh, qty, price, minutes):
        """Goods come into `wh` at a price (a new lot in FIFO warehouses)."""
        at = BASE + timedelta(minutes=minutes)
        store = self.stores[wh]
        self._post(
            lambda: [MoveSpec(self.product, D(qty), source, store, kind, at, money(qty * price), self._lot(wh, at))],
            writes=True,
        )

    @rule(
        wh=st.integers(0, 2),
        qty=st.integers(1, 9),
        price=st.decimals("0.01", "99.99", places=2),
        minutes=st.integers(0, 50_000),
    )
    def receipt(self, wh, qty, price, minutes):
        self._incoming(self.supplier, K.RECEIPT, wh, qty, price, minutes)

    @rule(wh=st.integers(0, 2), qty=st.integers(1, 9), minutes=st.integers(0, 50_000))
    def shipment(self, wh, qty, minutes):
        at = BASE + timedelta(minutes=minutes)
        self._post(lambda: [MoveSpec(self.product, D(qty), self.stores[wh], self.customer, K.SHIPMENT, at)])

    @rule(
        wh=st.integers(0, 2),
        qty=st.integers(1, 5),
        price=st.decimals("0.01", "99.99", places=2),
        minutes=st.integers(0, 50_000),
    )
    def customer_return(self, wh, qty, price, minutes):
        self._incoming(self.customer, K.CUSTOMER_RETURN, wh, qty, price, minutes)

    @rule(src=st.integers(0, 2), dst=st.integers(0, 2), qty=st.integers(1, 9), minutes=st.integers(0, 50_000))
    def transfer(self, src, dst, qty, minutes):
        if src != dst:
            at = BASE + timedelta(minutes=minutes)
            self._post(
                lambda: [MoveSpec(self.product, D(qty), self.stores[src], self.stores[dst], K.TRANSFER, at)],
                transfer=True,
            )

    @rule(
        src=st.integers(0, 2),
        dst=st.integers(0, 2),
        qty=st.integers(1, 4),
        extra=st.decimals("0.00", "9.99", places=2),
        minutes=st.integers(0, 50_000),
    )
    def produce(self, src, dst, qty, extra, minutes):
        """A production step: `qty` of the component out of `src`, one output into `dst`."""
        at = BASE + timedelta(minutes=minutes)

        def specs():
            group = ValueGroup.objects.create(reference="STEP")
            return [
                MoveSpec(self.product, D(qty), self.stores[src], self.shop, K.CONSUMPTION, at, value_group=group),
                MoveSpec(
                    self.output,
                    D(1),
                    self.shop,
                    self.stores[dst],
                    K.OUTPUT,
                    at,
                    input_value=extra,
                    value_group=group,
                    value_share=D(1),
                ),
            ]

        def check(moves):
            issue, output = moves
            assert output.value == issue.value + extra

        self._post(specs, check, writes=True)

    @precondition(lambda self: self.posted)
    @rule(index=st.integers(0, 1000))
    def cancel(self, index):
        """Reverse a posted operation, as documents and production orders cancel (reversing moves, now)."""
        moves, transfer = posted = self.posted[index % len(self.posted)]
        # A production step's output goes back out first, then its component comes back.
        moves = sorted(moves, key=lambda m: (m.value_share is None, m.pk))
        before = fingerprint()
        try:
            post_moves(specs=reversal_specs(moves=moves, transfer=transfer))
            self.posted.remove(posted)
        except DomainError:
            assert fingerprint() == before

    def teardown(self):
        if not hasattr(self, "_example"):
            return
        try:
            assert check_ledger() == []
            group_values_hold()
            before = state()
            changed = replay_from_start(
                keys=[(product.pk, wh.pk) for product in (self.product, self.output) for wh in self.whs]
            )
            assert changed == [] and state() == before
        finally:
            transaction.set_rollback(True)
            self._example.__exit__(None, None, None)


Ledger.TestCase.settings = settings(
    max_examples=examples(),
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class TestLedgerProperties(Ledger.TestCase, TestCase):
    @classmethod
    def setUpTestData(cls):
        unit = Unit.objects.create(code="pcs", name="pieces")
        whs = [
            warehouse_create(actor=None, data={"code": "F1", "name": "Main", "valuation": "fifo"}),
            warehouse_create(actor=None, data={"code": "F2", "name": "Branch", "valuation": "fifo"}),
            warehouse_create(actor=None, data={"code": "A1", "name": "Workshop", "valuation": "average"}),
        ]
        Ledger.world = {
            "product": Product.objects.create(code="P1", name="Processor", unit=unit),
            "output": Product.objects.create(code="B1", name="Board", unit=unit),
            "whs": whs,
            "stores": [storage_of(wh) for wh in whs],
            "supplier": virtual_location(Location.Kind.SUPPLIER),
            "customer": virtual_location(Location.Kind.CUSTOMER),
            "shop": virtual_location(Location.Kind.PRODUCTION),
        }
