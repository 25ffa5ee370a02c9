"""Section "orders": the order centre (issue 5, "Speed").

Parts (each runs in its own process on a fresh database):
  analysis  the availability analysis of a 50-line order over a catalogue of 10,000 products whose
            BOMs are 5 levels deep (200 finished products → 600 assemblies → 1,200 sub-assemblies →
            1,500 boards → 6,500 purchased parts; sub-assemblies shared between products), with
            stock for most purchased parts and some assemblies, lead times, open supplier requests
            and open production orders
  pages     the order list and the order card with SIZE orders (100,000 and ~300,000 lines; `--size`)
            in the database, timed on the server side through django.test.Client
"""

from __future__ import annotations

import gc
import random
from datetime import timedelta
from decimal import Decimal as D

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fabrika.catalog.models import Product, Unit
from fabrika.inventory.models import Location, StockMove
from fabrika.inventory.services import MoveSpec, post_moves, storage_of, virtual_location, warehouse_create
from fabrika.production.models import Bom, BomLine, ProductionProfile

from .common import analyze, log, record, timer

SEED = 42
LEVELS = (200, 600, 1_200, 1_500, 6_500)  # products per level: finished … purchased parts (10,000)
# Per level: (children from the level below, purchased parts) of each BOM.
FAN = ((3, 5, 1, 2), (2, 4, 1, 3), (2, 4, 1, 3), (3, 6, 0, 0))
LEAF_QTYS = [D(q) for q in ("1", "1", "2", "4", "0.5", "10", "0.25")]


# --- the catalogue ------------------------------------------------------------------------------------


def build_catalogue(rnd: random.Random, unit, wh) -> list[list[Product]]:
    """10,000 products in 5 levels, their BOMs (bulk), lead times, and stock; returns the levels."""
    kinds = ("finished", "node", "node", "node", "component")
    rows = [
        Product(code=f"B{k}{i:05d}", name=f"Level {k} item {i}", unit=unit, type=kinds[k])
        for k, n in enumerate(LEVELS)
        for i in range(n)
    ]
    Product.objects.bulk_create(rows, batch_size=2000)
    by_code = {p.code: p for p in Product.objects.filter(code__startswith="B").only("id", "code", "unit_id")}
    levels = [[by_code[f"B{k}{i:05d}"] for i in range(n)] for k, n in enumerate(LEVELS)]
    leaves = levels[-1]
    Bom.objects.bulk_create(
        [Bom(product=p, version=1, is_active=True) for level in levels[:-1] for p in level], batch_size=2000
    )
    bom_of = dict(Bom.objects.values_list("product_id", "pk"))
    lines = []
    for k, level in enumerate(levels[:-1]):
        lo, hi, leaf_lo, leaf_hi = FAN[k]
        below = levels[k + 1]
        for p in level:
            children = [(c, D(rnd.randint(1, 3))) for c in rnd.sample(below, rnd.randint(lo, hi))]
            if k < len(FAN) - 1:
                children += [(c, rnd.choice(LEAF_QTYS)) for c in rnd.sample(leaves, rnd.randint(leaf_lo, leaf_hi))]
            else:  # boards: purchased parts only
                children = [(c, rnd.choice(LEAF_QTYS)) for c in rnd.sample(below, rnd.randint(lo, hi))]
            lines += [
                BomLine(bom_id=bom_of[p.pk], position=n, component=c, qty=q, qty_base=q)
                for n, (c, q) in enumerate(children, start=1)
            ]
    BomLine.objects.bulk_create(lines, batch_size=5000)
    ProductionProfile.objects.bulk_create(
        [
            ProductionProfile(product=p, lead_time_days=rnd.randint(1, 5) if k < 4 else rnd.randint(3, 30))
            for k, level in enumerate(levels)
            for p in level
        ],
        batch_size=5000,
    )
    # Stock: 70 % of the purchased parts, 15 % of the boards and assemblies, 20 % of the finished goods.
    supplier, storage = virtual_location(Location.Kind.SUPPLIER), storage_of(wh)
    when = timezone.now() - timedelta(days=30)
    specs = []
    for k, level in enumerate(levels):
        share, lo, hi = ((0.2, 1, 10), (0.15, 1, 5), (0.15, 1, 5), (0.15, 1, 5), (0.7, 50, 500))[k]
        for p in level:
            if rnd.random() < share:
                qty = D(rnd.randint(lo, hi))
                specs.append(MoveSpec(p, qty, supplier, storage, StockMove.Kind.RECEIPT, when, input_value=qty * 3))
    for start in range(0, len(specs), 1000):
        post_moves(specs=specs[start : start + 1000])
    log(f"catalogue: {sum(LEVELS):,} products, {len(lines):,} BOM lines, {len(specs):,} stocked")
    return levels


def open_supply(rnd: random.Random, levels, wh) -> None:
    """20 open supplier requests of 10 purchased parts each, and 10 released production orders of
    boards (open supply the analysis as of the promised date counts; their inputs are committed)."""
    from fabrika.production.services import order_create, orders_release
    from fabrika.purchasing.services import request_create

    today = timezone.localdate()
    for _ in range(20):
        request_create(
            actor=None,
            data={"needed_by": today + timedelta(days=rnd.randint(5, 40))},
            lines=[
                {"product": p, "qty": D(rnd.randint(10, 100)), "needed_by": today + timedelta(days=rnd.randint(5, 40))}
                for p in rnd.sample(levels[4], 10)
            ],
        )
    drafts = [
        order_create(
            actor=None,
            data={
                "product": p,
                "qty": D(rnd.randint(1, 5)),
                "input_warehouse": wh,
                "planned_finish": today + timedelta(days=rnd.randint(3, 20)),
            },
        )
        for p in rnd.sample(levels[3], 10)
    ]
    orders_release(actor=None, orders=drafts, children=False)


def bench_analysis(quick: bool) -> None:
    from fabrika.crm import services as crm
    from fabrika.sales import availability
    from fabrika.sales.services import order_create

    rnd = random.Random(SEED)
    unit = Unit.objects.create(code="pcs", name="pieces")
    wh = warehouse_create(actor=None, data={"code": "MAIN", "name": "Main", "valuation": "fifo"})
    with timer() as t:
        levels = build_catalogue(rnd, unit, wh)
        open_supply(rnd, levels, wh)
    log(f"catalogue built in {t['s']:.1f} s")
    manager = get_user_model().objects.create_user("bench-sales", password="bench-pass-123")
    customer = crm.counterparty_create(actor=None, data={"name": "Bench customer"})
    n_lines = 50
    order = order_create(
        actor=None,
        data={
            "counterparty": customer,
            "manager": manager,
            "warehouse": wh,
            "promised_date": timezone.localdate() + timedelta(days=30),
        },
        lines=[
            {"product": p, "qty": D(rnd.randint(1, 20)), "price": D("100.00")} for p in rnd.sample(levels[0], n_lines)
        ],
    )
    analyze()

    def measure(**kwargs):
        gc.collect()  # not the catalogue's garbage: a server process does not carry it
        availability.analyse(order, **kwargs)  # warm the caches once
        times = []
        for _ in range(5):
            with timer() as t:
                result = availability.analyse(order, **kwargs)
            times.append(t["s"])
        with CaptureQueriesContext(connection) as queries:
            availability.analyse(order, **kwargs)
        return min(times), len(queries), result

    best, queries, now = measure()
    parts = sum(len(la.parts) for la in now.lines)
    buy = len(now.purchases)
    record(
        f"Availability analysis now: {n_lines}-line order, 5-level BOMs over {sum(LEVELS):,} products "
        f"({parts:,} parts analysed, {buy:,} to buy)",
        "< 300 ms",
        f"{best * 1000:,.0f} ms, {queries} queries (best of 5)",
    )
    best, queries, later = measure(as_of=order.promised_date)
    parts = sum(len(la.parts) for la in later.lines)
    record(
        f"Availability analysis by the promised date (with open supply; {parts:,} parts)",
        "< 300 ms",
        f"{best * 1000:,.0f} ms, {queries} queries (best of 5)",
    )


# --- 100,000 orders -----------------------------------------------------------------------------------


def build_orders(rnd: random.Random, n_orders: int):
    """`n_orders` orders (1–5 lines each) of 2,000 customers and 20 managers, over three years, in bulk."""
    from fabrika.crm.models import Counterparty
    from fabrika.sales.models import SalesOrder, SalesOrderLine

    User = get_user_model()
    unit = Unit.objects.create(code="pcs", name="pieces")
    wh = warehouse_create(actor=None, data={"code": "MAIN", "name": "Main", "valuation": "fifo"})
    products = [Product(code=f"P{i:04d}", name=f"Product {i}", unit=unit, type="finished") for i in range(200)]
    Product.objects.bulk_create(products)
    products = list(Product.objects.filter(code__startswith="P").order_by("code"))
    User.objects.bulk_create(
        [User(username=f"manager-{i:02d}", first_name="Manager", last_name=f"No {i}") for i in range(20)]
    )
    managers = list(User.objects.filter(username__startswith="manager-").order_by("username"))
    Counterparty.objects.bulk_create(
        [Counterparty(name=f"Customer {i:04d} GmbH", responsible=rnd.choice(managers)) for i in range(2_000)],
        batch_size=2000,
    )
    customers = list(Counterparty.objects.order_by("pk"))
    states = (
        ["draft"] * 5 + ["confirmed"] * 10 + ["in_work"] * 10 + ["shipped"] * 10 + ["closed"] * 60 + ["cancelled"] * 5
    )
    start = timezone.localdate() - timedelta(days=3 * 365)
    batch = 10_000
    for first in range(0, n_orders, batch):
        orders, lines_of = [], []
        for i in range(first, min(first + batch, n_orders)):
            day = start + timedelta(days=i * 3 * 365 // n_orders)
            lines = []
            for position in range(1, rnd.randint(1, 5) + 1):
                qty = D(rnd.randint(1, 20))
                price = D(rnd.randint(50, 2_000))
                lines.append((position, rnd.choice(products), qty, price, qty * price))
            subtotal = sum((x[4] for x in lines), D(0))
            vat = (subtotal * D("0.2")).quantize(D("0.01"))
            orders.append(
                SalesOrder(
                    number=f"SO-B-{i + 1:07d}",
                    state=rnd.choice(states),
                    counterparty=rnd.choice(customers),
                    manager=rnd.choice(managers),
                    order_date=day,
                    promised_date=day + timedelta(days=rnd.randint(7, 60)),
                    warehouse=wh,
                    currency="EUR",
                    vat_rate=D("20.00"),
                    subtotal=subtotal,
                    vat_amount=vat,
                    total=subtotal + vat,
                )
            )
            lines_of.append(lines)
        SalesOrder.objects.bulk_create(orders, batch_size=2000)
        if connection.vendor != "postgresql":  # SQLite gives the keys back too (3.35+), but be safe
            numbers = {o.number: o for o in orders}
            for pk, number in SalesOrder.objects.filter(number__in=list(numbers)).values_list("pk", "number"):
                numbers[number].pk = pk
        SalesOrderLine.objects.bulk_create(
            [
                SalesOrderLine(
                    order_id=order.pk,
                    position=position,
                    product=product,
                    qty=qty,
                    unit=unit,
                    qty_base=qty,
                    price=price,
                    amount=amount,
                    qty_shipped=qty if order.state in ("shipped", "closed") else D(0),
                )
                for order, lines in zip(orders, lines_of, strict=True)
                for position, product, qty, price, amount in lines
            ],
            batch_size=5000,
        )
    log(f"{n_orders:,} orders, {SalesOrderLine.objects.count():,} lines")
    return managers


def _time_page(client, url, label, target="< 150 ms"):
    response = client.get(url)  # warm the caches once
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(5):
        with timer() as t:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        times.append(t["s"])
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    record(label, target, f"{min(times) * 1000:,.0f} ms, {len(queries)} queries (best of 5)")


def bench_pages(n: int) -> None:
    from fabrika.access.tests.factories import make_user
    from fabrika.sales.models import SalesOrder

    rnd = random.Random(SEED)
    with timer() as t:
        managers = build_orders(rnd, n)
    log(f"orders built in {t['s']:.1f} s")
    analyze()
    boss = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench-pass-123")
    client = Client()
    client.force_login(boss)
    count = f"{n:,}"
    orders = reverse("sales:order-list")
    _time_page(client, orders, f"Order list, first page ({count} orders)")
    _time_page(client, orders + "?state=confirmed", f"Order list filtered by state ({count} orders)")
    _time_page(client, orders + "?q=Customer%201234", f"Order list searched by customer name ({count} orders)")
    _time_page(client, orders + f"?q={n // 2:07d}", f"Order list searched by number ({count} orders)")
    _time_page(client, orders + "?sort=-total", f"Order list sorted by total ({count} orders)")
    middle = SalesOrder.objects.order_by("pk")[n // 2]
    _time_page(client, middle.get_absolute_url(), f"Order card ({count} orders)")
    _time_page(
        client, middle.get_absolute_url() + "?tab=availability", f"Order card, availability tab ({count} orders)"
    )
    # A sales manager sees their own orders only (record scope "own").
    anna = make_user("bench-anna", "sales_manager")
    SalesOrder.objects.filter(manager=managers[0]).update(manager=anna)
    client = Client()
    client.force_login(anna)
    _time_page(client, orders, f"Order list of one sales manager (own scope, {count} orders)")


def run(part: str, *, quick: bool, size: int | None = None) -> None:
    if part == "analysis":
        bench_analysis(quick)
    elif part == "pages":
        bench_pages(size or (5_000 if quick else 100_000))
    else:
        raise ValueError(f"unknown orders part {part!r}")
