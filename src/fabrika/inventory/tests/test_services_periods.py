"""period_close(): snapshots at the month's end, earlier months closed with it, postings refused inside."""

from decimal import Decimal as D

import pytest
from django.utils import timezone

from fabrika.audit.models import BusinessEvent
from fabrika.core.errors import IllegalTransition, ValidationFailed
from fabrika.inventory.errors import PeriodClosed, PeriodNotClosable
from fabrika.inventory.models import Balance, BalanceSnapshot, Period, StockDocument, StockMove
from fabrika.inventory.queries import month_end
from fabrika.inventory.services import document_create
from fabrika.inventory.services.periods import month_of, months_to_close, period_close

from .stock_story import T, at, make_story, months_back, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def story():
    return make_story()


def snapshot(month):
    return {
        (s.product.code, s.warehouse.name): (s.qty, s.value)
        for s in BalanceSnapshot.objects.filter(period_end=month_end(month)).select_related("product", "warehouse")
    }


def test_closing_a_month_closes_the_months_before_it_and_snapshots_each(story):
    period = period_close(actor=None, month=story.m2.replace(day=17))
    assert period.start == story.m2 and period.closed and period.closed_at is not None
    assert list(Period.objects.filter(closed=True).order_by("start").values_list("start", flat=True)) == [
        story.m1,
        story.m2,
    ]
    assert snapshot(story.m1) == {
        ("M3", "Main warehouse"): (D("20"), D("2200.00")),
        ("M3", "Workshop"): (D("-5"), D("-500.00")),
        ("M4", "Main warehouse"): (D("50"), D("100.00")),
        ("P1", "Workshop"): (D("4"), D("102.00")),
    }
    # The workshop's M2: -500 + 1200 (receipt) - 100 (settlement) - 240 (shipment) = 360.
    assert snapshot(story.m2) == {
        ("M3", "Main warehouse"): (D("10"), D("1250.00")),
        ("M3", "Workshop"): (D("3"), D("360.00")),
        ("M4", "Main warehouse"): (D("50"), D("100.00")),
        ("P1", "Workshop"): (D("4"), D("102.00")),
    }
    event = BusinessEvent.objects.get(event="inventory.period_closed")
    assert event.data["months"] == [f"{story.m1:%Y-%m}", f"{story.m2:%Y-%m}"]
    assert event.data["snapshots"] == 8


def test_a_posting_dated_in_a_closed_period_is_refused_and_changes_nothing(story):
    period_close(actor=None, month=story.m2)
    moves, balances = StockMove.objects.count(), list(Balance.objects.order_by("pk").values_list("qty", "value"))
    draft = document_create(
        actor=None,
        type=T.RECEIPT,
        data={"warehouse": story.main, "date": at(story.m2, 20)},
        lines=[{"product": story.nut, "qty": D("1"), "price": D("2")}],
    )
    from fabrika.inventory.services import document_post

    with pytest.raises(PeriodClosed) as err:
        document_post(actor=None, document=draft)
    assert (
        str(err.value) == f"The period {story.m2:%Y-%m} is closed: nothing can be posted on {at(story.m2, 20).date()}."
    )
    # Earlier months are closed too.
    with pytest.raises(PeriodClosed):
        post(T.RECEIPT, story.main, [{"product": story.nut, "qty": D("1"), "price": D("2")}], at(story.m1, 28))
    assert StockMove.objects.count() == moves
    assert list(Balance.objects.order_by("pk").values_list("qty", "value")) == balances
    # The month after is open.
    post(T.RECEIPT, story.main, [{"product": story.nut, "qty": D("1"), "price": D("2")}], at(story.m3, 20))


def test_drafts_dated_in_the_month_refuse_the_close(story):
    draft = document_create(
        actor=None,
        type=T.SHIPMENT,
        data={"warehouse": story.main, "date": at(story.m1, 27)},
        lines=[{"product": story.nut, "qty": D("1")}],
    )
    with pytest.raises(PeriodNotClosable) as err:
        period_close(actor=None, month=story.m2)
    assert err.value.data["drafts"] == [draft.number]
    assert draft.number in str(err.value) and "Post, cancel or re-date them first." in str(err.value)
    assert not Period.objects.exists() and not BalanceSnapshot.objects.exists()
    # A draft after the month does not matter.
    from fabrika.inventory.services import document_update

    document_update(actor=None, document=draft, data={"date": at(story.m3, 27)})
    period_close(actor=None, month=story.m2)
    assert Period.objects.filter(closed=True).count() == 2


def test_what_cannot_be_closed(story):
    with pytest.raises(ValidationFailed) as err:
        period_close(actor=None, month=timezone.localdate())
    assert list(err.value.errors) == ["month"]
    period_close(actor=None, month=story.m2)
    with pytest.raises(IllegalTransition):
        period_close(actor=None, month=story.m2)
    with pytest.raises(IllegalTransition):
        period_close(actor=None, month=story.m1)
    assert months_to_close(story.m3) == [story.m3]
    period_close(actor=None, month=story.m3)
    # M3: main bolt 7 / 890 after the M3 shipment; the rest unchanged.
    assert snapshot(story.m3)[("M3", "Main warehouse")] == (D("7"), D("890.00"))


def test_closing_with_an_empty_ledger_and_months_of(db):
    m = months_back(2)
    period = period_close(actor=None, month=m)
    assert period.start == m and not BalanceSnapshot.objects.exists()
    assert month_of(f"{m:%Y-%m}") == m
    assert month_of(at(m, 14)) == m
    with pytest.raises(ValidationFailed):
        month_of("March")


def test_settlement_and_zero_rows_in_a_snapshot(story):
    # Ship the rest of the panels in M3: a zero row is not written.
    post(T.SHIPMENT, story.workshop, [{"product": story.panel, "qty": D("4")}], at(story.m3, 3))
    period_close(actor=None, month=story.m3)
    assert ("P1", "Workshop") not in snapshot(story.m3)
    assert StockDocument.objects.filter(state="draft").count() == 0


def test_a_closed_month_is_the_local_calendar_month(settings, db):
    from datetime import datetime, time

    from fabrika.inventory.services import warehouse_create

    from .stock_story import last_day, make_products

    settings.TIME_ZONE = "America/New_York"
    _pcs, _h, _f, _p, bolt, _nut, _panel = make_products()
    main = warehouse_create(actor=None, data={"code": "MAIN", "name": "Main warehouse", "valuation": "fifo"})
    month = months_back(2)
    period_close(actor=None, month=month)
    evening = timezone.make_aware(datetime.combine(last_day(month), time(21)))  # 02:00 UTC the next day
    with pytest.raises(PeriodClosed):
        post(T.RECEIPT, main, [{"product": bolt, "qty": D("1"), "price": D("1")}], evening)
