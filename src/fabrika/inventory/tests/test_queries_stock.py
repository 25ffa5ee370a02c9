"""Stock reports against numbers worked out by hand (see stock_story.py for the history)."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from fabrika.inventory import queries
from fabrika.inventory.models import BalanceSnapshot
from fabrika.inventory.services.periods import period_close

from .stock_story import T, at, last_day, make_products, make_story, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def story():
    return make_story()


def table(rows, *fields):
    return [tuple(getattr(r, f) for f in fields) for r in rows]


def test_stock_today_reads_balances_with_reserved_and_available(story):
    from fabrika.inventory.services import reserve

    reserve(actor=None, product=story.bolt, warehouse=story.main, qty=D("4"), reference="ORD-1/1")
    rows = queries.stock_on_hand()
    assert table(rows, "code", "warehouse", "qty", "reserved", "available", "value", "average_cost") == [
        ("M3", "Main warehouse", D("7"), D("4"), D("3"), D("890.00"), D("127.142857")),
        ("M3", "Workshop", D("3"), D("0"), D("3"), D("360.00"), D("120.000000")),
        ("M4", "Main warehouse", D("50"), D("0"), D("50"), D("100.00"), D("2.000000")),
        ("P1", "Workshop", D("4"), D("0"), D("4"), D("102.00"), D("25.500000")),
    ]
    assert table(queries.stock_on_hand(warehouse=story.workshop), "code", "qty") == [("M3", D("3")), ("P1", D("4"))]
    # A group includes its subgroups.
    assert table(queries.stock_on_hand(group=story.hardware), "code", "warehouse") == [
        ("M3", "Main warehouse"),
        ("M3", "Workshop"),
        ("M4", "Main warehouse"),
    ]
    assert table(queries.stock_on_hand(group=story.panels), "code") == [("P1",)]
    assert rows[0].group == "Hardware / Fasteners"


EXPECTED_M1_END = [
    ("M3", "Main warehouse", D("20"), D("2200.00")),
    ("M3", "Workshop", D("-5"), D("-500.00")),
    ("M4", "Main warehouse", D("50"), D("100.00")),
    ("P1", "Workshop", D("4"), D("102.00")),
]
# M2-06: after the workshop's receipt into negative stock (settlement 100.00), before lot C.
EXPECTED_M2_06 = [
    ("M3", "Main warehouse", D("5"), D("600.00")),
    ("M3", "Workshop", D("5"), D("600.00")),
    ("M4", "Main warehouse", D("50"), D("100.00")),
    ("P1", "Workshop", D("4"), D("102.00")),
]


def test_stock_as_of_a_past_date_without_a_snapshot(story):
    assert not BalanceSnapshot.objects.exists()
    rows = queries.stock_on_hand(as_of=last_day(story.m1))
    assert table(rows, "code", "warehouse", "qty", "value") == EXPECTED_M1_END
    assert all(r.reserved is None and r.available is None for r in rows)
    assert table(queries.stock_on_hand(as_of=story.m2.replace(day=6)), "code", "warehouse", "qty", "value") == (
        EXPECTED_M2_06
    )
    # Before the first move: nothing.
    assert queries.stock_on_hand(as_of=story.m1.replace(day=4)) == []


def test_stock_as_of_a_past_date_from_the_snapshot_plus_later_moves(story):
    period_close(actor=None, month=story.m1)
    snapshot = {
        (s.product.code, s.warehouse.name): (s.qty, s.value)
        for s in BalanceSnapshot.objects.select_related("product", "warehouse")
    }
    assert snapshot == {(c, w): (q, v) for c, w, q, v in EXPECTED_M1_END}
    # Prove the snapshot is read: a report at the month's end now comes from it alone.
    BalanceSnapshot.objects.filter(product=story.nut).update(qty=D("49"))
    assert table(queries.stock_on_hand(as_of=last_day(story.m1), product=story.nut), "qty") == [(D("49"),)]
    BalanceSnapshot.objects.filter(product=story.nut).update(qty=D("50"))
    rows = queries.stock_on_hand(as_of=story.m2.replace(day=6))
    assert table(rows, "code", "warehouse", "qty", "value") == EXPECTED_M2_06
    assert table(queries.stock_on_hand(as_of=last_day(story.m2), warehouse=story.workshop), "code", "qty", "value") == [
        ("M3", D("3"), D("360.00")),
        ("P1", D("4"), D("102.00")),
    ]


def test_positions_forward_and_back_from_today_agree_on_every_day(story):
    """positions_at() counts from whichever side has fewer moves; both sides give the same numbers,
    with and without a closed month, on every day of the story."""
    scope = queries.Scope()

    def nonzero(positions):
        return {key: tuple(v) for key, v in positions.items() if v != [0, 0]}

    expected_m1_end = {
        (story.bolt.pk, story.main.pk): (D("20"), D("2200.00")),
        (story.bolt.pk, story.workshop.pk): (D("-5"), D("-500.00")),
        (story.nut.pk, story.main.pk): (D("50"), D("100.00")),
        (story.panel.pk, story.workshop.pk): (D("4"), D("102.00")),
    }
    end_m1 = queries.end_of_day(last_day(story.m1))
    assert nonzero(queries.positions_back(scope, end_m1)) == expected_m1_end
    assert nonzero(queries.positions_forward(scope, end_m1, None)) == expected_m1_end
    day, today, checked = story.m1, timezone.localdate(), 0
    for closed in (False, True):
        if closed:
            period_close(actor=None, month=story.m1)
        while day <= today:
            moment = queries.end_of_day(day)
            snapshot_end = queries.latest_snapshot_end(moment)
            assert (snapshot_end is not None) == (closed and day >= last_day(story.m1))
            back = nonzero(queries.positions_back(scope, moment))
            assert back == nonzero(queries.positions_forward(scope, moment, snapshot_end)), day
            assert back == nonzero(queries.positions_at(scope, moment)), day
            day += timedelta(days=1)
            checked += 1
        day = story.m1
    assert checked > 2 * 60


def test_stock_by_lot_today_and_in_the_past(story):
    rows = queries.stock_on_hand(warehouse=story.main, by_lot=True, product=story.bolt)
    assert table(rows, "lot", "qty", "value", "reserved") == [
        ("B", D("2"), D("240.00"), D("0")),
        ("C", D("5"), D("650.00"), D("0")),
    ]
    past = queries.stock_on_hand(as_of=last_day(story.m2), by_lot=True, product=story.bolt)
    assert table(past, "warehouse", "lot", "qty", "value") == [
        ("Main warehouse", "B", D("5"), D("600.00")),
        ("Main warehouse", "C", D("5"), D("650.00")),
        ("Workshop", "", D("3"), D("360.00")),  # average cost: no lots
    ]


def test_inventory_value_as_of_dates(story):
    now = queries.inventory_value()
    assert now.total == D("890.00") + D("360.00") + D("100.00") + D("102.00")
    past = queries.inventory_value(as_of=last_day(story.m2))
    assert past.total == D("1812.00")
    assert [(name, v) for _pk, name, v in past.by_warehouse] == [
        ("Main warehouse", D("1350.00")),
        ("Workshop", D("462.00")),
    ]
    assert [(name, v) for _pk, name, v in past.by_group] == [
        ("Hardware / Fasteners", D("1710.00")),
        ("Panels", D("102.00")),
    ]
    period_close(actor=None, month=story.m1)
    assert queries.inventory_value(as_of=last_day(story.m2)).total == D("1812.00")
    assert queries.inventory_value(as_of=last_day(story.m1), warehouse=story.workshop).total == D("-398.00")


def test_turnover_of_a_month(story):
    rows = queries.turnover(date_from=story.m2, date_to=last_day(story.m2), warehouse=story.main)
    fields = (
        "code",
        "opening_qty",
        "opening_value",
        "in_qty",
        "in_value",
        "out_qty",
        "out_value",
        "closing_qty",
        "closing_value",
    )
    assert table(rows, *fields) == [
        ("M3", D("20"), D("2200.00"), D("5"), D("650.00"), D("15"), D("1600.00"), D("10"), D("1250.00")),
        ("M4", D("50"), D("100.00"), D("0"), D("0.00"), D("0"), D("0.00"), D("50"), D("100.00")),
    ]
    # Average cost: the settlement of the receipt into negative stock is part of the out value.
    workshop = queries.turnover(
        date_from=story.m2, date_to=last_day(story.m2), warehouse=story.workshop, product=story.bolt
    )
    assert table(workshop, *fields) == [
        ("M3", D("-5"), D("-500.00"), D("10"), D("1200.00"), D("2"), D("340.00"), D("3"), D("360.00")),
    ]
    every = queries.turnover(date_from=story.m2, date_to=last_day(story.m2), product=story.bolt)
    assert table(every, *fields) == [
        ("M3", D("15"), D("1700.00"), D("15"), D("1850.00"), D("17"), D("1940.00"), D("13"), D("1610.00")),
    ]
    # The same with a snapshot at the end of M1.
    period_close(actor=None, month=story.m1)
    assert table(queries.turnover(date_from=story.m2, date_to=last_day(story.m2), product=story.bolt), *fields) == (
        table(every, *fields)
    )


def test_movement_history_with_running_balance(story):
    history = queries.product_history(
        product=story.bolt, date_from=story.m2, date_to=last_day(story.m2), warehouse=story.workshop
    )
    assert (history.opening_qty, history.opening_value) == (D("-5"), D("-500.00"))
    rows = list(history.rows())
    assert [(r.document, r.kind, r.qty_in, r.qty_out, r.value_change, r.qty_after, r.value_after) for r in rows] == [
        (story.documents["ws-r2"].number, "receipt", D("10"), D("0"), D("1100.00"), D("5"), D("600.00")),
        (story.documents["ws-s2"].number, "shipment", D("0"), D("2"), D("-240.00"), D("3"), D("360.00")),
    ]
    assert (history.closing_qty, history.closing_value) == (D("3"), D("360.00"))
    both = queries.product_history(product=story.bolt, date_from=story.m1, date_to=timezone.localdate())
    rows = list(both.rows())
    assert (both.opening_qty, both.closing_qty, both.closing_value) == (D("0"), D("10"), D("1250.00"))
    assert (rows[-1].qty_after, rows[-1].value_after) == (D("10"), D("1250.00"))
    assert len(rows) == 9


def test_transfer_counts_out_of_one_warehouse_and_into_the_other(story):
    post(
        T.TRANSFER, story.main, [{"product": story.nut, "qty": D("20")}], at(story.m3, 12), to_warehouse=story.workshop
    )
    rows = queries.turnover(date_from=story.m3, date_to=last_day(story.m3), product=story.nut)
    assert table(rows, "in_qty", "out_qty", "closing_qty", "closing_value") == [
        (D("20"), D("20"), D("50"), D("100.00"))
    ]
    main = queries.turnover(date_from=story.m3, date_to=last_day(story.m3), product=story.nut, warehouse=story.main)
    assert table(main, "out_qty", "out_value", "closing_qty") == [(D("20"), D("40.00"), D("30"))]
    assert table(queries.stock_on_hand(product=story.nut), "warehouse", "qty", "value") == [
        ("Main warehouse", D("30"), D("60.00")),
        ("Workshop", D("20"), D("40.00")),
    ]


def test_slow_movers(db):
    from fabrika.inventory.services import warehouse_create

    _pcs, _h, _f, _p, bolt, nut, panel = make_products()
    main = warehouse_create(actor=None, data={"code": "MAIN", "name": "Main warehouse", "valuation": "fifo"})
    now = timezone.now().replace(microsecond=0)
    post(T.RECEIPT, main, [{"product": bolt, "qty": D("10"), "price": D("5")}], now - timedelta(days=100))
    post(T.RECEIPT, main, [{"product": nut, "qty": D("10"), "price": D("1")}], now - timedelta(days=99))
    post(T.RECEIPT, main, [{"product": panel, "qty": D("2"), "price": D("30")}], now - timedelta(days=98))
    shipped = post(T.SHIPMENT, main, [{"product": bolt, "qty": D("4")}], now - timedelta(days=40))
    post(T.SHIPMENT, main, [{"product": panel, "qty": D("1")}], now - timedelta(days=5))
    rows = queries.slow_movers(days=30)
    assert table(rows, "code", "qty", "value", "last_issue", "idle_days") == [
        ("M4", D("10"), D("10.00"), None, None),
        ("M3", D("6"), D("30.00"), shipped.date, 40),
    ]
    assert table(queries.slow_movers(days=60), "code") == [("M4",)]


def _transfer_into_negative_average_stock():
    """Workshop (average) ships 5 bolts it does not have (-5 at cost 0), then receives 10 @ 100 by a
    transfer from the main warehouse: 5 remain at 100 (500.00); the transfer's settlement is 500.00."""
    from fabrika.inventory.services import warehouse_create

    _pcs, _h, _f, _p, bolt, _nut, _panel = make_products()
    main = warehouse_create(actor=None, data={"code": "MAIN", "name": "Main warehouse", "valuation": "fifo"})
    workshop = warehouse_create(actor=None, data={"code": "WS", "name": "Workshop", "valuation": "average"})
    day = timezone.localdate() - timedelta(days=3)
    post(T.RECEIPT, main, [{"product": bolt, "qty": D("10"), "price": D("100")}], at(day.replace(day=1), day.day, 8))
    post(T.SHIPMENT, workshop, [{"product": bolt, "qty": D("5")}], at(day.replace(day=1), day.day, 9))
    transfer = post(
        T.TRANSFER,
        main,
        [{"product": bolt, "qty": D("10")}],
        at(day.replace(day=1), day.day, 10),
        to_warehouse=workshop,
    )
    return bolt, main, workshop, transfer, day


def test_settlement_of_a_transfer_counts_on_the_receiving_side_only(db):
    bolt, main, workshop, transfer, day = _transfer_into_negative_average_stock()
    assert transfer.moves.get().settlement == D("500.00")
    now = {(r.warehouse, r.qty, r.value) for r in queries.stock_on_hand(product=bolt, include_zero=True)}
    assert now == {("Main warehouse", D("0"), D("0.00")), ("Workshop", D("5"), D("500.00"))}
    past = queries.positions_at(queries.Scope(product=bolt), queries.end_of_day(day))
    assert past == {(bolt.pk, main.pk): [D("0"), D("0.00")], (bolt.pk, workshop.pk): [D("5"), D("500.00")]}


def test_check_ledger_after_a_transfer_into_negative_average_stock(db):
    from fabrika.inventory.checks import check_ledger

    _transfer_into_negative_average_stock()
    assert check_ledger() == []
