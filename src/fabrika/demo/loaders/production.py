"""Step "production": how Robo Fabrika makes its robots, and the shop floor today.

* Work centres: the SMT line, the assembly bench, the paint booth, the test stand, the packing table.
* BOMs and tech cards (saved by the engineer): the brain node (smart board + processor on the
  motherboard, a piece of cable), the chassis node (painted case M with servos and sensors), the
  standard robot R1 (chassis + brain + peripherals + bolts) and the construction kit K1 (picked and
  packed). Production profiles: everything is made from and into the main warehouse.
* Production orders (by the plant manager), one in every state, posted through the services:
  - done: three R1 for the dealer stock, released with their brain and chassis child orders,
    all made;
  - in progress: twelve K1 for the autumn term, five packed so far;
  - released with child orders: two R1 for the Linz club, waiting for their brains and chassis;
  - draft: five R1 planned for next week;
  - cancelled: four K1 for the summer camp, one packed and then taken back apart (reversed).

Natural keys: work centre code; a product with any BOM (tech card) keeps it; an order's note. A
second run finds them all and writes nothing.
"""

from datetime import timedelta
from decimal import Decimal

from fabrika.catalog.models import Product
from fabrika.inventory.models import Warehouse
from fabrika.production import services
from fabrika.production.models import Bom, ProductionOrder, ProductionProfile, TechCard, WorkCentre

# code, name, hourly rate, hours per day
CENTRES = [
    ("SMT", "SMT line", "18.00", "16"),
    ("ASM", "Assembly bench", "16.00", "8"),
    ("PAINT", "Paint booth", "22.00", "8"),
    ("TEST", "Test stand", "12.00", "8"),
    ("PACK", "Packing table", "9.00", "8"),
]

# fmt: off
# product -> (BOM name, [(component, qty, unit or None, scrap %)], lead time in days)
BOMS = {
    "NODE-BRAIN": ("Brain, quad core", [("SB-100", "1", None, "0"), ("CPU-Q18", "1", None, "0"),
                                        ("MB-200", "1", None, "0"), ("CABLE-4", "0.5", None, "0")], 1),
    "NODE-CHASSIS": ("Chassis, case M", [("CASE-M", "1", None, "0"), ("SERVO-MG", "2", None, "0"),
                                         ("SNS-IR", "2", None, "0"), ("SNS-LINE", "1", None, "0"),
                                         ("PAINT-BLUE", "0.2", None, "5"), ("M3-BOLT", "12", None, "0"),
                                         ("M3-NUT", "12", None, "0")], 2),
    "R1": ("Standard robot", [("NODE-CHASSIS", "1", None, "0"), ("NODE-BRAIN", "1", None, "0"),
                              ("PERIPH-01", "1", None, "0"), ("M3-BOLT", "8", None, "0")], 2),
    "K1": ("Construction kit", [("CASE-S", "1", None, "0"), ("SB-100", "1", None, "0"), ("SNS-IR", "1", None, "0"),
                                ("SNS-LINE", "1", None, "0"), ("EKIT-01", "1", None, "0"), ("CABLE-4", "1", None, "0"),
                                ("M3-BOLT", "20", None, "0"), ("M3-NUT", "20", None, "0")], 1),
}
# product -> [(operation, centre, setup min, run min per unit, labour per hour, overhead per hour, instructions)]
TECH_CARDS = {
    "NODE-BRAIN": [
        ("Solder the processor and the smart board", "SMT", "30", "6", "30.00", "12.00",
         "Reflow profile B. Inspect every joint under the magnifier."),
        ("Flash the firmware and test", "TEST", "0", "5", "28.00", "0.00",
         "Firmware from the release share; the self-test must pass all 12 checks."),
    ],
    "NODE-CHASSIS": [
        ("Paint the case", "PAINT", "20", "8", "26.00", "6.00", "RAL 5015, two coats, cure 20 min at 180 °C."),
        ("Mount the servos and sensors", "ASM", "0", "15", "24.00", "0.00", "Torque M3 bolts to 0.5 N·m."),
    ],
    "R1": [
        ("Final assembly", "ASM", "0", "25", "24.00", "0.00", "Fit the brain first, then close the chassis."),
        ("Test run", "TEST", "0", "10", "28.00", "0.00", "Line-following course, two laps."),
        ("Pack", "PACK", "0", "5", "20.00", "0.00", ""),
    ],
    "K1": [
        ("Pick and pack the kit", "PACK", "10", "12", "20.00", "2.00", "Check the parts list on the lid."),
    ],
}
# note -> (product, qty, planned start in days from today, what happens)
ORDERS = [
    ("Demo: R1 for the dealer stock", "R1", "3", -6, ["release", "make_children", ("report", "3")]),
    ("Demo: K1 for the autumn term", "K1", "12", -2, ["release", ("report", "5")]),
    ("Demo: R1 for the Linz club", "R1", "2", 1, ["release"]),
    ("Demo: R1 planned for next week", "R1", "5", 7, []),
    ("Demo: K1 for the summer camp (called off)", "K1", "4", -4, ["release", ("report", "1"), "cancel"]),
]
# fmt: on


def load(ctx) -> None:
    products = {p.code: p for p in Product.objects.filter(code__in=_codes())}
    main = Warehouse.objects.filter(code="MAIN").first()
    if main is None or any(code not in products for code in BOMS):
        return  # the catalog or warehouse step made nothing to produce
    engineer, manager = ctx.user("engineer"), ctx.user("production")
    with ctx.acting_as(engineer):
        centres = _centres(ctx, engineer)
        _boms(ctx, engineer, products)
        _tech_cards(ctx, engineer, products, centres)
    with ctx.acting_as(manager):
        _profiles(ctx, manager, products, main)
        _orders(ctx, manager, products, main)


def _codes() -> set[str]:
    return set(BOMS) | {code for _name, lines, _lead in BOMS.values() for code, *_rest in lines}


def _centres(ctx, actor) -> dict[str, WorkCentre]:
    found = {c.code: c for c in WorkCentre.objects.filter(code__in=[code for code, *_rest in CENTRES])}
    for code, name, rate, hours in CENTRES:
        if code not in found:
            found[code] = services.workcentre_save(
                actor=actor,
                data={"code": code, "name": name, "hourly_rate": Decimal(rate), "hours_per_day": Decimal(hours)},
            )
            ctx.count("work centres")
    return found


def _boms(ctx, actor, products) -> None:
    have = set(Bom.objects.filter(product__code__in=list(BOMS)).values_list("product__code", flat=True))
    for code, (name, lines, _lead) in BOMS.items():  # nodes first: a product's BOM names them
        if code in have:
            continue
        services.bom_save(
            actor=actor,
            product=products[code],
            data={"name": name},
            lines=[
                {"component": products[c], "qty": Decimal(q), "unit": None, "scrap_pct": Decimal(s)}
                for c, q, _unit, s in lines
            ],
        )
        ctx.count("BOMs")


def _tech_cards(ctx, actor, products, centres) -> None:
    have = set(TechCard.objects.filter(product__code__in=list(TECH_CARDS)).values_list("product__code", flat=True))
    for code, operations in TECH_CARDS.items():
        if code in have:
            continue
        services.techcard_save(
            actor=actor,
            product=products[code],
            data={"name": BOMS[code][0]},
            operations=[
                {
                    "seq": (i + 1) * 10,
                    "name": name,
                    "work_centre": centres[centre],
                    "setup_minutes": Decimal(setup),
                    "run_minutes": Decimal(run),
                    "labour_rate": Decimal(labour),
                    "overhead_rate": Decimal(overhead),
                    "instructions": instructions,
                }
                for i, (name, centre, setup, run, labour, overhead, instructions) in enumerate(operations)
            ],
        )
        ctx.count("tech cards")


def _profiles(ctx, actor, products, main) -> None:
    have = set(ProductionProfile.objects.filter(product__code__in=list(BOMS)).values_list("product__code", flat=True))
    for code, (_name, _lines, lead) in BOMS.items():
        if code in have:
            continue
        services.profile_save(
            actor=actor,
            product=products[code],
            data={"input_warehouse": main, "output_warehouse": main, "lead_time_days": lead},
        )
        ctx.count("production profiles")


def _orders(ctx, actor, products, main) -> None:
    done = set(ProductionOrder.objects.exclude(note="").values_list("note", flat=True))
    for note, code, qty, start_in, steps in ORDERS:
        if note in done:
            continue
        start = ctx.today + timedelta(days=start_in)
        order = services.order_create(
            actor=actor,
            data={
                "product": products[code],
                "qty": Decimal(qty),
                "input_warehouse": main,
                "output_warehouse": main,
                "planned_start": start,
                "planned_finish": start + timedelta(days=BOMS[code][2]),
                "note": note,
            },
        )
        ctx.count("production orders")
        for step in steps:
            name, *args = step if isinstance(step, tuple) else (step,)
            order.refresh_from_db()
            if name == "release":
                created = services.orders_release(actor=actor, orders=[order])
                ctx.count("production orders", len(created) - 1)
            elif name == "make_children":
                # Deepest first: every child order is made in full before its parent uses it.
                for child in reversed(_tree(order)):
                    services.order_report(actor=actor, order=child, qty=child.qty)
                    ctx.count("production reports")
            elif name == "report":
                services.order_report(actor=actor, order=order, qty=Decimal(args[0]))
                ctx.count("production reports")
            elif name == "cancel":
                services.order_cancel(actor=actor, order=order)


def _tree(order) -> list[ProductionOrder]:
    """The order's open child orders at every level, parents before their children."""
    out, frontier = [], [order]
    while frontier:
        children = list(
            ProductionOrder.objects.filter(parent__in=frontier)
            .exclude(state__in=[ProductionOrder.State.DONE, ProductionOrder.State.CANCELLED])
            .order_by("id")
        )
        out += children
        frontier = children
    return out
