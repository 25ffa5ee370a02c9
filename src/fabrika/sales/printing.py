"""Printed sales documents: the invoice for payment, the VAT invoice and the act of completed work.
The delivery note of a shipment is the warehouse's (`inventory.shipment`).

As for the stock documents, `extract()` reads the record into plain data and `shape()` makes what
a template sees in the document's language; the samples go through the same `shape()`.

An invoice prints the order's lines when it completes the order (its amount is what was left to
invoice), less the invoices before it; an advance or a part payment prints one line "advance for
order …". A credit note prints the returned lines.
"""

import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fabrika.access.policy import Policy
from fabrika.core.money import money
from fabrika.documents.printing import registry
from fabrika.documents.printing.filters import date as date_filter
from fabrika.documents.printing.filters import number

from .models import Invoice, SalesOrder, SalesReturn

ZERO = Decimal("0.00")


def _party(counterparty) -> dict:
    addresses = {}
    for address in counterparty.addresses.all():
        addresses.setdefault(address.kind, address.text)
    legal = addresses.get("legal") or next(iter(addresses.values()), "")
    return {
        "name": counterparty.name,
        "legal_name": counterparty.legal_name,
        "tax_id": counterparty.tax_id,
        "registration_number": counterparty.registration_number,
        "address": legal,
        "delivery_address": addresses.get("delivery") or legal,
        "phone": counterparty.phone,
        "email": counterparty.email,
        "bank_name": counterparty.bank_name,
        "bank_account": counterparty.bank_account,
    }


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _order_lines(order: SalesOrder) -> list[dict]:
    return [
        {
            "code": line.product.code,
            "name": line.description or line.product.name,
            "unit": line.unit.code,
            "qty": line.qty,
            "price": line.price,
            "discount": line.discount_pct,
            "amount": line.amount,
        }
        for line in order.lines.select_related("product", "unit").order_by("position", "id")
    ]


def _with_vat(lines: list[dict], rate: Decimal, vat_total: Decimal) -> list[dict]:
    """Each line's VAT, rounded; the last line takes what makes the lines add up to `vat_total`."""
    result, running = [], ZERO
    for index, line in enumerate(lines):
        vat = money(line["amount"] * rate / Decimal(100)) if index < len(lines) - 1 else vat_total - running
        running += vat
        result.append({**line, "vat": vat, "gross": line["amount"] + vat})
    return result


def _order_dict(order: SalesOrder) -> dict:
    return {
        "number": order.number,
        "date": order.order_date,
        "subtotal": order.subtotal,
        "vat": order.vat_amount,
        "total": order.total,
        "discount": order.discount_amount,
        "delivery_address": order.delivery_address,
        "manager": _person(order.manager),
    }


def extract_invoice(invoice: Invoice) -> dict:
    invoice = (
        Invoice.objects.select_related("order", "order__manager", "counterparty", "created_by")
        .prefetch_related("counterparty__addresses")
        .get(pk=invoice.pk)
    )
    order = invoice.order
    net = invoice.amount - invoice.vat_amount
    earlier = list(
        Invoice.objects.filter(order=order, pk__lt=invoice.pk)
        .exclude(state=Invoice.State.CANCELLED)
        .exclude(kind=Invoice.Kind.CREDIT)
        .order_by("pk")
        .values("number", "issue_date", "amount", "vat_amount")
    )
    deductions = []
    if invoice.is_credit:
        sales_return = SalesReturn.objects.filter(credit_note=invoice).first()
        lines = []
        if sales_return is not None:
            for rl in sales_return.lines.select_related("order_line__product", "order_line__unit"):
                ol = rl.order_line
                lines.append(
                    {
                        "code": ol.product.code,
                        "name": ol.description or ol.product.name,
                        "unit": ol.unit.code,
                        "qty": rl.qty,
                        "price": ol.price,
                        "discount": ol.discount_pct,
                        "amount": rl.amount,
                    }
                )
        lines = _with_vat(lines, invoice.vat_rate, -invoice.vat_amount)
        full = True
    elif (
        sum((e["amount"] for e in earlier), ZERO) + invoice.amount == order.total
        and invoice.kind != Invoice.Kind.ADVANCE
    ):
        lines = _with_vat(_order_lines(order), order.vat_rate, order.vat_amount)
        deductions = [
            {"number": e["number"], "date": e["issue_date"], "amount": e["amount"], "vat": e["vat_amount"]}
            for e in earlier
        ]
        full = True
    else:
        share = money(invoice.amount * Decimal(100) / order.total) if order.total else Decimal("100")
        lines = [
            {
                "code": "",
                "name": "",  # made in shape(): "Advance for order …" in the document's language
                "unit": "",
                "qty": Decimal("1"),
                "price": net,
                "discount": ZERO,
                "amount": net,
                "vat": invoice.vat_amount,
                "gross": invoice.amount,
                "share": share,
            }
        ]
        full = False
    return {
        "kind": invoice.kind,
        "number": invoice.number,
        "date": invoice.issue_date,
        "due_date": invoice.due_date,
        "state": invoice.state,
        "currency": invoice.currency,
        "customer": _party(invoice.counterparty),
        "order": _order_dict(order),
        "lines": lines,
        "full": full,
        "deductions": deductions,
        "net": -net if invoice.is_credit else net,
        "vat_rate": invoice.vat_rate,
        "vat": -invoice.vat_amount if invoice.is_credit else invoice.vat_amount,
        "total": -invoice.amount if invoice.is_credit else invoice.amount,
        "paid": invoice.paid_amount,
        "note": invoice.note,
        "issued_by": _person(invoice.created_by),
    }


def _invoice_labels(kind: str) -> dict:
    titles = {
        Invoice.Kind.ADVANCE: _("Advance invoice"),
        Invoice.Kind.FINAL: _("Invoice for payment"),
        Invoice.Kind.REGULAR: _("Invoice for payment"),
        Invoice.Kind.CREDIT: _("Credit note"),
    }
    return {
        "title": titles[kind],
        "vat_title": _("VAT invoice"),
        "seller": _("Seller"),
        "customer": _("Customer"),
        "order": _("Order"),
        "due_date": _("Pay by"),
        "discount": _("Discount, %"),
        "net": _("Amount before VAT"),
        "vat_rate": _("VAT rate"),
        "vat": _("VAT"),
        "gross": _("Amount with VAT"),
        "total": _("Total"),
        "total_to_pay": _("Total to pay"),
        "credit_total": _("Total credited"),
        "less": _("Less invoice %(number)s of %(date)s"),
        "payment_reference": _("Payment reference"),
        "delivery_address": _("Delivery address"),
        "amount_in_words": _("Amount"),
        "paid": _("Paid"),
    }


def shape_invoice(raw: dict, options) -> dict:
    labels = _invoice_labels(raw["kind"])
    lines = []
    for position, line in enumerate(raw["lines"], start=1):
        name = line["name"]
        if not name:
            if raw["kind"] == Invoice.Kind.ADVANCE:
                name = _("Advance payment for order %(number)s of %(date)s (%(share)s %% of %(total)s)")
            else:
                name = _("Payment for order %(number)s of %(date)s (%(share)s %% of %(total)s)")
            name = name % {
                "number": raw["order"]["number"],
                "date": date_filter(raw["order"]["date"]),
                "share": number(line.get("share"), 2),
                "total": number(raw["order"]["total"], 2),
            }
        lines.append({**line, "position": position, "name": name})
    less = [
        {**d, "label": labels["less"] % {"number": d["number"], "date": date_filter(d["date"])}}
        for d in raw["deductions"]
    ]
    doc = {
        "title": labels["title"],
        "kind": raw["kind"],
        "number": raw["number"],
        "date": raw["date"],
        "due_date": raw["due_date"],
        "state": raw["state"],
        "is_cancelled": raw["state"] == Invoice.State.CANCELLED,
        "is_credit": raw["kind"] == Invoice.Kind.CREDIT,
        "customer": raw["customer"],
        "order": raw["order"],
        "note": raw["note"],
        "comment": raw["note"],
        "issued_by": raw["issued_by"],
        "full": raw["full"],
    }
    lines_net = sum((line["amount"] for line in lines), ZERO)
    lines_vat = sum((line["vat"] for line in lines), ZERO)
    totals = {
        "lines_net": lines_net,
        "lines_vat": lines_vat,
        "lines_gross": lines_net + lines_vat,
        "less": sum((d["amount"] for d in less), ZERO),
        "net": raw["net"],
        "vat_rate": raw["vat_rate"],
        "vat": raw["vat"],
        "total": raw["total"],
        "paid": raw["paid"],
    }
    signatures = [
        {"label": _("Issued by"), "name": raw["issued_by"]},
        {"label": _("Accountant"), "name": ""},
    ]
    return {
        "doc": doc,
        "lines": lines,
        "less": less,
        "totals": totals,
        "labels": labels,
        "signatures": signatures,
        "currency": raw["currency"],
    }


def invoice_context(invoice: Invoice, options) -> dict:
    return shape_invoice(extract_invoice(invoice), options)


def vat_invoice_context(invoice: Invoice, options) -> dict:
    context = invoice_context(invoice, options)
    context["doc"]["title"] = context["labels"]["vat_title"]
    return context


def extract_act(order: SalesOrder) -> dict:
    order = (
        SalesOrder.objects.select_related("counterparty", "manager")
        .prefetch_related("counterparty__addresses")
        .get(pk=order.pk)
    )
    last_shipment = order.shipments.filter(shipped_at__isnull=False).order_by("-shipped_at").first()
    when = (
        timezone.localdate(last_shipment.shipped_at)
        if last_shipment
        else (timezone.localdate(order.closed_at) if order.closed_at else timezone.localdate())
    )
    return {
        "number": order.number,
        "date": when,
        "state": order.state,
        "currency": order.currency,
        "customer": _party(order.counterparty),
        "order": _order_dict(order),
        "lines": _with_vat(_order_lines(order), order.vat_rate, order.vat_amount),
        "vat_rate": order.vat_rate,
        "manager": _person(order.manager),
        "note": "",
    }


def shape_act(raw: dict, options) -> dict:
    labels = {
        **_invoice_labels(Invoice.Kind.REGULAR),
        "title": _("Act of completed work"),
        "executor": _("Executor"),
        "statement": _(
            "The goods and work listed above were delivered in full and on time. "
            "The customer has no claims as to their quantity, quality or delivery date."
        ),
    }
    lines = [{**line, "position": i} for i, line in enumerate(raw["lines"], start=1)]
    net = sum((line["amount"] for line in lines), ZERO)
    vat = sum((line["vat"] for line in lines), ZERO)
    return {
        "doc": {
            "title": labels["title"],
            "number": raw["number"],
            "date": raw["date"],
            "state": raw["state"],
            "is_cancelled": raw["state"] == SalesOrder.State.CANCELLED,
            "is_draft": raw["state"] == SalesOrder.State.DRAFT,
            "customer": raw["customer"],
            "order": raw["order"],
            "comment": raw["note"],
        },
        "lines": lines,
        "totals": {"net": net, "vat_rate": raw["vat_rate"], "vat": vat, "total": net + vat},
        "labels": labels,
        "signatures": [
            {"label": labels["executor"], "name": raw["manager"]},
            {"label": labels["customer"], "name": ""},
        ],
        "currency": raw["currency"],
    }


def act_context(order: SalesOrder, options) -> dict:
    return shape_act(extract_act(order), options)


# --- samples ------------------------------------------------------------------------------------

_SAMPLE_CUSTOMER = {
    "name": "Acme Robotics",
    "legal_name": "Acme Robotics SAS",
    "tax_id": "FR40303265045",
    "registration_number": "303 265 045",
    "address": "12 rue de la Paix, 75002 Paris",
    "delivery_address": "Dock 4, 10 avenue de l'Industrie, 69007 Lyon",
    "phone": "+33 1 23 45 67 89",
    "email": "orders@acme.example",
    "bank_name": "",
    "bank_account": "",
}
_SAMPLE_ORDER = {
    "number": "SO-2026-00042",
    "date": datetime.date(2026, 3, 2),
    "subtotal": Decimal("2902.50"),
    "vat": Decimal("580.50"),
    "total": Decimal("3483.00"),
    "discount": Decimal("152.50"),
    "delivery_address": "Dock 4, 10 avenue de l'Industrie, 69007 Lyon",
    "manager": "Anna Becker",
}
_SAMPLE_LINES = [
    {
        "code": "R1",
        "name": "Standard robot R1",
        "unit": "pcs",
        "qty": Decimal("2"),
        "price": Decimal("1450.00"),
        "discount": Decimal("5.00"),
        "amount": Decimal("2755.00"),
    },
    {
        "code": "K1",
        "name": "Construction kit K1",
        "unit": "pcs",
        "qty": Decimal("1"),
        "price": Decimal("147.50"),
        "discount": Decimal("0.00"),
        "amount": Decimal("147.50"),
    },
]


def sample_invoice(options) -> dict:
    lines = _with_vat(_SAMPLE_LINES, Decimal("20.00"), Decimal("580.50"))
    raw = {
        "kind": Invoice.Kind.FINAL,
        "number": "INV-2026-00042",
        "date": datetime.date(2026, 3, 14),
        "due_date": datetime.date(2026, 3, 28),
        "state": Invoice.State.ISSUED,
        "currency": "EUR",
        "customer": dict(_SAMPLE_CUSTOMER),
        "order": dict(_SAMPLE_ORDER),
        "lines": lines,
        "full": True,
        "deductions": [
            {
                "number": "INV-2026-00040",
                "date": datetime.date(2026, 3, 3),
                "amount": Decimal("1741.50"),
                "vat": Decimal("290.25"),
            }
        ],
        "net": Decimal("1451.25"),
        "vat_rate": Decimal("20.00"),
        "vat": Decimal("290.25"),
        "total": Decimal("1741.50"),
        "paid": Decimal("0.00"),
        "note": "Sample invoice",
        "issued_by": "Anna Becker",
    }
    return shape_invoice(raw, options)


def sample_vat_invoice(options) -> dict:
    context = sample_invoice(options)
    context["doc"]["title"] = context["labels"]["vat_title"]
    return context


def sample_act(options) -> dict:
    raw = {
        "number": "SO-2026-00042",
        "date": datetime.date(2026, 3, 20),
        "state": SalesOrder.State.SHIPPED,
        "currency": "EUR",
        "customer": dict(_SAMPLE_CUSTOMER),
        "order": dict(_SAMPLE_ORDER),
        "lines": _with_vat(_SAMPLE_LINES, Decimal("20.00"), Decimal("580.50")),
        "vat_rate": Decimal("20.00"),
        "manager": "Anna Becker",
        "note": "",
    }
    return shape_act(raw, options)


def register_sales_forms() -> None:
    policy = Policy("sales", "view")
    registry.register(
        "sales.invoice",
        model=Invoice,
        label=gettext_lazy("Invoice for payment"),
        context=invoice_context,
        sample=sample_invoice,
        policy=policy,
        filename=lambda invoice: invoice.number,
    )
    registry.register(
        "sales.vat_invoice",
        model=Invoice,
        label=gettext_lazy("VAT invoice"),
        context=vat_invoice_context,
        sample=sample_vat_invoice,
        policy=policy,
        filename=lambda invoice: f"VAT-{invoice.number}",
    )
    registry.register(
        "sales.act",
        model=SalesOrder,
        label=gettext_lazy("Act of completed work"),
        context=act_context,
        sample=sample_act,
        policy=policy,
        filename=lambda order: f"ACT-{order.number}",
    )


register_sales_forms()
