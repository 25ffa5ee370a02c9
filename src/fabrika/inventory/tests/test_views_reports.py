"""Report pages: stock as of a date, value (cost only), history, turnover, slow movers, exports, the
ledger check; a storekeeper sees no value columns."""

import csv
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse

from fabrika.access.tests.factories import make_user, sign_in
from fabrika.inventory.models import Balance

from .stock_story import last_day, make_story

pytestmark = pytest.mark.django_db

STOCK = reverse("inventory:stock-on-hand")
VALUE = reverse("inventory:stock-value")
HISTORY = reverse("inventory:product-history")
TURNOVER = reverse("inventory:turnover")
SLOW = reverse("inventory:slow-movers")
CHECK = reverse("inventory:check-ledger")


@pytest.fixture
def story():
    return make_story()


@pytest.fixture
def director(client):
    user = make_user("dora", "director")
    sign_in(client, user)
    return user


@pytest.fixture
def keeper(client):
    user = make_user("kate", "storekeeper")
    sign_in(client, user)
    return user


def csv_rows(response):
    content = response.streaming_content if response.streaming else [response.content]
    return list(csv.reader(io.StringIO(b"".join(content).decode("utf-8-sig"))))


def labels(response):
    return [str(c.label) for c in response.context["columns"]]


def test_stock_page_now_and_as_of_a_past_date(client, director, story):
    now = client.get(STOCK + f"?warehouse={story.main.pk}")
    assert labels(now) == [
        "Code",
        "Product",
        "Group",
        "Unit",
        "Warehouse",
        "On hand",
        "Reserved",
        "Available",
        "Value",
        "Average cost",
    ]
    assert [(r.code, r.qty, r.value) for r, _cells in now.context["table"]] == [
        ("M3", D("7"), D("890.00")),
        ("M4", D("50"), D("100.00")),
    ]
    assert now.context["total_value"] == D("990.00")
    past = client.get(STOCK + f"?as_of={story.m2.replace(day=6).isoformat()}")
    assert "Reserved" not in labels(past)
    assert [(r.code, r.warehouse, r.qty, r.value) for r, _c in past.context["table"]] == [
        ("M3", "Main warehouse", D("5"), D("600.00")),
        ("M3", "Workshop", D("5"), D("600.00")),
        ("M4", "Main warehouse", D("50"), D("100.00")),
        ("P1", "Workshop", D("4"), D("102.00")),
    ]
    group = client.get(STOCK + f"?group={story.panels.pk}")
    assert [r.code for r, _c in group.context["table"]] == ["P1"]


def test_stock_export_csv_content(client, director, story):
    response = client.get(STOCK + f"?warehouse={story.workshop.pk}&export=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert csv_rows(response) == [
        ["Code", "Product", "Group", "Unit", "Warehouse", "On hand", "Reserved", "Available", "Value", "Average cost"],
        ["M3", "M3 bolt", "Hardware / Fasteners", "pcs", "Workshop", "3", "0", "3", "360.00", "120.000000"],
        ["P1", "Side panel", "Panels", "pcs", "Workshop", "4", "0", "4", "102.00", "25.500000"],
    ]
    xlsx = client.get(STOCK + "?export=xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_storekeeper_sees_quantities_only(client, keeper, story):
    page = client.get(STOCK)
    assert labels(page) == ["Code", "Product", "Group", "Unit", "Warehouse", "On hand", "Reserved", "Available"]
    assert "total_value" not in page.context
    assert "890" not in page.content.decode()
    assert csv_rows(client.get(STOCK + f"?warehouse={story.workshop.pk}&export=csv"))[1] == [
        "M3",
        "M3 bolt",
        "Hardware / Fasteners",
        "pcs",
        "Workshop",
        "3",
        "0",
        "3",
    ]
    assert client.get(VALUE).status_code == 403
    assert client.get(CHECK).status_code == 403
    history = client.get(HISTORY + f"?product={story.bolt.pk}&date_from={story.m2}&date_to={last_day(story.m2)}")
    assert "Value change" not in labels(history) and "Balance value" not in labels(history)
    turnover = client.get(TURNOVER + f"?date_from={story.m2}&date_to={last_day(story.m2)}")
    assert labels(turnover) == ["Code", "Product", "Group", "Unit", "Opening", "In", "Out", "Closing"]
    assert "Value" not in labels(client.get(SLOW))


def test_value_page(client, director, story):
    page = client.get(VALUE + f"?as_of={last_day(story.m2).isoformat()}")
    report = page.context["report"]
    assert report.total == D("1812.00")
    assert [(name, v) for _pk, name, v in report.by_warehouse] == [
        ("Main warehouse", D("1350.00")),
        ("Workshop", D("462.00")),
    ]
    assert csv_rows(client.get(VALUE + f"?as_of={last_day(story.m2).isoformat()}&export=csv")) == [
        ["By", "Name", "Value"],
        ["Warehouse", "Main warehouse", "1350.00"],
        ["Warehouse", "Workshop", "462.00"],
        ["Group", "Hardware / Fasteners", "1710.00"],
        ["Group", "Panels", "102.00"],
        ["Total", "", "1812.00"],
    ]


def test_history_page_with_opening_and_closing(client, director, story):
    query = f"?product={story.bolt.pk}&warehouse={story.workshop.pk}&date_from={story.m2}&date_to={last_day(story.m2)}"
    response = client.get(HISTORY + query)
    rows = [row for row, _cells in response.context["table"]]
    assert [(r.kind_label, r.qty_after, r.value_after) for r in rows] == [
        ("Opening balance", D("-5"), D("-500.00")),
        ("Receipt", D("5"), D("600.00")),
        ("Shipment", D("3"), D("360.00")),
        ("Closing balance", D("3"), D("360.00")),
    ]
    exported = csv_rows(client.get(HISTORY + query + "&export=csv"))
    assert exported[0][-5:] == ["In", "Out", "Value change", "Balance", "Balance value"]
    assert exported[2][-5:] == ["10", "0", "1100.00", "5", "600.00"]
    # Without a product the page asks for one.
    first = client.get(HISTORY)
    assert first.status_code == 200 and not first.context["ready"]


def test_turnover_page(client, director, story):
    response = client.get(
        TURNOVER + f"?date_from={story.m2}&date_to={last_day(story.m2)}&warehouse={story.workshop.pk}"
    )
    rows = [row for row, _c in response.context["table"]]
    assert [
        (r.code, r.opening_qty, r.in_qty, r.in_value, r.out_qty, r.out_value, r.closing_qty, r.closing_value)
        for r in rows
    ] == [
        ("M3", D("-5"), D("10"), D("1200.00"), D("2"), D("340.00"), D("3"), D("360.00")),
        ("P1", D("4"), D("0"), D("0.00"), D("0"), D("0.00"), D("4"), D("102.00")),
    ]
    assert response.context["totals"]["closing"] == D("462.00")
    bad = client.get(TURNOVER + f"?date_from={last_day(story.m2)}&date_to={story.m2}")
    assert not bad.context["ready"] and "The end is before the start." in bad.content.decode()


def test_slow_movers_page(client, director, story):
    response = client.get(SLOW + "?days=1")
    rows = [(r.code, r.warehouse, r.last_issue is None) for r, _c in response.context["table"]]
    # Nuts and panels never left; bolts left the main warehouse in M3 and the workshop in M2.
    assert ("M4", "Main warehouse", True) in rows and ("P1", "Workshop", True) in rows
    assert rows[:2] == [("M4", "Main warehouse", True), ("P1", "Workshop", True)]
    assert len(rows) == 4
    assert response.context["total_value"] == D("1452.00")


def test_check_ledger_page(client, director, story):
    page = client.get(CHECK)
    assert "Ledger is consistent." in page.content.decode()
    Balance.objects.filter(product=story.nut, warehouse=story.main).update(value=D("99.00"))
    page = client.get(CHECK)
    assert [(v["rule"], v["product"], v["warehouse"]) for v in page.context["violations"]] == [
        ("balance-value", "M4 — M4 nut", "Main warehouse"),
        ("layers", "M4 — M4 nut", "Main warehouse"),
    ]
    assert "Ledger is consistent." not in page.content.decode()
