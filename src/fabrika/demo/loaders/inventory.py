"""Step "inventory": the two warehouses and two months of stock history.

* "Main warehouse" (lot FIFO) and "Workshop" (average cost).
* Every purchased component arrives in two or three deliveries from its supplier over the last
  60 days, at slightly different prices: each delivery is its own lot in the main warehouse.
  Components the catalog adds later get two deliveries at a default price.
* A few shipments of spare parts to customers, one transfer of fasteners and cable to the
  workshop, a delivery of paint straight to the workshop, one write-off, one reservation.

Everything goes through `fabrika.inventory.services`, acting as the storekeeper, in date order.
Natural keys: warehouse code, (document type, comment), reservation reference. A second run
finds them all and writes nothing.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from fabrika.catalog.models import Product, Unit
from fabrika.crm.models import Counterparty
from fabrika.inventory import services
from fabrika.inventory.models import Reservation, StockDocument, Warehouse

T = StockDocument.Type

WAREHOUSES = [
    ("MAIN", "Main warehouse", Warehouse.Valuation.FIFO, "Industriestraße 12, hall A\n1220 Vienna"),
    ("WS", "Workshop", Warehouse.Valuation.AVERAGE, "Industriestraße 12, hall B\n1220 Vienna"),
]

# Deliveries: days before the run, and the price factor of that delivery.
WAVES = [(58, Decimal("1.00")), (35, Decimal("1.06")), (12, Decimal("0.97"))]

# fmt: off
# supplier -> [(product code, unit of the delivery (None: base unit), quantities per wave, price per unit)]
SUPPLY = [
    ("CaseWorks Plastics GmbH", [
        ("CASE-S", None, ("30", "20", None), "18.50"),
        ("CASE-M", None, ("40", "30", "25"), "24.00"),
        ("CASE-L", None, ("20", "15", None), "31.00"),
    ]),
    ("SmartBoard Systems GmbH", [("SB-100", None, ("25", "20", "15"), "42.00")]),
    ("Nordic Processors AB", [
        ("CPU-Q18", None, ("20", "15", "10"), "38.00"),
        ("CPU-O24", None, ("8", "6", None), "64.00"),
    ]),
    ("Danube Electronics Distribution", [("MB-200", None, ("20", "15", "10"), "55.00")]),
    ("SenseLab Capteurs SAS", [
        ("SNS-IR", None, ("40", "30", "20"), "6.80"),
        ("SNS-US", None, ("30", "20", None), "4.20"),
        ("SNS-LINE", None, ("40", "30", "30"), "3.10"),
    ]),
    ("Servotec Motors GmbH", [("SERVO-MG", None, ("50", "40", "30"), "7.90")]),
    ("KitElectronics BV", [
        ("EKIT-01", None, ("30", "20", "20"), "12.50"),
        ("PERIPH-01", None, ("20", "15", "10"), "21.00"),
        ("CABLE-4", None, ("200", "150.5", None), "0.85"),
    ]),
    ("Schraub & Co. Fasteners", [
        ("M3-BOLT", "box", ("10", "6", "8"), "4.00"),
        ("M3-NUT", "box", ("10", "6", None), "2.50"),
    ]),
    ("Farben Huber Paints", [
        ("PAINT-BLUE", None, ("25", "20", None), "9.60"),
        ("PAINT-ORANGE", None, ("15", "10", "12.5"), "10.20"),
    ]),
]
OTHER_COMPONENTS = (("20", "15", None), "10.00")  # components the list above does not know

# (days before the run, customer, comment, [(code, qty)])
SHIPMENTS = [
    (20, "Robokids School of Robotics", "Demo: spare boards and sensors for Robokids",
     [("SB-100", "5"), ("SNS-IR", "10")]),
    (8, "Linz Youth Robotics Club", "Demo: servos for the Linz club's arms", [("SERVO-MG", "12")]),
    (5, "EduTech Dealers GmbH", "Demo: electronics kits for EduTech", [("EKIT-01", "10"), ("PERIPH-01", "4")]),
]
TRANSFER = (10, "Demo: fasteners and cable for the workshop",
            [("M3-BOLT", "400"), ("M3-NUT", "300"), ("CABLE-4", "50")])
WORKSHOP_RECEIPT = (20, "Farben Huber Paints", "Demo: paint delivered to the workshop", [("PAINT-BLUE", "10", "9.80")])
WRITEOFF = (3, "Demo: cracked case found in storage", "Cracked case found in storage", [("CASE-L", "1")])
RESERVATION = ("ORD-DEMO/1", "Robokids School of Robotics", "SB-100", "4")
# fmt: on


def load(ctx) -> None:
    keeper = ctx.user("storekeeper")
    with ctx.acting_as(keeper):
        warehouses = _warehouses(ctx, keeper)
        products = {p.code: p for p in Product.objects.filter(type=Product.Type.COMPONENT)}
        if not products:
            return  # the catalog step made no components
        done = set(StockDocument.objects.exclude(comment="").values_list("type", "comment"))
        plan = [op for op in _plan(ctx, warehouses, products) if (op[1], op[2]["comment"]) not in done]
        for when, doc_type, data, lines in sorted(plan, key=lambda op: op[0]):
            document = services.document_create(actor=keeper, type=doc_type, data={**data, "date": when}, lines=lines)
            services.document_post(actor=keeper, document=document)
            ctx.count("stock documents")
        _reservation(ctx, keeper, warehouses, products)


def _warehouses(ctx, keeper) -> dict[str, Warehouse]:
    found = {w.code: w for w in Warehouse.objects.filter(code__in=[code for code, *_rest in WAREHOUSES])}
    for code, name, valuation, address in WAREHOUSES:
        if code not in found:
            found[code] = services.warehouse_create(
                actor=keeper, data={"code": code, "name": name, "valuation": valuation, "address": address}
            )
            ctx.count("warehouses")
    return found


def _at(ctx, days_ago: int, minute: int = 0) -> datetime:
    day = ctx.today - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, time(9, 0))) + timedelta(minutes=minute)


def _counterparty(name: str):
    return Counterparty.objects.filter(name=name).first()


def _plan(ctx, warehouses, products) -> list[tuple]:
    """Every document of the demo as (date, type, header, lines), not yet in date order."""
    main, workshop = warehouses["MAIN"], warehouses["WS"]
    units = {u.code: u for u in Unit.objects.all()}
    supply = [(supplier, [s for s in specs if s[0] in products]) for supplier, specs in SUPPLY]
    known = {code for _supplier, specs in SUPPLY for code, *_rest in specs}
    others = sorted(code for code in products if code not in known)
    if others:
        supply.append((None, [(code, None, *OTHER_COMPONENTS) for code in others]))
    plan = []
    for wave, (days_ago, factor) in enumerate(WAVES, start=1):
        for index, (supplier, specs) in enumerate(supply):
            when = _at(ctx, days_ago, index)
            lines = []
            for code, unit, quantities, price in specs:
                qty = quantities[wave - 1]
                if qty is None:
                    continue
                lines.append(
                    {
                        "product": products[code],
                        "qty": Decimal(qty),
                        "unit": units.get(unit) if unit else None,
                        "price": (Decimal(price) * factor).quantize(Decimal("0.01")),
                        "lot_number": f"{code}-{timezone.localdate(when):%y%m%d}",
                    }
                )
            if lines:
                comment = f"Demo delivery {wave} from {supplier or 'other suppliers'}"
                header = {"warehouse": main, "counterparty": _counterparty(supplier) if supplier else None}
                plan.append((when, T.RECEIPT, {**header, "comment": comment}, lines))
    days_ago, supplier, comment, items = WORKSHOP_RECEIPT
    lines = [{"product": products[c], "qty": Decimal(q), "price": Decimal(p)} for c, q, p in items if c in products]
    if lines:
        data = {"warehouse": workshop, "counterparty": _counterparty(supplier), "comment": comment}
        plan.append((_at(ctx, days_ago, 30), T.RECEIPT, data, lines))
    for days_ago, customer, comment, items in SHIPMENTS:
        lines = [{"product": products[c], "qty": Decimal(q)} for c, q in items if c in products]
        if lines:
            data = {"warehouse": main, "counterparty": _counterparty(customer), "comment": comment}
            plan.append((_at(ctx, days_ago, 45), T.SHIPMENT, data, lines))
    days_ago, comment, items = TRANSFER
    lines = [{"product": products[c], "qty": Decimal(q)} for c, q in items if c in products]
    if lines:
        data = {"warehouse": main, "to_warehouse": workshop, "comment": comment}
        plan.append((_at(ctx, days_ago, 50), T.TRANSFER, data, lines))
    days_ago, comment, reason, items = WRITEOFF
    lines = [{"product": products[c], "qty": Decimal(q)} for c, q in items if c in products]
    if lines:
        plan.append(
            (_at(ctx, days_ago, 55), T.WRITEOFF, {"warehouse": main, "comment": comment, "reason": reason}, lines)
        )
    return plan


def _reservation(ctx, keeper, warehouses, products) -> None:
    reference, customer, code, qty = RESERVATION
    if code not in products or Reservation.objects.filter(reference=reference).exists():
        return
    services.reserve(
        actor=keeper,
        product=products[code],
        warehouse=warehouses["MAIN"],
        qty=Decimal(qty),
        reference=reference,
        counterparty=_counterparty(customer),
    )
    ctx.count("reservations")
