"""The order centre story, end to end (issue 5), through the services: the order, stock and people
are in story.py.

Costs (FIFO, see production/tests/factory.py for the rates): boards 4 @ 14.99 then the 5 new @ 15.50;
processors 1 @ 20.00, 6 @ 25.00 (5 + 1), then the 2 new @ 26.00.
  brains for the standard robots (5): boards 59.96 + 15.50, CPUs 20.00 + 4 × 25.00, 1 h → 60.00 = 255.46
  brains for the custom robots (4): boards 62.00, CPUs 25.00 + 25.00 + 52.00, 0.9 h → 54.00 = 218.00
  5 standard robots: 255.46 + 602.50 + 175.50 + 91.25 + 13.00 + 150.00 = 1,287.71
  4 custom robots: 218.00 + big cases 600.00 + kits 140.40 + peripherals 73.00 + bolts 10.40
                   + sensors 88.00 + 3 h → 120.00 = 1,249.80
"""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from fabrika.conftest import attachments_of
from fabrika.documents.tests.printing_helpers import pdf_text
from fabrika.inventory.checks import check_ledger
from fabrika.inventory.models import Balance, StockMove
from fabrika.inventory.services import document_create, document_post
from fabrika.production.models import ProductionOrder
from fabrika.production.services import order_report
from fabrika.purchasing.models import SupplierRequest
from fabrika.purchasing.services import request_transition, request_update
from fabrika.sales import availability
from fabrika.sales.errors import AdvanceRequired
from fabrika.sales.models import SalesOrder
from fabrika.sales.services import (
    invoice_create,
    order_close,
    order_confirm,
    payment_create,
    shipment_create,
)
from fabrika.sales.services.email import order_email_document

from . import story

pytestmark = pytest.mark.django_db
S = SalesOrder.State
factory = story.factory  # the fixture


def test_robokids_order_from_entry_to_payment(factory, smtp_server, django_capture_on_commit_callbacks):
    f = factory
    today = timezone.localdate()
    the = story.robokids(f)
    manager, school, maria, supplier, custom, order = (
        the.manager,
        the.school,
        the.maria,
        the.supplier,
        the.custom,
        the.order,
    )
    assert (order.subtotal, order.vat_amount, order.total) == (D("23005.00"), D("4601.00"), D("27606.00"))
    order = order_confirm(actor=manager, order=order)
    standard, kits, customs = order.lines.order_by("position")

    # The analysis: 5 robots from stock, 5 + 4 to make; 5 boards and 2 processors to buy.
    analysis = availability.analyse(order)
    rows = {la.line.position: (la.from_stock, la.to_produce, la.to_purchase) for la in analysis.lines}
    assert rows == {1: (5, 5, 0), 2: (5, 0, 0), 3: (0, 4, 0)}
    assert {p.code: q for p, q, _d in analysis.purchases.values()} == {"BOARD": 5, "CPU": 2}

    availability.reserve_available(actor=manager, order=order)
    [request] = availability.create_requests(actor=manager, order=order)
    assert sorted((x.product.code, x.qty) for x in request.lines.all()) == [("BOARD", 5), ("CPU", 2)]

    # The advance must be paid before production starts: refused, nothing made.
    with pytest.raises(AdvanceRequired):
        availability.create_production(actor=manager, order=order)
    assert not ProductionOrder.objects.exists()

    advance = invoice_create(
        actor=manager, order=order, kind="advance", schedule_line=order.schedule.order_by("position").first()
    )
    assert advance.amount == D("13803.00")
    with django_capture_on_commit_callbacks(execute=True):
        order_email_document(actor=manager, order=order, code="sales.invoice", contact=maria, document=advance)
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "Maria Huber <maria@robokids.example>"
    [(name, pdf, kind)] = attachments_of(mail)
    assert (name, kind) == (f"{advance.number}.pdf", "application/pdf")
    assert "13,803.00" in pdf_text(pdf)
    payment_create(actor=manager, counterparty=school, date=today, amount=D("13803.00"), auto_allocate=True)

    made = availability.create_production(actor=manager, order=order)
    robots = sorted((o for o in made if o.product == f.p["ROBOT"]), key=lambda o: o.pk)
    assert [(o.qty, o.bom_id) for o in robots] == [(D(5), f.p["ROBOT"].boms.get(is_active=True).pk), (D(4), custom.pk)]
    brains = [ProductionOrder.objects.get(parent=o) for o in robots]
    assert [b.qty for b in brains] == [D(5), D(4)]
    order.refresh_from_db()
    assert order.state == S.IN_WORK

    # The components arrive: the request goes through its states and the goods are received.
    request_update(actor=manager, request=request, data={"supplier": supplier})
    for state in ("sent", "ordered"):
        request_transition(actor=manager, request=request, to_state=state)
    receipt = document_create(
        actor=None,
        type="receipt",
        data={"warehouse": f.main, "counterparty": supplier},
        lines=[
            {"product": f.p["BOARD"], "qty": D(5), "price": D("15.50")},
            {"product": f.p["CPU"], "qty": D(2), "price": D("26.00")},
        ],
    )
    document_post(actor=None, document=receipt)
    request_transition(actor=manager, request=request, to_state="received")
    assert SupplierRequest.objects.get(pk=request.pk).state == "received"

    # Production: the brains, then the robots; the made robots are held for their lines.
    for po in (*brains, *robots):
        order_report(actor=None, order=po, qty=po.qty)
    values = [
        StockMove.objects.get(value_group=po.reports.get().value_group, value_share__isnull=False).value
        for po in (*brains, *robots)
    ]
    assert values == [D("255.46"), D("218.00"), D("1287.71"), D("1249.80")]

    # Everything is reserved now; the order ships with its delivery note, act and final invoice.
    availability.reserve_available(actor=manager, order=order)
    assert all(la.reserved == la.ordered for la in availability.analyse(order).lines)
    shipment = shipment_create(
        actor=manager,
        order=order,
        lines=[(standard, D(10)), (kits, D(5)), (customs, D(4))],
        carrier="DHL Freight",
        vehicle="W-12345",
        delivery_address="Schulgasse 5, 1180 Vienna",
        shipping_cost=D("120.00"),
        planned_delivery=today + timedelta(days=2),
    )
    shipped = StockMove.objects.filter(document=shipment.document)
    custom_lots = {m.lot_id for m in shipped.filter(line__reservation__source_id=customs.pk)}
    assert custom_lots == {robots[1].reports.get().value_group.moves.get(value_share__isnull=False).lot_id}
    assert sum(m.value for m in shipped if m.product == f.p["ROBOT"]) == D("1277.20") + D("1287.71") + D("1249.80")
    order.refresh_from_db()
    assert order.state == S.SHIPPED
    final = invoice_create(actor=manager, order=order, kind="final")
    assert final.amount == D("13803.00")
    with django_capture_on_commit_callbacks(execute=True):
        for code, document in (
            ("inventory.shipment", shipment.document),
            ("sales.act", order),
            ("sales.invoice", final),
        ):
            order_email_document(actor=manager, order=order, code=code, contact=maria, document=document)
    mails = smtp_server.wait_for(4)
    texts = [pdf_text(attachments_of(m)[0][1]) for m in mails[1:]]
    assert shipment.document.number in texts[0] and "Robokids School of Robotics" in texts[0]
    assert "27,606.00" in texts[1]
    assert final.number in texts[2] and "13,803.00" in texts[2]
    payment_create(actor=manager, counterparty=school, date=today, amount=D("13803.00"), auto_allocate=True)
    order = order_close(actor=manager, order=order)
    assert order.state == S.CLOSED
    assert Balance.objects.get(product=f.p["ROBOT"], warehouse=f.main).qty == 0
    assert check_ledger() == []
