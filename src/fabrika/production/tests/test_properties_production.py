"""Property-based test of production on the database.

Each example draws a small BOM tree (two to four bought components, one or two nodes made of them,
a product made of the nodes and maybe a component; scrap on some lines; tech cards with zero to two
operations), receives the components in lots into a FIFO or an average-cost warehouse, then runs a
random sequence of production steps through the services: create orders (production, or
disassembly of the product), release them (with or without child orders), report made and
scrapped quantities (some ending the order), cancel, and receive more. After every step:

* a refused step (short of components, not releasable, finishing before its children, cancelling
  what was used since…) left the database exactly as it was;
* check-ledger is clean;
* every posted report's outputs are worth exactly what its inputs consumed plus its labour and
  overhead: each output gets its share of the inputs (split to the cent, largest remainders) plus
  its share of the labour and overhead, and the labour and overhead are the report's.

Examples: 25 (under a minute on SQLite on a busy machine); FABRIKA_PRODUCTION_EXAMPLES overrides. A step
"make" creates, releases and reports a whole tree at once, so that most examples post something.
"""

import os
from decimal import Decimal as D

from django.db import transaction
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from fabrika.catalog.models import Product, Unit
from fabrika.core.errors import DomainError
from fabrika.inventory.checks import check_ledger
from fabrika.inventory.domain.money import split
from fabrika.inventory.models import Balance, StockMove, Warehouse
from fabrika.inventory.services import warehouse_create
from fabrika.production.models import (
    OrderLine,
    OrderOperation,
    ProductionOrder,
    ProductionReport,
    WorkCentre,
)
from fabrika.production.services import (
    bom_save,
    order_cancel,
    order_create,
    order_release,
    order_report,
    techcard_save,
)

from .factory import receive


def examples() -> int:
    return int(os.environ.get("FABRIKA_PRODUCTION_EXAMPLES", "25"))


def fingerprint():
    """Everything a production step may change, as comparable values."""
    return (
        list(StockMove.objects.order_by("id").values_list("id", "qty", "value")),
        list(Balance.objects.order_by("id").values_list("id", "qty", "value", "reserved")),
        list(ProductionOrder.objects.order_by("id").values_list("id", "state", "qty", "qty_done", "qty_scrap")),
        list(OrderLine.objects.order_by("id").values_list("id", "qty_posted")),
        list(OrderOperation.objects.order_by("id").values_list("id", "actual_minutes")),
        list(ProductionReport.objects.order_by("id").values_list("id", "state")),
    )


def outputs_are_worth_their_inputs() -> None:
    for report in ProductionReport.objects.select_related("value_group"):
        moves = list(StockMove.objects.filter(value_group=report.value_group_id, reverses__isnull=True).order_by("id"))
        inputs = [m for m in moves if m.value_share is None]
        outputs = [m for m in moves if m.value_share is not None]
        consumed = sum((m.value for m in inputs), D("0.00"))
        if not outputs:  # everything scrapped: the step only consumed
            assert report.qty == 0
            continue
        parts = split(consumed, [m.value_share for m in outputs])
        for move, part in zip(outputs, parts, strict=True):
            assert move.value == part + move.input_value, (report.pk, move.product_id, move.value, part)
        assert sum((m.input_value for m in outputs), D("0.00")) == report.labour + report.overhead
        assert sum((m.value for m in outputs), D("0.00")) == consumed + report.labour + report.overhead


QTY = st.integers(min_value=1, max_value=3).map(D)
S = ProductionOrder.State
SCRAP = st.sampled_from([D(0), D(0), D(10), D("12.5")])


@st.composite
def trees(draw):
    """(leaves: [(qty in stock, price)], nodes: [[(leaf, qty, scrap)]], top: [(("node"|"leaf", i), qty)],
    operations per made product (nodes, then the top): [(setup, run, labour, overhead)])."""
    n_leaves = draw(st.integers(2, 4))
    leaves = [(draw(st.integers(0, 40)), D(draw(st.integers(1, 5000))).scaleb(-2)) for _ in range(n_leaves)]
    nodes = [
        [
            (leaf, draw(QTY), draw(SCRAP))
            for leaf in draw(st.lists(st.integers(0, n_leaves - 1), min_size=1, max_size=3, unique=True))
        ]
        for _ in range(draw(st.integers(1, 2)))
    ]
    top = [(("node", i), draw(QTY)) for i in range(len(nodes))]
    if draw(st.booleans()):
        top.append((("leaf", draw(st.integers(0, n_leaves - 1))), draw(QTY)))
    rates = st.integers(0, 4000).map(lambda c: D(c).scaleb(-2))
    operation = st.tuples(st.integers(0, 30), st.integers(0, 20), rates, st.sampled_from([D(0), D("12.50"), D("7.33")]))
    operations = [draw(st.lists(operation, max_size=2)) for _ in range(len(nodes) + 1)]
    return leaves, nodes, top, operations


class Production(RuleBasedStateMachine):
    world: dict = {}  # made once per test run by TestProductionProperties.setUpTestData

    @initialize(tree=trees(), valuation=st.sampled_from(["fifo", "average"]))
    def setup(self, tree, valuation):
        # Each example runs in its own savepoint, rolled back in teardown.
        self._example = transaction.atomic()
        self._example.__enter__()
        self.wh = self.world[valuation]
        unit, centre = self.world["unit"], self.world["centre"]
        leaves, nodes, top, operations = tree
        n = Product.objects.count()
        self.leaves = [
            Product.objects.create(code=f"L{n}-{i}", name=f"Leaf {i}", unit=unit) for i in range(len(leaves))
        ]
        self.nodes = [
            Product.objects.create(code=f"N{n}-{i}", name=f"Node {i}", unit=unit, type="node")
            for i in range(len(nodes))
        ]
        self.top = Product.objects.create(code=f"T{n}", name="Top", unit=unit, type="finished")
        for node, lines in zip(self.nodes, nodes, strict=True):
            bom_save(
                actor=None,
                product=node,
                data={},
                lines=[{"component": self.leaves[i], "qty": q, "scrap_pct": s} for i, q, s in lines],
            )
        bom_save(
            actor=None,
            product=self.top,
            data={},
            lines=[{"component": (self.nodes if kind == "node" else self.leaves)[i], "qty": q} for (kind, i), q in top],
        )
        for product, ops in zip([*self.nodes, self.top], operations, strict=True):
            techcard_save(
                actor=None,
                product=product,
                data={},
                operations=[
                    {
                        "name": f"Op {k}",
                        "work_centre": centre if k == 0 else None,
                        "setup_minutes": setup,
                        "run_minutes": run,
                        "labour_rate": labour,
                        "overhead_rate": overhead,
                    }
                    for k, (setup, run, labour, overhead) in enumerate(ops)
                ],
            )
        for product, (qty, price) in zip(self.leaves, leaves, strict=True):
            if qty:
                receive(product, qty, price * qty, self.wh)
        self.orders: list[ProductionOrder] = []

    def _step(self, name: str, action) -> None:
        """Run one service call; when it is refused, nothing may have changed."""
        before = fingerprint()
        try:
            action()
            event(f"{name}: done")
        except DomainError as exc:
            event(f"{name}: refused ({type(exc).__name__})")
            assert fingerprint() == before

    def _pick(self, data, *states):
        """An order, preferably one in `states` (the step is most often meaningful for those)."""
        orders = list(ProductionOrder.objects.filter(pk__in=[o.pk for o in self.orders]).order_by("id"))
        fitting = [o for o in orders if o.state in states]
        if fitting and data.draw(st.integers(0, 4)) > 0:
            return data.draw(st.sampled_from(fitting))
        return data.draw(st.sampled_from(orders))

    @rule(data=st.data(), qty=QTY, kind=st.sampled_from(["production"] * 4 + ["disassembly"]))
    def create(self, data, qty, kind):
        product = self.top if kind == "disassembly" else data.draw(st.sampled_from([*self.nodes, self.top]))
        self._step(
            f"create {kind}",
            lambda: self.orders.append(
                order_create(
                    actor=None, data={"product": product, "qty": qty, "input_warehouse": self.wh, "kind": kind}
                )
            ),
        )

    @rule(data=st.data(), qty=QTY, scrap=st.integers(0, 1).map(D))
    def make(self, data, qty, scrap):
        """Create, release (child orders for short nodes) and report everything, deepest first."""
        product = data.draw(st.sampled_from([*self.nodes, self.top]))
        self._step(
            "create production",
            lambda: self.orders.append(
                order_create(actor=None, data={"product": product, "qty": qty, "input_warehouse": self.wh})
            ),
        )
        order = self.orders[-1]
        self._step("release", lambda: order_release(actor=None, order=order))
        tree = list(ProductionOrder.objects.filter(pk=order.pk)) + list(order.children.all())
        self.orders += tree[1:]
        for o in reversed(tree):
            self._step("report", lambda o=o: order_report(actor=None, order=o, qty=o.qty, scrap=scrap))

    @rule(data=st.data(), children=st.booleans())
    def release(self, data, children):
        if self.orders:
            order = self._pick(data, S.DRAFT)
            self._step("release", lambda: order_release(actor=None, order=order, children=children))

    @rule(data=st.data(), qty=st.integers(0, 3).map(D), scrap=st.integers(0, 1).map(D), finish=st.booleans())
    def report(self, data, qty, scrap, finish):
        if self.orders:
            order = self._pick(data, S.RELEASED, S.IN_PROGRESS)
            self._step("report", lambda: order_report(actor=None, order=order, qty=qty, scrap=scrap, finish=finish))

    @rule(data=st.data())
    def cancel(self, data):
        if self.orders:
            order = self._pick(data, S.RELEASED, S.IN_PROGRESS)
            self._step("cancel", lambda: order_cancel(actor=None, order=order))

    @rule(data=st.data(), qty=st.integers(1, 10), cents=st.integers(1, 5000))
    def receive_more(self, data, qty, cents):
        product = data.draw(st.sampled_from(self.leaves))
        receive(product, qty, D(cents).scaleb(-2) * qty, self.wh)

    @invariant()
    def ledger_is_clean(self):
        if hasattr(self, "_example"):
            assert check_ledger() == []
            outputs_are_worth_their_inputs()

    def teardown(self):
        if not hasattr(self, "_example"):
            return
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)


Production.TestCase.settings = settings(
    max_examples=examples(),
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


class TestProductionProperties(Production.TestCase, TestCase):
    @classmethod
    def setUpTestData(cls):
        Production.world = {
            "unit": Unit.objects.create(code="pcs", name="pieces"),
            "fifo": warehouse_create(actor=None, data={"code": "MAIN", "name": "Main", "valuation": "fifo"}),
            "average": warehouse_create(actor=None, data={"code": "WS", "name": "Workshop", "valuation": "average"}),
            "centre": WorkCentre.objects.create(code="WC", name="Bench", hourly_rate=D("16.50")),
        }
        assert Warehouse.objects.count() == 2
