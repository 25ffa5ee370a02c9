"""Section "inventory": posting speed, backdated re-costing, a 1M-move ledger and the reports on it.

Moved from runner.py unchanged in what it measures; `run()` is called by the runner in a fresh database.
"""

import tracemalloc
from datetime import timedelta
from decimal import Decimal as D

from django.db import reset_queries
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from fabrika.catalog.models import Unit
from fabrika.inventory.models import Balance, Location, StockDocument, StockMove
from fabrika.inventory.services import (
    MoveSpec,
    document_create,
    document_post,
    post_moves,
    storage_of,
    virtual_location,
    warehouse_create,
)

from .common import log, make_products, record, timer


def bench_posting(unit: Unit, docs: int) -> None:
    """Receipts and shipments of 50 lines each, FIFO, one transaction per document.

    Each document is created (a draft, its own transaction) and then posted; posting alone is
    what the target names, and the figure with the creation is shown beside it. A receipt and a
    shipment of other products go first, untimed: a server that has posted once (its caches of
    places and content types filled, its statements planned once)."""
    wh = warehouse_create(actor=None, data={"code": "POST", "name": "Posting", "valuation": "fifo"})
    products = make_products("PST", 200, unit)
    warm = make_products("WRM", 50, unit)
    for doc_type, extra in ((StockDocument.Type.RECEIPT, {"price": D(1)}), (StockDocument.Type.SHIPMENT, {})):
        lines = [{"product": p, "qty": D(1)} | extra for p in warm]
        document_post(
            actor=None, document=document_create(actor=None, type=doc_type, data={"warehouse": wh}, lines=lines)
        )
    for label, doc_type, qty, price in (
        ("receipts", StockDocument.Type.RECEIPT, D(10), True),
        ("shipments", StockDocument.Type.SHIPMENT, D(3), False),
    ):
        posting = 0.0
        with timer() as t:
            for d in range(docs):
                lines = [
                    {"product": products[(d * 50 + i) % 200], "qty": qty}
                    | ({"price": D(100 + (d % 7))} if price else {})
                    for i in range(50)
                ]
                document = document_create(actor=None, type=doc_type, data={"warehouse": wh}, lines=lines)
                with timer() as p:
                    document_post(actor=None, document=document)
                posting += p["s"]
        lines_total = docs * 50
        record(
            f"Posting {label}, 50-line documents (FIFO)",
            "≥ 2,000 lines/s",
            f"{lines_total / posting:,.0f} lines/s posting; {lines_total / t['s']:,.0f} lines/s creating and posting",
        )


def bench_backdated(unit: Unit, later_moves: int) -> None:
    """A receipt dated before `later_moves` moves of the same product is posted and re-costed."""
    wh = warehouse_create(actor=None, data={"code": "BACK", "name": "Backdated", "valuation": "fifo"})
    [product] = make_products("BCK", 1, unit)
    supplier, customer, storage = (
        virtual_location(Location.Kind.SUPPLIER),
        virtual_location(Location.Kind.CUSTOMER),
        storage_of(wh),
    )
    start = timezone.now() - timedelta(days=30)
    batch = []
    for i in range(later_moves):
        at = start + timedelta(seconds=i)
        if i % 2 == 0:
            batch.append(
                MoveSpec(product, D(10), supplier, storage, StockMove.Kind.RECEIPT, at, input_value=D(100 + i % 13))
            )
        else:
            batch.append(MoveSpec(product, D(9), storage, customer, StockMove.Kind.SHIPMENT, at))
        if len(batch) == 500:
            post_moves(specs=batch)
            batch = []
    if batch:
        post_moves(specs=batch)
    with timer() as t:
        post_moves(
            specs=[
                MoveSpec(
                    product,
                    D(5),
                    supplier,
                    storage,
                    StockMove.Kind.RECEIPT,
                    start - timedelta(days=1),
                    input_value=D("450.00"),
                )
            ]
        )
    record(f"Backdated receipt ahead of {later_moves:,} later moves", "< 2 s", f"{t['s']:.2f} s")


def build_ledger(unit: Unit, total_moves: int) -> tuple:
    """A large ledger: receipts and shipments over a year in one FIFO warehouse."""
    wh = warehouse_create(actor=None, data={"code": "BIG", "name": "Big", "valuation": "fifo"})
    n_products = 2000
    products = make_products("BIG", n_products, unit)
    supplier, customer, storage = (
        virtual_location(Location.Kind.SUPPLIER),
        virtual_location(Location.Kind.CUSTOMER),
        storage_of(wh),
    )
    start = timezone.now() - timedelta(days=365)
    step = timedelta(days=365) / total_moves
    posted = 0
    with timer() as t:
        while posted < total_moves:
            specs = []
            for i in range(posted, min(posted + 1000, total_moves)):
                product = products[(i // 2) % n_products]
                at = start + step * i
                if (i // (2 * n_products)) % 2 == 0 or i % 2 == 0:
                    specs.append(
                        MoveSpec(
                            product, D(5), supplier, storage, StockMove.Kind.RECEIPT, at, input_value=D(50 + i % 31)
                        )
                    )
                else:
                    specs.append(MoveSpec(product, D(4), storage, customer, StockMove.Kind.SHIPMENT, at))
            post_moves(specs=specs)
            posted += len(specs)
            if posted % 100_000 == 0:
                log(f"ledger: {posted:,} moves")
    record(
        f"Generating the ledger through post_moves ({total_moves:,} moves, 1,000 per call)",
        "",
        f"{t['s']:.0f} s ({total_moves / t['s']:,.0f} moves/s)",
    )
    return wh, products, start


def bench_reports(wh, products, start) -> None:
    from fabrika.inventory import queries  # the reports module (inventory.queries)

    middle = timezone.localdate(start + timedelta(days=180))
    tracemalloc.start()
    for label, call in (
        ("Stock on hand, all products of a warehouse (today)", lambda: list(queries.stock_on_hand(warehouse=wh))),
        (
            "Stock on hand as of a date, all products of a warehouse",
            lambda: list(queries.stock_on_hand(warehouse=wh, as_of=middle)),
        ),
        ("Inventory value as of a date", lambda: queries.inventory_value(as_of=middle)),
    ):
        try:
            call()  # warm the caches once
            with timer() as t:
                rows = call()
            size = len(rows) if hasattr(rows, "__len__") else 1
            record(label, "< 1 s", f"{t['s'] * 1000:,.0f} ms ({size:,} rows)")
        except (AttributeError, TypeError) as exc:
            record(label, "< 1 s", f"not measured: {exc}")
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    record("Peak Python memory during the reports", "flat (no ledger in memory)", f"{peak / 1e6:,.1f} MB")


def bench_product_moves(products) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench-pass-123")
    client = Client()
    client.force_login(user)
    product = products[len(products) // 2]
    try:
        url = reverse("catalog:product-detail", args=[product.pk]) + "?tab=moves"
    except NoReverseMatch:
        record("Product card, moves tab (1M-move ledger)", "< 100 ms", "not measured: no product card yet")
        return
    client.get(url)
    times = []
    for _ in range(5):
        reset_queries()
        with timer() as t:
            response = client.get(url)
        assert response.status_code == 200, response.status_code
        times.append(t["s"])
    record("Product card, moves tab (1M-move ledger)", "< 100 ms", f"{min(times) * 1000:,.0f} ms (best of 5)")


def bench_closed_months(wh, start) -> None:
    """The as-of reports again once the months before the asked date are closed (as a factory closes
    each month): they read the month-end snapshot and the moves after it, not the whole ledger."""
    from fabrika.inventory import queries
    from fabrika.inventory.services.periods import period_close

    middle = timezone.localdate(start + timedelta(days=180))
    previous_month = middle.replace(day=1) - timedelta(days=1)
    with timer() as t:
        period_close(actor=None, month=previous_month)
    record("Closing the months before it (month-end snapshots of the ledger)", "", f"{t['s']:.1f} s")
    for label, call in (
        (
            "Stock on hand as of a date, all products of a warehouse, earlier months closed",
            lambda: list(queries.stock_on_hand(warehouse=wh, as_of=middle)),
        ),
        ("Inventory value as of a date, earlier months closed", lambda: queries.inventory_value(as_of=middle)),
    ):
        call()
        with timer() as t:
            rows = call()
        size = len(rows) if hasattr(rows, "__len__") else 1
        record(label, "< 1 s", f"{t['s'] * 1000:,.0f} ms ({size:,} rows)")


def run(part: str, *, quick: bool, size: int | None = None) -> None:
    """Parts: posting, backdated, ledger (the 1M-move ledger and what is measured on it); all."""
    unit = Unit.objects.create(code="pcs", name="pieces")
    if part in ("all", "posting"):
        bench_posting(unit, docs=4 if quick else 100)
    if part in ("all", "backdated"):
        bench_backdated(unit, later_moves=1_000 if quick else 10_000)
    if part in ("all", "ledger"):
        wh, products, start = build_ledger(unit, total_moves=20_000 if quick else 1_000_000)
        log(f"balances: {Balance.objects.count():,}, moves: {StockMove.objects.count():,}")
        bench_reports(wh, products, start)
        bench_product_moves(products)
        bench_closed_months(wh, start)
