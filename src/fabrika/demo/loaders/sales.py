"""Step "sales": the order centre of Robo Fabrika, one order (at least) in every state.

* Sales settings: the main warehouse, retail prices, three payment terms templates
  ("100 % prepayment", "50 % advance, 50 % on delivery", "30 days after shipment").
* An opening count of finished goods in the main warehouse (robots R1, kits K1 and K2): the
  stock the orders reserve and ship (production will make it in later versions of the demo).
* Orders of Robokids School of Robotics (closed, shipped, partly shipped), the Linz club (in
  work, waiting for nothing: its advance is paid), EduTech Dealers (confirmed at dealer prices,
  part reserved, an overdue advance invoice), Alpine Technical University (a draft), Summer
  Science Camps (cancelled) and École de Robotique Lumière (confirmed, a shipment planned on the
  calendar); invoices, payments, a return with a credit note.

Everything goes through the services, acting as the sales managers, in date order (shipments
are dated after the opening count, one after another). Natural key of an order: its customer
and its note. A second run finds them all and writes nothing.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from fabrika.access.models import User
from fabrika.catalog.models import PriceType, Product
from fabrika.crm.models import Counterparty
from fabrika.inventory import services as inventory
from fabrika.inventory.models import StockDocument, Warehouse
from fabrika.sales import services
from fabrika.sales.models import PaymentTerms, SalesOrder, SalesSettings

# fmt: off
TERMS = [
    ("100 % prepayment", [("100", "confirmation", 0)]),
    ("50 % advance, 50 % on delivery", [("50", "confirmation", 0), ("50", "shipment", 0)]),
    ("30 days after shipment", [("100", "after_shipment", 30)]),
]
OPENING_COUNT = ("Demo: opening count of finished goods", 32, [("R1", "8", "920.00"), ("K1", "45", "98.00"),
                                                             ("K2", "12", "131.00")])
# The prices of the catalog step (given on the lines, so the demo does not depend on the day it runs).
RETAIL = {"R1": "1450.00", "R2-CUSTOM": "6500.00", "K1": "189.00", "K2": "249.00",
          "COURSE-PROG": "1200.00", "SETUP": "450.00"}
DEALER = {"R1": "1305.00", "K1": "165.00"}

# note → (customer, manager, days ago, terms, advance policy, promised in days, lines [(code, qty, discount)],
#         price type, what happens: list of steps)
ORDERS = [
    ("Demo: kits and a teachers' course for the autumn term", "Robokids School of Robotics", "sales", 28,
     "100 % prepayment", "none", -20, [("K1", "10", "5"), ("COURSE-PROG", "1", "0")], "retail",
     ["confirm", ("invoice_all", 27), ("pay_all", 26), "reserve", ("ship_all", 25), ("return_one_kit",), "close"]),
    ("Demo: two robots for the new lab", "Robokids School of Robotics", "sales", 20,
     "50 % advance, 50 % on delivery", "warn", -8, [("R1", "2", "0"), ("K2", "4", "0")], "retail",
     ["confirm", ("invoice_advance", 19), ("pay_advance", 17), "reserve", ("ship_all", 10), ("invoice_rest", 10)]),
    ("Demo: kits for the robotics club of the school", "Robokids School of Robotics", "sales", 12,
     "50 % advance, 50 % on delivery", "none", 6, [("K1", "20", "7.5")], "retail",
     ["confirm", ("invoice_advance", 11), ("pay_advance", 8), "reserve", ("ship_part", 5, "12")]),
    ("Demo: three custom robots for the competition team", "Linz Youth Robotics Club", "sales", 9,
     "50 % advance, 50 % on delivery", "block", 30, [("R2-CUSTOM", "3", "0"), ("SETUP", "1", "0")], "retail",
     ["confirm", ("invoice_advance", 9), ("pay_advance", 4), "start"]),
    ("Demo: dealer stock of standard robots", "EduTech Dealers GmbH", "sales", 15,
     "50 % advance, 50 % on delivery", "warn", 10, [("R1", "5", "0"), ("K1", "10", "0")], "dealer",
     ["confirm", ("invoice_advance_overdue", 15), "reserve_partly"]),
    ("Demo: a custom robot for the laboratory (quote sent)", "Alpine Technical University", "sales", 2,
     "30 days after shipment", "none", 45, [("R2-CUSTOM", "1", "5"), ("SETUP", "1", "0")], "retail", []),
    ("Demo: kits for the summer camp (postponed)", "Summer Science Camps e.V.", "sales", 18,
     "100 % prepayment", "none", 20, [("K1", "30", "10")], "retail",
     ["confirm", "cancel"]),
    ("Demo: robots and kits for the classroom", "École de Robotique Lumière", "sales2", 6,
     "30 days after shipment", "none", 9, [("R1", "1", "0"), ("K2", "3", "0")], "retail",
     ["confirm", "reserve", ("plan_shipment", 9)]),
]
# fmt: on


def load(ctx) -> None:
    products = {p.code: p for p in Product.objects.all()}
    main = Warehouse.objects.filter(code="MAIN").first()
    if main is None or "R1" not in products:
        return  # the catalog or warehouse step made nothing to sell
    seller = ctx.user("sales")
    with ctx.acting_as(seller):
        terms = _terms(ctx, seller)
        _settings(seller, main)
        _opening_count(ctx, main, products)
        done = set(SalesOrder.objects.exclude(note="").values_list("counterparty__name", "note"))
        later = []
        for spec in sorted(ORDERS, key=lambda s: -s[3]):  # the oldest first: documents in date order
            note, customer_name = spec[0], spec[1]
            if (customer_name, note) in done:
                continue
            customer = Counterparty.objects.filter(name=customer_name).first()
            if customer is None:
                continue
            later += _order(ctx, spec, customer, terms, products, main)
        # What happens today (a return, closing) comes after every backdated shipment.
        for manager, order, step in later:
            with ctx.acting_as(manager):
                _step(ctx, manager, SalesOrder.objects.get(pk=order.pk), step)
        _tasks_done(ctx)


def _tasks_done(ctx) -> None:
    """The people told about an order long under way have looked at it: their tasks are done."""
    from fabrika.crm import services as crm
    from fabrika.sales.models import OrderTask

    for task in (
        OrderTask.objects.filter(activity__done=False)
        .exclude(order__state="confirmed")
        .select_related("activity", "activity__owner")
    ):
        with ctx.acting_as(task.activity.owner):
            crm.activity_complete(actor=task.activity.owner, activity=task.activity)


def _terms(ctx, actor) -> dict[str, PaymentTerms]:
    found = {t.name: t for t in PaymentTerms.objects.all()}
    for name, parts in TERMS:
        if name not in found:
            found[name] = services.payment_terms_save(
                actor=actor,
                data={"name": name},
                lines=[{"percent": Decimal(p), "trigger": t, "days": d} for p, t, d in parts],
            )
            ctx.count("payment terms")
    return found


def _settings(actor, main) -> None:
    settings = SalesSettings.load()
    if settings.default_warehouse_id is None:
        services.sales_settings_update(
            actor=actor,
            data={"default_warehouse": main, "default_price_type": PriceType.objects.filter(code="retail").first()},
        )


def _at(ctx, days_ago: int, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(ctx.today - timedelta(days=days_ago), time(hour, 0)))


def _opening_count(ctx, main, products) -> None:
    comment, days_ago, items = OPENING_COUNT
    if StockDocument.objects.filter(type=StockDocument.Type.STOCKTAKE, comment=comment).exists():
        return
    keeper = ctx.user("storekeeper")
    lines = [
        {"product": products[code], "counted_qty": Decimal(qty), "price": Decimal(cost)}
        for code, qty, cost in items
        if code in products
    ]
    document = inventory.document_create(
        actor=keeper,
        type=StockDocument.Type.STOCKTAKE,
        data={"warehouse": main, "date": _at(ctx, days_ago, 8), "comment": comment, "reason": "Opening balance"},
        lines=lines,
    )
    inventory.document_post(actor=keeper, document=document)
    ctx.count("stock documents")


TODAY_STEPS = ("return_one_kit", "close")


def _order(ctx, spec, customer, terms, products, main) -> list:
    """Create the order and take it through its steps; returns the steps that happen today."""
    note, _name, manager_name, days_ago, terms_name, policy, promised_in, items, prices, steps = spec
    manager = User.objects.get(username=manager_name)
    table = DEALER if prices == "dealer" else RETAIL
    lines = [
        {
            "product": products[code],
            "qty": Decimal(qty),
            "price": Decimal(table.get(code) or RETAIL[code]),
            "discount_pct": Decimal(discount),
            **(
                {"configuration": {"base": "custom", "colour": "orange"}, "origin_kind": "configurator"}
                if code == "R2-CUSTOM"
                else {}
            ),
        }
        for code, qty, discount in items
        if code in products
    ]
    if not lines:
        return []
    order_date = ctx.today - timedelta(days=days_ago)
    with ctx.acting_as(manager):
        order = services.order_create(
            actor=manager,
            data={
                "counterparty": customer,
                "manager": manager,
                "order_date": order_date,
                "promised_date": ctx.today + timedelta(days=promised_in) if promised_in > -days_ago else order_date,
                "warehouse": main,
                "price_type": PriceType.objects.filter(code=prices).first(),
                "payment_terms": terms.get(terms_name),
                "advance_policy": policy,
                "note": note,
            },
            lines=lines,
        )
        ctx.count("sales orders")
        today = []
        for step in steps:
            if (step if isinstance(step, str) else step[0]) in TODAY_STEPS:
                today.append((manager, order, step))
                continue
            order = SalesOrder.objects.get(pk=order.pk)
            _step(ctx, manager, order, step)
    return today


def _step(ctx, actor, order, step) -> None:
    name, *args = (step,) if isinstance(step, str) else step
    if name == "confirm":
        services.order_confirm(actor=actor, order=order)
    elif name == "start":
        services.order_start_work(actor=actor, order=order)
    elif name == "close":
        services.order_close(actor=actor, order=order)
    elif name == "cancel":
        services.order_cancel(actor=actor, order=order, confirm=True, reason="The camp is postponed to next year.")
    elif name == "reserve":
        services.order_reserve(actor=actor, order=order)
    elif name == "reserve_partly":
        line = order.lines.order_by("position").first()
        services.order_reserve_line(actor=actor, line=line, qty=Decimal("2"))
    elif name in ("invoice_all", "invoice_advance", "invoice_rest", "invoice_advance_overdue"):
        day = ctx.today - timedelta(days=args[0])
        if name == "invoice_advance" or name == "invoice_advance_overdue":
            part = order.schedule.order_by("position").first()
            due = day + timedelta(days=7)
            services.invoice_create(
                actor=actor, order=order, kind="advance", schedule_line=part, issue_date=day, due_date=due
            )
        elif name == "invoice_rest":
            services.invoice_create(actor=actor, order=order, kind="final", issue_date=day)
        else:  # the whole order, as its one schedule part
            part = order.schedule.filter(invoice__isnull=True).order_by("position").first()
            services.invoice_create(actor=actor, order=order, kind="regular", schedule_line=part, issue_date=day)
        ctx.count("invoices")
    elif name in ("pay_all", "pay_advance"):
        day = ctx.today - timedelta(days=args[0])
        invoice = order.invoices.exclude(state="cancelled").order_by("pk").last()
        services.payment_create(
            actor=actor,
            counterparty=order.counterparty,
            date=day,
            amount=invoice.amount,
            reference=f"Bank transfer {invoice.number}",
            allocations=[(invoice, invoice.amount)],
        )
        ctx.count("payments")
    elif name in ("ship_all", "ship_part"):
        when = _at(ctx, args[0], 14)
        stocked = [ln for ln in order.lines.select_related("product").order_by("position") if ln.product.is_stocked]
        qty = Decimal(args[1]) if name == "ship_part" else None
        services.shipment_create(
            actor=actor,
            order=order,
            lines=[(ln, qty or ln.qty) for ln in stocked],
            carrier="DHL Freight",
            vehicle="W-12345X",
            date=when,
            planned_delivery=(when + timedelta(days=2)).date(),
        )
        ctx.count("shipments")
    elif name == "plan_shipment":
        stocked = [ln for ln in order.lines.select_related("product").order_by("position") if ln.product.is_stocked]
        services.shipment_create(
            actor=actor,
            order=order,
            lines=[(ln, ln.qty) for ln in stocked],
            carrier="Geodis",
            post=False,
            planned_delivery=ctx.today + timedelta(days=args[0]),
        )
        ctx.count("shipments")
    elif name == "return_one_kit":
        kit = order.lines.filter(product__code="K1").first()
        if kit is not None:
            services.order_return(
                actor=actor, order=order, lines=[(kit, Decimal("1"))], credit=True, reason="Box damaged in transport"
            )
            ctx.count("returns")
