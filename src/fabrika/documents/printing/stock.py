"""Printed warehouse documents: receipt note, delivery note, transfer note, write-off act,
stocktake sheet, and the two return notes (which reuse the receipt and delivery layouts).

The context of a stock document is made in two steps: `extract()` reads the document, its
lines and its posted moves into plain data; `shape()` turns that into what a template sees,
in the document's language, leaving cost values out for a user without inventory/cost. The
sample documents an administrator's template is checked against go through the same
`shape()`, so they have exactly the keys a real document has.

Values: a receipt prints its purchase prices; a shipment, transfer, write-off or return to
supplier prints the cost its posted moves took (nothing while it is a draft); a stocktake
prints the book quantity (at posting, or the current balance for a draft), the counted
quantity and the difference in the product's base unit — a draft prints an empty counted
column to be filled in on the floor.
"""

import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fabrika.access.policy import Policy
from fabrika.inventory.domain.money import money
from fabrika.inventory.models import Balance, Location, StockDocument, StockMove

from . import registry
from .registry import PrintOptions

Type = StockDocument.Type

# type -> (print code, built-in template, label)
FORMS = {
    Type.RECEIPT: ("inventory.receipt", "inventory.receipt.html", gettext_lazy("Goods receipt note")),
    Type.SHIPMENT: ("inventory.shipment", "inventory.shipment.html", gettext_lazy("Delivery note")),
    Type.TRANSFER: ("inventory.transfer", "inventory.transfer.html", gettext_lazy("Transfer note")),
    Type.WRITEOFF: ("inventory.writeoff", "inventory.writeoff.html", gettext_lazy("Write-off act")),
    Type.STOCKTAKE: ("inventory.stocktake", "inventory.stocktake.html", gettext_lazy("Stocktake sheet")),
    Type.CUSTOMER_RETURN: (
        "inventory.customer_return",
        "inventory.receipt.html",
        gettext_lazy("Customer return note"),
    ),
    Type.SUPPLIER_RETURN: (
        "inventory.supplier_return",
        "inventory.shipment.html",
        gettext_lazy("Return to supplier note"),
    ),
}
PRICED_BY_LINE = {Type.RECEIPT, Type.CUSTOMER_RETURN}  # the line carries the price or value


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def _counterparty(counterparty) -> dict | None:
    if counterparty is None:
        return None
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
    }


def _warehouse(warehouse) -> dict | None:
    if warehouse is None:
        return None
    return {"code": warehouse.code, "name": warehouse.name, "address": warehouse.address}


def extract(document: StockDocument) -> dict:
    """The document as plain data (no translation, no access decisions yet)."""
    document = (
        StockDocument.objects.select_related("warehouse", "to_warehouse", "counterparty", "created_by", "posted_by")
        .prefetch_related("counterparty__addresses")
        .get(pk=document.pk)
    )
    lines = list(document.lines.select_related("product", "product__unit", "unit", "lot").order_by("position", "id"))
    storage_ids = set(
        Location.objects.filter(warehouse=document.warehouse, kind=Location.Kind.STORAGE).values_list("pk", flat=True)
    )
    moved: dict[int, dict] = {}
    for move in (
        StockMove.objects.filter(document=document, line__isnull=False, reverses__isnull=True)
        .values("line_id", "qty", "value", "input_value", "to_location_id", "lot__number")
        .order_by("id")
    ):
        entry = moved.setdefault(
            move["line_id"], {"value": Decimal("0"), "valued": True, "qty": Decimal("0"), "lots": []}
        )
        value = move["value"] if move["value"] is not None else move["input_value"]
        incoming = move["to_location_id"] in storage_ids
        if value is None:
            entry["valued"] = False
        else:
            entry["value"] += value if incoming or document.type != Type.STOCKTAKE else -value
        entry["qty"] += move["qty"] if incoming else -move["qty"]
        if move["lot__number"] and move["lot__number"] not in entry["lots"]:
            entry["lots"].append(move["lot__number"])
    was_posted = document.posted_at is not None
    balances = {}
    if document.type == Type.STOCKTAKE and not was_posted:
        balances = dict(
            Balance.objects.filter(
                warehouse=document.warehouse, product_id__in=[line.product_id for line in lines]
            ).values_list("product_id", "qty")
        )
    raw_lines = []
    for line in lines:
        moves = moved.get(line.pk)
        amount = None
        if document.type in PRICED_BY_LINE and line.value is not None:
            amount = line.value
        elif moves is not None and moves["valued"]:
            amount = moves["value"] if document.type == Type.STOCKTAKE else abs(moves["value"])
        elif document.type == Type.STOCKTAKE and was_posted and moves is None:
            amount = Decimal("0.00")  # counted as booked: no move, no difference
        lot = line.lot.number if line.lot_id else line.lot_number
        if not lot and moves is not None:
            lot = ", ".join(moves["lots"])
        raw = {
            "code": line.product.code,
            "name": line.product.name,
            "unit": line.unit.code,
            "qty": line.qty,
            "price": line.price if document.type in PRICED_BY_LINE else None,
            "amount": amount,
            "lot": lot,
        }
        if document.type == Type.STOCKTAKE:
            counted = line.qty_base
            if was_posted:
                book = counted - (moves["qty"] if moves is not None else Decimal("0"))
            else:
                book = balances.get(line.product_id, Decimal("0"))
            raw.update(unit=line.product.unit.code, book_qty=book, counted_qty=counted if was_posted else None)
        raw_lines.append(raw)
    return {
        "type": document.type,
        "number": document.number,
        "date": timezone.localdate(document.date),
        "state": document.state,
        "posted": was_posted,
        "posted_at": document.posted_at,
        "counterparty": _counterparty(document.counterparty),
        "warehouse": _warehouse(document.warehouse),
        "to_warehouse": _warehouse(document.to_warehouse),
        "reason": document.reason,
        "comment": document.comment,
        "created_by": _person(document.created_by),
        "posted_by": _person(document.posted_by),
        "lines": raw_lines,
    }


def _labels(doc_type: str) -> dict:
    counterparty = {
        Type.RECEIPT: _("Supplier"),
        Type.SUPPLIER_RETURN: _("Supplier"),
        Type.SHIPMENT: _("Customer"),
        Type.CUSTOMER_RETURN: _("Customer"),
    }.get(doc_type, _("Counterparty"))
    return {
        "title": str(FORMS[doc_type][2]),
        "counterparty": counterparty,
        "delivery_address": _("Delivery address"),
        "warehouse": _("Warehouse"),
        "from_warehouse": _("From warehouse"),
        "to_warehouse": _("To warehouse"),
        "book_qty": _("Book quantity"),
        "counted_qty": _("Counted"),
        "difference": _("Difference"),
        "difference_amount": _("Difference value"),
        "surplus": _("Surplus"),
        "shortage": _("Shortage"),
        "unit_cost": _("Unit cost"),
        "cost_amount": _("Cost"),
    }


def _signatures(doc_type: str, ours: str) -> list[dict]:
    pairs = {
        Type.RECEIPT: ((_("Delivered by"), ""), (_("Received by"), ours)),
        Type.CUSTOMER_RETURN: ((_("Returned by"), ""), (_("Received by"), ours)),
        Type.SHIPMENT: ((_("Issued by"), ours), (_("Received by"), "")),
        Type.SUPPLIER_RETURN: ((_("Issued by"), ours), (_("Received by"), "")),
        Type.TRANSFER: ((_("Issued by"), ours), (_("Received by"), "")),
        Type.WRITEOFF: ((_("Written off by"), ours), (_("Approved by"), "")),
        Type.STOCKTAKE: ((_("Counted by"), ours), (_("Checked by"), "")),
    }[doc_type]
    return [{"label": label, "name": name} for label, name in pairs]


def _sum(values) -> Decimal | None:
    values = list(values)
    if not values or any(v is None for v in values):
        return None
    return sum(values, Decimal("0"))


def shape(raw: dict, options: PrintOptions) -> dict:
    """What a template sees. Call inside `translation.override(options.language)`."""
    doc_type = raw["type"]
    costs = options.show_costs
    lines = []
    for position, line in enumerate(raw["lines"], start=1):
        amount = line["amount"] if costs else None
        price = line["price"] if costs else None
        if costs and price is None and amount is not None and line["qty"] and doc_type != Type.STOCKTAKE:
            price = money(amount / line["qty"])
        shaped = {
            "position": position,
            "code": line["code"],
            "name": line["name"],
            "unit": line["unit"],
            "qty": line["qty"],
            "price": price,
            "amount": amount,
            "lot": line["lot"] or "",
        }
        if doc_type == Type.STOCKTAKE:
            counted = line["counted_qty"]
            shaped.update(
                book_qty=line["book_qty"],
                counted_qty=counted,
                difference=None if counted is None else counted - line["book_qty"],
                difference_amount=amount if counted is not None else None,
                qty=counted,
            )
        lines.append(shaped)
    totals = {
        "lines": len(lines),
        "qty": _sum(line["qty"] for line in lines) if doc_type != Type.STOCKTAKE else None,
        "amount": _sum(line["amount"] for line in lines) if costs and doc_type != Type.STOCKTAKE else None,
    }
    if doc_type == Type.STOCKTAKE:
        diffs = [line["difference_amount"] for line in lines if line["difference_amount"] is not None]
        totals.update(
            book_qty=_sum(line["book_qty"] for line in lines),
            counted_qty=_sum(line["counted_qty"] for line in lines),
            difference=_sum(line["difference"] for line in lines),
            surplus_amount=sum((d for d in diffs if d > 0), Decimal("0")) if costs and raw["posted"] else None,
            shortage_amount=-sum((d for d in diffs if d < 0), Decimal("0")) if costs and raw["posted"] else None,
            amount=_sum(line["difference_amount"] for line in lines) if costs and raw["posted"] else None,
        )
    labels = _labels(doc_type)
    ours = raw["posted_by"] or raw["created_by"]
    doc = {
        "type": doc_type,
        "title": labels["title"],
        "number": raw["number"],
        "date": raw["date"],
        "state": raw["state"],
        "state_label": str(StockDocument.State(raw["state"]).label),
        "is_draft": raw["state"] == StockDocument.State.DRAFT,
        "is_cancelled": raw["state"] == StockDocument.State.CANCELLED,
        "posted_at": raw["posted_at"],
        "counterparty": raw["counterparty"],
        "warehouse": raw["warehouse"],
        "to_warehouse": raw["to_warehouse"],
        "reason": raw["reason"],
        "comment": raw["comment"],
        "created_by": raw["created_by"],
        "posted_by": raw["posted_by"],
    }
    return {
        "doc": doc,
        "lines": lines,
        "totals": totals,
        "signatures": _signatures(doc_type, ours),
        "labels": labels,
    }


def stock_context(document: StockDocument, options: PrintOptions) -> dict:
    return shape(extract(document), options)


# --- samples: what an administrator's template is checked against ---------------------------------

_SAMPLE_PARTY = {
    "name": "Acme Robotics",
    "legal_name": "Acme Robotics SAS",
    "tax_id": "FR40303265045",
    "registration_number": "303 265 045",
    "address": "12 rue de la Paix, 75002 Paris",
    "delivery_address": "Dock 4, 10 avenue de l'Industrie, 69007 Lyon",
    "phone": "+33 1 23 45 67 89",
    "email": "orders@acme.example",
}
_SAMPLE_WH = {"code": "MAIN", "name": "Main warehouse", "address": "1 Factory road"}
_SAMPLE_TO_WH = {"code": "SHOP", "name": "Assembly shop", "address": "2 Factory road"}


def sample_raw(doc_type: str) -> dict:
    posted_at = datetime.datetime(2026, 3, 14, 10, 30, tzinfo=datetime.UTC)
    lines = [
        {
            "code": "M3-BOLT",
            "name": "M3 bolt, stainless",
            "unit": "pcs",
            "qty": Decimal("250"),
            "price": Decimal("0.12"),
            "amount": Decimal("30.00"),
            "lot": "L-0001",
            "book_qty": Decimal("260"),
            "counted_qty": Decimal("250"),
        },
        {
            "code": "CTRL-1",
            "name": "Controller board",
            "unit": "pcs",
            "qty": Decimal("4"),
            "price": Decimal("85.50"),
            "amount": Decimal("342.00"),
            "lot": "",
            "book_qty": Decimal("3"),
            "counted_qty": Decimal("4"),
        },
    ]
    if doc_type == Type.STOCKTAKE:
        lines[0]["amount"], lines[1]["amount"] = Decimal("-1.20"), Decimal("85.50")
    if doc_type not in PRICED_BY_LINE:
        for line in lines:
            line["price"] = None
    return {
        "type": doc_type,
        "number": f"{doc_type[:3].upper()}-2026-00042",
        "date": datetime.date(2026, 3, 14),
        "state": StockDocument.State.POSTED,
        "posted": True,
        "posted_at": posted_at,
        "counterparty": dict(_SAMPLE_PARTY),
        "warehouse": dict(_SAMPLE_WH),
        "to_warehouse": dict(_SAMPLE_TO_WH) if doc_type == Type.TRANSFER else None,
        "reason": "Damaged in storage" if doc_type == Type.WRITEOFF else "",
        "comment": "Sample document",
        "created_by": "Sam Storekeeper",
        "posted_by": "Sam Storekeeper",
        "lines": lines,
    }


def _sampler(doc_type: str):
    def sample(options: PrintOptions) -> dict:
        return shape(sample_raw(doc_type), options)

    return sample


def register_stock_forms() -> None:
    for doc_type, (code, template, label) in FORMS.items():
        registry.register(
            code,
            model=StockDocument,
            label=label,
            context=stock_context,
            sample=_sampler(doc_type),
            policy=Policy("inventory", "view"),
            filter={"type": doc_type},
            template=template,
            cost_area="inventory",
            filename=lambda document: document.number,
        )


register_stock_forms()
