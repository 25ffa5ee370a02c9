"""The only code that changes supplier requests. Pages, the API, other apps and the demo call these.

    request = request_create(actor=user, data={"supplier": acme, "needed_by": date(2026, 5, 1)},
                             lines=[{"product": bolt, "qty": Decimal("200")}])
    request_send(actor=user, request=request)            # PDF e-mailed to the supplier: draft → sent
    request_transition(actor=user, request=request, to_state="ordered")
    requests_for_needs(actor=user, needs=[{"product": bolt, "qty": Decimal("50"), "needed_by": d,
                                           "supplier": acme, "source": order, "source_label": "ORD-2026-00017"}])

Every function takes keyword arguments only, runs in one transaction, raises ValidationFailed
(messages per field, "lines.<n>.<field>" for lines, "needs.<n>.<field>" for needs) or
IllegalTransition and then leaves the database as it was, and records a business event.
Quantities and prices are Decimal; a float is refused (TypeError).
"""

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event
from fabrika.catalog.models import Product, Unit, UnitConversion
from fabrika.core import numbering
from fabrika.core.errors import IllegalTransition, ValidationFailed
from fabrika.core.models import CompanySettings
from fabrika.core.records import apply, validate
from fabrika.crm.models import Counterparty

from .models import SupplierRequest, SupplierRequestLine

State = SupplierRequest.State

HEADER_FIELDS = {"date", "supplier", "needed_by", "responsible", "currency", "note", "source_label", "source"}
LINE_FIELDS = {"product", "qty", "unit", "needed_by", "expected_price", "source", "source_label", "note"}
STAMPS = {State.SENT: "sent_at", State.ORDERED: "ordered_at", State.RECEIVED: "received_at"}


# --- checks ---------------------------------------------------------------------------------------


def _decimal(value, *, what: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise TypeError(f"{what} must be a Decimal, not a float ({value!r})")
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValidationFailed({what: [_("Enter a number.")]}) from None


def _decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def plain_qty(value: Decimal) -> Decimal:
    """7.000000 → 7, 1.500000 → 1.5 (never 7E+1)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def round_up(qty: Decimal, places: int) -> Decimal:
    """A quantity to buy: up to the unit's decimal places (2.5 needed pieces → 3)."""
    return qty.quantize(Decimal(1).scaleb(-places), rounding=ROUND_CEILING)


def _set_source(obj, source) -> None:
    if source is None:
        obj.source_type, obj.source_id = None, ""
        return
    if getattr(source, "pk", None) is None:
        raise ValidationFailed({"source": [_("The source record is not saved.")]})
    obj.source_type = ContentType.objects.get_for_model(source)
    obj.source_id = str(source.pk)


def _units_of(product: Product) -> dict[int, Unit]:
    units = {product.unit_id: product.unit}
    for conversion in UnitConversion.objects.filter(product=product).select_related("unit"):
        units[conversion.unit_id] = conversion.unit
    return units


def _check_supplier(supplier, errors: dict, key: str = "supplier") -> None:
    if supplier is None:
        return
    if not isinstance(supplier, Counterparty):
        errors.setdefault(key, []).append(_("Choose a supplier."))
    elif not supplier.is_supplier:
        errors.setdefault(key, []).append(
            _("%(name)s is not marked as a supplier: tick “supplier” on its card first.") % {"name": supplier.name}
        )


def _build_line(
    request: SupplierRequest, data: dict, key: str, errors: dict, *, any_places: bool = False
) -> SupplierRequestLine | None:
    unknown = set(data) - LINE_FIELDS
    if unknown:
        raise TypeError(f"unknown line fields: {', '.join(sorted(unknown))}")
    product = data.get("product")
    if not isinstance(product, Product):
        errors.setdefault(f"{key}.product", []).append(_("Choose a product."))
        return None
    qty = _decimal(data.get("qty"), what=f"{key}.qty")
    if qty is None or qty <= 0:
        errors.setdefault(f"{key}.qty", []).append(_("The quantity must be greater than zero."))
        return None
    units = _units_of(product)
    unit = data.get("unit") or product.unit
    if unit.pk not in units:
        errors.setdefault(f"{key}.unit", []).append(
            _("%(product)s has no conversion from %(unit)s.") % {"product": product, "unit": unit}
        )
        return None
    if _decimal_places(qty) > unit.precision and not any_places:
        errors.setdefault(f"{key}.qty", []).append(
            _("%(unit)s allows %(n)d decimal places.") % {"unit": unit, "n": unit.precision}
        )
    if qty >= Decimal("1e14"):
        errors.setdefault(f"{key}.qty", []).append(_("The quantity is too large."))
    price = _decimal(data.get("expected_price"), what=f"{key}.expected_price")
    if price is not None and price < 0:
        errors.setdefault(f"{key}.expected_price", []).append(_("The price cannot be negative."))
    elif price is not None and _decimal_places(price) > 2:
        errors.setdefault(f"{key}.expected_price", []).append(_("A price has at most 2 decimal places."))
    needed_by = data.get("needed_by")
    if needed_by is not None and not isinstance(needed_by, date):
        errors.setdefault(f"{key}.needed_by", []).append(_("Enter a valid date."))
    label = str(data.get("source_label") or "").strip()
    note = str(data.get("note") or "").strip()
    if len(label) > 200:
        errors.setdefault(f"{key}.source_label", []).append(_("At most %(n)d characters.") % {"n": 200})
    if len(note) > 255:
        errors.setdefault(f"{key}.note", []).append(_("At most %(n)d characters.") % {"n": 255})
    line = SupplierRequestLine(
        request=request,
        product=product,
        qty=qty,
        unit=unit,
        needed_by=needed_by,
        expected_price=price,
        source_label=label,
        note=note,
    )
    try:
        _set_source(line, data.get("source"))
    except ValidationFailed:
        errors.setdefault(f"{key}.source", []).append(_("The source record is not saved."))
    return line


def _build_lines(request: SupplierRequest, lines: Sequence[dict], *, first_position: int = 1):
    errors: dict[str, list[str]] = {}
    built = []
    for index, data in enumerate(lines or ()):
        line = _build_line(request, dict(data), f"lines.{index}", errors)
        if line is not None:
            line.position = first_position + index
            built.append(line)
    if errors:
        raise ValidationFailed(errors)
    return built


def _apply_header(request: SupplierRequest, data: dict) -> None:
    unknown = set(data) - HEADER_FIELDS
    if unknown:
        raise TypeError(f"unknown supplier request fields: {', '.join(sorted(unknown))}")
    data = dict(data)
    has_source, source = "source" in data, data.pop("source", None)
    for name in ("note", "source_label"):
        if name in data:
            data[name] = str(data[name] or "").strip()
    if "currency" in data:
        data["currency"] = str(data["currency"] or "").strip().upper()
    apply(request, data)
    if has_source:
        _set_source(request, source)


def _check_header(request: SupplierRequest) -> None:
    errors: dict[str, list[str]] = {}
    _check_supplier(request.supplier, errors)
    if request.currency and (len(request.currency) != 3 or not request.currency.isalpha()):
        errors["currency"] = [_("A currency is a three-letter code such as EUR.")]
    if errors:
        raise ValidationFailed(errors)
    validate(request, exclude=["number", "source_type"])


def _locked(request: SupplierRequest) -> SupplierRequest:
    return SupplierRequest.objects.select_for_update().get(pk=request.pk)


def _refuse_unless_draft(request: SupplierRequest) -> None:
    if request.state != State.DRAFT:
        raise IllegalTransition(
            request,
            request.state,
            "edit",
            _("%(number)s is %(state)s: only a draft can be changed.")
            % {"number": request.number, "state": request.get_state_display().lower()},
        )


# --- create and change ----------------------------------------------------------------------------


@transaction.atomic
def request_create(*, actor, data: dict, lines: Sequence[dict] = ()) -> SupplierRequest:
    """A draft request with its lines (it may have none yet). The supplier may wait until it is sent.

    `data`: supplier, date (today), needed_by, responsible (the actor), currency (the company's),
    note, source (any saved record), source_label. Lines: product, qty, unit (the product's base
    unit), needed_by, expected_price, source, source_label, note.
    """
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    request = SupplierRequest(state=State.DRAFT, created_by=actor_user, responsible=actor_user, number="-")
    _apply_header(request, data)
    if request.date is None:
        request.date = timezone.localdate()
    if not request.currency:
        request.currency = CompanySettings.load().currency
    _check_header(request)
    built = _build_lines(request, lines)
    request.number = numbering.next_number("purchasing.request", on_date=request.date)
    request.save()
    for line in built:
        line.request = request
    SupplierRequestLine.objects.bulk_create(built)
    record_event(
        "purchasing.request_created",
        request,
        actor=actor,
        supplier=request.supplier_id,
        lines=len(built),
        source=request.source_label,
    )
    return request


@transaction.atomic
def request_update(
    *, actor, request: SupplierRequest, data: dict, lines: Sequence[dict] | None = None
) -> SupplierRequest:
    """Change a draft's header; `lines` (when given) replace all its lines."""
    request = _locked(request)
    _refuse_unless_draft(request)
    data = {k: v for k, v in data.items() if k not in ("number", "state")}
    _apply_header(request, data)
    _check_header(request)
    if lines is not None:
        built = _build_lines(request, lines)
        request.lines.all().delete()
        SupplierRequestLine.objects.bulk_create(built)
    request.save()
    record_event(
        "purchasing.request_updated",
        request,
        actor=actor,
        fields=sorted(data),
        lines=None if lines is None else len(lines),
    )
    return request


def _same_line(a: SupplierRequestLine, b: SupplierRequestLine) -> bool:
    return (a.product_id, a.unit_id, a.needed_by) == (b.product_id, b.unit_id, b.needed_by)


@transaction.atomic
def request_add_lines(
    *, actor, request: SupplierRequest, lines: Sequence[dict], merge: bool = False
) -> SupplierRequest:
    """Append lines to a draft. `merge`: a line of the same product, unit and date adds to its quantity."""
    request = _locked(request)
    _refuse_unless_draft(request)
    if not lines:
        raise ValidationFailed({"lines": [_("Add at least one line.")]})
    existing = list(request.lines.all())
    last = max((line.position for line in existing), default=0)
    built = _build_lines(request, lines, first_position=last + 1)
    added, merged = [], []
    for line in built:
        target = next((e for e in [*existing, *added] if _same_line(e, line)), None) if merge else None
        if target is None:
            line.position = last + len(added) + 1
            added.append(line)
            continue
        target.qty += line.qty
        if line.source_label and line.source_label not in target.source_label.split(", "):
            target.source_label = _join_labels([target.source_label, line.source_label])
        if target.pk is not None and target not in merged:
            merged.append(target)
    SupplierRequestLine.objects.bulk_create(added)
    for line in merged:
        line.save(update_fields=["qty", "source_label"])
    request.save(update_fields=["updated_at"])
    record_event("purchasing.request_lines_added", request, actor=actor, added=len(added), merged=len(merged))
    return request


# --- states ---------------------------------------------------------------------------------------


def _check_ready_to_send(request: SupplierRequest) -> None:
    errors = {}
    if request.supplier_id is None:
        errors["supplier"] = [_("Choose the supplier before sending the request.")]
    if not request.lines.exists():
        errors["lines"] = [_("Add at least one line before sending the request.")]
    if errors:
        raise ValidationFailed(errors)


def _move(actor, request: SupplierRequest, to_state: str, **event) -> SupplierRequest:
    """Check and apply one transition on a locked request."""
    if to_state not in State.values:
        raise ValidationFailed({"to_state": [_("Unknown state %(state)s.") % {"state": to_state}]})
    if (request.state, to_state) not in SupplierRequest.TRANSITIONS:
        raise IllegalTransition(
            request,
            request.state,
            to_state,
            _("%(number)s is %(state)s and cannot become %(target)s.")
            % {
                "number": request.number,
                "state": request.get_state_display().lower(),
                "target": State(to_state).label.lower(),
            },
        )
    if to_state == State.SENT:
        _check_ready_to_send(request)
    previous = request.state
    request.state = to_state
    now = timezone.now()
    stamp = STAMPS.get(to_state, "cancelled_at" if to_state == State.CANCELLED else None)
    if stamp:
        setattr(request, stamp, now)
    request.save()
    record_event("purchasing.request_transition", request, actor=actor, from_state=previous, to_state=to_state, **event)
    return request


@transaction.atomic
def request_transition(*, actor, request: SupplierRequest, to_state: str) -> SupplierRequest:
    """Move the request: draft → sent → ordered → received, or cancelled from draft, sent or ordered.

    Sending this way (by phone, on paper) needs a supplier and a line, like `request_send`.
    """
    return _move(actor, _locked(request), str(to_state))


# --- e-mail and export ----------------------------------------------------------------------------


def supplier_email(supplier: Counterparty | None) -> str:
    """Where a request goes: the main contact's e-mail, else the supplier's, else any contact's."""
    if supplier is None:
        return ""
    contacts = list(supplier.contacts.exclude(email="").order_by("-is_primary", "id"))
    primary = next((c for c in contacts if c.is_primary), None)
    if primary is not None:
        return primary.email
    if supplier.email:
        return supplier.email
    return contacts[0].email if contacts else ""


def _language(actor, language: str | None) -> str:
    from fabrika.documents.printing.render import document_language

    return document_language(language or getattr(actor, "language", "") or "")


def default_subject(request: SupplierRequest, *, language: str) -> str:
    company = CompanySettings.load()
    with translation.override(language):
        return _("Supplier request %(number)s from %(company)s") % {
            "number": request.number,
            "company": company.name or company.legal_name,
        }


def default_body(request: SupplierRequest, *, actor=None, language: str) -> str:
    company = CompanySettings.load()
    signature = ""
    if actor is not None and getattr(actor, "is_authenticated", False):
        signature = actor.get_full_name() or actor.username
    with translation.override(language):
        lines = [
            _("Hello,"),
            "",
            _("Please find attached our request %(number)s (%(count)d lines).")
            % {"number": request.number, "count": request.lines.count()},
        ]
        if request.needed_by:
            from django.utils import formats

            lines.append(
                _("We need the goods by %(date)s.") % {"date": formats.date_format(request.needed_by, "DATE_FORMAT")}
            )
        lines += ["", _("Please confirm prices, quantities and delivery dates."), "", _("Best regards,")]
        lines += [part for part in (signature, company.name or company.legal_name) if part]
    return "\n".join(lines) + "\n"


def render_pdf(request: SupplierRequest, *, language: str, show_prices: bool, user=None):
    """The printed request (documents.printing, form "purchasing.request")."""
    from fabrika.documents.printing import registry
    from fabrika.documents.printing.render import render_document

    return render_document(
        registry.get("purchasing.request"), request, language=language, show_costs=show_prices, user=user
    )


@transaction.atomic
def request_send(
    *,
    actor,
    request: SupplierRequest,
    to: Sequence[str] | str | None = None,
    cc: Sequence[str] = (),
    subject: str = "",
    body: str = "",
    language: str | None = None,
    include_prices: bool = False,
):
    """E-mail the printed request (PDF) to the supplier and mark it sent (draft → sent).

    `to`: the supplier's contact e-mail when left out (`supplier_email`). A sent request may be
    sent again (it stays sent). The PDF is in `language` (the actor's by default); expected
    prices are printed only with `include_prices` and the actor's purchasing cost right. The
    message is queued in the outbox and goes out once the transaction commits; a bad address or
    a missing supplier or line refuses everything (ValidationFailed) and changes nothing.
    Returns the request; its message is `documents.outbox.messages_for(request).first()`.
    """
    from fabrika.access.policy import can
    from fabrika.documents.outbox import queue_email

    request = _locked(request)
    if request.state not in (State.DRAFT, State.SENT):
        raise IllegalTransition(
            request,
            request.state,
            State.SENT,
            _("%(number)s is %(state)s and cannot be sent.")
            % {"number": request.number, "state": request.get_state_display().lower()},
        )
    _check_ready_to_send(request)
    recipients = [to] if isinstance(to, str) else list(to or [])
    if not [r for r in recipients if str(r).strip()]:
        address = supplier_email(request.supplier)
        if not address:
            raise ValidationFailed(
                {
                    "to": [
                        _("%(supplier)s has no e-mail address: add one to its card or to a contact, or type it here.")
                        % {"supplier": request.supplier.name}
                    ]
                }
            )
        recipients = [address]
    language = _language(actor, language)
    show_prices = bool(include_prices) and actor is not None and can(actor, "purchasing", "cost")
    was = request.state
    if was == State.DRAFT:
        _move(actor, request, State.SENT, to=recipients)
    printed = render_pdf(request, language=language, show_prices=show_prices, user=actor)
    reply_to = getattr(actor, "email", "") or ""
    message = queue_email(
        actor=actor,
        to=recipients,
        cc=list(cc or []),
        subject=subject or default_subject(request, language=language),
        body=body or default_body(request, actor=actor, language=language),
        attachments=[(printed.filename, printed.pdf, "application/pdf")],
        related=request,
        reply_to=reply_to,
    )
    record_event(
        "purchasing.request_emailed",
        request,
        actor=actor,
        message=message.pk,
        to=message.to,
        again=was == State.SENT,
        prices=show_prices,
    )
    return request


def request_export_xlsx(*, actor, request: SupplierRequest, include_prices: bool = False) -> bytes:
    """The request's lines as an XLSX workbook (for a supplier portal or to send by hand).

    Expected prices only with `include_prices` and the actor's purchasing cost right.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from fabrika.access.policy import can

    show_prices = bool(include_prices) and actor is not None and can(actor, "purchasing", "cost")
    request = SupplierRequest.objects.select_related("supplier").get(pk=request.pk)
    book = Workbook()
    sheet = book.active
    sheet.title = request.number[:31]
    sheet.append([_("Supplier request"), request.number])
    sheet.append([_("Date"), request.date])
    sheet.append([_("Supplier"), request.supplier.name if request.supplier else ""])
    sheet.append([_("Needed by"), request.needed_by])
    sheet.append([])
    header = ["#", _("Code"), _("Product"), _("Quantity"), _("Unit"), _("Needed by")]
    if show_prices:
        header += [_("Expected price") + f", {request.currency}", _("Amount") + f", {request.currency}"]
    header += [_("Note")]
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for line in request.lines.select_related("product", "unit"):
        row = [
            line.position,
            line.product.code,
            line.product.name,
            plain_qty(line.qty),
            line.unit.code,
            line.needed_by or request.needed_by,
        ]
        if show_prices:
            row += [line.expected_price, line.amount]
        row += [line.note]
        sheet.append(row)
    for column, width in zip("ABCDEFGHI", (5, 16, 40, 12, 8, 12, 14, 14, 30), strict=False):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


# --- from needs -----------------------------------------------------------------------------------


def _join_labels(labels) -> str:
    seen = []
    for label in labels:
        for part in str(label or "").split(", "):
            part = part.strip()
            if part and part not in seen:
                seen.append(part)
    text = ", ".join(seen)
    return text if len(text) <= 200 else text[:199] + "…"


@dataclass
class _Group:
    suppliers: dict = field(default_factory=dict)  # pk (None: no supplier) -> Counterparty
    lines: dict = field(default_factory=dict)  # (product, unit, needed_by) -> line dict
    sources: list = field(default_factory=list)
    labels: list = field(default_factory=list)

    @property
    def supplier(self) -> Counterparty | None:
        """The one supplier of every need of the group, else None."""
        return next(iter(self.suppliers.values())) if len(self.suppliers) == 1 else None


def _source_key(source):
    if source is None:
        return None
    return (ContentType.objects.get_for_model(source).pk, str(source.pk))


@transaction.atomic
def requests_for_needs(*, actor, needs: Sequence[dict], group_by_supplier: bool = True) -> list[SupplierRequest]:
    """Draft requests for a list of needs: one per supplier (needs without one share a request with
    no supplier), or a single request with `group_by_supplier=False`.

    A need: product, qty (Decimal, in the product's base unit unless `unit`), needed_by, and
    optionally supplier, source (the order, production order… it comes from), source_label,
    note. Needs of the same product, unit and date are merged into one line: the quantities add
    up (then are rounded up to the unit's decimal places: 2.5 pieces needed → 3 requested), the
    source labels are joined (the line keeps the first source's link). A request keeps
    the source of its needs when they all share one, the joined labels always, and the earliest
    date as its own `needed_by`. Returns the new requests, by supplier name (no supplier last).
    """
    if not needs:
        raise ValidationFailed({"needs": [_("There is nothing to request.")]})
    errors: dict[str, list[str]] = {}
    groups: dict = {}
    for index, raw in enumerate(needs):
        need = dict(raw)
        key = f"needs.{index}"
        supplier = need.pop("supplier", None)
        _check_supplier(supplier, errors, f"{key}.supplier")
        probe = _build_line(SupplierRequest(), need, key, errors, any_places=True)
        if probe is None or f"{key}.supplier" in errors:
            continue
        supplier_pk = supplier.pk if supplier is not None else None
        group = groups.setdefault(supplier_pk if group_by_supplier else "all", _Group())
        group.suppliers[supplier_pk] = supplier
        source = need.get("source")
        group.sources.append(_source_key(source))
        group.labels.append(probe.source_label)
        line_key = (probe.product.pk, probe.unit.pk, probe.needed_by)
        line = group.lines.get(line_key)
        if line is None:
            group.lines[line_key] = {
                "product": probe.product,
                "unit": probe.unit,
                "qty": probe.qty,
                "needed_by": probe.needed_by,
                "expected_price": probe.expected_price,
                "source": source,
                "source_label": probe.source_label,
                "note": probe.note,
            }
        else:
            line["qty"] += probe.qty
            line["source_label"] = _join_labels([line["source_label"], probe.source_label])
            if probe.note and probe.note not in line["note"]:
                line["note"] = (f"{line['note']}; {probe.note}" if line["note"] else probe.note)[:255]
            if line["expected_price"] is None:
                line["expected_price"] = probe.expected_price
    if errors:
        raise ValidationFailed(errors)

    for group in groups.values():
        for line in group.lines.values():
            line["qty"] = round_up(line["qty"], line["unit"].precision)
    created = []
    ordered = sorted(groups.values(), key=lambda g: (g.supplier is None, g.supplier.name if g.supplier else ""))
    for group in ordered:
        lines = sorted(
            group.lines.values(), key=lambda ln: (ln["needed_by"] or date.max, ln["product"].code, ln["unit"].code)
        )
        dates = [ln["needed_by"] for ln in lines if ln["needed_by"] is not None]
        common_source = None
        if group.sources and None not in group.sources and len(set(group.sources)) == 1:
            common_source = next(ln["source"] for ln in lines if ln["source"] is not None)
        data = {
            "supplier": group.supplier,
            "needed_by": min(dates) if dates else None,
            "source": common_source,
            "source_label": _join_labels(group.labels),
        }
        request = request_create(actor=actor, data=data, lines=lines)
        created.append(request)
    record_event(
        "purchasing.requests_from_needs",
        None,
        actor=actor,
        needs=len(needs),
        requests=[r.number for r in created],
    )
    return created
