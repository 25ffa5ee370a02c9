"""Cost roll-up of the robot, worked out by hand to the cent (no database)."""

from decimal import Decimal as D

from fabrika.production.domain.bom import BomLine, explode
from fabrika.production.domain.costing import (
    CostNode,
    Operation,
    flatten,
    operation_cost,
    price_leaves,
    rollup,
    totals_by_level,
)

from .test_domain_bom import BOARD, BOLT, BRAIN, CASE, CPU, KIT, PERIPHERALS, ROBOT, ROBOT_BOMS

UNIT_COSTS = {
    CASE: D("120.50"),
    KIT: D("35.10"),
    PERIPHERALS: D("48.30"),
    BOLT: D("0.13"),
    BOARD: D("14.99"),
    CPU: D("22.47"),
}
OPERATIONS = {
    ROBOT: [
        Operation("assembly", D("1.0"), D("0.75"), labour_rate=D("20.00"), overhead_rate=D("12.40")),
        Operation("test", D("0.25"), D("0.1"), labour_rate=D("22.50"), overhead_rate=D("5.35")),
    ],
    BRAIN: [Operation("soldering", D("0.5"), D("0.25"), labour_rate=D("18.00"), overhead_rate=D("7.50"))],
}


def test_operation_cost_rounds_money_half_up():
    soldering = OPERATIONS[BRAIN][0]

    # 0.5 + 0.25 × 5 = 1.75 h; 1.75 × 18.00 = 31.50; 1.75 × 7.50 = 13.125 → 13.13
    assert operation_cost(soldering, D(5)) == (D("1.75"), D("31.50"), D("13.13"))
    # setup only
    assert operation_cost(soldering, D(0)) == (D("0.5"), D("9.00"), D("3.75"))


def test_robot_rollup_by_hand():
    root = rollup(ROBOT_BOMS, ROBOT, D(5), unit_costs=UNIT_COSTS, operations=OPERATIONS)

    # Leaves: case 5 × 120.50 = 602.50, kit 5 × 35.10 = 175.50, peripherals 5 × 48.30 = 241.50,
    # bolts 100 × 0.13 = 13.00, board 5 × 14.99 = 74.95, processor 5 × 22.47 = 112.35.
    # Brain: material 74.95 + 112.35 = 187.30; soldering 1.75 h → 31.50 + 13.13 → total 231.93.
    # Robot: material 602.50 + 175.50 + 241.50 + 13.00 + 231.93 = 1264.43;
    # assembly 1 + 0.75 × 5 = 4.75 h → 95.00 + 58.90; test 0.25 + 0.1 × 5 = 0.75 h → 16.875 → 16.88, 4.0125 → 4.01.
    assert (root.product, root.qty, root.level) == (ROBOT, D(5), 0)
    assert root.material == D("1264.43")
    assert root.labour == D("111.88")
    assert root.overhead == D("62.91")
    assert root.total == D("1439.22")
    assert root.hours == D("5.50")
    assert root.missing_cost is False and root.unit_cost is None
    assert root.cost_per_unit == D("287.844000")

    case, kit, peripherals, bolts, brain = root.children
    assert [(n.product, n.qty, n.level, n.material, n.unit_cost) for n in (case, kit, peripherals, bolts)] == [
        (CASE, D(5), 1, D("602.50"), D("120.50")),
        (KIT, D(5), 1, D("175.50"), D("35.10")),
        (PERIPHERALS, D(5), 1, D("241.50"), D("48.30")),
        (BOLT, D(100), 1, D("13.00"), D("0.13")),
    ]
    assert all(n.labour == n.overhead == 0 and n.children == [] for n in (case, kit, peripherals, bolts))
    assert (brain.product, brain.level, brain.material, brain.labour, brain.overhead) == (
        BRAIN,
        1,
        D("187.30"),
        D("31.50"),
        D("13.13"),
    )
    assert brain.total == D("231.93")
    assert [(n.product, n.level, n.total) for n in brain.children] == [(BOARD, 2, D("74.95")), (CPU, 2, D("112.35"))]


def test_flatten_and_totals_by_level():
    root = rollup(ROBOT_BOMS, ROBOT, D(5), unit_costs=UNIT_COSTS, operations=OPERATIONS)

    assert [(n.level, n.product) for n in flatten(root)] == [
        (0, ROBOT),
        (1, CASE),
        (1, KIT),
        (1, PERIPHERALS),
        (1, BOLT),
        (1, BRAIN),
        (2, BOARD),
        (2, CPU),
    ]
    levels = totals_by_level(root)
    assert levels == {
        0: {"material": D("0.00"), "labour": D("111.88"), "overhead": D("62.91"), "total": D("174.79")},
        1: {"material": D("1032.50"), "labour": D("31.50"), "overhead": D("13.13"), "total": D("1077.13")},
        2: {"material": D("187.30"), "labour": D("0.00"), "overhead": D("0.00"), "total": D("187.30")},
    }
    assert sum(level["total"] for level in levels.values()) == root.total


def test_missing_unit_cost_is_flagged_up_the_tree():
    costs = {k: v for k, v in UNIT_COSTS.items() if k != CPU}

    root = rollup(ROBOT_BOMS, ROBOT, D(5), unit_costs=costs, operations=OPERATIONS)

    brain = root.children[-1]
    cpu = brain.children[-1]
    assert (cpu.material, cpu.unit_cost, cpu.missing_cost) == (D(0), None, True)
    assert brain.missing_cost and root.missing_cost
    assert not root.children[0].missing_cost
    assert root.total == D("1439.22") - D("112.35")


def test_node_taken_from_stock_is_costed_as_a_leaf():
    costs = {**UNIT_COSTS, BRAIN: D("40.00")}

    root = rollup(
        ROBOT_BOMS, ROBOT, D(5), unit_costs=costs, operations=OPERATIONS, expand=lambda component: component != BRAIN
    )

    brain = root.children[-1]
    assert brain.is_leaf and brain.children == [] and brain.labour == 0
    assert brain.material == D("200.00")
    assert root.material == D("602.50") + D("175.50") + D("241.50") + D("13.00") + D("200.00")


def test_phantom_contributes_children_and_its_own_operations():
    boms = {**ROBOT_BOMS, ROBOT: [BomLine(CASE, D(1)), BomLine(BRAIN, D(1), phantom=True)]}
    ops = {BRAIN: [Operation("kitting", D(0), D("0.1"), D("10.00"), D("0.00"))]}

    root = rollup(boms, ROBOT, D(5), unit_costs=UNIT_COSTS, operations=ops)

    brain = root.children[1]
    assert brain.phantom and not brain.is_leaf
    assert (brain.material, brain.labour) == (D("187.30"), D("5.00"))
    assert root.total == D("602.50") + D("187.30") + D("5.00")


def test_a_leaf_root_is_valued_at_its_unit_cost():
    root = rollup(ROBOT_BOMS, BOLT, D(250), unit_costs=UNIT_COSTS, operations=OPERATIONS)

    assert root == CostNode(BOLT, D(250), 0, D("32.50"), unit_cost=D("0.13"), is_leaf=True)
    assert root.total == D("32.50")


def test_price_leaves_fills_the_exploded_lines():
    lines = price_leaves(explode(ROBOT_BOMS, ROBOT, D(5)), UNIT_COSTS)

    assert [(line.component, line.unit_cost, line.cost) for line in lines] == [
        (CASE, D("120.50"), D("602.50")),
        (KIT, D("35.10"), D("175.50")),
        (PERIPHERALS, D("48.30"), D("241.50")),
        (BOLT, D("0.13"), D("13.00")),
        (BRAIN, None, None),
        (BOARD, D("14.99"), D("74.95")),
        (CPU, D("22.47"), D("112.35")),
    ]
