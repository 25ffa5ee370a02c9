"""post_moves(): the one writer of stock, on a real database."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from fabrika.catalog.models import Product, Unit
from fabrika.inventory.errors import InsufficientStock
from fabrika.inventory.models import Balance, CostLayer, Location, Lot, Recosting, StockMove
from fabrika.inventory.services.posting import MoveSpec, post_moves, replay_from_start
from fabrika.inventory.services.warehouses import storage_of, virtual_location, warehouse_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    unit = Unit.objects.create(code="pcs", name="pieces")
    return Product.objects.create(code="M3", name="M3 bolt", unit=unit)


@pytest.fixture
def fifo():
    return warehouse_create(actor=None, data={"code": "MAIN", "name": "Main warehouse", "valuation": "fifo"})


@pytest.fixture
def avg():
    return warehouse_create(actor=None, data={"code": "AVG", "name": "Workshop", "valuation": "average"})


def receive(product, wh, qty, value, at=None, lot=None):
    [move] = post_moves(
        specs=[
            MoveSpec(
                product,
                D(qty),
                virtual_location(Location.Kind.SUPPLIER),
                storage_of(wh),
                StockMove.Kind.RECEIPT,
                at,
                input_value=D(value),
                lot=lot,
            )
        ]
    )
    return move


def ship(product, wh, qty, at=None, lot=None):
    [move] = post_moves(
        specs=[
            MoveSpec(
                product,
                D(qty),
                storage_of(wh),
                virtual_location(Location.Kind.CUSTOMER),
                StockMove.Kind.SHIPMENT,
                at,
                lot=lot,
            )
        ]
    )
    return move


def balance(product, wh):
    return Balance.objects.get(product=product, warehouse=wh)


def test_fifo_scenario(product, fifo):
    receive(product, fifo, "10", "1000.00")
    receive(product, fifo, "10", "1200.00")
    move = ship(product, fifo, "15")
    move.refresh_from_db()
    assert move.value == D("1600.00")
    b = balance(product, fifo)
    assert (b.qty, b.value) == (D("5"), D("600.00"))
    moves_before = StockMove.objects.count()
    with pytest.raises(InsufficientStock) as err:
        ship(product, fifo, "6")
    assert str(err.value) == "Not enough M3 bolt in Main warehouse: wanted 6, available 5"
    assert StockMove.objects.count() == moves_before
    b.refresh_from_db()
    assert (b.qty, b.value) == (D("5"), D("600.00"))


def test_average_scenario(product, avg):
    receive(product, avg, "10", "1000.00")
    receive(product, avg, "10", "1200.00")
    assert balance(product, avg).average_cost == D("110.000000")
    move = ship(product, avg, "25")
    move.refresh_from_db()
    assert move.value == D("2750.00")
    b = balance(product, avg)
    assert (b.qty, b.value) == (D("-5"), D("-550.00"))


def test_transfer_keeps_layer_costs(product, fifo, avg):
    second = warehouse_create(actor=None, data={"code": "B", "name": "Branch", "valuation": "fifo"})
    receive(product, fifo, "10", "1000.00")
    receive(product, fifo, "10", "1200.00")
    [move] = post_moves(
        specs=[MoveSpec(product, D("12"), storage_of(fifo), storage_of(second), StockMove.Kind.TRANSFER, None)]
    )
    move.refresh_from_db()
    assert move.value == D("1240.00")
    layers = CostLayer.objects.filter(warehouse=second).order_by("piece")
    assert [(lr.qty_in, lr.value_in) for lr in layers] == [(D("10"), D("1000.00")), (D("2"), D("240.00"))]
    assert (balance(product, second).qty, balance(product, second).value) == (D("12"), D("1240.00"))
    assert (balance(product, fifo).qty, balance(product, fifo).value) == (D("8"), D("960.00"))


def test_backdated_receipt_recosts_later_issues(product, fifo):
    now = timezone.now()
    receive(product, fifo, "10", "1200.00", at=now - timedelta(days=1))
    issue = ship(product, fifo, "5", at=now)
    issue.refresh_from_db()
    assert issue.value == D("600.00")
    # A receipt of 10 @ 100 dated two days ago is now the oldest layer: the issue costs 500.00.
    receive(product, fifo, "10", "1000.00", at=now - timedelta(days=2))
    issue.refresh_from_db()
    assert issue.value == D("500.00")
    b = balance(product, fifo)
    assert (b.qty, b.value) == (D("15"), D("1700.00"))
    rec = Recosting.objects.get()
    assert (rec.moves_replayed, rec.moves_changed) == (2, 1)
    assert [(c.old_value, c.new_value) for c in rec.changes.all()] == [(D("600.00"), D("500.00"))]


def test_backdated_issue_that_would_go_negative_is_refused(product, fifo):
    now = timezone.now()
    receive(product, fifo, "10", "1000.00", at=now - timedelta(days=1))
    ship(product, fifo, "8", at=now)
    with pytest.raises(InsufficientStock):
        ship(product, fifo, "5", at=now - timedelta(hours=1))
    assert balance(product, fifo).qty == D("2")


def test_backdated_receipt_changes_the_layers_a_transfer_carried_at_the_same_cost(product, fifo):
    """Found by the ledger's property test: a replay that makes a transfer take other layers (other
    lots) at the same total value must still rebuild the receiving side."""
    branch = warehouse_create(actor=None, data={"code": "B", "name": "Branch", "valuation": "fifo"})
    now = timezone.now()
    first = Lot.objects.create(product=product, number="A", received_at=now)
    receive(product, fifo, 9, "90.00", at=now - timedelta(days=2), lot=first)
    post_moves(
        specs=[MoveSpec(product, D(4), storage_of(fifo), storage_of(branch), "transfer", now - timedelta(days=1))]
    )
    # Two more of lot B at the same unit cost, dated before everything: the transfer now takes 2 of B and
    # 2 of A, still 40.00 in all.
    older = Lot.objects.create(product=product, number="B", received_at=now)
    receive(product, fifo, 2, "20.00", at=now - timedelta(days=3), lot=older)
    layers = CostLayer.objects.filter(warehouse=branch).order_by("piece")
    assert [(lr.lot.number, lr.qty_in, lr.value_in) for lr in layers] == [
        ("B", D(2), D("20.00")),
        ("A", D(2), D("20.00")),
    ]
    assert replay_from_start(keys=[(product.pk, fifo.pk), (product.pk, branch.pk)]) == []
