"""The printed supplier request ("purchasing.request"): what we ask the supplier for, by when.

Expected prices are printed only when the context says so (`show_costs`: the printing user's
purchasing cost right; the e-mailed copy only when the sender asks for it). The sample an
administrator's template is checked against goes through the same `shape()`.
"""

import datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from fabrika.access.policy import Policy
from fabrika.core.money import money
from fabrika.documents.printing import registry
from fabrika.documents.printing.registry import PrintOptions

from .models import SupplierRequest

State = SupplierRequest.State


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _supplier(counterparty) -> dict | None:
    if counterparty is None:
        return None
    from .services import supplier_email

    addresses = {}
    for address in counterparty.addresses.all():
        addresses.setdefault(address.kind, address.text)
    contact = counterparty.contacts.filter(is_primary=True).first()
    return {
        "name": counterparty.name,
        "legal_name": counterparty.legal_name,
        "tax_id": counterparty.tax_id,
        "registration_number": counterparty.registration_number,
        "address": addresses.get("legal") or next(iter(addresses.values()), ""),
        "phone": counterparty.phone,
        "email": supplier_email(counterparty),
        "contact": str(contact) if contact is not None else "",
    }


def extract(request: SupplierRequest) -> dict:
    """The request as plain data (no translation, no access decisions yet)."""
    request = (
        SupplierRequest.objects.select_related("supplier", "responsible", "created_by")
        .prefetch_related("supplier__addresses")
        .get(pk=request.pk)
    )
    lines = [
        {
            "code": line.product.code,
            "name": line.product.name,
            "unit": line.unit.code,
            "qty": line.qty,
            "needed_by": line.needed_by or request.needed_by,
            "price": line.expected_price,
            "note": line.note,
        }
        for line in request.lines.select_related("product", "unit").order_by("position", "id")
    ]
    return {
        "number": request.number,
        "date": request.date,
        "state": request.state,
        "needed_by": request.needed_by,
        "currency": request.currency,
        "supplier": _supplier(request.supplier),
        "note": request.note,
        "responsible": _person(request.responsible or request.created_by),
        "responsible_email": (request.responsible or request.created_by).email
        if (request.responsible or request.created_by)
        else "",
        "lines": lines,
    }


def _labels() -> dict:
    return {
        "title": _("Supplier request"),
        "supplier": _("Supplier"),
        "buyer": _("Buyer"),
        "needed_by": _("Needed by"),
        "price": _("Expected price"),
        "note": _("Note"),
        "comment": _("Note"),
        "contact": _("Contact"),
        "responsible": _("Purchaser"),
        "draft": _("Draft"),
        "cancelled": pgettext("supplier request state", "Cancelled"),
        "confirm": _("Please confirm prices, quantities and delivery dates."),
    }


def shape(raw: dict, options: PrintOptions) -> dict:
    """What a template sees. Call inside `translation.override(options.language)`."""
    prices = options.show_costs
    lines = []
    for position, line in enumerate(raw["lines"], start=1):
        price = line["price"] if prices else None
        lines.append(
            {
                "position": position,
                "code": line["code"],
                "name": line["name"],
                "unit": line["unit"],
                "qty": line["qty"],
                "needed_by": line["needed_by"],
                "price": price,
                "amount": money(line["qty"] * price) if price is not None else None,
                "note": line["note"] or "",
            }
        )
    amounts = [line["amount"] for line in lines]
    totals = {
        "lines": len(lines),
        "amount": sum(amounts, Decimal("0")) if prices and amounts and None not in amounts else None,
    }
    labels = _labels()
    doc = {
        "title": labels["title"],
        "number": raw["number"],
        "date": raw["date"],
        "state": raw["state"],
        "state_label": str(State(raw["state"]).label),
        "is_draft": raw["state"] == State.DRAFT,
        "is_cancelled": raw["state"] == State.CANCELLED,
        "needed_by": raw["needed_by"],
        "supplier": raw["supplier"],
        "comment": raw["note"],
        "responsible": raw["responsible"],
        "responsible_email": raw["responsible_email"],
    }
    return {
        "doc": doc,
        "lines": lines,
        "totals": totals,
        "currency": raw["currency"],
        "has_notes": any(line["note"] for line in lines),
        "signatures": [{"label": labels["responsible"], "name": raw["responsible"]}],
        "labels": labels,
    }


def request_context(request: SupplierRequest, options: PrintOptions) -> dict:
    return shape(extract(request), options)


def sample_raw() -> dict:
    return {
        "number": "SR-2026-00042",
        "date": datetime.date(2026, 3, 14),
        "state": State.SENT,
        "needed_by": datetime.date(2026, 4, 1),
        "currency": "EUR",
        "supplier": {
            "name": "Schraub & Co. Fasteners",
            "legal_name": "Schraub & Co. Fasteners GmbH",
            "tax_id": "ATU12345678",
            "registration_number": "FN 123456a",
            "address": "Schraubengasse 3, 1100 Vienna",
            "phone": "+43 1 555 0100",
            "email": "orders@schraub.example",
            "contact": "Eva Huber",
        },
        "note": "Deliver to hall A, gate 2.",
        "responsible": "Sophie Bauer",
        "responsible_email": "purchasing@robo.example",
        "lines": [
            {
                "code": "M3-BOLT",
                "name": "M3 bolt, stainless",
                "unit": "pcs",
                "qty": Decimal("500"),
                "needed_by": datetime.date(2026, 4, 1),
                "price": Decimal("0.12"),
                "note": "",
            },
            {
                "code": "CABLE-4",
                "name": "4-wire cable",
                "unit": "m",
                "qty": Decimal("150.5"),
                "needed_by": datetime.date(2026, 4, 15),
                "price": Decimal("0.85"),
                "note": "On reels of 50 m",
            },
        ],
    }


def request_sample(options: PrintOptions) -> dict:
    return shape(sample_raw(), options)


registry.register(
    "purchasing.request",
    model=SupplierRequest,
    label=gettext_lazy("Supplier request"),
    context=request_context,
    sample=request_sample,
    policy=Policy("purchasing", "view"),
    cost_area="purchasing",
    filename=lambda request: request.number,
)
