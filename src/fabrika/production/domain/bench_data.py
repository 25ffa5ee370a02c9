"""A generated deep BOM for benchmarks: deterministic from its seed, no database.

``make_deep_bom(levels=5, components=2000)`` builds a product whose BOM is ``levels`` deep and
uses ``components`` distinct leaf components: every leaf sits in exactly one bottom node, the
nodes are grouped level by level up to the root, and some nodes also use shared hardware
(a few leaves reused all over, as bolts are). Some lines carry scrap, some nodes are phantoms.
Ids: the root is 1, nodes count up from 10, leaves from 100_000.
"""

from __future__ import annotations

import random
from decimal import Decimal

from .bom import BomLine, Boms
from .costing import Operation

ROOT = 1
FIRST_NODE = 10
FIRST_LEAF = 100_000

_LEAF_QTYS = [Decimal(q) for q in ("1", "1", "2", "4", "0.5", "0.25", "1.5", "0.125", "6", "12", "0.350")]
_NODE_QTYS = [Decimal(q) for q in ("1", "1", "1", "2")]
_SCRAPS = [Decimal(s) for s in ("0", "0", "0", "0", "1", "2.5", "5", "10")]


def make_deep_bom(
    levels: int = 5, components: int = 2000, seed: int = 42
) -> tuple[Boms, int, dict[int, Decimal], dict[int, list[Operation]]]:
    """(boms, root, unit_costs, operations) of a ``levels``-deep BOM over ``components`` distinct leaves."""
    if levels < 1 or components < 1:
        raise ValueError("levels and components must be at least 1")
    rnd = random.Random(seed)
    leaves = list(range(FIRST_LEAF, FIRST_LEAF + components))
    hardware = leaves[: max(1, min(20, components // 100))]
    boms: dict[int, list[BomLine]] = {}
    operations: dict[int, list[Operation]] = {}
    next_id = FIRST_NODE

    def line(component: int, phantom: bool = False) -> BomLine:
        if component in boms:
            return BomLine(component, rnd.choice(_NODE_QTYS), phantom=phantom)
        return BomLine(component, rnd.choice(_LEAF_QTYS), rnd.choice(_SCRAPS))

    # Bottom up: group the current layer into parents until only the root's children are left.
    # Each grouping level shrinks the layer by about ``fan`` so that ``levels`` levels come out.
    current = leaves
    fan = max(2, round(components ** (1 / levels)))
    for _ in range(levels - 1):
        parents: list[int] = []
        i = 0
        while i < len(current):
            size = rnd.randint(max(1, fan - 2), fan + 2)
            group = current[i : i + size]
            i += size
            node = next_id
            next_id += 1
            bom = [line(c, phantom=c in boms and rnd.random() < 0.1) for c in group]
            if rnd.random() < 0.3:
                bom.append(line(rnd.choice(hardware)))
            boms[node] = bom
            operations[node] = [_operation(rnd, k) for k in range(rnd.randint(1, 3))]
            parents.append(node)
        current = parents
    boms[ROOT] = [line(c) for c in current]
    operations[ROOT] = [_operation(rnd, k) for k in range(3)]
    unit_costs = {leaf: Decimal(rnd.randint(1, 50_000)).scaleb(-2) for leaf in leaves}
    return boms, ROOT, unit_costs, operations


def _operation(rnd: random.Random, k: int) -> Operation:
    return Operation(
        name=f"op {k + 1}",
        setup_hours=Decimal(rnd.randint(0, 8)) / 4,
        run_hours_per_unit=Decimal(rnd.randint(1, 120)).scaleb(-2),
        labour_rate=Decimal(rnd.randint(1500, 4000)).scaleb(-2),
        overhead_rate=Decimal(rnd.randint(500, 3000)).scaleb(-2),
    )
