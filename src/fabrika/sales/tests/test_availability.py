"""Availability analysis of a customer order over the robot factory (production/tests/factory.py).

Stock in Main: CASE 10, KIT 10, PERIPH 10, BOLT 500, BOARD 10, CPU 8, and here 3 robots, one of
them reserved by another customer's order. An open production order (not for a customer) makes 2
brains by today + 3 and still has to consume 2 boards and 2 CPUs; a draft supplier request brings
4 CPUs by today + 18. Lead times: robot 2 days to make, brain 1, boards 7 days to buy, CPUs 10.

Our order: 12 robots promised for today + 20.

Now (stock only): robots 3 − 1 reserved = 2 from stock, 10 to make → cases, kits, peripherals,
200 bolts from stock; 10 brains to make → boards 10 − 2 committed = 8 free: 8 + 2 to buy;
CPUs 8 − 2 = 6 free: 6 + 4 to buy. Ready: CPUs today + 10 → brains + 1 → robots + 2 = today + 13.

By the promised date (with open supply): brains 2 from the open order, 8 to make → boards 8 from
stock; CPUs 6 from stock + 2 of the requested 4. Nothing to buy. Ready: CPUs today + 18 → brains
today + 19 → robots today + 21.
"""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from fabrika.access.tests.factories import make_user, unique_username
from fabrika.core.errors import ValidationFailed
from fabrika.crm import services as crm
from fabrika.inventory.services import reserve
from fabrika.production.models import ProductionOrder, ProductionProfile
from fabrika.production.services import order_create as production_order
from fabrika.production.services import order_release
from fabrika.production.tests.factory import build, receive
from fabrika.sales import availability
from fabrika.sales.services import order_confirm, order_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    f = build()
    today = timezone.localdate()
    receive(f.p["ROBOT"], 3, "2400.00", f.main)
    for code, days in (("ROBOT", 2), ("BRAIN", 1), ("BOARD", 7), ("CPU", 10), ("CASE", 5)):
        ProductionProfile.objects.create(product=f.p[code], lead_time_days=days)
    manager = make_user(unique_username("anna"), "sales_manager")
    customer = crm.counterparty_create(actor=None, data={"name": "Robokids School of Robotics"})
    other = crm.counterparty_create(actor=None, data={"name": "Linz Youth Robotics Club"})
    reserve(actor=None, product=f.p["ROBOT"], warehouse=f.main, qty=D(1), reference="other order", counterparty=other)
    brains = production_order(
        actor=None,
        data={"product": f.p["BRAIN"], "qty": D(2), "input_warehouse": f.main, "planned_finish": today + timedelta(3)},
    )
    order_release(actor=None, order=brains, children=False)
    from fabrika.purchasing.services import request_create

    request_create(
        actor=None,
        data={"needed_by": today + timedelta(18)},
        lines=[{"product": f.p["CPU"], "qty": D(4), "needed_by": today + timedelta(18)}],
    )
    order = order_create(
        actor=manager,
        data={
            "counterparty": customer,
            "manager": manager,
            "warehouse": f.main,
            "promised_date": today + timedelta(20),
        },
        lines=[{"product": f.p["ROBOT"], "qty": D(12), "price": D("1450.00")}],
    )
    return f, order, manager, today


def parts_of(line_analysis):
    return [
        (p.level, p.product.code, p.required, p.from_stock, p.from_supply, p.to_produce, p.to_purchase)
        for p in line_analysis.parts
    ]


def test_analysis_now_and_by_the_promised_date(world):
    f, order, manager, today = world
    now = availability.analyse(order)
    [la] = now.lines
    assert (la.ordered, la.reserved, la.free, la.from_stock, la.to_produce, la.to_purchase) == (12, 0, 2, 2, 10, 0)
    assert parts_of(la) == [
        (0, "ROBOT", 12, 2, 0, 10, 0),
        (1, "CASE", 10, 10, 0, 0, 0),
        (1, "KIT", 10, 10, 0, 0, 0),
        (1, "PERIPH", 10, 10, 0, 0, 0),
        (1, "BOLT", 200, 200, 0, 0, 0),
        (1, "BRAIN", 10, 0, 0, 10, 0),
        (2, "BOARD", 10, 8, 0, 0, 2),
        (2, "CPU", 10, 6, 0, 0, 4),
    ]
    assert {p.code: q for p, q, _d in now.purchases.values()} == {"BOARD": 2, "CPU": 4}
    assert la.ready == today + timedelta(13)

    later = availability.analyse(order, as_of=order.promised_date)
    [la] = later.lines
    assert parts_of(la) == [
        (0, "ROBOT", 12, 2, 0, 10, 0),
        (1, "CASE", 10, 10, 0, 0, 0),
        (1, "KIT", 10, 10, 0, 0, 0),
        (1, "PERIPH", 10, 10, 0, 0, 0),
        (1, "BOLT", 200, 200, 0, 0, 0),
        (1, "BRAIN", 10, 0, 2, 8, 0),
        (2, "BOARD", 8, 8, 0, 0, 0),
        (2, "CPU", 8, 6, 2, 0, 0),
    ]
    assert later.purchases == {}
    assert la.ready == today + timedelta(21)


def test_actions_reserve_produce_and_request(world):
    f, order, manager, today = world
    order = order_confirm(actor=manager, order=order)
    availability.reserve_available(actor=manager, order=order)
    [la] = availability.analyse(order).lines
    assert (la.reserved, la.from_stock, la.to_produce) == (2, 0, 10)

    requests = availability.create_requests(actor=manager, order=order)
    lines = sorted((x.product.code, x.qty) for r in requests for x in r.lines.all())
    assert lines == [("BOARD", 2), ("CPU", 4)]

    made = availability.create_production(actor=manager, order=order)
    robots = [o for o in made if o.product == f.p["ROBOT"]]
    assert [(o.qty, o.state, o.source_label) for o in robots] == [(10, "released", f"{order.number}/1")]
    # The brains the open order makes count: 10 − 2 = 8 brains in a child order.
    [child] = ProductionOrder.objects.filter(parent=robots[0])
    assert (child.product.code, child.qty) == ("BRAIN", 8)

    [la] = availability.analyse(order).lines
    assert (la.reserved, la.in_production, la.to_produce, la.to_purchase) == (2, 10, 0, 0)
    assert la.covered


def test_requests_made_for_the_order_cover_its_parts(world):
    """After "create supplier requests" nothing is left to buy (the button is not offered twice): the
    order's own request covers its parts before other open supply, ready after the purchase lead time."""
    f, order, manager, today = world
    order = order_confirm(actor=manager, order=order)
    [request] = availability.create_requests(actor=manager, order=order)
    now, later = availability.analyse(order), availability.analyse(order, as_of=order.promised_date)
    assert now.purchases == later.purchases == {}
    [la] = now.lines
    assert {p.product.code: p.requested for p in la.parts if p.requested} == {"BOARD": 2, "CPU": 4}
    assert (la.to_produce, la.to_purchase, la.ready) == (10, 0, today + timedelta(13))
    [la] = later.lines  # 2 brains from the open order; 8 CPUs: 6 from stock, 2 requested for us
    assert {p.product.code: (p.from_supply, p.requested) for p in la.parts if p.requested or p.from_supply} == {
        "BRAIN": (2, 0),
        "CPU": (0, 2),
    }
    assert la.ready == today + timedelta(13)
    with pytest.raises(ValidationFailed) as refused:
        availability.create_requests(actor=manager, order=order)
    assert refused.value.errors == {"lines": ["Nothing on this order needs to be bought."]}
    assert request.lines.count() == 2


def test_a_service_line_needs_nothing(world):
    f, order, manager, today = world
    from fabrika.catalog.models import Product
    from fabrika.sales.services import order_update

    setup = Product.objects.create(code="SETUP", name="Setup", unit=f.p["CASE"].unit, type=Product.Type.SERVICE)
    order = order_update(
        actor=manager,
        order=order,
        data={},
        lines=[
            {"product": f.p["ROBOT"], "qty": D(12), "price": D("1450.00")},
            {"product": setup, "qty": D(1), "price": D("300.00")},
        ],
    )
    robots, service = availability.analyse(order).lines
    assert (service.ordered, service.to_produce, service.to_purchase, service.parts, service.ready) == (
        1,
        0,
        0,
        [],
        today,
    )
    assert {p.code: q for p, q, _d in availability.analyse(order).purchases.values()} == {"BOARD": 2, "CPU": 4}


def test_a_phantom_node_has_no_lead_time_of_its_own(world):
    """The brain made a phantom of the robot's BOM: the release explodes it into the robot's own
    order, so its day of lead time drops out of the ready date (quantities unchanged).
    Now: CPUs today + 10 → robots + 2 = today + 12. By the promised date: CPUs today + 18 (the open
    brain order, due today + 3, is still used first) → robots today + 20."""
    from fabrika.production.models import BomLine

    f, order, manager, today = world
    BomLine.objects.filter(bom__product=f.p["ROBOT"], component=f.p["BRAIN"]).update(phantom=True)
    [la] = availability.analyse(order).lines
    assert parts_of(la)[5] == (1, "BRAIN", 10, 0, 0, 10, 0)
    assert [p.product.code for p in la.parts if p.phantom] == ["BRAIN"]
    assert la.ready == today + timedelta(12)
    [later] = availability.analyse(order, as_of=order.promised_date).lines
    assert parts_of(later)[5] == (1, "BRAIN", 10, 0, 2, 8, 0)
    assert later.ready == today + timedelta(20)
