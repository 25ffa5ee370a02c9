"""A small warehouse history over the last three months, with every number worked out by hand.

Months: M1, M2, M3 are the three months before the current one (all over, so they can be closed).

Main warehouse (FIFO), M3 bolt (pcs):
  M1-05 receipt 10 @ 100.00 (lot A)           → 10 / 1000.00
  M1-20 receipt 10 @ 120.00 (lot B)           → 20 / 2200.00
  M2-03 shipment 15: 10 × 100 + 5 × 120        → 5 / 600.00   (shipment value 1600.00)
  M2-10 receipt 5 @ 130.00 (lot C)            → 10 / 1250.00
  M3-02 shipment 3: 3 × 120                    → 7 / 890.00   (lot B 2 / 240.00, lot C 5 / 650.00)
Main warehouse, M4 nut:
  M1-07 receipt 50 @ 2.00                      → 50 / 100.00
Workshop (average cost), M3 bolt:
  M1-06 receipt 10 @ 100.00                    → 10 / 1000.00, average 100
  M1-25 shipment 15 at 100                     → -5 / -500.00 (negative stock allowed)
  M2-05 receipt 10 @ 120.00: 5 left at 120     → 5 / 600.00, settlement -500 + 1200 - 600 = 100.00
  M2-15 shipment 2 at 120                      → 3 / 360.00
Workshop, P1 panel (group Panels):
  M1-08 receipt 4 @ 25.50                      → 4 / 102.00

Groups: Hardware ⊃ Fasteners ∋ bolt, nut; Panels ∋ panel.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal as D

from django.utils import timezone

from fabrika.catalog.models import Product, ProductGroup, Unit, UnitConversion
from fabrika.inventory.models import StockDocument
from fabrika.inventory.services import document_create, document_post, warehouse_create

T = StockDocument.Type


def months_back(n: int) -> date:
    """The first day of the month `n` months before the current one."""
    month = timezone.localdate().replace(day=1)
    for _ in range(n):
        month = (month - timedelta(days=1)).replace(day=1)
    return month


def at(month: date, day: int, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(month.replace(day=day), time(hour)))


def post(type_, wh, lines, when, **data):
    doc = document_create(actor=None, type=type_, data={"warehouse": wh, "date": when, **data}, lines=lines)
    return document_post(actor=None, document=doc)


@dataclass
class Story:
    m1: date
    m2: date
    m3: date
    main: object
    workshop: object
    bolt: object
    nut: object
    panel: object
    hardware: object
    fasteners: object
    panels: object
    pcs: object
    documents: dict


def make_products():
    pcs = Unit.objects.get_or_create(code="pcs", defaults={"name": "pieces", "precision": 0})[0]
    box = Unit.objects.get_or_create(code="box", defaults={"name": "box of 100", "precision": 0})[0]
    hardware = ProductGroup.objects.create(name="Hardware")
    fasteners = ProductGroup.objects.create(name="Fasteners", parent=hardware)
    panels = ProductGroup.objects.create(name="Panels")
    bolt = Product.objects.create(code="M3", name="M3 bolt", unit=pcs, group=fasteners)
    UnitConversion.objects.create(product=bolt, unit=box, factor=D("100"))
    nut = Product.objects.create(code="M4", name="M4 nut", unit=pcs, group=fasteners)
    panel = Product.objects.create(code="P1", name="Side panel", unit=pcs, group=panels)
    return pcs, hardware, fasteners, panels, bolt, nut, panel


def make_story() -> Story:
    pcs, hardware, fasteners, panels, bolt, nut, panel = make_products()
    main = warehouse_create(actor=None, data={"code": "MAIN", "name": "Main warehouse", "valuation": "fifo"})
    workshop = warehouse_create(actor=None, data={"code": "WS", "name": "Workshop", "valuation": "average"})
    m1, m2, m3 = months_back(3), months_back(2), months_back(1)
    docs = {}
    # In date order, so that nothing is backdated.
    docs["main-r1"] = post(
        T.RECEIPT, main, [{"product": bolt, "qty": D("10"), "price": D("100"), "lot_number": "A"}], at(m1, 5)
    )
    docs["ws-r1"] = post(T.RECEIPT, workshop, [{"product": bolt, "qty": D("10"), "price": D("100")}], at(m1, 6))
    docs["main-nut"] = post(T.RECEIPT, main, [{"product": nut, "qty": D("50"), "price": D("2")}], at(m1, 7))
    docs["ws-panel"] = post(T.RECEIPT, workshop, [{"product": panel, "qty": D("4"), "price": D("25.50")}], at(m1, 8))
    docs["main-r2"] = post(
        T.RECEIPT, main, [{"product": bolt, "qty": D("10"), "price": D("120"), "lot_number": "B"}], at(m1, 20)
    )
    docs["ws-s1"] = post(T.SHIPMENT, workshop, [{"product": bolt, "qty": D("15")}], at(m1, 25))
    docs["main-s1"] = post(T.SHIPMENT, main, [{"product": bolt, "qty": D("15")}], at(m2, 3))
    docs["ws-r2"] = post(T.RECEIPT, workshop, [{"product": bolt, "qty": D("10"), "price": D("120")}], at(m2, 5))
    docs["main-r3"] = post(
        T.RECEIPT, main, [{"product": bolt, "qty": D("5"), "price": D("130"), "lot_number": "C"}], at(m2, 10)
    )
    docs["ws-s2"] = post(T.SHIPMENT, workshop, [{"product": bolt, "qty": D("2")}], at(m2, 15))
    docs["main-s2"] = post(T.SHIPMENT, main, [{"product": bolt, "qty": D("3")}], at(m3, 2))
    return Story(m1, m2, m3, main, workshop, bolt, nut, panel, hardware, fasteners, panels, pcs, docs)


def last_day(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
