"""The pure ledger core, without a database."""

from decimal import Decimal as D

import pytest

from fabrika.inventory.domain.average import AverageStock
from fabrika.inventory.domain.fifo import FifoStock, InsufficientStock, Piece
from fabrika.inventory.domain.timeline import IN, OUT, Entry, replay_average, replay_fifo


def receipts(*rows):
    return [Entry((i, 0), f"r{i}", IN, D(q), value=D(v), lot=f"L{i}") for i, (q, v) in enumerate(rows)]


def test_fifo_consumes_oldest_first_and_values_exactly():
    stock = FifoStock()
    replay_fifo(stock, receipts(("10", "1000.00"), ("10", "1200.00")))
    [ship] = replay_fifo(stock, [Entry((9, 0), "s", OUT, D("15"))])
    assert ship.value == D("1600.00")
    assert [(c.lot, c.qty, c.value) for c in ship.consumptions] == [
        ("L0", D("10"), D("1000.00")),
        ("L1", D("5"), D("600.00")),
    ]
    assert stock.qty == D("5") and stock.value == D("600.00")
    with pytest.raises(InsufficientStock) as err:
        replay_fifo(stock, [Entry((10, 0), "s2", OUT, D("6"))])
    assert (err.value.wanted, err.value.available) == (D("6"), D("5"))
    assert stock.qty == D("5") and stock.value == D("600.00")  # a refused issue changes nothing


def test_named_lot_is_consumed_even_when_not_oldest():
    stock = FifoStock()
    replay_fifo(stock, receipts(("10", "1000.00"), ("10", "1200.00")))
    [ship] = replay_fifo(stock, [Entry((9, 0), "s", OUT, D("3"), lot="L1")])
    assert ship.value == D("360.00")
    with pytest.raises(InsufficientStock) as err:
        stock.issue(D("8"), lot="L1")
    assert err.value.available == D("7")


def test_awkward_costs_drain_to_exactly_zero():
    stock = FifoStock()
    replay_fifo(stock, receipts(("3", "10.00"), ("1000", "12.30")))  # 3.333333 and 0.0123 per unit
    values = [d.value for d in replay_fifo(stock, [Entry((5, i), f"s{i}", OUT, D("1")) for i in range(3)])]
    assert values == [D("3.33"), D("3.33"), D("3.34")]
    values = [d.value for d in replay_fifo(stock, [Entry((6, i), f"t{i}", OUT, D("333")) for i in range(3)])]
    assert values == [D("4.10"), D("4.10"), D("4.10")]
    [last] = replay_fifo(stock, [Entry((7, 0), "u", OUT, D("1"))])
    assert last.value == D("0.00") and stock.qty == 0 and stock.value == D("0.00")


def test_transfer_pieces_keep_lot_and_cost():
    source, target = FifoStock(), FifoStock()
    replay_fifo(source, receipts(("10", "1000.00"), ("10", "1200.00")))
    [issue] = replay_fifo(source, [Entry((9, 0), "t-out", OUT, D("12"))])
    pieces = tuple(Piece(c.qty, c.value, c.lot) for c in issue.consumptions)
    [arrive] = replay_fifo(target, [Entry((9, 1), "t-in", IN, D("12"), pieces=pieces)])
    assert arrive.value == D("1240.00")
    assert [(layer.lot, layer.qty_in, layer.unit_cost) for layer in target.layers] == [
        ("L0", D("10"), D("100.000000")),
        ("L1", D("2"), D("120.000000")),
    ]


def test_average_cost_and_negative_stock():
    stock = AverageStock()
    replay_average(stock, receipts(("10", "1000.00"), ("10", "1200.00")))
    assert stock.average == D("110.000000")
    [ship] = replay_average(stock, [Entry((9, 0), "s", OUT, D("25"))])
    assert ship.value == D("2750.00")
    assert (stock.qty, stock.value) == (D("-5"), D("-550.00"))
    [receipt] = replay_average(stock, [Entry((10, 0), "r", IN, D("10"), value=D("1200.00"))])
    # 5 units remain at the receipt's cost; the 5 issued short carry 50.00 more.
    assert (stock.qty, stock.value, receipt.settlement) == (D("5"), D("600.00"), D("50.00"))


def test_average_last_issue_takes_remaining_value():
    stock = AverageStock()
    replay_average(stock, receipts(("3", "10.00")))
    values = [d.value for d in replay_average(stock, [Entry((5, i), f"s{i}", OUT, D("1")) for i in range(3)])]
    assert values == [D("3.33"), D("3.33"), D("3.34")]
    assert stock.value == D("0.00")
