"""The funnel report page: per-stage numbers for a hand-made set of deals, totals, filters, exports.

The deals (default funnel: Lead 1/10 %, Qualified 2/25 %, Proposal sent 3/50 %, Negotiation 4/75 %,
Won 100 %, Lost 0 %):

    D1  1000.00  stays in Lead                         reached order 1
    D2  2000.00  Lead → Qualified                      reached order 2
    D3  3000.00  Lead → Proposal sent → Lost           reached order 3
    D4  4000.00  Lead → Won                            reached order 4 (a won deal went through all)

    stage          count  amount    weighted  reached  conversion
    Lead           1      1000.00   100.00    4        3/4 = 75.0 %   (D2, D3, D4 reached Qualified)
    Qualified      1      2000.00   500.00    3        2/3 = 66.7 %   (D3, D4 reached Proposal sent)
    Proposal sent  0      0.00      0.00      2        1/2 = 50.0 %   (D4 reached Negotiation)
    Negotiation    0      0.00      0.00      1        1/1 = 100.0 %  (won / reached the last open stage)
    Won            1      4000.00   4000.00
    Lost           1      3000.00   0.00
    Total          4      10000.00  4600.00
"""

import csv
import io
import json
import re
from datetime import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from fabrika.access.tests.factories import sign_in
from fabrika.crm import services
from fabrika.crm.models import Deal

from .funnel_helpers import company, manager, new_deal, stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna():
    return manager("anna", "Anna", "Petit")


@pytest.fixture
def four_deals(anna):
    acme = company(anna, "Acme")
    d1 = new_deal(anna, acme, "D1", amount=Decimal("1000.00"))
    d2 = new_deal(anna, acme, "D2", amount=Decimal("2000.00"))
    services.deal_move(actor=anna, deal=d2, stage=stage("Qualified"))
    d3 = new_deal(anna, acme, "D3", amount=Decimal("3000.00"))
    services.deal_move(actor=anna, deal=d3, stage=stage("Proposal sent"))
    services.deal_lose(actor=anna, deal=d3, reason="Too expensive")
    d4 = new_deal(anna, acme, "D4", amount=Decimal("4000.00"))
    services.deal_win(actor=anna, deal=d4)
    return [d1, d2, d3, d4]


EXPECTED = [
    ("Lead", 1, Decimal("1000.00"), Decimal("100.00"), 4, Decimal("75.0")),
    ("Qualified", 1, Decimal("2000.00"), Decimal("500.00"), 3, Decimal("66.7")),
    ("Proposal sent", 0, Decimal("0.00"), Decimal("0.00"), 2, Decimal("50.0")),
    ("Negotiation", 0, Decimal("0.00"), Decimal("0.00"), 1, Decimal("100.0")),
    ("Won", 1, Decimal("4000.00"), Decimal("4000.00"), 0, None),
    ("Lost", 1, Decimal("3000.00"), Decimal("0.00"), 0, None),
]


def table(response):
    return [(r.stage.name, r.count, r.amount, r.weighted, r.reached, r.conversion) for r in response.context["rows"]]


def test_per_stage_numbers_and_totals(client, anna, four_deals):
    sign_in(client, anna)
    response = client.get(reverse("crm:funnel-report"))
    assert response.status_code == 200
    assert table(response) == EXPECTED
    assert response.context["totals"] == {"count": 4, "amount": Decimal("10000.00"), "weighted": Decimal("4600.00")}

    html = response.content.decode()
    totals_row = re.search(r'<tr id="funnel-totals">(.*?)</tr>', html, re.S).group(1)
    assert [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>.*?</td>", totals_row, re.S)] == [
        "Total",
        "",
        "4",
        "10,000.00",
        "4,600.00",
        "",
        "",
    ]
    chart = json.loads(re.search(r'<script id="funnel-data" type="application/json">(.*?)</script>', html).group(1))
    assert chart["labels"] == ["Lead", "Qualified", "Proposal sent", "Negotiation", "Won", "Lost"]
    assert chart["amount"] == ["1000.00", "2000.00", "0.00", "0.00", "4000.00", "3000.00"]
    assert chart["weighted"] == ["100.00", "500.00", "0.00", "0.00", "4000.00", "0.00"]
    assert chart["count"] == [1, 1, 0, 0, 1, 1]
    assert chart["colors"] == ["secondary", "info", "primary", "warning", "success", "danger"]
    assert 'src="/static/vendor/chartjs/chart.umd.min.js"' in html and 'src="/static/crm/funnel_report.js"' in html


def test_csv_and_xlsx_exports_of_the_table(client, anna, four_deals):
    sign_in(client, anna)
    export = client.get(reverse("crm:funnel-report") + "?export=csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows == [
        ["Stage", "Kind", "Probability, %", "Deals", "Amount", "Weighted amount", "Reached", "Conversion, %"],
        ["Lead", "Open", "10", "1", "1000.00", "100.00", "4", "75.0"],
        ["Qualified", "Open", "25", "1", "2000.00", "500.00", "3", "66.7"],
        ["Proposal sent", "Open", "50", "0", "0.00", "0.00", "2", "50.0"],
        ["Negotiation", "Open", "75", "0", "0.00", "0.00", "1", "100.0"],
        ["Won", "Won", "100", "1", "4000.00", "4000.00", "", ""],
        ["Lost", "Lost", "0", "1", "3000.00", "0.00", "", ""],
        ["Total", "", "", "4", "10000.00", "4600.00", "", ""],
    ]

    xlsx = client.get(reverse("crm:funnel-report") + "?export=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[1] == ["Lead", "Open", 10, 1, 1000, 100, 4, 75]
    assert values[-1] == ["Total", None, None, 4, 10000, 4600, None, None]


def test_the_report_counts_only_the_deals_in_the_users_scope_and_filters(client, anna, four_deals):
    boris = manager("boris", "Boris")
    new_deal(boris, company(boris, "Zeta"), "Boris's", amount=Decimal("500.00"))

    sign_in(client, anna)
    assert table(client.get(reverse("crm:funnel-report"))) == EXPECTED  # Boris's deal is not Anna's to see

    director = manager("dora", "Dora", role="director")
    sign_in(client, director)
    everything = client.get(reverse("crm:funnel-report"))
    assert everything.context["rows"][0].count == 2 and everything.context["totals"]["count"] == 5
    assert table(client.get(reverse("crm:funnel-report"), {"owner": anna.pk})) == EXPECTED

    # Created-date range: D1 and D2 were made in January, the others in March.
    jan = timezone.make_aware(datetime(2025, 1, 20, 12, 0))
    Deal.objects.filter(pk__in=[four_deals[0].pk, four_deals[1].pk]).update(created_at=jan)
    january = client.get(reverse("crm:funnel-report"), {"created_from": "2025-01-01", "created_to": "2025-01-31"})
    assert [(r.stage.name, r.count, r.amount) for r in january.context["rows"]][:2] == [
        ("Lead", 1, Decimal("1000.00")),
        ("Qualified", 1, Decimal("2000.00")),
    ]
    assert january.context["totals"] == {"count": 2, "amount": Decimal("3000.00"), "weighted": Decimal("600.00")}

    backwards = client.get(reverse("crm:funnel-report"), {"created_from": "2025-02-01", "created_to": "2025-01-01"})
    assert backwards.context["filters"].errors == {"created_to": ["The end date is before the start date."]}


@pytest.mark.browser
def test_the_chart_is_drawn_in_the_browser(page, anna, four_deals):
    from fabrika.access.tests.factories import PASSWORD
    from fabrika.conftest import login, screenshot

    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    login(page, "anna", PASSWORD)
    page.goto(reverse("crm:funnel-report"))
    page.wait_for_function("window.Chart && Chart.getChart(document.getElementById('funnel-chart'))")
    chart = page.evaluate(
        "(() => { const c = Chart.getChart(document.getElementById('funnel-chart'));"
        " return [c.data.labels, c.data.datasets.map(d => d.data)]; })()"
    )
    assert chart == [
        ["Lead", "Qualified", "Proposal sent", "Negotiation", "Won", "Lost"],
        [[1000, 2000, 0, 0, 4000, 3000], [100, 500, 0, 0, 4000, 0]],
    ]
    screenshot(page, "crm-funnel-report")
    assert errors == []
