"""Concurrency on PostgreSQL: production orders racing for scarce components on separate connections.

Ten orders are released and reported at the same time, each in its own thread and transaction, over
stock for only six of them. Exactly six must be made; the other four are refused with the shortage
and leave nothing behind; no component goes negative and the ledger checks clean.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D

import pytest
from django.db import close_old_connections, connection

from fabrika.inventory.checks import check_ledger
from fabrika.inventory.errors import InsufficientStock
from fabrika.inventory.models import Balance, StockMove
from fabrika.production.errors import ComponentsShort
from fabrika.production.models import OrderLine, ProductionOrder, ProductionReport
from fabrika.production.services import order_create, order_release, order_report

from .factory import build, receive

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
S = ProductionOrder.State


def in_thread(fn):
    def run(*args):
        try:
            return fn(*args)
        finally:
            close_old_connections()
            connection.close()

    return run


def race(orders, qty=D(1)):
    """Release and report every order at once, each in its own thread: "made" or "short"."""
    start = threading.Barrier(len(orders))

    @in_thread
    def release_and_report(order):
        start.wait()
        order_release(actor=None, order=order, children=False)
        try:
            order_report(actor=None, order=order, qty=qty)
            return "made"
        except (ComponentsShort, InsufficientStock):
            return "short"

    with ThreadPoolExecutor(max_workers=len(orders)) as pool:
        return list(pool.map(release_and_report, orders))


def stock(product, wh):
    b = Balance.objects.get(product=product, warehouse=wh)
    return b.qty, b.value


def assert_all_or_nothing(order, *, made: bool, inputs: dict, output: str):
    """A made order has one posted report whose moves are exactly its inputs and output; a refused one
    has no report, no moves, nothing posted on its lines and is still released."""
    order.refresh_from_db()
    reports = list(ProductionReport.objects.filter(order=order))
    if made:
        [report] = reports
        moves = {m.product.code: m.qty for m in StockMove.objects.filter(value_group=report.value_group)}
        assert moves == {**inputs, output: D(1)}, (order.number, moves)
        assert order.state == S.DONE and order.qty_done == D(1)
        assert all(line.qty_posted > 0 for line in order.lines.all())
    else:
        assert reports == [], order.number
        assert order.state == S.RELEASED and order.qty_done == D(0)
        assert not OrderLine.objects.filter(order=order, qty_posted__gt=0).exists()


def test_ten_brain_orders_over_processors_for_six():
    f = build(stock=False)
    receive(f.p["BOARD"], 10, "149.90", f.main)
    receive(f.p["CPU"], 3, "60.00", f.main)
    receive(f.p["CPU"], 3, "75.00", f.main)
    orders = [
        order_create(actor=None, data={"product": f.p["BRAIN"], "qty": D(1), "input_warehouse": f.main})
        for _ in range(10)
    ]

    results = race(orders)

    assert results.count("made") == 6 and results.count("short") == 4
    # Every processor is used once; four boards are left; the brains took what they consumed:
    # 6 boards 89.94 + processors 3 × 20.00 + 3 × 25.00 + 6 × (30 + 6 min at 30 + 30/h = 18.00 + 18.00).
    assert stock(f.p["CPU"], f.main) == (D(0), D("0.00"))
    assert stock(f.p["BOARD"], f.main) == (D(4), D("59.96"))
    assert stock(f.p["BRAIN"], f.main) == (D(6), D("89.94") + D("135.00") + 6 * D("36.00"))
    for order, result in zip(orders, results, strict=True):
        assert_all_or_nothing(order, made=result == "made", inputs={"BOARD": D(1), "CPU": D(1)}, output="BRAIN")
    assert not Balance.objects.filter(qty__lt=0).exists()
    assert check_ledger() == []


def test_ten_robot_orders_sharing_five_components_with_brains_for_six():
    """Each robot locks five balances (case, kit, peripherals, bolts, brain); the brains run out first."""
    f = build(stock=False)
    for code, qty, value in (
        ("CASE", 10, "1205.00"),
        ("KIT", 12, "421.20"),
        ("PERIPH", 10, "182.50"),
        ("BOLT", 500, "65.00"),
        ("BRAIN", 6, "300.00"),
    ):
        receive(f.p[code], qty, value, f.main)
    orders = [
        order_create(actor=None, data={"product": f.p["ROBOT"], "qty": D(1), "input_warehouse": f.main})
        for _ in range(10)
    ]

    results = race(orders)

    assert results.count("made") == 6 and results.count("short") == 4
    assert stock(f.p["BRAIN"], f.main) == (D(0), D("0.00"))
    assert stock(f.p["CASE"], f.main) == (D(4), D("482.00"))
    assert stock(f.p["BOLT"], f.main) == (D(380), D("49.40"))
    assert stock(f.p["ROBOT"], f.main)[0] == D(6)
    inputs = {"CASE": D(1), "KIT": D(1), "PERIPH": D(1), "BOLT": D(20), "BRAIN": D(1)}
    for order, result in zip(orders, results, strict=True):
        assert_all_or_nothing(order, made=result == "made", inputs=inputs, output="ROBOT")
    assert not Balance.objects.filter(qty__lt=0).exists()
    assert check_ledger() == []
