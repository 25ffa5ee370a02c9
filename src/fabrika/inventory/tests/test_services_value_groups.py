"""Production steps through the ledger: outputs take the value of what their step consumed."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from fabrika.catalog.models import Product, Unit
from fabrika.inventory.checks import check_ledger
from fabrika.inventory.domain.money import split
from fabrika.inventory.errors import InvalidMove
from fabrika.inventory.models import Balance, Location, StockMove, ValueGroup
from fabrika.inventory.services import MoveSpec, post_moves, storage_of, virtual_location, warehouse_create
from fabrika.inventory.services.posting import replay_from_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    unit = Unit.objects.create(code="pcs", name="pieces")
    products = {c: Product.objects.create(code=c, name=c, unit=unit) for c in ("BOARD", "CPU", "BRAIN", "ROBOT")}
    fifo = warehouse_create(actor=None, data={"code": "F", "name": "FIFO", "valuation": "fifo"})
    avg = warehouse_create(actor=None, data={"code": "A", "name": "Average", "valuation": "average"})
    return products, storage_of(fifo), storage_of(avg)


def receive(product, qty, value, storage, at):
    supplier = virtual_location(Location.Kind.SUPPLIER)
    return post_moves(
        specs=[MoveSpec(product, D(qty), supplier, storage, StockMove.Kind.RECEIPT, at, input_value=D(value))]
    )[0]


def produce(inputs, outputs, at, extra=D("0.00")):
    """inputs: [(product, qty, storage)], outputs: [(product, qty, storage, share)]."""
    group = ValueGroup.objects.create(reference="STEP")
    shop = virtual_location(Location.Kind.PRODUCTION)
    specs = [MoveSpec(p, D(q), st, shop, StockMove.Kind.CONSUMPTION, at, value_group=group) for p, q, st in inputs]
    specs += [
        MoveSpec(p, D(q), shop, st, StockMove.Kind.OUTPUT, at, input_value=extra, value_group=group, value_share=D(w))
        for p, q, st, w in outputs
    ]
    return post_moves(specs=specs)


def test_output_takes_consumed_value_plus_operations(world):
    p, fifo, avg = world
    t0 = timezone.now() - timedelta(days=3)
    receive(p["BOARD"], 5, "74.95", fifo, t0)  # 14.99 each
    receive(p["CPU"], 3, "60.00", fifo, t0)  # 20.00
    receive(p["CPU"], 2, "50.00", fifo, t0 + timedelta(hours=1))  # 25.00
    moves = produce(
        [(p["BOARD"], 4, fifo), (p["CPU"], 4, fifo)],
        [(p["BRAIN"], 4, fifo, 1)],
        t0 + timedelta(days=1),
        extra=D("12.50"),
    )
    # 4 boards 59.96 + cpus 3×20 + 1×25 = 85.00 → 144.96 + 12.50 operations
    assert [m.value for m in StockMove.objects.filter(pk__in=[m.pk for m in moves]).order_by("id")] == [
        D("59.96"),
        D("85.00"),
        D("157.46"),
    ]
    assert Balance.objects.get(product=p["BRAIN"]).value == D("157.46")
    assert check_ledger() == []


def test_backdated_receipt_recosts_the_output_and_the_next_stage(world):
    p, fifo, avg = world
    t0 = timezone.now() - timedelta(days=10)
    receive(p["BOARD"], 2, "20.00", fifo, t0)  # 10.00 each
    receive(p["CPU"], 2, "40.00", fifo, t0)  # 20.00 each
    produce([(p["BOARD"], 1, fifo), (p["CPU"], 1, fifo)], [(p["BRAIN"], 1, avg, 1)], t0 + timedelta(days=2))
    produce([(p["BRAIN"], 1, avg)], [(p["ROBOT"], 1, fifo, 1)], t0 + timedelta(days=3), extra=D("5.00"))
    assert Balance.objects.get(product=p["ROBOT"]).value == D("35.00")
    # A cheaper board, received before the first step, is consumed first: the brain and the robot follow.
    receive(p["BOARD"], 1, "4.00", fifo, t0 - timedelta(days=1))
    assert Balance.objects.get(product=p["BRAIN"]).value == D("0.00")
    assert Balance.objects.get(product=p["ROBOT"]).value == D("29.00")
    assert check_ledger() == []
    before = {m.pk: m.value for m in StockMove.objects.all()}
    replay_from_start(keys=[(b.product_id, b.warehouse_id) for b in Balance.objects.all()])
    assert {m.pk: m.value for m in StockMove.objects.all()} == before


def test_disassembly_splits_the_value_exactly(world):
    p, fifo, avg = world
    t0 = timezone.now() - timedelta(days=2)
    receive(p["ROBOT"], 1, "100.00", fifo, t0)
    moves = produce(
        [(p["ROBOT"], 1, fifo)],
        [(p["BOARD"], 1, fifo, 1), (p["CPU"], 1, fifo, 1), (p["BRAIN"], 1, avg, 1)],
        t0 + timedelta(hours=1),
    )
    values = [m.value for m in StockMove.objects.filter(pk__in=[m.pk for m in moves]).order_by("id")]
    assert values == [D("100.00"), D("33.34"), D("33.33"), D("33.33")]


def test_output_must_come_into_storage(world):
    p, fifo, avg = world
    shop = virtual_location(Location.Kind.PRODUCTION)
    count = StockMove.objects.count()
    with pytest.raises(InvalidMove):
        post_moves(specs=[MoveSpec(p["BRAIN"], D(1), shop, fifo, StockMove.Kind.OUTPUT, value_share=D(1))])
    assert StockMove.objects.count() == count


def test_split():
    assert split(D("100.00"), [1, 1, 1]) == [D("33.34"), D("33.33"), D("33.33")]
    assert split(D("10.00"), [0, 0]) == [D("5.00"), D("5.00")]
    assert split(D("0.05"), [D("0.2"), D("0.7"), D("0.1")]) == [D("0.01"), D("0.04"), D("0.00")]
    assert split(D("-0.05"), [1, 1]) == [D("-0.03"), D("-0.02")]
    assert sum(split(D("1234.57"), [3, 7, 11, 13])) == D("1234.57")
