"""Step "catalog": units, the product group tree with characteristics templates, the robot
factory's products of every type, price types and a price list for each.

Everything goes through `fabrika.catalog.services`, acting as the lead design engineer (who owns
the catalog). Natural keys: unit code, (parent, group name), (group, characteristic name),
product code, price type code, price list name, (price list, product).
"""

from datetime import date
from decimal import Decimal

from fabrika.catalog import services
from fabrika.catalog.models import GroupCharacteristic, PriceList, PriceListItem, PriceType, Product, ProductGroup, Unit

# fmt: off

UNITS = [
    # code, name, decimal places
    ("pcs", "pieces", 0),
    ("box", "box", 0),
    ("m", "metre", 3),
    ("kg", "kilogram", 3),
    ("set", "set", 0),
]

# (name, code, children)
GROUPS = [
    ("Components", "COMP", [
        ("Cases", "CASE", []),
        ("Electronics", "ELEC", [
            ("Smart boards", "SB", []),
            ("Processors", "CPU", []),
            ("Sensors", "SNS", []),
        ]),
        ("Fasteners", "FAST", []),
    ]),
    ("Nodes", "NODE", []),
    ("Finished robots", "ROBOT", []),
    ("Kits", "KIT", []),
]

# group -> characteristics: (name, kind, choices, unit, required)
TEMPLATES = {
    "Components": [("supplier article", "text", "", "", False)],
    "Cases": [("size", "choice", "S\nM\nL", "", True), ("colour", "text", "", "", False)],
    "Electronics": [("voltage", "number", "", "V", False)],
    "Smart boards": [("inputs", "number", "", "", False), ("wireless", "bool", "", "", False)],
    "Processors": [("cores", "number", "", "", True), ("frequency", "number", "", "GHz", True)],
    "Sensors": [("sensing", "choice", "distance\nline\ncolour\ntouch", "", True),
                ("range", "number", "", "cm", False)],
    "Fasteners": [("thread", "choice", "M2\nM3\nM4", "", True), ("length", "number", "", "mm", False)],
    "Finished robots": [("base", "choice", "standard\ncustom", "", True),
                        ("payload", "number", "", "kg", False)],
    "Kits": [("age from", "number", "", "years", False), ("pieces", "number", "", "", False)],
}

COMPONENT, NODE, FINISHED, SERVICE, KIT = "component", "node", "finished", "service", "kit"

# code, name, type, unit, group, barcode, characteristics, conversions [(unit, factor)], description
PRODUCTS = [
    ("CASE-S", "Robot case S", COMPONENT, "pcs", "Cases", "9120001000012",
     {"size": "S", "colour": "sky blue", "supplier article": "PC-S-15"}, [], "Injection-moulded case, small."),
    ("CASE-M", "Robot case M", COMPONENT, "pcs", "Cases", "9120001000029",
     {"size": "M", "colour": "sky blue", "supplier article": "PC-M-15"}, [], "Injection-moulded case, medium."),
    ("CASE-L", "Robot case L", COMPONENT, "pcs", "Cases", "9120001000036",
     {"size": "L", "colour": "orange", "supplier article": "PC-L-20"}, [], "Injection-moulded case, large."),
    ("SB-100", "Smart board SB-100", COMPONENT, "pcs", "Smart boards", "9120001000043",
     {"voltage": "5", "inputs": "8", "wireless": True}, [], "Controller board of the standard robot and the kits."),
    ("CPU-Q18", "Processor Quad 1.8 GHz", COMPONENT, "pcs", "Processors", "9120001000050",
     {"voltage": "3.3", "cores": "4", "frequency": "1.8"}, [], "ARM module for the standard robot."),
    ("CPU-O24", "Processor Octa 2.4 GHz", COMPONENT, "pcs", "Processors", "9120001000067",
     {"voltage": "3.3", "cores": "8", "frequency": "2.4"}, [], "ARM module for custom robots."),
    ("MB-200", "Motherboard MB-200", COMPONENT, "pcs", "Electronics", "9120001000074",
     {"voltage": "12"}, [], "Main board that carries the processor module."),
    ("SNS-IR", "Sensor board IR", COMPONENT, "pcs", "Sensors", "9120001000081",
     {"sensing": "distance", "range": "80", "voltage": "5"}, [], "Infrared distance and obstacle sensors."),
    ("SNS-US", "Ultrasonic sensor", COMPONENT, "pcs", "Sensors", "9120001000098",
     {"sensing": "distance", "range": "400", "voltage": "5"}, [], ""),
    ("SNS-LINE", "Line sensor", COMPONENT, "pcs", "Sensors", "9120001000104",
     {"sensing": "line", "range": "2", "voltage": "5"}, [], ""),
    ("SERVO-MG", "Servo motor MG996", COMPONENT, "pcs", "Electronics", "9120001000111",
     {"voltage": "6"}, [], "Metal-gear servo for arms and grippers."),
    ("EKIT-01", "Electronics kit", COMPONENT, "set", "Electronics", "9120001000128",
     {"voltage": "5"}, [], "LEDs, buzzers and wiring packed into the construction kits."),
    ("PERIPH-01", "Peripheral set", COMPONENT, "set", "Electronics", "9120001000135",
     {"voltage": "5"}, [], "Buttons, display and speaker of the standard robot."),
    ("CABLE-4", "Cable, 4 wires", COMPONENT, "m", "Electronics", "", {}, [], "Sold and used by the metre."),
    ("M3-BOLT", "M3 bolt 10 mm", COMPONENT, "pcs", "Fasteners", "9120001000142",
     {"thread": "M3", "length": "10"}, [("box", "100")], "Bought in boxes of 100."),
    ("M3-NUT", "M3 nut", COMPONENT, "pcs", "Fasteners", "9120001000159",
     {"thread": "M3"}, [("box", "100")], "Bought in boxes of 100."),
    ("PAINT-BLUE", "Powder paint RAL 5015 sky blue", COMPONENT, "kg", "Components", "", {}, [], ""),
    ("PAINT-ORANGE", "Powder paint RAL 2004 orange", COMPONENT, "kg", "Components", "", {}, [], ""),
    ("NODE-BRAIN", "Brain node", NODE, "pcs", "Nodes", "", {}, [],
     "Motherboard with its processor, smart board and peripherals, assembled and tested."),
    ("NODE-CHASSIS", "Chassis node", NODE, "pcs", "Nodes", "", {}, [], "Painted case with servos and sensors."),
    ("R1", "Standard robot R1", FINISHED, "pcs", "Finished robots", "9120001000166",
     {"base": "standard", "payload": "0.5"}, [], "The school robot: case M, brain node, IR and line sensors."),
    ("R2-CUSTOM", "Robot R2 custom base", FINISHED, "pcs", "Finished robots", "9120001000173",
     {"base": "custom", "payload": "2"}, [], "Built to order on a custom base (case L, octa-core brain)."),
    ("K1", "Construction kit K1", KIT, "set", "Kits", "9120001000180",
     {"age from": "10", "pieces": "120"}, [], "Everything to build and program a small robot."),
    ("K2", "Construction kit K2 advanced", KIT, "set", "Kits", "9120001000197",
     {"age from": "13", "pieces": "210"}, [], "K1 with servos, an ultrasonic sensor and a gripper."),
    ("COURSE-PROG", "Robot programming course", SERVICE, "pcs", None, "", {}, [],
     "Two-day course for teachers: programming the R1 and the kits."),
    ("SETUP", "Robot setup and commissioning", SERVICE, "pcs", None, "", {}, [], "On-site setup of a classroom."),
]

PRICE_TYPES = [("retail", "Retail"), ("wholesale", "Wholesale"), ("dealer", "Dealer")]

# Prices of the finished products and kits per price type (the funnel's deals use the retail
# price of R1 and K1 and the dealer price of R1).
PRICES = {
    "retail": {"R1": "1450.00", "R2-CUSTOM": "6500.00", "K1": "189.00", "K2": "249.00"},
    "wholesale": {"R1": "1380.00", "R2-CUSTOM": "6200.00", "K1": "175.00", "K2": "230.00"},
    "dealer": {"R1": "1305.00", "R2-CUSTOM": "5900.00", "K1": "165.00", "K2": "215.00"},
}

# fmt: on


def price_list_name(price_type_name: str, year: int) -> str:
    return f"{price_type_name} prices {year}"


def load(ctx) -> None:
    with ctx.acting_as(ctx.user("engineer")):
        units = _units(ctx)
        groups = _groups(ctx)
        _templates(ctx, groups)
        products = _products(ctx, units, groups)
        _prices(ctx, products)


def _units(ctx) -> dict[str, Unit]:
    existing = {u.code: u for u in Unit.objects.filter(code__in=[code for code, _n, _p in UNITS])}
    for code, name, precision in UNITS:
        if code not in existing:
            existing[code] = services.unit_save(
                actor=ctx.user("engineer"), data={"code": code, "name": name, "precision": precision}
            )
            ctx.count("units")
    return existing


def _groups(ctx) -> dict[str, ProductGroup]:
    found: dict[str, ProductGroup] = {}

    def make(specs, parent):
        for name, code, children in specs:
            group = ProductGroup.objects.filter(name=name, parent=parent).first()
            if group is None:
                group = services.group_create(
                    actor=ctx.user("engineer"), data={"name": name, "code": code, "parent": parent}
                )
                ctx.count("product groups")
            found[name] = group
            make(children, group)

    make(GROUPS, None)
    return found


def _templates(ctx, groups) -> None:
    for group_name, chars in TEMPLATES.items():
        group = groups[group_name]
        existing = set(GroupCharacteristic.objects.filter(group=group).values_list("name", flat=True))
        for order, (name, kind, choices, unit, required) in enumerate(chars, start=1):
            if name in existing:
                continue
            services.characteristic_save(
                actor=ctx.user("engineer"),
                group=group,
                data={
                    "name": name,
                    "kind": kind,
                    "choices": choices,
                    "unit": unit,
                    "required": required,
                    "order": order * 10,
                },
            )
            ctx.count("characteristics")


def _products(ctx, units, groups) -> dict[str, Product]:
    existing = {p.code: p for p in Product.objects.filter(code__in=[spec[0] for spec in PRODUCTS])}
    for code, name, type_, unit, group, barcode, chars, conversions, description in PRODUCTS:
        if code in existing:
            continue
        existing[code] = services.product_create(
            actor=ctx.user("engineer"),
            data={
                "code": code,
                "name": name,
                "type": type_,
                "unit": units[unit],
                "group": groups[group] if group else None,
                "barcode": barcode,
                "description": description,
            },
            characteristics=chars,
            conversions=[{"unit": units[u], "factor": Decimal(f)} for u, f in conversions],
        )
        ctx.count("products")
    return existing


def _prices(ctx, products) -> None:
    year = ctx.today.year
    for code, name in PRICE_TYPES:
        price_type = PriceType.objects.filter(code=code).first()
        if price_type is None:
            price_type = services.price_type_save(actor=ctx.user("engineer"), data={"code": code, "name": name})
            ctx.count("price types")
        list_name = price_list_name(name, year)
        price_list = PriceList.objects.filter(name=list_name).first()
        if price_list is None:
            price_list = services.price_list_create(
                actor=ctx.user("engineer"),
                data={"name": list_name, "price_type": price_type, "valid_from": date(year, 1, 1), "currency": ""},
            )
            ctx.count("price lists")
        priced = set(PriceListItem.objects.filter(price_list=price_list).values_list("product__code", flat=True))
        for product_code, price in PRICES[code].items():
            product = products.get(product_code)
            if product is None or product_code in priced:
                continue
            services.price_item_save(
                actor=ctx.user("engineer"), price_list=price_list, product=product, price=Decimal(price)
            )
            ctx.count("prices")
