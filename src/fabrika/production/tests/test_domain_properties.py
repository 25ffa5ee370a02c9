"""Property-based tests of the production core against simple recursive reference models.

The references work in exact fractions and round money half up by hand, so they share no
arithmetic with the code under test.
"""

import math
from collections import defaultdict
from decimal import Decimal as D
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fabrika.production.domain.allocation import split_value
from fabrika.production.domain.bom import BomCycle, BomLine, explode, find_cycle, summarize
from fabrika.production.domain.costing import Operation, flatten, operation_cost, price_leaves, rollup, totals_by_level

ROOT = 1
MANY = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])

qty_per = st.decimals(min_value=0, max_value=10, places=3)
scrap = st.one_of(st.just(D(0)), st.decimals(min_value=0, max_value=25, places=1))
price = st.decimals(min_value=0, max_value=1000, places=2) | st.decimals(min_value=0, max_value=50, places=6)
hours = st.decimals(min_value=0, max_value=5, places=2)
run_hours = st.decimals(min_value=0, max_value=2, places=3)
rate = st.decimals(min_value=0, max_value=100, places=2)
root_qty = st.decimals(min_value=D("0.001"), max_value=100, places=3)


@st.composite
def bom_dags(draw):
    """A random BOM DAG up to 6 levels deep: lines only point to deeper levels, sub-nodes are shared."""
    depth = draw(st.integers(min_value=1, max_value=6))
    layers = [[ROOT]]
    next_id = ROOT + 1
    for _ in range(depth):
        width = draw(st.integers(min_value=1, max_value=3))
        layers.append(list(range(next_id, next_id + width)))
        next_id += width
    boms = {}
    for level, products in enumerate(layers[:-1]):
        deeper = [p for layer in layers[level + 1 :] for p in layer]
        for product in products:
            if product != ROOT and not draw(st.booleans()):
                continue  # bought: no BOM
            components = draw(st.lists(st.sampled_from(deeper), min_size=1, max_size=3))
            boms[product] = [BomLine(c, draw(qty_per), draw(scrap), draw(st.booleans())) for c in components]
    products = [p for layer in layers for p in layer]
    unit_costs = {p: draw(price) for p in products if draw(st.integers(0, 9)) > 0}  # one in ten has none
    operations = {
        p: [
            Operation(f"op{i}", draw(hours), draw(run_hours), draw(rate), draw(rate))
            for i in range(draw(st.integers(0, 2)))
        ]
        for p in boms
    }
    return boms, products, unit_costs, operations


def fr(x) -> Fraction:
    return Fraction(x)


def round2(x: Fraction) -> Fraction:
    """Half up to the cent (away from zero), by hand."""
    sign = -1 if x < 0 else 1
    return sign * Fraction(math.floor(abs(x) * 100 + Fraction(1, 2)), 100)


def line_qty(line, parent: Fraction) -> Fraction:
    return parent * fr(line.qty) * (1 + fr(line.scrap_pct) / 100)


def reference_leaves(boms, product, qty: Fraction, expand=None) -> dict[int, Fraction]:
    totals = defaultdict(Fraction)

    def walk(parent, parent_qty):
        for line in boms.get(parent) or ():
            q = line_qty(line, parent_qty)
            if boms.get(line.component) and (line.phantom or expand is None or expand(line.component)):
                walk(line.component, q)
            else:
                totals[line.component] += q

    walk(product, qty)
    return dict(totals)


def reference_cost(boms, product, qty: Fraction, unit_costs, operations, expand=None) -> Fraction:
    def ops(p, q):
        total = Fraction(0)
        for op in operations.get(p) or ():
            h = fr(op.setup_hours) + fr(op.run_hours_per_unit) * q
            total += round2(h * fr(op.labour_rate)) + round2(h * fr(op.overhead_rate))
        return total

    def node(p, q, is_root):
        children = boms.get(p)
        if not children:
            return round2(q * fr(unit_costs[p])) if p in unit_costs else Fraction(0)
        total = ops(p, q)
        for line in children:
            cq = line_qty(line, q)
            c = line.component
            if boms.get(c) and not (line.phantom or expand is None or expand(c)):
                total += round2(cq * fr(unit_costs[c])) if c in unit_costs else Fraction(0)
            else:
                total += node(c, cq, False)
        return total

    return node(product, qty, True)


@MANY
@given(bom_dags(), root_qty)
def test_explosion_totals_match_the_reference_and_the_sum_over_levels(dag, qty):
    boms, _, _, _ = dag
    assert find_cycle(boms) is None

    lines = explode(boms, ROOT, qty)

    leaves = summarize(lines)
    assert {c: fr(q) for c, q in leaves.items()} == reference_leaves(boms, ROOT, fr(qty))
    by_level = defaultdict(lambda: defaultdict(Fraction))
    for line in lines:
        if line.is_leaf:
            by_level[line.level][line.component] += fr(line.qty)
    assert {c: fr(q) for c, q in leaves.items()} == {
        c: sum(level[c] for level in by_level.values() if c in level) for c in leaves
    }
    everything = summarize(lines, leaves_only=False)
    assert set(everything) == {line.component for line in lines if line.is_leaf or not line.phantom}
    # Structure: levels step by one, paths name the parents, leaves are exactly the unexpanded lines.
    for before, line in zip([None, *lines], lines, strict=False):
        assert len(line.path) == line.level and line.path[0] == ROOT
        assert line.level == 1 or (before is not None and line.level <= before.level + 1)
        assert line.is_leaf == (not boms.get(line.component))
        assert any(bl.component == line.component for bl in boms[line.path[-1]])


@MANY
@given(bom_dags(), root_qty)
def test_rollup_equals_leaf_costs_plus_operation_costs_of_the_explosion(dag, qty):
    boms, _, unit_costs, operations = dag

    root = rollup(boms, ROOT, qty, unit_costs=unit_costs, operations=operations)

    lines = price_leaves(explode(boms, ROOT, qty), unit_costs)
    material = sum((line.cost for line in lines if line.is_leaf and line.cost is not None), D(0))
    work = D(0)
    for product, q in [(ROOT, qty)] + [(line.component, line.qty) for line in lines if not line.is_leaf]:
        for op in operations.get(product) or ():
            _, labour, overhead = operation_cost(op, q)
            work += labour + overhead
    assert root.total == material + work
    assert fr(root.total) == reference_cost(boms, ROOT, fr(qty), unit_costs, operations)
    assert root.missing_cost == any(line.is_leaf and line.component not in unit_costs for line in lines)
    nodes = flatten(root)
    assert [(n.product, n.qty, n.level) for n in nodes[1:]] == [(x.component, x.qty, x.level) for x in lines]
    assert sum(level["total"] for level in totals_by_level(root).values()) == root.total
    for node in nodes:
        if not node.is_leaf:
            assert node.material == sum((child.total for child in node.children), D(0))


@MANY
@given(bom_dags(), root_qty, st.data())
def test_expand_predicate_equals_removing_those_boms(dag, qty, data):
    boms, products, unit_costs, operations = dag
    phantom_targets = {line.component for lines in boms.values() for line in lines if line.phantom}
    candidates = sorted(p for p in boms if p != ROOT and p not in phantom_targets)
    from_stock = data.draw(st.sets(st.sampled_from(candidates), max_size=3)) if candidates else set()
    trimmed = {p: lines for p, lines in boms.items() if p not in from_stock}

    def expand(component):
        return component not in from_stock

    assert explode(boms, ROOT, qty, expand=expand) == explode(trimmed, ROOT, qty)
    assert reference_leaves(boms, ROOT, fr(qty), expand) == {
        c: fr(q) for c, q in summarize(explode(trimmed, ROOT, qty)).items()
    }
    with_stock = rollup(boms, ROOT, qty, unit_costs=unit_costs, operations=operations, expand=expand)
    assert with_stock.total == rollup(trimmed, ROOT, qty, unit_costs=unit_costs, operations=operations).total
    assert fr(with_stock.total) == reference_cost(boms, ROOT, fr(qty), unit_costs, operations, expand)


@settings(max_examples=300, deadline=None)
@given(bom_dags(), st.data())
def test_a_back_edge_is_reported_as_a_real_cycle(dag, data):
    boms, _, _, _ = dag
    lines = explode(boms, ROOT, D(1))
    deepest = data.draw(st.sampled_from(lines))
    cyclic = {**boms, deepest.component: [*boms.get(deepest.component, ()), BomLine(ROOT, D(1))]}

    path = find_cycle(cyclic, ROOT)

    assert path is not None and path[0] == path[-1] and len(path) >= 2
    for parent, child in zip(path, path[1:], strict=False):
        assert any(line.component == child for line in cyclic[parent])
    try:
        explode(cyclic, ROOT, D(1))
    except BomCycle as refused:
        assert refused.path[0] == refused.path[-1]
        for parent, child in zip(refused.path, refused.path[1:], strict=False):
            assert any(line.component == child for line in cyclic[parent])
    else:
        raise AssertionError("cycle not refused")


@settings(max_examples=1000, deadline=None)
@given(
    st.decimals(min_value=-100_000, max_value=100_000, places=2),
    st.lists(st.decimals(min_value=0, max_value=1000, places=3), min_size=1, max_size=8),
)
def test_split_value_parts_add_up_and_stay_within_a_cent(total, weights):
    parts = split_value(total, weights)

    assert len(parts) == len(weights)
    assert sum(parts) == total
    assert all(part == part.quantize(D("0.01")) for part in parts)
    w = [fr(x) for x in weights] if any(weights) else [Fraction(1)] * len(weights)
    shares = [fr(total) * x / sum(w) for x in w]
    assert all(abs(fr(part) - share) < Fraction(1, 100) for part, share in zip(parts, shares, strict=True))
    # Where the half-up roundings already add up, they are the answer.
    rounded = [round2(share) for share in shares]
    if sum(rounded) == fr(total):
        assert [fr(part) for part in parts] == rounded
