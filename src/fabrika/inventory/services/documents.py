"""Warehouse documents: draft → posted → cancelled. Posting and cancelling go through post_moves()."""

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event, save_changes
from fabrika.catalog.models import Product, Unit, UnitConversion
from fabrika.core import numbering
from fabrika.core.errors import IllegalTransition, ValidationFailed
from fabrika.core.records import apply, validate

from ..domain.money import money
from ..models import (
    Balance,
    CostLayer,
    LayerConsumption,
    Location,
    Lot,
    Reservation,
    StockDocument,
    StockDocumentLine,
    StockMove,
)
from .posting import MoveSpec, lock_balances, post_moves_in_transaction
from .rows import insert_rows
from .warehouses import places, storage_of, virtual_location

Type = StockDocument.Type
State = StockDocument.State

# Where each document type moves goods: (from, to); "wh"/"to_wh" are the documents' warehouses.
ROUTES = {
    Type.RECEIPT: (Location.Kind.SUPPLIER, "wh", StockMove.Kind.RECEIPT),
    Type.SHIPMENT: ("wh", Location.Kind.CUSTOMER, StockMove.Kind.SHIPMENT),
    Type.TRANSFER: ("wh", "to_wh", StockMove.Kind.TRANSFER),
    Type.WRITEOFF: ("wh", Location.Kind.SCRAP, StockMove.Kind.WRITEOFF),
    Type.CUSTOMER_RETURN: (Location.Kind.CUSTOMER, "wh", StockMove.Kind.CUSTOMER_RETURN),
    Type.SUPPLIER_RETURN: ("wh", Location.Kind.SUPPLIER, StockMove.Kind.SUPPLIER_RETURN),
}
INCOMING_TYPES = {Type.RECEIPT, Type.CUSTOMER_RETURN}


def to_base(product: Product, qty: Decimal, unit: Unit) -> Decimal:
    """A quantity in `unit` expressed in the product's base unit."""
    if unit.pk == product.unit_id:
        return qty
    conversion = UnitConversion.objects.filter(product=product, unit=unit).first()
    if conversion is None:
        raise ValidationFailed(
            {"unit": [_("%(product)s has no conversion from %(unit)s.") % {"product": product, "unit": unit}]}
        )
    return qty * conversion.factor


def _check_precision(product: Product, qty: Decimal, unit: Unit, field: str, errors: dict, index: int) -> None:
    exponent = qty.normalize().as_tuple().exponent
    places = -exponent if exponent < 0 else 0
    if places > unit.precision:
        errors.setdefault(f"lines.{index}.{field}", []).append(
            _("%(unit)s allows %(n)d decimal places.") % {"unit": unit, "n": unit.precision}
        )


def _build_lines(document: StockDocument, lines: list[dict]) -> list[StockDocumentLine]:
    errors: dict[str, list[str]] = {}
    built = []
    units = {u.pk: u for u in Unit.objects.all()}  # a short table: one query instead of one per line
    if not lines:
        raise ValidationFailed({"lines": [_("Add at least one line.")]})
    for index, data in enumerate(lines):
        product = data.get("product")
        if product is None:
            errors.setdefault(f"lines.{index}.product", []).append(_("Choose a product."))
            continue
        if not product.is_stocked:
            errors.setdefault(f"lines.{index}.product", []).append(
                _("%(product)s is a service and is not stocked.") % {"product": product}
            )
            continue
        unit = data.get("unit") or units[product.unit_id]
        qty = data.get("qty")
        counted = data.get("counted_qty")
        if document.type == Type.STOCKTAKE:
            if counted is None or counted < 0:
                errors.setdefault(f"lines.{index}.counted_qty", []).append(_("Enter the counted quantity (0 or more)."))
                continue
            qty = counted
            _check_precision(product, counted, unit, "counted_qty", errors, index)
        elif qty is None or qty <= 0:
            errors.setdefault(f"lines.{index}.qty", []).append(_("The quantity must be greater than zero."))
            continue
        else:
            _check_precision(product, qty, unit, "qty", errors, index)
        price = data.get("price")
        if price is not None and price < 0:
            errors.setdefault(f"lines.{index}.price", []).append(_("The price cannot be negative."))
        if document.type == Type.RECEIPT and price is None and data.get("value") is None:
            errors.setdefault(f"lines.{index}.price", []).append(_("Enter the purchase price."))
        try:
            qty_base = to_base(product, qty, unit)
        except ValidationFailed as exc:
            errors.setdefault(f"lines.{index}.unit", []).extend(exc.errors["unit"])
            continue
        line = StockDocumentLine(
            document=document,
            position=index + 1,
            product=product,
            qty=qty,
            unit=unit,
            qty_base=qty_base,
            price=price,
            value=data.get("value"),
            lot=data.get("lot"),
            lot_number=(data.get("lot_number") or "").strip(),
            counted_qty=counted,
            reservation=data.get("reservation"),
        )
        if line.value is None and price is not None:
            line.value = money(qty * price)
        built.append(line)
    if errors:
        raise ValidationFailed(errors)
    return built


def _insert_lines(lines: list[StockDocumentLine]) -> None:
    """bulk_create for document lines, without building a statement per object (a 50-line document
    is posted many times a minute)."""
    fields = [f for f in StockDocumentLine._meta.concrete_fields if not f.primary_key]
    rows = [tuple(getattr(line, f.attname) for f in fields) for line in lines]
    insert_rows(StockDocumentLine, [f.name for f in fields], rows)


def _check_header(document: StockDocument) -> None:
    errors = {}
    if document.type == Type.TRANSFER:
        if document.to_warehouse_id is None:
            errors["to_warehouse"] = [_("Choose the receiving warehouse.")]
        elif document.to_warehouse_id == document.warehouse_id:
            errors["to_warehouse"] = [_("A transfer needs two different warehouses.")]
    if document.type == Type.WRITEOFF and not document.reason.strip():
        errors["reason"] = [_("Say why the goods are written off.")]
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def document_create(*, actor, type: str, data: dict, lines: list[dict]) -> StockDocument:
    document = StockDocument(type=type, created_by=actor, state=State.DRAFT)
    apply(document, data)
    if document.date is None:
        document.date = timezone.now()
    document.number = "-"
    validate(document, exclude=["number"])
    _check_header(document)
    built = _build_lines(document, lines)
    document.number = numbering.next_number(type, on_date=timezone.localdate(document.date))
    document.save()
    for line in built:
        line.document = document
    _insert_lines(built)
    record_event("inventory.document_created", document, actor=actor, type=type, lines=len(built))
    return document


@transaction.atomic
def document_update(*, actor, document: StockDocument, data: dict, lines: list[dict] | None = None) -> StockDocument:
    document = StockDocument.objects.select_for_update().get(pk=document.pk)
    if document.state != State.DRAFT:
        raise IllegalTransition(document, document.state, "edit", _("Only a draft can be changed."))
    data = {k: v for k, v in data.items() if k not in ("type", "number", "state")}
    apply(document, data)
    validate(document)
    _check_header(document)
    if lines is not None:
        built = _build_lines(document, lines)
        document.lines.all().delete()
        _insert_lines(built)
    document.save()
    record_event("inventory.document_updated", document, actor=actor)
    return document


def _place(document: StockDocument, which):
    if which == "wh":
        return storage_of(document.warehouse)
    if which == "to_wh":
        return storage_of(document.to_warehouse)
    return virtual_location(which)


def _receipt_lots(document: StockDocument, lines) -> dict[int, int]:
    """Line id -> the id of its lot (incoming lines, FIFO warehouses), created in one query where missing."""
    if not document.warehouse.is_fifo:
        return {}
    wanted = {line.pk: (line.product_id, line.lot_number or f"{document.number}/{line.position}") for line in lines}
    existing = {
        (product_id, number): pk
        for pk, product_id, number in Lot.objects.filter(
            product_id__in={p for p, _n in wanted.values()}, number__in={n for _p, n in wanted.values()}
        ).values_list("pk", "product_id", "number")
    }
    missing = sorted({key for key in wanted.values() if key not in existing})
    ids = insert_rows(
        Lot,
        ["product", "number", "received_at", "supplier"],
        [(p, n, document.date, document.counterparty_id) for p, n in missing],
        returning=True,
    )
    existing.update(zip(missing, ids, strict=True))
    return {line_id: existing[key] for line_id, key in wanted.items()}


def _return_value(document: StockDocument, line: StockDocumentLine) -> Decimal:
    """A customer return comes back at the given price, else at the product's current cost here."""
    if line.value is not None:
        return line.value
    balance = Balance.objects.filter(product_id=line.product_id, warehouse=document.warehouse).first()
    cost = balance.average_cost if balance is not None and balance.qty > 0 else None
    if cost is None or cost == 0:
        last = (
            StockMove.objects.filter(product_id=line.product_id, unit_cost__isnull=False)
            .order_by("-posted_at", "-id")
            .values_list("unit_cost", flat=True)
            .first()
        )
        cost = last or Decimal("0")
    return money(line.qty_base * cost)


def _stocktake_specs(document: StockDocument) -> list[MoveSpec]:
    storage = storage_of(document.warehouse)
    adjustment = virtual_location(Location.Kind.ADJUSTMENT)
    lines = list(document.lines.select_related("product", "lot"))
    # The book quantity is read under the same lock posting takes, so no move slips in between.
    locked = lock_balances([(ln.product_id, document.warehouse_id) for ln in lines])
    balances = {product_id: b for (product_id, _wh), b in locked.items()}

    def book(line) -> Decimal:
        return balances[line.product_id].qty if line.product_id in balances else Decimal("0")

    lots = _receipt_lots(document, [line for line in lines if line.qty_base > book(line)])  # surpluses
    specs = []
    for line in lines:
        diff = line.qty_base - book(line)
        if diff > 0:
            balance = balances.get(line.product_id)
            cost = line.price if line.price is not None else (balance.average_cost if balance is not None else 0)
            if (cost is None or cost == 0) and document.warehouse.is_fifo:
                last = (
                    CostLayer.objects.filter(product=line.product, warehouse=document.warehouse)
                    .order_by("-posted_at", "-move_id")
                    .first()
                )
                cost = last.value_in / last.qty_in if last is not None else Decimal("0")
            specs.append(
                MoveSpec(
                    line.product,
                    diff,
                    adjustment,
                    storage,
                    StockMove.Kind.ADJUSTMENT,
                    document.date,
                    input_value=money(diff * Decimal(cost)),
                    lot=lots.get(line.pk),
                    line=line,
                    document=document,
                )
            )
        elif diff < 0:
            specs.append(
                MoveSpec(
                    line.product,
                    -diff,
                    storage,
                    adjustment,
                    StockMove.Kind.ADJUSTMENT,
                    document.date,
                    lot=line.lot_id,
                    line=line,
                    document=document,
                )
            )
    return specs


@transaction.atomic
def document_post(*, actor, document: StockDocument) -> StockDocument:
    document = (
        StockDocument.objects.select_for_update(of=("self",))
        .select_related("warehouse", "to_warehouse")
        .get(pk=document.pk)
    )
    if (document.state, State.POSTED) not in StockDocument.TRANSITIONS:
        raise IllegalTransition(
            document,
            document.state,
            State.POSTED,
            _("%(doc)s is %(state)s and cannot be posted.")
            % {"doc": document.number, "state": document.get_state_display()},
        )
    if timezone.localdate(document.date) > timezone.localdate():
        raise ValidationFailed({"date": [_("A document dated in the future cannot be posted yet.")]})
    if document.type == Type.STOCKTAKE:
        specs = _stocktake_specs(document)
    else:
        src, dst, kind = ROUTES[document.type]
        source, target = _place(document, src), _place(document, dst)
        specs = []
        lines = list(document.lines.all())
        # Reservations only where a line ships reserved goods (a join for every line costs more).
        reserved = Reservation.objects.in_bulk({line.reservation_id for line in lines if line.reservation_id})
        for line in lines:
            if line.reservation_id:
                line.reservation = reserved[line.reservation_id]
        lots = _receipt_lots(document, lines) if document.type in INCOMING_TYPES else {}
        for line in lines:
            spec = MoveSpec(
                line.product_id,
                line.qty_base,
                source,
                target,
                kind,
                document.date,
                lot=line.lot_id,
                line=line,
                document=document,
                reservation=line.reservation,
            )
            if document.type == Type.RECEIPT:
                spec.input_value = line.value if line.value is not None else Decimal("0.00")
                spec.lot = lots.get(line.pk)
            elif document.type == Type.CUSTOMER_RETURN:
                spec.input_value = _return_value(document, line)
                spec.lot = lots.get(line.pk) if line.lot_id is None else line.lot_id
            specs.append(spec)
    if timezone.localdate(document.date) == timezone.localdate():
        # Dated today: the moves take the moment of posting (after the stock is locked), so that
        # documents posted one after another never count as backdated against each other.
        for spec in specs:
            spec.posted_at = None
    post_moves_in_transaction(specs=specs, actor=actor)  # this function's transaction is the posting's
    save_changes(document, state=State.POSTED, posted_at=timezone.now(), posted_by=actor)
    record_event("inventory.document_posted", document, actor=actor, moves=len(specs))
    return document


def reversal_specs(*, moves, document=None, transfer: bool = False) -> list[MoveSpec]:
    """The moves that undo `moves` (dated now): what went out comes back with its lots and costs,
    what came in goes out again exactly."""
    moves = list(moves)
    specs = []
    locations, _warehouses = places.get(
        location_ids={pk for m in moves for pk in (m.from_location_id, m.to_location_id)}
    )
    consumed = defaultdict(list)  # issue move -> the layers it took, in order
    for c in LayerConsumption.objects.filter(move__in=[m.pk for m in moves]).select_related("layer").order_by("id"):
        consumed[c.move_id].append(c)
    for move in moves:
        src, dst = locations[move.from_location_id], locations[move.to_location_id]
        if src.is_storage and not dst.is_storage and not transfer:
            # Goods went out: bring each consumed layer back with its lot and cost.
            pieces = consumed[move.pk]
            if pieces:
                for c in pieces:
                    specs.append(
                        MoveSpec(
                            move.product_id,
                            c.qty,
                            dst,
                            src,
                            StockMove.Kind.REVERSAL,
                            None,
                            input_value=c.value,
                            lot=c.layer.lot_id,
                            reverses=move,
                            document=document,
                        )
                    )
            else:
                specs.append(
                    MoveSpec(
                        move.product_id,
                        move.qty,
                        dst,
                        src,
                        StockMove.Kind.REVERSAL,
                        None,
                        input_value=move.value,
                        reverses=move,
                        document=document,
                    )
                )
        else:
            # Goods came in (or moved between warehouses): take exactly them out again.
            fixed = move.value if not dst.warehouse.is_fifo and not src.is_storage else None
            specs.append(
                MoveSpec(
                    move.product_id,
                    move.qty,
                    dst,
                    src,
                    StockMove.Kind.REVERSAL,
                    None,
                    input_value=fixed,
                    lot=move.lot_id,
                    reverses=move,
                    document=document,
                )
            )
    return specs


@transaction.atomic
def document_cancel(*, actor, document: StockDocument) -> StockDocument:
    """Cancel a draft, or reverse a posted document with moves in the opposite direction (dated now)."""
    document = StockDocument.objects.select_for_update().get(pk=document.pk)
    if (document.state, State.CANCELLED) not in StockDocument.TRANSITIONS:
        raise IllegalTransition(
            document,
            document.state,
            State.CANCELLED,
            _("%(doc)s is %(state)s and cannot be cancelled.")
            % {"doc": document.number, "state": document.get_state_display()},
        )
    if document.state == State.POSTED:
        moves = document.moves.filter(reverses__isnull=True).order_by("id")
        specs = reversal_specs(moves=moves, document=document, transfer=document.type == Type.TRANSFER)
        post_moves_in_transaction(specs=specs, actor=actor)
    document.state = State.CANCELLED
    document.cancelled_at = timezone.now()
    document.save(update_fields=["state", "cancelled_at", "updated_at"])
    record_event("inventory.document_cancelled", document, actor=actor)
    return document
