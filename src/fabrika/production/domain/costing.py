"""Cost roll-up of a product through its BOM and tech cards.

Leaves are valued at their unit cost: material = round2(qty × unit cost), 0 and flagged
``missing_cost`` when the cost is unknown. A made node (root included) costs the sum of its
children's totals plus its own operations at its exploded quantity:

    hours = setup_hours + run_hours_per_unit × qty
    labour = round2(hours × labour_rate), overhead = round2(hours × overhead_rate)

Rounding happens once per leaf and once per operation; sums of rounded values are exact, so
``rollup(...).total`` equals the sum of the leaf costs and operation costs of the explosion.
Phantom nodes are costed like any node (their children, and their own operations if any).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from fabrika.inventory.domain.money import ZERO_VALUE, money, unit_cost

from .bom import EXACT, Boms, Expand, ExplodedLine, explode

_mul = EXACT.multiply
_add = EXACT.add


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    setup_hours: Decimal
    run_hours_per_unit: Decimal
    labour_rate: Decimal  # per hour
    overhead_rate: Decimal  # per hour, the work centre's hourly rate included


def operation_cost(op: Operation, qty: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(hours, labour, overhead) of one operation for ``qty`` units; hours exact, money to 2 places."""
    hours = _add(op.setup_hours, _mul(op.run_hours_per_unit, qty))
    return hours, money(_mul(hours, op.labour_rate)), money(_mul(hours, op.overhead_rate))


@dataclass(slots=True)
class CostNode:
    product: int
    qty: Decimal
    level: int  # 0 = the root
    material: Decimal = ZERO_VALUE  # leaf: round2(qty × unit_cost); node: the children's totals
    labour: Decimal = ZERO_VALUE  # the node's own operations
    overhead: Decimal = ZERO_VALUE
    children: list[CostNode] = field(default_factory=list)
    unit_cost: Decimal | None = None  # leaves: the unit cost used; None for made nodes
    missing_cost: bool = False  # a leaf without a unit cost, or a node with such a leaf below it
    phantom: bool = False
    hours: Decimal = ZERO_VALUE  # the node's own operation hours (exact)
    is_leaf: bool = False

    @property
    def total(self) -> Decimal:
        return self.material + self.labour + self.overhead

    @property
    def cost_per_unit(self) -> Decimal:
        """total / qty, to 6 places."""
        return unit_cost(self.total, self.qty)


def price_leaves(lines: Sequence[ExplodedLine], unit_costs: Mapping[int, Decimal]) -> list[ExplodedLine]:
    """Fill ``unit_cost`` and ``cost`` (round2(qty × unit cost)) on the leaf lines of an explosion, in place.

    A leaf without a known unit cost keeps None in both fields.
    """
    for line in lines:
        if line.is_leaf:
            price = unit_costs.get(line.component)
            line.unit_cost = price
            line.cost = None if price is None else money(_mul(line.qty, price))
    return list(lines)


def rollup(
    boms: Boms,
    product: int,
    qty: Decimal,
    *,
    unit_costs: Mapping[int, Decimal],
    operations: Mapping[int, Sequence[Operation]],
    expand: Expand | None = None,
) -> CostNode:
    """The cost tree of ``qty`` of ``product``; ``expand`` as in :func:`explode`. Raises BomCycle."""
    lines = explode(boms, product, qty, expand=expand)
    root = CostNode(product, qty, 0, is_leaf=not lines)
    nodes = [root]
    stack = [root]  # the open ancestors: stack[level] is the parent of a line at level + 1
    for line in lines:
        del stack[line.level :]
        node = CostNode(line.component, line.qty, line.level, phantom=line.phantom, is_leaf=line.is_leaf)
        stack[-1].children.append(node)
        nodes.append(node)
        if not line.is_leaf:
            stack.append(node)
    # Reversed pre-order visits every child before its parent.
    for node in reversed(nodes):
        if node.is_leaf:
            price = unit_costs.get(node.product)
            if price is None:
                node.missing_cost = True
            else:
                node.unit_cost = price
                node.material = money(_mul(node.qty, price))
            continue
        material = ZERO_VALUE
        missing = False
        for child in node.children:
            material += child.material + child.labour + child.overhead
            missing = missing or child.missing_cost
        node.material = material
        node.missing_cost = missing
        hours, labour, overhead = ZERO_VALUE, ZERO_VALUE, ZERO_VALUE
        for op in operations.get(node.product) or ():
            h, lab, ovh = operation_cost(op, node.qty)
            hours = _add(hours, h)
            labour += lab
            overhead += ovh
        node.hours, node.labour, node.overhead = hours, labour, overhead
    return root


def flatten(node: CostNode) -> list[CostNode]:
    """The tree in pre-order (parents before children, children in BOM order), for printing and export."""
    out: list[CostNode] = []
    stack = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(current.children))
    return out


def totals_by_level(node: CostNode) -> dict[int, dict[str, Decimal]]:
    """Per level (0 = the root): material of the leaves at that level, labour and overhead of its nodes, and total.

    The totals over all levels add up to ``node.total``.
    """
    levels: dict[int, dict[str, Decimal]] = {}
    for current in flatten(node):
        row = levels.setdefault(
            current.level,
            {"material": ZERO_VALUE, "labour": ZERO_VALUE, "overhead": ZERO_VALUE, "total": ZERO_VALUE},
        )
        material = current.material if current.is_leaf else ZERO_VALUE
        row["material"] += material
        row["labour"] += current.labour
        row["overhead"] += current.overhead
        row["total"] += material + current.labour + current.overhead
    return dict(sorted(levels.items()))
