"""BOM explosion, totals, cycles and where-used on small hand-checked examples (no database)."""

from decimal import Decimal as D
from fractions import Fraction

import pytest

from fabrika.production.domain.bom import (
    BomCycle,
    BomLine,
    ExplodedLine,
    explode,
    find_cycle,
    gross,
    summarize,
    used_in,
    where_used,
)

ROBOT, CASE, KIT, PERIPHERALS, BOLT, BRAIN, BOARD, CPU = 1, 2, 3, 4, 5, 6, 7, 8
CABLE, SENSOR = 9, 10

ROBOT_BOMS = {
    ROBOT: [
        BomLine(CASE, D(1)),
        BomLine(KIT, D(1)),
        BomLine(PERIPHERALS, D(1)),
        BomLine(BOLT, D(20)),
        BomLine(BRAIN, D(1)),
    ],
    BRAIN: [BomLine(BOARD, D(1)), BomLine(CPU, D(1))],
}


def as_rows(lines):
    return [(ln.level, ln.path, ln.component, ln.qty_per, ln.qty, ln.phantom, ln.is_leaf) for ln in lines]


def test_robot_explosion_lists_every_level_in_bom_order():
    lines = explode(ROBOT_BOMS, ROBOT, D(5))

    assert as_rows(lines) == [
        (1, (ROBOT,), CASE, D(1), D(5), False, True),
        (1, (ROBOT,), KIT, D(1), D(5), False, True),
        (1, (ROBOT,), PERIPHERALS, D(1), D(5), False, True),
        (1, (ROBOT,), BOLT, D(20), D(100), False, True),
        (1, (ROBOT,), BRAIN, D(1), D(5), False, False),
        (2, (ROBOT, BRAIN), BOARD, D(1), D(5), False, True),
        (2, (ROBOT, BRAIN), CPU, D(1), D(5), False, True),
    ]
    assert all(isinstance(line, ExplodedLine) and line.unit_cost is None and line.cost is None for line in lines)


def test_robot_summary_leaves_and_nodes():
    lines = explode(ROBOT_BOMS, ROBOT, D(5))

    leaves = summarize(lines)
    assert leaves == {CASE: 5, KIT: 5, PERIPHERALS: 5, BOLT: 100, BOARD: 5, CPU: 5}
    assert list(leaves) == [CASE, KIT, PERIPHERALS, BOLT, BOARD, CPU]
    everything = summarize(lines, leaves_only=False)
    assert everything == {CASE: 5, KIT: 5, PERIPHERALS: 5, BOLT: 100, BRAIN: 5, BOARD: 5, CPU: 5}
    assert list(everything) == [CASE, KIT, PERIPHERALS, BOLT, BRAIN, BOARD, CPU]


def test_a_product_without_bom_explodes_to_nothing():
    assert explode(ROBOT_BOMS, BOLT, D(7)) == []
    assert explode({BOLT: []}, BOLT, D(7)) == []
    assert summarize([]) == {}


def test_shared_component_totals_add_up_over_levels():
    boms = {
        ROBOT: [BomLine(BOLT, D(4)), BomLine(BRAIN, D(2))],
        BRAIN: [BomLine(BOLT, D("1.5")), BomLine(BOARD, D(1))],
    }
    lines = explode(boms, ROBOT, D(3))

    assert summarize(lines) == {BOLT: D(12) + D(9), BOARD: D(6)}


def test_scrap_is_added_to_the_gross_quantity():
    boms = {ROBOT: [BomLine(BOLT, D(20), scrap_pct=D(10))]}

    [line] = explode(boms, ROBOT, D(3))

    assert line.qty == D(66)
    assert gross(BomLine(BOLT, D(20), scrap_pct=D(10)), D(3)) == D(66)
    assert gross(BomLine(BOLT, D("0.333"), scrap_pct=D("2.5")), D(7)) == D("2.389275")


def test_gross_keeps_every_digit():
    line = BomLine(BOLT, D("0.333333333333333333"), scrap_pct=D("2.123456789"))
    parent = D("7.123456789012345678")

    q = gross(line, parent)

    exact = Fraction(parent) * Fraction(line.qty) * (1 + Fraction(line.scrap_pct) / 100)
    assert Fraction(q) == exact
    assert len(q.as_tuple().digits) > 28  # more than the default context would keep


def test_scrap_compounds_through_levels_exactly():
    boms = {
        ROBOT: [BomLine(BRAIN, D(2), scrap_pct=D(5))],
        BRAIN: [BomLine(BOARD, D(3), scrap_pct=D("12.5"))],
    }
    lines = explode(boms, ROBOT, D(10))

    assert [line.qty for line in lines] == [D(21), D("70.875")]


def test_phantom_node_is_expanded_and_marked():
    boms = {
        ROBOT: [BomLine(CASE, D(1)), BomLine(KIT, D(1), phantom=True)],
        KIT: [BomLine(CABLE, D(2)), BomLine(SENSOR, D(3))],
    }
    lines = explode(boms, ROBOT, D(5))

    assert as_rows(lines) == [
        (1, (ROBOT,), CASE, D(1), D(5), False, True),
        (1, (ROBOT,), KIT, D(1), D(5), True, False),
        (2, (ROBOT, KIT), CABLE, D(2), D(10), False, True),
        (2, (ROBOT, KIT), SENSOR, D(3), D(15), False, True),
    ]
    assert summarize(lines) == {CASE: 5, CABLE: 10, SENSOR: 15}
    assert summarize(lines, leaves_only=False) == {CASE: 5, CABLE: 10, SENSOR: 15}
    # A phantom is expanded even when the predicate says "take it from stock".
    assert explode(boms, ROBOT, D(5), expand=lambda c: False) == lines


def test_expand_predicate_keeps_a_node_from_stock_as_a_leaf():
    lines = explode(ROBOT_BOMS, ROBOT, D(5), expand=lambda component: component != BRAIN)

    assert [(line.component, line.is_leaf) for line in lines] == [
        (CASE, True),
        (KIT, True),
        (PERIPHERALS, True),
        (BOLT, True),
        (BRAIN, True),
    ]
    assert summarize(lines) == {CASE: 5, KIT: 5, PERIPHERALS: 5, BOLT: 100, BRAIN: 5}
    without_brain_bom = {ROBOT: ROBOT_BOMS[ROBOT]}
    assert lines == explode(without_brain_bom, ROBOT, D(5))


def test_cycle_is_refused_with_its_path():
    a, b, c = 11, 12, 13
    boms = {a: [BomLine(b, D(1))], b: [BomLine(c, D(1))], c: [BomLine(a, D(1))]}

    with pytest.raises(BomCycle) as refused:
        explode(boms, a, D(1))

    assert refused.value.path == [a, b, c, a]
    assert "11 -> 12 -> 13 -> 11" in str(refused.value)
    assert find_cycle(boms, a) == [a, b, c, a]
    assert find_cycle(boms) == [a, b, c, a]


def test_cycle_below_the_root_is_found_from_the_root():
    a, b, c = 11, 12, 13
    boms = {ROBOT: [BomLine(CASE, D(1)), BomLine(a, D(1))], a: [BomLine(b, D(1))], b: [BomLine(c, D(1))]}
    boms[c] = [BomLine(b, D(2))]

    with pytest.raises(BomCycle) as refused:
        explode(boms, ROBOT, D(1))

    assert refused.value.path == [b, c, b]
    assert find_cycle(boms, ROBOT) == [b, c, b]
    assert find_cycle(boms, CASE) is None


def test_self_cycle():
    boms = {ROBOT: [BomLine(CASE, D(1)), BomLine(ROBOT, D(1))]}

    with pytest.raises(BomCycle) as refused:
        explode(boms, ROBOT, D(1))

    assert refused.value.path == [ROBOT, ROBOT]
    assert find_cycle(boms) == [ROBOT, ROBOT]


def test_diamond_is_not_a_cycle():
    top, left, right, bottom = 20, 21, 22, 23
    boms = {
        top: [BomLine(left, D(1)), BomLine(right, D(2))],
        left: [BomLine(bottom, D(3))],
        right: [BomLine(bottom, D(5))],
        bottom: [BomLine(BOLT, D(4))],
    }

    assert find_cycle(boms) is None
    assert find_cycle(boms, top) is None
    assert summarize(explode(boms, top, D(1))) == {BOLT: D(1 * 3 * 4 + 2 * 5 * 4)}


def test_deep_chain_needs_no_recursion():
    depth = 2000  # twice Python's default recursion limit
    boms = {i: [BomLine(i + 1, D(1))] for i in range(depth)}

    lines = explode(boms, 0, D(2))

    assert len(lines) == depth
    assert lines[-1].level == depth and lines[-1].is_leaf and lines[-1].qty == 2
    assert len(lines[-1].path) == depth
    assert find_cycle(boms) is None
    assert where_used(boms, depth) == [tuple(range(depth))]
    boms[depth] = [BomLine(0, D(1))]
    assert find_cycle(boms) == [*range(depth + 1), 0]
    with pytest.raises(BomCycle):
        explode(boms, 0, D(1))


def test_where_used_lists_paths_from_top_level_products():
    boms = {
        ROBOT: ROBOT_BOMS[ROBOT],
        BRAIN: [BomLine(BOARD, D(1)), BomLine(CPU, D(1)), BomLine(BOLT, D(4))],
        30: [BomLine(BRAIN, D(2)), BomLine(BOLT, D(8))],  # a second robot model
        31: [BomLine(CASE, D(1))],
    }

    assert where_used(boms, BOLT) == [(ROBOT,), (ROBOT, BRAIN), (30,), (30, BRAIN)]
    assert where_used(boms, CPU) == [(ROBOT, BRAIN), (30, BRAIN)]
    assert where_used(boms, CASE) == [(ROBOT,), (31,)]
    assert where_used(boms, ROBOT) == []
    assert where_used(boms, 999) == []
    assert used_in(boms, BOLT) == {ROBOT, BRAIN, 30}
    assert used_in(boms, BRAIN) == {ROBOT, 30}
    assert used_in(boms, ROBOT) == set()


def test_where_used_refuses_a_cycle():
    boms = {11: [BomLine(12, D(1))], 12: [BomLine(11, D(1)), BomLine(BOLT, D(1))]}

    with pytest.raises(BomCycle) as refused:
        where_used(boms, BOLT)

    assert refused.value.path == [12, 11, 12]
