"""The robot factory of the production issue, with every number worked out by hand.

Products (pcs): CASE, KIT (electronics kit), PERIPH (peripheral set), BOLT, BOARD (smart board),
CPU (processor), BRAIN (node = 1 BOARD + 1 CPU), ROBOT (= 1 CASE + 1 KIT + 1 PERIPH + 20 BOLT + 1 BRAIN).

Receipts into Main (FIFO), one lot each:
  CASE 10 @ 120.50   KIT 10 @ 35.10   PERIPH 10 @ 18.25   BOLT 500 for 65.00 (0.13)
  BOARD 10 @ 14.99   CPU 3 @ 20.00 then 5 @ 25.00

Tech cards:
  BRAIN  "Solder" on SMT (18.00/h): setup 30 min, run 6 min/unit, labour 30.00/h, overhead 12.00/h
  ROBOT  "Assemble" on BENCH (16.00/h): run 45 min/unit, labour 24.00/h, overhead 0

Five robots:
  stage 1 (BRAIN × 5): boards 5 × 14.99 = 74.95; CPUs 3 × 20 + 2 × 25 = 110.00;
           1 h (30 + 30 min): labour 30.00, overhead (12 + 18) × 1 = 30.00 → 244.95 (48.99 each)
  stage 2 (ROBOT × 5): brains 244.95, cases 602.50, kits 175.50, peripherals 91.25, bolts 100 × 0.13 = 13.00;
           3.75 h: labour 90.00, overhead 16 × 3.75 = 60.00 → 1,277.20 (255.44 each)
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal as D

from django.utils import timezone

from fabrika.catalog.models import Product, Unit
from fabrika.inventory.models import Location, Lot, StockMove
from fabrika.inventory.services import MoveSpec, post_moves, storage_of, virtual_location, warehouse_create
from fabrika.production.models import WorkCentre
from fabrika.production.services import bom_save, techcard_save

RECEIPTS = [
    ("CASE", 10, "1205.00"),
    ("KIT", 10, "351.00"),
    ("PERIPH", 10, "182.50"),
    ("BOLT", 500, "65.00"),
    ("BOARD", 10, "149.90"),
    ("CPU", 3, "60.00"),
    ("CPU", 5, "125.00"),
]


@dataclass
class Factory:
    p: dict
    main: object
    smt: WorkCentre
    bench: WorkCentre


def receive(product, qty, value, wh, when=None, lot=None):
    supplier = virtual_location(Location.Kind.SUPPLIER)
    when = when or timezone.now() - timedelta(days=5)
    if lot is None and wh.is_fifo:
        lot = Lot.objects.create(
            product=product, number=f"L-{product.code}-{Lot.objects.count() + 1}", received_at=when
        )
    return post_moves(
        specs=[MoveSpec(product, D(qty), supplier, storage_of(wh), StockMove.Kind.RECEIPT, when, D(value), lot=lot)]
    )[0]


def build(*, stock: bool = True) -> Factory:
    pcs = Unit.objects.get_or_create(code="pcs", defaults={"name": "pieces"})[0]
    p = {}
    for code, type_ in (
        ("CASE", "component"),
        ("KIT", "component"),
        ("PERIPH", "component"),
        ("BOLT", "component"),
        ("BOARD", "component"),
        ("CPU", "component"),
        ("BRAIN", "node"),
        ("ROBOT", "finished"),
    ):
        p[code] = Product.objects.create(code=code, name=code.title(), unit=pcs, type=type_)
    main = warehouse_create(actor=None, data={"code": "MAIN", "name": "Main", "valuation": "fifo"})
    smt = WorkCentre.objects.create(code="SMT", name="SMT line", hourly_rate=D("18.00"))
    bench = WorkCentre.objects.create(code="BENCH", name="Assembly bench", hourly_rate=D("16.00"))
    bom_save(
        actor=None,
        product=p["BRAIN"],
        data={"name": "Brain"},
        lines=[{"component": p["BOARD"], "qty": 1}, {"component": p["CPU"], "qty": 1}],
    )
    bom_save(
        actor=None,
        product=p["ROBOT"],
        data={"name": "Standard"},
        lines=[
            {"component": p["CASE"], "qty": 1},
            {"component": p["KIT"], "qty": 1},
            {"component": p["PERIPH"], "qty": 1},
            {"component": p["BOLT"], "qty": 20},
            {"component": p["BRAIN"], "qty": 1},
        ],
    )
    techcard_save(
        actor=None,
        product=p["BRAIN"],
        data={},
        operations=[
            {
                "name": "Solder",
                "work_centre": smt,
                "setup_minutes": 30,
                "run_minutes": 6,
                "labour_rate": "30.00",
                "overhead_rate": "12.00",
            }
        ],
    )
    techcard_save(
        actor=None,
        product=p["ROBOT"],
        data={},
        operations=[{"name": "Assemble", "work_centre": bench, "run_minutes": 45, "labour_rate": "24.00"}],
    )
    if stock:
        start = timezone.now() - timedelta(days=5)
        for i, (code, qty, value) in enumerate(RECEIPTS):
            receive(p[code], qty, value, main, start + timedelta(minutes=i))
    return Factory(p, main, smt, bench)
