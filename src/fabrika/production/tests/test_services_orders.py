"""Production orders through the ledger: the robot factory (see factory.py for the numbers)."""

from decimal import Decimal as D

import pytest

from fabrika.core.errors import IllegalTransition, ValidationFailed
from fabrika.inventory.checks import check_ledger
from fabrika.inventory.errors import InsufficientStock
from fabrika.inventory.models import Balance, StockMove
from fabrika.production import queries
from fabrika.production.errors import BomCycleRefused, ChildrenOpen, ComponentsShort
from fabrika.production.models import OrderLine, ProductionOrder
from fabrika.production.services import (
    bom_save,
    order_cancel,
    order_create,
    order_finish,
    order_release,
    order_report,
)

from .factory import build, receive

pytestmark = pytest.mark.django_db
S = ProductionOrder.State


def on_hand(product, wh):
    b = Balance.objects.filter(product=product, warehouse=wh).first()
    return (b.qty, b.value) if b else (D(0), D("0.00"))


def state_of_ledger():
    return (
        StockMove.objects.count(),
        sorted(Balance.objects.values_list("product_id", "warehouse_id", "qty", "value", "reserved")),
    )


@pytest.fixture
def f():
    return build()


def robot_order(f, qty=5, **data):
    return order_create(actor=None, data={"product": f.p["ROBOT"], "qty": D(qty), "input_warehouse": f.main, **data})


def test_two_stage_robots_cost_what_they_consumed_plus_operations(f):
    order = robot_order(f)
    assert order.number.startswith("PO-")
    assert [(line.role, line.product.code, line.qty_per_unit) for line in order.lines.all()] == [
        ("in", "CASE", D(1)),
        ("in", "KIT", D(1)),
        ("in", "PERIPH", D(1)),
        ("in", "BOLT", D(20)),
        ("in", "BRAIN", D(1)),
        ("out", "ROBOT", D(1)),
    ]
    order_release(actor=None, order=order)
    [child] = order.children.all()
    assert (child.product.code, child.qty, child.state) == ("BRAIN", D(5), S.RELEASED)
    assert child.output_warehouse == f.main

    # The parent cannot finish before its child.
    with pytest.raises(ChildrenOpen) as exc:
        order_finish(actor=None, order=order)
    assert child.number in str(exc.value)

    # Stage 1: 5 boards and 5 processors → 5 brains.
    report = order_report(actor=None, order=child, qty=D(5))
    stage1 = {m.product.code: (m.qty, m.value) for m in StockMove.objects.filter(value_group=report.value_group)}
    assert stage1 == {"BOARD": (D(5), D("74.95")), "CPU": (D(5), D("110.00")), "BRAIN": (D(5), D("244.95"))}
    assert (report.labour, report.overhead) == (D("30.00"), D("30.00"))
    child.refresh_from_db()
    assert (child.state, child.qty_done) == (S.DONE, D(5))

    # Stage 2: 5 brains, 5 cases, 5 kits, 5 peripheral sets and 100 bolts → 5 robots.
    report = order_report(actor=None, order=order, qty=D(5))
    moves = StockMove.objects.filter(value_group=report.value_group)
    stage2 = {m.product.code: (m.qty, m.value) for m in moves}
    assert stage2 == {
        "BRAIN": (D(5), D("244.95")),
        "CASE": (D(5), D("602.50")),
        "KIT": (D(5), D("175.50")),
        "PERIPH": (D(5), D("91.25")),
        "BOLT": (D(100), D("13.00")),
        "ROBOT": (D(5), D("1277.20")),
    }
    consumed = sum(v for code, (q, v) in stage2.items() if code != "ROBOT")
    assert stage2["ROBOT"][1] == consumed + report.labour + report.overhead == D("1277.20")
    assert on_hand(f.p["ROBOT"], f.main) == (D(5), D("1277.20"))
    assert on_hand(f.p["BRAIN"], f.main) == (D(0), D("0.00"))
    assert on_hand(f.p["BOLT"], f.main) == (D(400), D("52.00"))
    order.refresh_from_db()
    assert order.state == S.DONE
    assert check_ledger() == []

    # Genealogy: the robots contain the first processor lot; a robot lot lists boards and processors.
    cpu_lots = list(f.p["CPU"].lots.order_by("received_at"))
    brain_lot, robot_lot = queries.lots_containing(cpu_lots[0])
    assert (brain_lot.product.code, robot_lot.product.code) == ("BRAIN", "ROBOT")
    below = {(level, lot.product.code, qty) for level, lot, qty in queries.lots_consumed_by(robot_lot)}
    assert (2, "CPU", D(3)) in below and (2, "CPU", D(2)) in below and (1, "BRAIN", D(5)) in below
    assert (1, "BOLT", D(100)) in below and (2, "BOARD", D(5)) in below


def test_shortage_refusal_names_every_component_and_changes_nothing(f):
    order = robot_order(f, qty=12)
    order_release(actor=None, order=order, children=False)
    before = state_of_ledger()
    with pytest.raises(ComponentsShort) as exc:
        order_report(actor=None, order=order, qty=D(12))
    short = {s["product"]: (D(s["wanted"]), D(s["available"])) for s in exc.value.data["shortages"]}
    assert short == {"CASE": (12, 10), "KIT": (12, 10), "PERIPH": (12, 10), "BRAIN": (12, 0)}
    assert "Not enough components" in str(exc.value) and "Case in Main: wanted 12, available 10" in str(exc.value)
    assert state_of_ledger() == before
    order.refresh_from_db()
    assert (order.state, order.qty_done) == (S.RELEASED, D(0))


def test_partial_completion_scrap_and_actual_times(f):
    brain = order_create(actor=None, data={"product": f.p["BRAIN"], "qty": D(4), "input_warehouse": f.main})
    order_release(actor=None, order=brain)
    op = brain.operations.get()
    # 2 good + 1 scrapped, 50 minutes recorded: 3 boards 44.97 + CPUs 3 × 20 = 60.00;
    # 50 min: labour 25.00, overhead 30 × 5/6 = 25.00 → 2 brains 154.97
    r1 = order_report(actor=None, order=brain, qty=D(2), scrap=D(1), minutes={op.pk: 50})
    assert StockMove.objects.get(value_group=r1.value_group, product=f.p["BRAIN"]).value == D("154.97")
    # The rest at planned times: 2 × 6 min (no second setup): 12 min → 6.00 + 6.00; 2 boards 29.98 + 2 CPUs 50.00
    r2 = order_report(actor=None, order=brain, qty=D(2))
    assert StockMove.objects.get(value_group=r2.value_group, product=f.p["BRAIN"]).value == D("91.98")
    brain.refresh_from_db()
    op.refresh_from_db()
    assert (brain.state, brain.qty_done, brain.qty_scrap, op.actual_minutes) == (S.DONE, D(4), D(1), D(62))
    assert on_hand(f.p["CPU"], f.main) == (D(3), D("75.00"))
    costing = queries.order_costing(brain)
    assert costing["actual"]["material"] == D("184.95")
    assert costing["actual"]["output"] == D("246.95")
    # Planned at average costs: 4 boards 59.96 + 4 CPUs at 23.125 = 92.50; 30 + 24 = 54 min → 27.00 + 27.00
    # Planned at today's average costs (boards 5 left at 14.99, CPUs 3 left at 25.00) for 4 brains:
    # 59.96 + 100.00; 30 + 4 × 6 = 54 min = 0.9 h → labour 27.00, overhead 27.00
    planned = costing["planned"]
    assert (planned["material"], planned["labour"], planned["overhead"], planned["total"], planned["minutes"]) == (
        D("159.96"),
        D("27.00"),
        D("27.00"),
        D("213.96"),
        D(54),
    )
    with pytest.raises(ValidationFailed):
        order_report(actor=None, order=brain, qty=D(1))


def test_cancel_reverses_what_was_posted(f):
    before = {code: on_hand(p, f.main) for code, p in f.p.items()}
    order = robot_order(f, qty=2)
    order_release(actor=None, order=order)
    [child] = order.children.all()
    order_report(actor=None, order=child, qty=D(2))
    order_report(actor=None, order=order, qty=D(1), finish=False)
    order_cancel(actor=None, order=order)
    order.refresh_from_db()
    child.refresh_from_db()
    assert (order.state, order.qty_done) == (S.CANCELLED, D(0))
    assert child.state == S.DONE  # made brains stay made; they are stock now
    after = {code: on_hand(p, f.main) for code, p in f.p.items()}
    assert after["ROBOT"] == (D(0), D("0.00"))
    # 2 boards 29.98 + 2 CPUs 40.00 + 42 min (labour 21.00, overhead 21.00)
    assert after["BRAIN"] == (D(2), D("111.98"))
    for code in ("CASE", "KIT", "PERIPH", "BOLT"):
        assert after[code] == before[code]
    assert check_ledger() == []
    with pytest.raises(IllegalTransition):
        order_cancel(actor=None, order=child)


def test_cancel_is_refused_when_the_output_is_gone(f):
    brain = order_create(actor=None, data={"product": f.p["BRAIN"], "qty": D(2), "input_warehouse": f.main})
    order_release(actor=None, order=brain)
    order_report(actor=None, order=brain, qty=D(1))
    # The brain is consumed by a robot: stage 1 cannot be undone any more.
    robot = robot_order(f, qty=1)
    order_release(actor=None, order=robot, children=False)
    order_report(actor=None, order=robot, qty=D(1))
    before = state_of_ledger()
    with pytest.raises(InsufficientStock) as exc:
        order_cancel(actor=None, order=brain)
    assert "Brain" in str(exc.value)
    assert state_of_ledger() == before
    brain.refresh_from_db()
    assert (brain.state, brain.qty_done) == (S.IN_PROGRESS, D(1))


def test_disassembly_splits_the_robot_cost_exactly_over_its_parts(f):
    receive(f.p["ROBOT"], 1, "300.00", f.main)
    order = order_create(
        actor=None,
        data={"kind": "disassembly", "product": f.p["ROBOT"], "qty": D(1), "input_warehouse": f.main},
    )
    outputs = {line.product.code: line.share for line in order.lines.filter(role=OrderLine.Role.OUTPUT)}
    # Shares are standard (average) costs × quantity: bolts 20 × 0.13; the brain has no stock → rolled up
    # (board 14.99 + CPU (60 + 125) / 8 = 23.125 → 23.13) + solder 36 min at 30 + 30/h = 18.00 + 18.00 → 74.12
    assert outputs == {
        "CASE": D("120.50"),
        "KIT": D("35.10"),
        "PERIPH": D("18.25"),
        "BOLT": D("2.60"),
        "BRAIN": D("74.12"),
    }
    order_release(actor=None, order=order)
    report = order_report(actor=None, order=order, qty=D(1))
    values = {
        m.product.code: m.value
        for m in StockMove.objects.filter(value_group=report.value_group, value_share__isnull=False)
    }
    assert sum(values.values()) == D("300.00")
    # 30,000 cents × share / 250.57: 14427.11, 4202.42, 2185.02, 311.29, 8874.17 → floors sum to 29,999;
    # the last cent goes to the largest remainder (the kit)
    assert values == {
        "CASE": D("144.27"),
        "KIT": D("42.03"),
        "PERIPH": D("21.85"),
        "BOLT": D("3.11"),
        "BRAIN": D("88.74"),
    }
    assert check_ledger() == []


def test_conversion_moves_the_cost_to_the_other_product(f):
    order = order_create(
        actor=None,
        data={
            "kind": "conversion",
            "product": f.p["CASE"],
            "qty": D(2),
            "input_warehouse": f.main,
            "target": f.p["KIT"],
        },
    )
    order_release(actor=None, order=order)
    order_report(actor=None, order=order, qty=D(2))
    assert on_hand(f.p["CASE"], f.main) == (D(8), D("964.00"))
    assert on_hand(f.p["KIT"], f.main) == (D(12), D("592.00"))


def test_order_with_its_own_bom(f):
    big_case = f.p["CASE"].__class__.objects.create(code="CASE-XL", name="Big case", unit=f.p["CASE"].unit)
    receive(big_case, 2, "400.00", f.main)
    lines = [
        {"product": big_case, "qty_per_unit": 1},
        {"product": f.p["KIT"], "qty_per_unit": 1},
        {"product": f.p["BOARD"], "qty_per_unit": 2},
    ]
    order = robot_order(f, qty=2, note="custom")
    from fabrika.production.services import order_update

    order_update(actor=None, order=order, data={}, lines=lines)
    order_release(actor=None, order=order)
    order_report(actor=None, order=order, qty=D(2))
    # 2 big cases 400.00 + 2 kits 70.20 + 4 boards 59.96 + 2 × 45 min: 36.00 + 24.00
    assert on_hand(f.p["ROBOT"], f.main) == (D(2), D("590.16"))
    # The product's BOM is unchanged.
    assert [line.component.code for line in queries.active_bom(f.p["ROBOT"]).lines.all()] == [
        "CASE",
        "KIT",
        "PERIPH",
        "BOLT",
        "BRAIN",
    ]


def test_cycles_are_refused_with_their_path(f):
    with pytest.raises(BomCycleRefused) as exc:
        bom_save(actor=None, product=f.p["BRAIN"], data={}, lines=[{"component": f.p["ROBOT"], "qty": 1}])
    assert exc.value.data["path"] == ["BRAIN", "ROBOT", "BRAIN"]
    assert "BRAIN → ROBOT → BRAIN" in str(exc.value)
    assert [line.component.code for line in queries.active_bom(f.p["BRAIN"]).lines.all()] == ["BOARD", "CPU"]


def test_phantom_is_exploded_into_the_order(f):
    pcs = f.p["CASE"].unit
    frame = f.p["CASE"].__class__.objects.create(code="FRAME", name="Frame kit", unit=pcs, type="node")
    bom_save(
        actor=None,
        product=frame,
        data={},
        lines=[{"component": f.p["CASE"], "qty": 1}, {"component": f.p["BOLT"], "qty": 8, "scrap_pct": 25}],
    )
    bom_save(
        actor=None,
        product=f.p["ROBOT"],
        data={"name": "v2"},
        lines=[{"component": frame, "qty": 1, "phantom": True}, {"component": f.p["BRAIN"], "qty": 1}],
    )
    from fabrika.production.services import bom_activate

    v2 = f.p["ROBOT"].boms.get(version=2)
    bom_activate(actor=None, bom=v2)
    order = robot_order(f, qty=1)
    assert [(line.product.code, line.qty_per_unit, line.scrap_pct) for line in order.lines.filter(role="in")] == [
        ("CASE", D(1), D(0)),
        ("BOLT", D(8), D(25)),
        ("BRAIN", D(1), D(0)),
    ]


def test_shortage_analysis_through_every_level(f):
    order = robot_order(f, qty=12)
    rows = queries.shortages([order])
    got = [(r.level, r.product.code, r.required, r.available, r.short, r.make) for r in rows]
    # 12 robots: cases/kits/peripherals 10 in stock; 240 bolts fine; 12 brains to make from
    # 10 boards and 8 CPUs → 2 boards and 4 CPUs short.
    assert got == [
        (1, "CASE", D(12), D(10), D(2), False),
        (1, "KIT", D(12), D(10), D(2), False),
        (1, "PERIPH", D(12), D(10), D(2), False),
        (1, "BRAIN", D(12), D(0), D(12), True),
        (2, "BOARD", D(12), D(10), D(2), False),
        (2, "CPU", D(12), D(8), D(4), False),
    ]
