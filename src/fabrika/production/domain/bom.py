"""Bills of materials: explosion, totals, cycles, where-used.

A BOM is given as a mapping ``product id → lines``; each line says how much of a component one
unit of the parent needs, in the component's base unit, with an optional scrap percentage and a
phantom flag. A product absent from the mapping (or with no lines) is a leaf: bought or stocked.

Quantities are exact: every multiplication runs in a context wide enough never to round (and
trapping ``Inexact`` in case it ever would), so a deep BOM with scrap keeps every digit.
Callers quantize for display or posting.

Every walk is iterative (an explicit stack), so deep BOMs never hit Python's recursion limit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow

ZERO = Decimal(0)
ONE = Decimal(1)

# Multiplication and addition in this context are exact: the result keeps all its digits.
EXACT = Context(
    prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact]
)
_mul = EXACT.multiply
_add = EXACT.add


@dataclass(frozen=True, slots=True)
class BomLine:
    component: int
    qty: Decimal  # per 1 unit of the parent, in the component's base unit
    scrap_pct: Decimal = ZERO
    phantom: bool = False


Boms = Mapping[int, Sequence[BomLine]]
Expand = Callable[[int], bool]


class BomCycle(Exception):
    """A product contains itself; ``path`` closes the loop, e.g. [A, B, C, A]."""

    def __init__(self, path: Sequence[int]):
        self.path = list(path)
        super().__init__("BOM cycle: " + " -> ".join(str(p) for p in self.path))


def scrap_factor(scrap_pct: Decimal) -> Decimal:
    """1 + scrap_pct / 100, exact."""
    if not scrap_pct:
        return ONE
    return _add(ONE, EXACT.scaleb(Decimal(scrap_pct), -2))


def gross(line: BomLine, parent_qty: Decimal) -> Decimal:
    """parent_qty × line.qty × (1 + scrap_pct / 100), exact (no rounding)."""
    q = _mul(parent_qty, line.qty)
    if line.scrap_pct:
        q = _mul(q, scrap_factor(line.scrap_pct))
    return q


def find_cycle(boms: Boms, start: int | None = None) -> list[int] | None:
    """A cycle reachable from ``start`` (or from any product), as the path that closes it; None on a DAG."""
    grey, black = 1, 2
    state: dict[int, int] = {}
    roots = [start] if start is not None else list(boms)
    for root in roots:
        if root in state:
            continue  # finished by an earlier walk
        path = [root]
        state[root] = grey
        stack = [iter(boms.get(root) or ())]
        while stack:
            line = next(stack[-1], None)
            if line is None:
                state[path.pop()] = black
                stack.pop()
                continue
            component = line.component
            seen = state.get(component)
            if seen is None:
                state[component] = grey
                path.append(component)
                stack.append(iter(boms.get(component) or ()))
            elif seen == grey:
                return path[path.index(component) :] + [component]
    return None


@dataclass(slots=True)
class ExplodedLine:
    level: int  # 1 = direct child of the root
    path: tuple[int, ...]  # ancestors from the root, excluding self
    component: int
    qty_per: Decimal  # the BOM line's quantity per unit of its parent
    qty: Decimal  # gross total for the requested root quantity
    phantom: bool
    is_leaf: bool  # not expanded: no BOM, or taken from stock (``expand`` said no)
    unit_cost: Decimal | None = None
    cost: Decimal | None = None


def explode(boms: Boms, product: int, qty: Decimal, *, expand: Expand | None = None) -> list[ExplodedLine]:
    """The indented explosion of ``qty`` of ``product``: depth-first, in BOM line order, all levels.

    ``expand(component)``, when given, is asked for every component that has a BOM and is not a
    phantom; False keeps the node unexpanded (a leaf: taken from stock). Phantoms are always
    expanded and listed with ``phantom=True``. The root itself is always expanded.
    Raises BomCycle when a component contains itself.
    """
    out: list[ExplodedLine] = []
    append = out.append
    on_path = {product}
    root_path = (product,)
    # A frame: the iterator over a parent's lines, the parent's gross qty, the path to its children.
    stack = [(iter(boms.get(product) or ()), qty, root_path)]
    while stack:
        lines, parent_qty, path = stack[-1]
        line = next(lines, None)
        if line is None:
            stack.pop()
            on_path.discard(path[-1])
            continue
        component = line.component
        if component in on_path:
            raise BomCycle(list(path[path.index(component) :]) + [component])
        q = _mul(parent_qty, line.qty)
        if line.scrap_pct:
            q = _mul(q, scrap_factor(line.scrap_pct))
        children = boms.get(component)
        expanding = bool(children) and (line.phantom or expand is None or expand(component))
        append(ExplodedLine(len(stack), path, component, line.qty, q, line.phantom, not expanding))
        if expanding:
            on_path.add(component)
            stack.append((iter(children), q, path + (component,)))
    return out


def summarize(lines: Sequence[ExplodedLine], *, leaves_only: bool = True) -> dict[int, Decimal]:
    """Total quantity per component over an explosion, in order of first appearance.

    Leaves only by default (what has to be issued from stock or bought). With
    ``leaves_only=False``: every component that is not a phantom node, nodes included (a phantom
    without a BOM is a leaf and is counted).
    """
    totals: dict[int, Decimal] = {}
    for line in lines:
        if line.is_leaf if leaves_only else (line.is_leaf or not line.phantom):
            c = line.component
            totals[c] = _add(totals[c], line.qty) if c in totals else line.qty
    return totals


def _parents(boms: Boms) -> dict[int, dict[int, None]]:
    """component → the products whose BOM uses it directly (an ordered set, in mapping order)."""
    parents: dict[int, dict[int, None]] = {}
    for parent, lines in boms.items():
        for line in lines or ():
            parents.setdefault(line.component, {})[parent] = None
    return parents


def used_in(boms: Boms, component: int) -> set[int]:
    """The products whose BOM uses ``component`` directly."""
    return {parent for parent, lines in boms.items() if any(line.component == component for line in lines or ())}


def where_used(boms: Boms, component: int) -> list[tuple[int, ...]]:
    """Every path from a top-level product (used nowhere as a component) down to a direct parent of ``component``.

    Sorted. Raises BomCycle when climbing meets a loop.
    """
    parents = _parents(boms)
    found: set[tuple[int, ...]] = set()
    stack = [(component,)]  # chains climbing upwards: (component, its parent, the parent's parent, ...)
    while stack:
        chain = stack.pop()
        users = parents.get(chain[-1])
        if not users:
            if len(chain) > 1:
                found.add(chain[:0:-1])
            continue
        for user in users:
            if user in chain:
                raise BomCycle([user, *chain[chain.index(user) :][::-1]])
            stack.append(chain + (user,))
    return sorted(found)
