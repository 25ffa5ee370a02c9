"""Section "production": the standard production workload, a deep BOM's explosion and roll-up, and
releasing 265 orders at once. The workload is defined in docs/benchmarks.md ("Standard production
workload"); `plan_workload()` is that definition in code — keep the two in step.

Parts (each runs in its own process on a fresh database):
  workload  the standard workload at SIZE (`--size`): catalogue, receipts, node orders, finished
            orders, shipments, stock report; seconds, documents/s and peak RSS per phase
  bom       a 5-level BOM over 2,000 distinct components: load + explode + summarize + roll-up
  release   265 draft orders over a three-level catalogue released in one `orders_release` call
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal as D

from django.db import transaction

from fabrika.catalog.models import Product, Unit
from fabrika.inventory.checks import check_ledger
from fabrika.inventory.models import Location, StockDocument, StockMove
from fabrika.inventory.services import (
    MoveSpec,
    document_create,
    document_post,
    post_moves,
    storage_of,
    virtual_location,
    warehouse_create,
)
from fabrika.production import queries
from fabrika.production.domain import costing as dcost
from fabrika.production.domain.bench_data import make_deep_bom
from fabrika.production.models import Bom, BomLine, Operation, ProductionOrder, TechCard, WorkCentre
from fabrika.production.services import (
    bom_save,
    order_create,
    order_release,
    order_report,
    orders_release,
    techcard_save,
)

from .common import analyze, log, peak_rss_mb, record, timer

SEED = 42
T = StockDocument.Type


# --- the standard workload: its definition ----------------------------------------------------------


@dataclass
class Plan:
    """Everything the workload posts, decided up front from the seed (no database)."""

    size: int
    components: list[str] = field(default_factory=list)  # codes
    prices: dict[str, D] = field(default_factory=dict)  # list price per component
    nodes: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # node -> [(component, qty)]
    finished: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # product -> [(node or component, qty)]
    operations: dict[str, list[dict]] = field(default_factory=dict)  # made product -> tech card operations
    receipts: list[tuple[str, int, D]] = field(default_factory=list)  # (component, qty, unit price)
    node_orders: list[tuple[str, int]] = field(default_factory=list)  # (node, qty)
    finished_orders: list[tuple[str, int]] = field(default_factory=list)  # (product, qty)
    shipments: list[tuple[str, int]] = field(default_factory=list)  # (product, qty)


def _split(total: int, parts: int) -> list[int]:
    """`total` over `parts` as evenly as possible (the first ones get the extra unit), at least 1 each."""
    base, extra = divmod(total, parts)
    return [max(1, base + (1 if i < extra else 0)) for i in range(parts)]


def plan_workload(size: int, seed: int = SEED) -> Plan:
    rnd = random.Random(seed)
    plan = Plan(size)
    plan.components = [f"C{i:05d}" for i in range(20 * size)]
    for code in plan.components:
        plan.prices[code] = D(rnd.randint(100, 10_000)).scaleb(-2)
    for i in range(3 * size):
        node = f"N{i:04d}"
        plan.nodes[node] = [(c, rnd.randint(1, 4)) for c in rnd.sample(plan.components, rnd.randint(5, 15))]
        plan.operations[node] = [
            {"name": "Assemble node", "centre": "NODE", "setup": rnd.randint(0, 30), "run": rnd.randint(1, 20)}
        ]
    node_codes = list(plan.nodes)
    for i in range(size):
        product = f"F{i:04d}"
        lines = [(n, rnd.randint(1, 2)) for n in rnd.sample(node_codes, rnd.randint(3, 8))]
        lines += [(c, rnd.randint(1, 10)) for c in rnd.sample(plan.components, rnd.randint(1, 5))]
        plan.finished[product] = lines
        plan.operations[product] = [
            {"name": "Final assembly", "centre": "FINAL", "setup": rnd.randint(0, 60), "run": rnd.randint(10, 60)},
            {"name": "Test", "centre": "TEST", "setup": 0, "run": rnd.randint(2, 10)},
        ]
    products = list(plan.finished)
    # Shipments first: what is shipped decides what is made, and that decides what is bought.
    plan.shipments = [(rnd.choice(products), rnd.randint(1, 3)) for _ in range(50 * size)]
    shipped = {p: 0 for p in products}
    for p, q in plan.shipments:
        shipped[p] += q
    # 4 orders per finished product (order k makes product k mod S), together making what is shipped.
    per_product = {p: _split(shipped[p], 4) for p in products}
    plan.finished_orders = [(products[k % size], per_product[products[k % size]][k // size]) for k in range(4 * size)]
    need: dict[str, int] = {code: 0 for code in [*node_codes, *plan.components]}
    for p, q in plan.finished_orders:
        for item, per in plan.finished[p]:
            need[item] += q * per
    # 2 orders per node (order k makes node k mod 3S), together making what the finished orders use.
    per_node = {n: _split(need[n], 2) for n in node_codes}
    n_nodes = len(node_codes)
    plan.node_orders = [
        (node_codes[k % n_nodes], per_node[node_codes[k % n_nodes]][k // n_nodes]) for k in range(6 * size)
    ]
    for n, q in plan.node_orders:
        for c, per in plan.nodes[n]:
            need[c] += q * per
    # 5 receipts per component (receipt k is of component k mod 20S), together covering what is consumed,
    # each at the list price ± 10 %.
    n_comp = len(plan.components)
    per_component = {c: _split(need[c], 5) for c in plan.components}
    for k in range(100 * size):
        c = plan.components[k % n_comp]
        factor = D(rnd.randint(90, 110)).scaleb(-2)
        plan.receipts.append((c, per_component[c][k // n_comp], (plan.prices[c] * factor).quantize(D("0.01"))))
    return plan


# --- the standard workload: posting it --------------------------------------------------------------


def _catalogue(plan: Plan, unit) -> dict[str, Product]:
    """Products in bulk; BOMs and tech cards through the services."""
    centres = {
        code: WorkCentre.objects.create(code=code, name=f"{code} centre", hourly_rate=D("20.00"))
        for code in ("NODE", "FINAL", "TEST")
    }
    rows = [Product(code=c, name=f"Component {c}", unit=unit, type="component") for c in plan.components]
    rows += [Product(code=n, name=f"Node {n}", unit=unit, type="node") for n in plan.nodes]
    rows += [Product(code=f, name=f"Product {f}", unit=unit, type="finished") for f in plan.finished]
    Product.objects.bulk_create(rows, batch_size=2000)
    products = {p.code: p for p in Product.objects.filter(code__in=[r.code for r in rows])}
    for code, lines in [*plan.nodes.items(), *plan.finished.items()]:
        bom_save(
            actor=None,
            product=products[code],
            data={},
            lines=[{"component": products[c], "qty": q} for c, q in lines],
        )
        techcard_save(
            actor=None,
            product=products[code],
            data={},
            operations=[
                {
                    "name": op["name"],
                    "work_centre": centres[op["centre"]],
                    "setup_minutes": op["setup"],
                    "run_minutes": op["run"],
                    "labour_rate": "30.00",
                    "overhead_rate": "15.00",
                }
                for op in plan.operations[code]
            ],
        )
    return products


def _phase(label: str, size: int, docs: int, what: str, seconds: float) -> None:
    rate = f", {docs / seconds:,.0f} {what}/s" if docs else ""
    record(f"S={size} · {label}", "", f"{seconds:,.1f} s{rate}, peak RSS {peak_rss_mb():,.0f} MB")


def _make(order_spec, products, comp, fg=None):
    code, qty = order_spec
    with transaction.atomic():
        order = order_create(
            actor=None,
            data={
                "product": products[code],
                "qty": D(qty),
                "input_warehouse": comp,
                "output_warehouse": fg or comp,
            },
        )
        order_release(actor=None, order=order, children=False)
        order_report(actor=None, order=order, qty=D(qty))
    return order


def bench_workload(size: int) -> None:
    plan = plan_workload(size)
    unit = Unit.objects.create(code="pcs", name="pieces")
    comp = warehouse_create(actor=None, data={"code": "COMP", "name": "Components", "valuation": "fifo"})
    fg = warehouse_create(actor=None, data={"code": "FG", "name": "Finished goods", "valuation": "fifo"})
    record(f"S={size} · start (Django, migrations)", "", f"peak RSS {peak_rss_mb():,.0f} MB")

    with timer() as t:
        products = _catalogue(plan, unit)
    made = len(plan.nodes) + len(plan.finished)
    label = f"catalogue: {len(plan.components):,} components, {made:,} BOMs + tech cards"
    _phase(label, size, 2 * made, "docs", t["s"])

    with timer() as t:
        for code, qty, price in plan.receipts:
            with transaction.atomic():
                document = document_create(
                    actor=None,
                    type=T.RECEIPT,
                    data={"warehouse": comp},
                    lines=[{"product": products[code], "qty": D(qty), "price": price}],
                )
                document_post(actor=None, document=document)
    _phase(f"{len(plan.receipts):,} receipts (one lot each)", size, len(plan.receipts), "docs", t["s"])

    with timer() as t:
        for spec in plan.node_orders:
            _make(spec, products, comp)
    _phase(f"{len(plan.node_orders):,} node orders, fully posted", size, len(plan.node_orders), "orders", t["s"])

    with timer() as t:
        for spec in plan.finished_orders:
            _make(spec, products, comp, fg)
    n = len(plan.finished_orders)
    _phase(f"{n:,} finished-product orders, fully posted", size, n, "orders", t["s"])

    with timer() as t:
        for code, qty in plan.shipments:
            with transaction.atomic():
                document = document_create(
                    actor=None,
                    type=T.SHIPMENT,
                    data={"warehouse": fg},
                    lines=[{"product": products[code], "qty": D(qty)}],
                )
                document_post(actor=None, document=document)
    _phase(f"{len(plan.shipments):,} shipments of finished products", size, len(plan.shipments), "docs", t["s"])

    from fabrika.inventory import queries as stock_queries

    with timer() as t:
        rows = stock_queries.stock_on_hand()
        value = stock_queries.inventory_value()
    record(
        f"S={size} · stock by location ({len(rows):,} rows) + total inventory value",
        "",
        f"{t['s'] * 1000:,.0f} ms, value {value.total:,.2f}, peak RSS {peak_rss_mb():,.0f} MB",
    )
    done = ProductionOrder.objects.filter(state=ProductionOrder.State.DONE).count()
    moves = StockMove.objects.count()
    with timer() as t:
        problems = check_ledger()
    assert not problems, problems[:5]
    assert done == len(plan.node_orders) + len(plan.finished_orders), done
    log(f"S={size}: {moves:,} moves, {done:,} orders done, check_ledger clean in {t['s']:.1f} s")


# --- a deep BOM ---------------------------------------------------------------------------------------


def store_deep_bom(levels: int = 5, components: int = 2000):
    """make_deep_bom() stored in bulk: products, active BOMs and tech cards, one receipt per leaf."""
    boms, root, costs, operations = make_deep_bom(levels=levels, components=components, seed=SEED)
    unit = Unit.objects.create(code="pcs-deep", name="pieces")
    ids = {root} | set(boms) | {line.component for lines in boms.values() for line in lines}
    code = {i: ("DEEP-ROOT" if i == root else f"D{'N' if i in boms else 'L'}{i:06d}") for i in ids}
    Product.objects.bulk_create(
        [Product(code=code[i], name=f"Deep {code[i]}", unit=unit) for i in sorted(ids)], batch_size=2000
    )
    products = {p.code: p for p in Product.objects.filter(code__in=list(code.values()))}
    pid = {i: products[code[i]].pk for i in ids}
    Bom.objects.bulk_create([Bom(product_id=pid[p], version=1, is_active=True) for p in boms], batch_size=2000)
    bom_ids = dict(Bom.objects.filter(product_id__in=[pid[p] for p in boms]).values_list("product_id", "pk"))
    BomLine.objects.bulk_create(
        [
            BomLine(
                bom_id=bom_ids[pid[p]],
                position=k,
                component_id=pid[line.component],
                qty=line.qty,
                qty_base=line.qty,
                scrap_pct=line.scrap_pct,
                phantom=line.phantom,
            )
            for p, lines in boms.items()
            for k, line in enumerate(lines, start=1)
        ],
        batch_size=2000,
    )
    TechCard.objects.bulk_create([TechCard(product_id=pid[p], version=1, is_active=True) for p in operations])
    card_ids = dict(TechCard.objects.values_list("product_id", "pk"))
    Operation.objects.bulk_create(
        [
            Operation(
                tech_card_id=card_ids[pid[p]],
                seq=(k + 1) * 10,
                name=op.name,
                setup_minutes=op.setup_hours * 60,
                run_minutes=op.run_hours_per_unit * 60,
                labour_rate=op.labour_rate,
                overhead_rate=op.overhead_rate,
            )
            for p, ops in operations.items()
            for k, op in enumerate(ops)
        ],
        batch_size=2000,
    )
    wh = warehouse_create(actor=None, data={"code": "DEEP", "name": "Deep", "valuation": "fifo"})
    supplier, storage = virtual_location(Location.Kind.SUPPLIER), storage_of(wh)
    specs = [
        MoveSpec(products[code[i]], D(100), supplier, storage, StockMove.Kind.RECEIPT, None, input_value=c * 100)
        for i, c in costs.items()
    ]
    for start in range(0, len(specs), 1000):
        post_moves(specs=specs[start : start + 1000])
    expected = dcost.rollup(boms, root, D(1), unit_costs=costs, operations=operations)
    return products["DEEP-ROOT"], expected, len(boms)


def bench_deep_bom() -> None:
    root, expected, n_boms = store_deep_bom()
    analyze()
    qty = D(1)

    def measure():
        times = {}
        with timer() as t:
            boms = queries.load_boms([root.pk])
        times["load"] = t["s"]
        with timer() as t:
            lines, totals, _products = queries.explosion(root, qty, boms=boms)
        times["explode"] = t["s"]
        with timer() as t:
            node, _products = queries.cost_rollup(root, qty, boms=boms)
        times["rollup"] = t["s"]
        return times, lines, totals, node

    measure()  # warm the caches once
    runs = [measure() for _ in range(5)]
    best = min(runs, key=lambda r: sum(r[0].values()))
    times, lines, totals, node = best
    assert node.total == expected.total, (node.total, expected.total)
    leaves = len(totals)
    total = sum(times.values())
    record(
        f"5-level BOM, {leaves:,} distinct components ({n_boms} BOMs, {len(lines):,} exploded lines): "
        "load + explode + summarize + cost roll-up",
        "< 200 ms",
        f"{total * 1000:,.0f} ms (load {times['load'] * 1000:,.0f}, explode+summarize "
        f"{times['explode'] * 1000:,.0f}, roll-up {times['rollup'] * 1000:,.0f}; best of 5)",
    )


# --- releasing 265 orders -----------------------------------------------------------------------------


def bench_release(orders: int = 265, size: int = 50) -> None:
    """The standard catalogue at `size` with its component receipts but no node stock; `orders` draft
    orders of finished products (1–5 each) released at once: every node they use gets a child order."""
    plan = plan_workload(size)
    unit = Unit.objects.create(code="pcs", name="pieces")
    comp = warehouse_create(actor=None, data={"code": "COMP", "name": "Components", "valuation": "fifo"})
    products = _catalogue(plan, unit)
    supplier, storage = virtual_location(Location.Kind.SUPPLIER), storage_of(comp)
    specs = [
        MoveSpec(products[c], D(q), supplier, storage, StockMove.Kind.RECEIPT, None, input_value=p * q)
        for c, q, p in plan.receipts
    ]
    for start in range(0, len(specs), 1000):
        post_moves(specs=specs[start : start + 1000])
    rnd = random.Random(SEED)
    finished = list(plan.finished)
    drafts = [
        order_create(
            actor=None,
            data={"product": products[rnd.choice(finished)], "qty": D(rnd.randint(1, 5)), "input_warehouse": comp},
        )
        for _ in range(orders)
    ]
    analyze()
    with timer() as t:
        released = orders_release(actor=None, orders=drafts)
    children = len(released) - len(drafts)
    assert all(o.state == ProductionOrder.State.RELEASED for o in released)
    record(
        f"Releasing {orders} draft orders in one call ({children:,} child orders made)",
        "< 5 s",
        f"{t['s']:,.2f} s",
    )


def run(part: str, *, quick: bool, size: int | None = None) -> None:
    if part == "workload":
        bench_workload(size or 3)
    elif part == "bom":
        bench_deep_bom()
    elif part == "release":
        bench_release(orders=30 if quick else 265, size=10 if quick else 50)
    else:
        raise ValueError(f"unknown production part {part!r}")
