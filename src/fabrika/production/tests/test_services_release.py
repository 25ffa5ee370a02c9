"""Releasing orders at once: child orders for short nodes at every level, netting free stock, written in
bulk with their numbers, materials, operations, field-change records and events."""

from decimal import Decimal as D

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from fabrika.audit.models import BusinessEvent
from fabrika.catalog.models import Product
from fabrika.production.models import OrderLine, ProductionOrder
from fabrika.production.services import bom_save, order_create, order_release, orders_release, techcard_save

from .factory import build, receive

pytestmark = pytest.mark.django_db
S = ProductionOrder.State


@pytest.fixture
def f():
    """The robot factory with a third level: the brain is a board and a core; the core is a processor
    soldered onto a carrier (scrap 10 %). Two cores are in stock."""
    f = build()
    pcs = f.p["CASE"].unit
    f.p["CORE"] = Product.objects.create(code="CORE", name="Core", unit=pcs, type="node")
    f.p["CARRIER"] = Product.objects.create(code="CARRIER", name="Carrier", unit=pcs)
    bom_save(
        actor=None,
        product=f.p["CORE"],
        data={},
        lines=[{"component": f.p["CPU"], "qty": 1}, {"component": f.p["CARRIER"], "qty": 1, "scrap_pct": 10}],
    )
    techcard_save(
        actor=None,
        product=f.p["CORE"],
        data={},
        operations=[{"name": "Place", "work_centre": f.smt, "run_minutes": 2, "labour_rate": "30.00"}],
    )
    bom_save(
        actor=None,
        product=f.p["BRAIN"],
        data={"name": "v2"},
        lines=[{"component": f.p["BOARD"], "qty": 1}, {"component": f.p["CORE"], "qty": 1}],
    )
    from fabrika.production.services import bom_activate

    bom_activate(actor=None, bom=f.p["BRAIN"].boms.get(version=2))
    receive(f.p["CORE"], 2, "90.00", f.main)
    return f


def robots(f, qty, **data):
    return order_create(actor=None, data={"product": f.p["ROBOT"], "qty": D(qty), "input_warehouse": f.main, **data})


def test_children_at_every_level_net_the_free_stock_of_each_level(f):
    order = robots(f, 5, planned_start="2026-04-01", source_label="Robokids")
    order_release(actor=None, order=order)
    [brain] = order.children.all()
    assert (brain.product.code, brain.qty, brain.state) == ("BRAIN", D(5), S.RELEASED)
    # 5 brains need 5 cores; 2 are in stock: a child order makes the other 3.
    [core] = brain.children.all()
    assert (core.product.code, core.qty, core.state, core.parent) == ("CORE", D(3), S.RELEASED, brain)
    for child in (brain, core):
        assert (child.input_warehouse, child.output_warehouse) == (f.main, f.main)
        assert str(child.planned_start) == str(child.planned_finish) == "2026-04-01"
        assert child.source_label == "Robokids" and child.released_at is not None
    # Numbers follow the order the children were decided in.
    assert int(core.number.rsplit("-", 1)[1]) == int(brain.number.rsplit("-", 1)[1]) + 1
    # Materials and operations are copied as order_create copies them (the core's scrap included).
    assert [(line.role, line.product.code, line.qty_per_unit, line.scrap_pct) for line in core.lines.all()] == [
        ("in", "CPU", D(1), D(0)),
        ("in", "CARRIER", D(1), D(10)),
        ("out", "CORE", D(1), D(0)),
    ]
    assert [(op.name, op.work_centre, op.run_minutes, op.labour_rate) for op in core.operations.all()] == [
        ("Place", f.smt, D(2), D("30.00"))
    ]
    assert core.bom == f.p["CORE"].boms.get() and core.tech_card == f.p["CORE"].tech_cards.get()
    # Each child has its creation in the field history and a "created" event; the order its release.
    ct = ContentType.objects.get_for_model(ProductionOrder)
    [created] = LogEntry.objects.filter(content_type=ct, object_id=core.pk)
    assert created.action == LogEntry.Action.CREATE
    assert created.changes["state"] == ["None", "released"] and created.changes["number"] == ["None", core.number]
    [released] = LogEntry.objects.filter(content_type=ct, object_id=order.pk, action=LogEntry.Action.UPDATE)
    assert released.changes["state"] == ["draft", "released"]
    assert BusinessEvent.objects.filter(event="production.order_created", object_id=str(core.pk)).exists()
    event = BusinessEvent.objects.get(event="production.order_released", object_id=str(order.pk))
    assert event.data["children"] == [brain.number, core.number]
    order.refresh_from_db()
    assert (order.state, order.released_at is not None) == (S.RELEASED, True)


def test_the_same_children_as_releasing_one_by_one(f):
    """Two orders released at once net the stock in their sequence: the first takes the two cores."""
    first, second = robots(f, 2, planned_start="2026-04-01"), robots(f, 3, planned_start="2026-04-02")
    released = orders_release(actor=None, orders=[second, first])
    assert [o.number for o in released[:2]] == [first.number, second.number]
    made = {
        (o.parent.parent.number if o.product.code == "CORE" else o.parent.number, o.product.code): o.qty
        for o in released[2:]
    }
    # First: 2 brains; their 2 cores come from stock. Second: 3 brains and 3 cores to make.
    assert made == {
        (first.number, "BRAIN"): D(2),
        (second.number, "BRAIN"): D(3),
        (second.number, "CORE"): D(3),
    }
    # Released orders' needs count against the stock later: a third order gets all its cores made.
    third = robots(f, 1)
    order_release(actor=None, order=third)
    brain = third.children.get()
    assert brain.children.get().qty == D(1)


def test_children_can_be_made_and_the_parent_finished(f):
    receive(f.p["CARRIER"], 5, "5.00", f.main)
    from fabrika.production.services import order_report

    order = robots(f, 2)
    order_release(actor=None, order=order)
    brain = order.children.get()
    # Both cores come from stock: no core order.
    assert not brain.children.exists()
    order_report(actor=None, order=brain, qty=D(2))
    order_report(actor=None, order=order, qty=D(2))
    order.refresh_from_db()
    assert order.state == S.DONE
    assert OrderLine.objects.get(order=brain, product=f.p["CORE"]).qty_posted == D(2)


def test_nothing_is_released_when_one_order_cannot_be(f):
    draft, done = robots(f, 1), robots(f, 1)
    order_release(actor=None, order=done)
    from fabrika.core.errors import IllegalTransition

    with pytest.raises(IllegalTransition):
        orders_release(actor=None, orders=[draft, done])
    draft.refresh_from_db()
    assert draft.state == S.DRAFT and not draft.children.exists()
    assert ProductionOrder.objects.count() == 3  # the two robots and the brain of the released one
