"""Step "purchasing": the supplier request journal of Robo Fabrika, one request in each state.

* a draft of fasteners for Schraub & Co., still being filled in;
* cases asked from CaseWorks (sent), processors ordered from Nordic Processors, sensors
  received from SenseLab, and a cancelled request for paint;
* a shortage analysis for a school order turned into requests with `requests_for_needs`: one
  per supplier, and one without a supplier yet for a component nobody has been asked for.

Everything goes through `fabrika.purchasing.services`, acting as the purchaser. States are moved
with `request_transition` (no e-mail is sent by the demo). Natural key: the request's note. A
second run finds them and writes nothing.
"""

from datetime import timedelta
from decimal import Decimal

from fabrika.catalog.models import Product, Unit
from fabrika.crm.models import Counterparty
from fabrika.purchasing import services
from fabrika.purchasing.models import SupplierRequest

S = SupplierRequest.State

# fmt: off
# (note, supplier, days ago, needed in days, [(code, unit or None, qty, expected price)], states to go through)
REQUESTS = [
    ("Demo: fasteners for the spring series", "Schraub & Co. Fasteners", 1, 21,
     [("M3-BOLT", "box", "12", "4.00"), ("M3-NUT", "box", "10", "2.50")], []),
    ("Demo: robot cases for the school season", "CaseWorks Plastics GmbH", 6, 18,
     [("CASE-M", None, "60", "24.00"), ("CASE-L", None, "25", "31.00")], [S.SENT]),
    ("Demo: processors for the next batch", "Nordic Processors AB", 14, 7,
     [("CPU-Q18", None, "30", "38.00"), ("CPU-O24", None, "10", "64.00")], [S.SENT, S.ORDERED]),
    ("Demo: sensors restocked", "SenseLab Capteurs SAS", 30, -10,
     [("SNS-IR", None, "40", "6.80"), ("SNS-LINE", None, "40", "3.10")], [S.SENT, S.ORDERED, S.RECEIVED]),
    ("Demo: orange paint (not needed after all)", "Farben Huber Paints", 20, 5,
     [("PAINT-ORANGE", None, "10", "10.20")], [S.SENT, S.CANCELLED]),
]
# The shortage of an order: (code, qty, supplier or None, needed in days)
SHORTAGE_LABEL = "Demo: shortage for the Robokids order"
SHORTAGE = [
    ("SB-100", "12", "SmartBoard Systems GmbH", 10),
    ("SERVO-MG", "40", "Servotec Motors GmbH", 10),
    ("SERVO-MG", "8", "Servotec Motors GmbH", 10),
    ("MB-200", "6", None, 14),
]
# fmt: on


def load(ctx) -> None:
    buyer = ctx.user("purchaser")
    products = {p.code: p for p in Product.objects.all()}
    if not products:
        return  # the catalog step made no products
    units = {u.code: u for u in Unit.objects.all()}
    done = set(SupplierRequest.objects.exclude(note="").values_list("note", flat=True))
    with ctx.acting_as(buyer):
        for note, supplier_name, days_ago, needed_in, items, states in REQUESTS:
            supplier = Counterparty.objects.filter(name=supplier_name).first()
            lines = [
                {
                    "product": products[code],
                    "unit": units.get(unit) if unit else None,
                    "qty": Decimal(qty),
                    "expected_price": Decimal(price),
                }
                for code, unit, qty, price in items
                if code in products
            ]
            if note in done or supplier is None or not lines:
                continue
            request = services.request_create(
                actor=buyer,
                data={
                    "supplier": supplier,
                    "date": ctx.today - timedelta(days=days_ago),
                    "needed_by": ctx.today + timedelta(days=needed_in),
                    "note": note,
                },
                lines=lines,
            )
            for state in states:
                services.request_transition(actor=buyer, request=request, to_state=state)
            ctx.count("supplier requests")
        _shortage(ctx, buyer, products)


def _shortage(ctx, buyer, products) -> None:
    if SupplierRequest.objects.filter(source_label=SHORTAGE_LABEL).exists():
        return
    needs = []
    for code, qty, supplier_name, needed_in in SHORTAGE:
        supplier = Counterparty.objects.filter(name=supplier_name).first() if supplier_name else None
        if code not in products or (supplier_name and supplier is None):
            continue
        needs.append(
            {
                "product": products[code],
                "qty": Decimal(qty),
                "needed_by": ctx.today + timedelta(days=needed_in),
                "supplier": supplier,
                "source_label": SHORTAGE_LABEL,
            }
        )
    if needs:
        ctx.count("supplier requests", len(services.requests_for_needs(actor=buyer, needs=needs)))
