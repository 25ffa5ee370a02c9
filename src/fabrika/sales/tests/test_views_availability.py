"""The availability tab of the order card, its export and its three buttons, over the world of
test_availability.py (the numbers are worked out there): 12 robots promised for today + 20.

Now (stock only): 2 robots from stock, 10 to make; boards 8 + 2 to buy, CPUs 6 + 4 to buy; ready
today + 13. By the promised date: 2 brains from the open order, CPUs 6 + 2 of the open request;
nothing to buy; ready today + 21, a day after the promised date.
"""

import csv
import io
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone

from fabrika.access.tests.factories import make_user, sign_in, unique_username
from fabrika.inventory.models import Balance
from fabrika.production.models import ProductionOrder
from fabrika.purchasing.models import SupplierRequest
from fabrika.sales.errors import AdvanceRequired
from fabrika.sales.services import order_confirm, order_update, payment_terms_save

from . import test_availability
from .availability_table import availability_rows, figures
from .conftest import row_counts

pytestmark = pytest.mark.django_db
world = test_availability.world  # the fixture


def client_for(user):
    client = Client()
    sign_in(client, user)
    return client


def day(d):
    return formats.date_format(d, "SHORT_DATE_FORMAT")


def ready(d):
    """A ready date as the table shows it: day and month in the current year."""
    return formats.date_format(d, "j M") if d.year == timezone.localdate().year else day(d)


def tab(order):
    return reverse("sales:order-detail", args=[order.pk]) + "?tab=availability"


def url(order, action):
    return reverse(f"sales:order-availability-{action}", args=[order.pk])


@pytest.fixture
def boss(db):
    """Sales, production and purchasing at once: a small company's head of operations."""
    return make_user(unique_username("olga"), ["sales_manager", "production_manager"], first_name="Olga")


def test_the_tab_shows_now_and_the_promised_date_side_by_side(world):
    f, order, manager, today = world
    page = client_for(manager).get(tab(order))
    assert page.status_code == 200
    html = page.content.decode()
    [line, *parts] = availability_rows(html)
    assert (line["data-line"], line["ordered"], line["reserved"], line["in_production"], line["free"]) == (
        "1",
        "12 pcs",
        "0",
        "0",
        "2",
    )
    assert figures(line, "now") == ("12", "2", "0", "10", "0", ready(today + timedelta(13)))
    assert figures(line, "later") == ("12", "2", "0", "0", "10", "0", ready(today + timedelta(21)))
    d = lambda n: ready(today + timedelta(n))  # noqa: E731
    assert [(p["data-level"], p["data-code"], figures(p, "now"), figures(p, "later")) for p in parts] == [
        ("1", "CASE", ("10", "10", "0", "0", "0", d(0)), ("10", "10", "0", "0", "0", "0", d(0))),
        ("1", "KIT", ("10", "10", "0", "0", "0", d(0)), ("10", "10", "0", "0", "0", "0", d(0))),
        ("1", "PERIPH", ("10", "10", "0", "0", "0", d(0)), ("10", "10", "0", "0", "0", "0", d(0))),
        ("1", "BOLT", ("200", "200", "0", "0", "0", d(0)), ("200", "200", "0", "0", "0", "0", d(0))),
        ("1", "BRAIN", ("10", "0", "0", "10", "0", d(11)), ("10", "0", "0", "2", "8", "0", d(19))),
        ("2", "BOARD", ("10", "8", "0", "0", "2", d(7)), ("8", "8", "0", "0", "0", "0", d(0))),
        ("2", "CPU", ("10", "6", "0", "0", "4", d(10)), ("8", "6", "0", "2", "0", "0", d(18))),
    ]
    assert f'id="earliest-now">{day(today + timedelta(13))}' in html
    assert f'id="earliest-later">{day(today + timedelta(21))}' in html and "later than promised" in html
    # A draft: nothing to act on yet.
    assert 'id="reserve-available"' not in html and 'id="create-requests"' not in html


def test_another_date_to_compare_with(world):
    f, order, manager, today = world
    client = client_for(manager)
    html = client.get(tab(order) + f"&as_of={(today + timedelta(5)).isoformat()}").content.decode()
    brain = next(r for r in availability_rows(html) if r.get("data-code") == "BRAIN")
    # By today + 5 the open order's 2 brains are due (today + 3), the requested CPUs are not.
    assert figures(brain, "later")[3:5] == ("2", "8")
    cpu = next(r for r in availability_rows(html) if r.get("data-code") == "CPU")
    assert figures(cpu, "later")[1:6] == ("6", "0", "0", "0", "2")
    html = client.get(tab(order) + "&as_of=someday").content.decode()
    assert "Enter a valid date." in html and availability_rows(html)[0]["later-ready"] == ready(today + timedelta(21))


def test_the_export_has_both_analyses(world):
    f, order, manager, today = world
    response = client_for(manager).get(url(order, "export") + "?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header, line, *parts = rows
    assert header[:9] == [
        *("Line", "Level", "Code", "Product", "Unit"),
        *("Ordered", "Reserved", "In production", "Free stock"),
    ]
    assert header[9] == "Now: Needed" and header[16] == f"By {order.promised_date.isoformat()}: Needed"
    ready_now, ready_later = (today + timedelta(13)).isoformat(), (today + timedelta(21)).isoformat()
    assert line == [f"{order.number}/1", "0", "ROBOT", "Robot", "pcs", "12", "0", "0", "2"] + [
        "12", "2", "0", "0", "10", "0", ready_now, "12", "2", "0", "0", "10", "0", ready_later,
    ]  # fmt: skip
    cpu = next(r for r in parts if r[2] == "CPU")
    assert cpu[1] == "2" and cpu[5:9] == ["", "", "", ""] and cpu[9:15] == ["10", "6", "0", "0", "0", "4"]
    xlsx = client_for(manager).get(url(order, "export") + "?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_the_buttons_follow_the_rights_and_the_state(world, boss):
    f, order, manager, today = world
    order = order_confirm(actor=manager, order=order)
    html = client_for(manager).get(tab(order)).content.decode()
    assert 'id="reserve-available"' in html  # sales manager: reserve, but neither production nor purchasing
    assert 'id="create-production"' not in html and 'id="create-requests"' not in html
    html = client_for(boss).get(tab(order)).content.decode()
    assert all(f'id="{b}"' in html for b in ("reserve-available", "create-production", "create-requests"))
    engineer = make_user(unique_username("lukas"), "engineer")  # sales: view only
    client = client_for(engineer)
    html = client.get(tab(order)).content.decode()
    assert client.get(tab(order)).status_code == 200 and 'id="reserve-available"' not in html
    before = row_counts()
    assert client.post(url(order, "reserve")).status_code == 403
    assert client_for(manager).post(url(order, "request")).status_code == 403
    assert client_for(manager).post(url(order, "produce")).status_code == 403
    assert row_counts() == before
    assert not SupplierRequest.objects.filter(source_id=str(order.pk)).exists()


def test_reserve_then_request_then_produce_through_the_buttons(world, boss):
    f, order, manager, today = world
    order = order_confirm(actor=manager, order=order)
    client = client_for(boss)

    response = client.post(url(order, "reserve"), follow=True)
    assert response.redirect_chain[-1][0] == tab(order)
    html = response.content.decode()
    assert "Reserved: Robot × 2" in html and f'href="{order.get_absolute_url()}?tab=lines"' in html
    assert Balance.objects.get(product=f.p["ROBOT"], warehouse=f.main).reserved == 3  # 1 for the other order
    [line, *_parts] = availability_rows(html)
    assert (line["reserved"], *figures(line, "now")[:4]) == ("2", "10", "0", "0", "10")

    response = client.post(url(order, "request"), follow=True)
    [request] = SupplierRequest.objects.filter(source_id=str(order.pk))
    html = response.content.decode()
    assert f'Supplier requests created: <a href="{request.get_absolute_url()}">{request.number}</a>' in html
    assert sorted((x.product.code, x.qty) for x in request.lines.all()) == [("BOARD", 2), ("CPU", 4)]
    rows = {r.get("data-code"): r for r in availability_rows(html)}
    assert figures(rows["BOARD"], "now")[1:5] == ("8", "2", "0", "0")
    assert 'id="create-requests"' not in html  # nothing left to buy
    # Pressed again (an old page): refused with the reason, nothing made.
    before = SupplierRequest.objects.count()
    html = client.post(url(order, "request"), follow=True).content.decode()
    assert "Nothing on this order needs to be bought." in html and SupplierRequest.objects.count() == before

    response = client.post(url(order, "produce"), follow=True)
    robots = ProductionOrder.objects.get(product=f.p["ROBOT"], source_id=order.lines.get().pk)
    brains = ProductionOrder.objects.get(parent=robots)
    html = response.content.decode()
    assert (
        f'Production orders created: <a href="{robots.get_absolute_url()}">{robots.number}</a>, '
        f'<a href="{brains.get_absolute_url()}">{brains.number}</a>'
    ) in html
    [line, *parts] = availability_rows(html)
    assert (line["in_production"], *figures(line, "now")[3:5]) == ("10", "0", "0") and parts == []
    made = html[html.index('id="availability-made"') :]
    assert robots.number in made and brains.number in made and request.number in made
    order.refresh_from_db()
    assert order.state == "in_work"


def test_production_waits_for_the_advance(world, boss):
    f, order, manager, today = world
    terms = payment_terms_save(
        actor=None,
        data={"name": "Half first"},
        lines=[{"percent": D(50), "trigger": "confirmation"}, {"percent": D(50), "trigger": "shipment"}],
    )
    order = order_update(actor=manager, order=order, data={"payment_terms": terms, "advance_policy": "block"})
    order = order_confirm(actor=manager, order=order)
    before = (row_counts(), ProductionOrder.objects.count())
    html = client_for(boss).post(url(order, "produce"), follow=True).content.decode()
    message = str(AdvanceRequired(order, D("10440.00"), D("0")))
    assert message in html.replace("&#x27;", "'")
    assert (row_counts(), ProductionOrder.objects.count()) == before


def test_cancelling_the_order_cancels_what_the_analysis_made(world, boss):
    """The confirmation lists the production orders and supplier requests made for the order; after
    cancelling they are cancelled, but a request already ordered from the supplier is only listed."""
    from fabrika.crm import services as crm
    from fabrika.purchasing.services import request_transition, requests_for_needs
    from fabrika.sales import availability

    f, order, manager, today = world
    order = order_confirm(actor=manager, order=order)
    availability.reserve_available(actor=boss, order=order)
    [draft] = availability.create_requests(actor=boss, order=order)
    made = availability.create_production(actor=boss, order=order)
    robots, brains = made
    supplier = crm.counterparty_create(
        actor=None, data={"name": "Bolt Supply", "is_supplier": True, "is_customer": False}
    )
    [ordered] = requests_for_needs(
        actor=boss,
        needs=[
            {
                "product": f.p["BOLT"],
                "qty": D(100),
                "needed_by": order.promised_date,
                "source": order,
                "source_label": order.number,
                "supplier": supplier,
            }
        ],
    )
    for state in ("sent", "ordered"):
        request_transition(actor=boss, request=ordered, to_state=state)

    client = client_for(manager)
    page = client.get(reverse("sales:order-cancel", args=[order.pk])).content.decode()
    listed = page[page.index('id="cancel-items"') : page.index("</ul>", page.index('id="cancel-items"'))]
    assert robots.number in listed and "cancelled with its open child orders" in listed
    assert f"Supplier request {draft.number}" in listed
    assert f"Supplier request {ordered.number}</a> — already ordered from the supplier: cancel it with them" in listed

    response = client.post(reverse("sales:order-cancel", args=[order.pk]), {"reason": "The school closed"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == "cancelled"
    assert [ProductionOrder.objects.get(pk=o.pk).state for o in made] == ["cancelled", "cancelled"]
    assert SupplierRequest.objects.get(pk=draft.pk).state == "cancelled"
    assert SupplierRequest.objects.get(pk=ordered.pk).state == "ordered"
    assert Balance.objects.get(product=f.p["ROBOT"], warehouse=f.main).reserved == 1  # the other order's


def test_a_phantom_node_is_marked_and_its_lead_time_left_out(world):
    """test_availability works the dates out: the phantom brain takes no day of its own."""
    from fabrika.production.models import BomLine

    f, order, manager, today = world
    BomLine.objects.filter(bom__product=f.p["ROBOT"], component=f.p["BRAIN"]).update(phantom=True)
    html = client_for(manager).get(tab(order)).content.decode()
    [line, *parts] = availability_rows(html)
    assert [p["data-code"] for p in parts if "data-phantom" in p] == ["BRAIN"]
    assert figures(line, "now")[-1] == ready(today + timedelta(12))
    assert ">phantom</span>" in html
    api = client_for(manager).get(f"/api/sales/orders/{order.pk}/availability/").json()
    assert [(p["product_code"], p["phantom"]) for p in api["lines"][0]["parts"]][-3:] == [
        ("BRAIN", True),
        ("BOARD", False),
        ("CPU", False),
    ]
