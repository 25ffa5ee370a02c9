"""Concurrency on PostgreSQL: separate connections racing for the same stock."""

import os
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D

import pytest
from django.db import close_old_connections, connection, transaction

from fabrika.catalog.models import Product, Unit
from fabrika.core.errors import DomainError
from fabrika.inventory.checks import check_ledger
from fabrika.inventory.errors import InsufficientStock
from fabrika.inventory.models import Balance, Reservation, StockDocument
from fabrika.inventory.services import (
    document_cancel,
    document_create,
    document_post,
    reserve,
    warehouse_create,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
T = StockDocument.Type


def in_thread(fn):
    def run(*args):
        try:
            return fn(*args)
        finally:
            close_old_connections()
            connection.close()

    return run


def post(type_, wh, lines, **data):
    doc = document_create(actor=None, type=type_, data={"warehouse": wh, **data}, lines=lines)
    return document_post(actor=None, document=doc)


def test_200_reserve_and_ship_requests_for_10_units_in_3_lots():
    unit = Unit.objects.create(code="pcs", name="pieces")
    cpu = Product.objects.create(code="CPU", name="Processor", unit=unit)
    wh = warehouse_create(actor=None, data={"code": "MAIN", "name": "Main", "valuation": "fifo"})
    for qty, price in (("3", "100"), ("3", "110"), ("4", "120")):
        post(T.RECEIPT, wh, [{"product": cpu, "qty": D(qty), "price": D(price)}])

    @in_thread
    def reserve_and_ship(i):
        try:
            with transaction.atomic():
                held = reserve(actor=None, product=cpu, warehouse=wh, qty=D("1"), reference=f"ORD-{i}/1")
                post(T.SHIPMENT, wh, [{"product": cpu, "qty": D("1"), "reservation": held}])
            return "ok"
        except InsufficientStock:
            return "short"

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(reserve_and_ship, range(200)))
    assert results.count("ok") == 10
    assert results.count("short") == 190
    balance = Balance.objects.get(product=cpu, warehouse=wh)
    assert (balance.qty, balance.value, balance.reserved) == (D("0"), D("0.00"), D("0"))
    assert Reservation.objects.filter(state="consumed").count() == 10
    assert Reservation.objects.filter(state="active").count() == 0
    assert check_ledger() == []


def test_mixed_soak_ends_with_a_clean_ledger():
    unit = Unit.objects.create(code="pcs", name="pieces")
    products = [Product.objects.create(code=f"P{i}", name=f"Part {i}", unit=unit) for i in range(5)]
    whs = [
        warehouse_create(actor=None, data={"code": "F1", "name": "Main", "valuation": "fifo"}),
        warehouse_create(actor=None, data={"code": "F2", "name": "Branch", "valuation": "fifo"}),
        warehouse_create(actor=None, data={"code": "A1", "name": "Workshop", "valuation": "average"}),
    ]
    posted = []
    lock = threading.Lock()

    @in_thread
    def worker(seed):
        rnd = random.Random(seed)
        outcomes = {"ok": 0, "refused": 0}
        for _ in range(25):
            product, wh = rnd.choice(products), rnd.choice(whs)
            qty = D(rnd.randint(1, 6))
            op = rnd.choice(["receipt", "receipt", "shipment", "transfer", "cancel"])
            try:
                if op == "receipt":
                    doc = post(T.RECEIPT, wh, [{"product": product, "qty": qty, "price": D(rnd.randint(50, 150))}])
                elif op == "shipment":
                    doc = post(T.SHIPMENT, wh, [{"product": product, "qty": qty}])
                elif op == "transfer":
                    other = rnd.choice([w for w in whs if w != wh])
                    doc = post(T.TRANSFER, wh, [{"product": product, "qty": qty}], to_warehouse=other)
                else:
                    with lock:
                        doc = posted.pop(rnd.randrange(len(posted))) if posted else None
                    if doc is None:
                        continue
                    document_cancel(actor=None, document=doc)
                    doc = None
                if doc is not None:
                    with lock:
                        posted.append(doc)
                outcomes["ok"] += 1
            except DomainError:
                outcomes["refused"] += 1
        return outcomes

    workers = int(os.environ.get("SOAK_WORKERS", "8"))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(worker, range(8)))
    assert sum(r["ok"] for r in results) > 0
    assert check_ledger() == []
    for b in Balance.objects.filter(warehouse__valuation="fifo"):
        assert b.qty >= 0
