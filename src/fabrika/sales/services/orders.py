"""Orders: create and change a draft with its lines, confirm, start work, close.

Lines are given as dicts: product, qty, unit (None: the product's unit), price (None: from the
order's price list), discount_pct, description, configuration, origin_kind, origin_id,
origin_inputs. A line's price may differ from the price list, and its discount may exceed the
manager's limit, only for someone with the sales approve right (or when the line kept the
price and discount it already had). `actor=None` is the system (the demo loader, jobs).
"""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fabrika.access.policy import can
from fabrika.audit.services import record_event
from fabrika.catalog.models import Unit
from fabrika.catalog.queries import price_for
from fabrika.core import numbering
from fabrika.core.errors import ValidationFailed
from fabrika.core.models import CompanySettings
from fabrika.core.money import money
from fabrika.core.records import apply, validate
from fabrika.inventory.models import Warehouse
from fabrika.inventory.services.documents import to_base

from ..errors import DiscountOverLimit, PriceChangeNotAllowed
from ..models import DiscountLimit, SalesOrder, SalesOrderLine, SalesSettings, line_amount
from . import billing
from ._common import check_transition, lock_order

State = SalesOrder.State
ZERO = Decimal("0")
HEADER_FIELDS = {
    "counterparty",
    "contact",
    "manager",
    "order_date",
    "promised_date",
    "warehouse",
    "currency",
    "price_type",
    "payment_terms",
    "advance_policy",
    "delivery_address",
    "note",
    "deal",
}
# What may still change once the order is confirmed: nothing that moves the price or the goods.
LATE_FIELDS = {"contact", "promised_date", "delivery_address", "note", "advance_policy", "manager"}
LINE_KEYS = {
    "product",
    "qty",
    "unit",
    "price",
    "discount_pct",
    "description",
    "configuration",
    "origin_kind",
    "origin_id",
    "origin_inputs",
    "custom_bom",
}


# --- prices and discounts ---------------------------------------------------------------------


def discount_limit(user) -> Decimal:
    """The largest discount `user` may give without the approve right."""
    if user is not None and getattr(user, "pk", None):
        own = DiscountLimit.objects.filter(user=user).values_list("max_discount_pct", flat=True).first()
        if own is not None:
            return own
    return SalesSettings.load().max_discount_pct


def may_approve(user) -> bool:
    return user is None or can(user, "sales", "approve")


def list_price(product, *, price_type, on_date, currency: str, vat_rate: Decimal) -> Decimal | None:
    """The product's price (before VAT) from the price list of `price_type` valid on `on_date`.

    None when there is no price type, no price, or the list is in another currency. A list with
    VAT included gives its price less VAT (rounded to the cent).
    """
    if price_type is None or product is None:
        return None
    found = price_for(product, price_type, on_date)
    if found is None:
        return None
    list_currency = (found.currency or CompanySettings.load().currency).upper()
    if list_currency != currency.upper():
        return None
    if found.includes_vat:
        return money(found.price * Decimal(100) / (Decimal(100) + vat_rate))
    return found.price


# --- building the lines -----------------------------------------------------------------------


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _build_lines(order: SalesOrder, lines: list[dict], *, actor, previous: dict) -> list[SalesOrderLine]:
    """Check the lines and make them (unsaved). `previous`: product id → (price, discount) kept."""
    if not lines:
        raise ValidationFailed({"lines": [_("Add at least one line.")]})
    errors: dict[str, list[str]] = {}
    units = {u.pk: u for u in Unit.objects.all()}
    limit = discount_limit(actor if actor is not None else None)
    approver = may_approve(actor)
    built = []
    refusals = []
    for index, data in enumerate(lines):
        unknown = set(data) - LINE_KEYS
        if unknown:
            raise TypeError(f"unknown line fields: {', '.join(sorted(unknown))}")
        key = f"lines.{index}"
        product = data.get("product")
        if product is None:
            errors.setdefault(f"{key}.product", []).append(_("Choose a product."))
            continue
        unit = data.get("unit") or units[product.unit_id]
        qty = data.get("qty")
        if qty is None or Decimal(qty) <= 0:
            errors.setdefault(f"{key}.qty", []).append(_("The quantity must be greater than zero."))
            continue
        qty = Decimal(qty)
        if _places(qty) > unit.precision:
            errors.setdefault(f"{key}.qty", []).append(
                _("%(unit)s allows %(n)d decimal places.") % {"unit": unit, "n": unit.precision}
            )
        try:
            qty_base = to_base(product, qty, unit)
        except ValidationFailed as exc:
            errors.setdefault(f"{key}.unit", []).extend(exc.errors["unit"])
            continue
        discount = Decimal(data.get("discount_pct") or 0)
        if discount < 0 or discount > 100:
            errors.setdefault(f"{key}.discount_pct", []).append(_("A discount is from 0 to 100 %."))
            continue
        from_list = list_price(
            product,
            price_type=order.price_type,
            on_date=order.order_date,
            currency=order.currency,
            vat_rate=order.vat_rate,
        )
        if from_list is not None and qty_base != qty:
            from_list = money(from_list * qty_base / qty)  # the list prices the base unit
        price = data.get("price")
        if price is None:
            if from_list is None:
                errors.setdefault(f"{key}.price", []).append(
                    _("The price list has no price for %(product)s: enter the price.") % {"product": product}
                )
                continue
            price = from_list
        price = Decimal(price)
        if price < 0:
            errors.setdefault(f"{key}.price", []).append(_("The price cannot be negative."))
            continue
        if price != price.quantize(Decimal("0.01")):
            errors.setdefault(f"{key}.price", []).append(_("A price has at most 2 decimal places."))
            continue
        kept_price, kept_discount = previous.get(product.pk, (None, None))
        position = index + 1
        if not approver:
            if from_list is not None and price != from_list and price != kept_price:
                refusals.append(
                    PriceChangeNotAllowed(position=position, product=product, price=price, list_price=from_list)
                )
            if discount > limit and discount != kept_discount:
                refusals.append(DiscountOverLimit(position=position, product=product, discount=discount, limit=limit))
        custom_bom = data.get("custom_bom")
        if custom_bom is not None and custom_bom.product_id != product.pk:
            errors.setdefault(f"{key}.custom_bom", []).append(
                _("This BOM is not of %(product)s.") % {"product": product}
            )
            continue
        origin_kind = data.get("origin_kind") or SalesOrderLine.Origin.MANUAL
        if origin_kind not in SalesOrderLine.Origin.values:
            errors.setdefault(f"{key}.origin_kind", []).append(_("Unknown origin."))
            continue
        built.append(
            SalesOrderLine(
                order=order,
                position=position,
                product=product,
                description=(data.get("description") or "").strip(),
                qty=qty,
                unit=unit,
                qty_base=qty_base,
                price=price,
                discount_pct=discount,
                amount=line_amount(qty, price, discount),
                configuration=data.get("configuration") or {},
                origin_kind=origin_kind,
                origin_id=data.get("origin_id"),
                origin_inputs=data.get("origin_inputs") or {},
                custom_bom=custom_bom,
            )
        )
    if errors:
        raise ValidationFailed(errors)
    if refusals:
        raise refusals[0]
    return built


def compute_totals(order: SalesOrder, lines) -> None:
    """Set the order's totals from its lines (see the module doc of the models)."""
    subtotal = sum((line.amount for line in lines), Decimal("0.00"))
    gross = sum((money(line.qty * line.price) for line in lines), Decimal("0.00"))
    order.subtotal = subtotal
    order.discount_amount = gross - subtotal
    order.vat_amount = money(subtotal * order.vat_rate / Decimal(100))
    order.total = order.subtotal + order.vat_amount


def _check_header(order: SalesOrder) -> None:
    errors = {}
    if order.contact_id and order.contact.counterparty_id != order.counterparty_id:
        errors["contact"] = [_("This contact belongs to another counterparty.")]
    if order.deal_id and order.deal.counterparty_id != order.counterparty_id:
        errors["deal"] = [_("This deal belongs to another counterparty.")]
    if order.promised_date and order.order_date and order.promised_date < order.order_date:
        errors["promised_date"] = [_("The promised delivery is before the order date.")]
    order.currency = (order.currency or "").strip().upper()
    if len(order.currency) != 3 or not order.currency.isalpha():
        errors["currency"] = [_("Enter a three-letter currency code.")]
    if order.warehouse_id and not order.warehouse.active and order.state == State.DRAFT:
        errors["warehouse"] = [_("This warehouse is closed.")]
    if errors:
        raise ValidationFailed(errors)


def _delivery_address(counterparty) -> str:
    addresses = {a.kind: a.text for a in counterparty.addresses.all()}
    return addresses.get("delivery") or addresses.get("legal") or ""


def _defaults(order: SalesOrder, actor) -> None:
    settings = SalesSettings.load()
    company = CompanySettings.load()
    if order.manager_id is None and actor is not None:
        order.manager = actor
    if order.order_date is None:
        order.order_date = timezone.localdate()
    if order.warehouse_id is None:
        order.warehouse = settings.default_warehouse or Warehouse.objects.filter(active=True).order_by("code").first()
    if order.price_type_id is None and settings.default_price_type_id:
        order.price_type_id = settings.default_price_type_id
    if order.payment_terms_id is None and settings.default_payment_terms_id:
        order.payment_terms_id = settings.default_payment_terms_id
    if not order.currency:
        order.currency = company.currency
    if order.vat_rate is None:
        order.vat_rate = company.vat_rate
    if not order.delivery_address and order.counterparty_id:
        order.delivery_address = _delivery_address(order.counterparty)


# --- create, update ---------------------------------------------------------------------------


@transaction.atomic
def order_create(*, actor, data: dict, lines: list[dict]) -> SalesOrder:
    """A new draft order with its lines; prices default from the price list."""
    unknown = set(data) - HEADER_FIELDS
    if unknown:
        raise TypeError(f"order_create() got unknown fields: {', '.join(sorted(unknown))}")
    order = SalesOrder(created_by=actor, state=State.DRAFT)
    apply(order, data)
    _defaults(order, actor)
    order.number = "-"
    validate(order, exclude=["number"])
    _check_header(order)
    built = _build_lines(order, lines, actor=actor, previous={})
    compute_totals(order, built)
    order.number = numbering.next_number("sales.order", on_date=order.order_date)
    order.save()
    for line in built:
        line.order = order
    SalesOrderLine.objects.bulk_create(built)
    billing.schedule_build(order=order)
    record_event(
        "sales.order_created",
        order,
        actor=actor,
        counterparty=order.counterparty_id,
        total=order.total,
        lines=len(built),
    )
    return order


@transaction.atomic
def order_update(*, actor, order: SalesOrder, data: dict, lines: list[dict] | None = None) -> SalesOrder:
    """Change an order. A draft changes freely; a confirmed order only its contact, dates, address,
    note, manager and advance policy (the price and the goods are settled)."""
    order = lock_order(order)
    unknown = set(data) - HEADER_FIELDS
    if unknown:
        raise TypeError(f"order_update() got unknown fields: {', '.join(sorted(unknown))}")
    if order.state in (State.CANCELLED, State.CLOSED):
        raise ValidationFailed(
            {
                "__all__": [
                    _("%(number)s is %(state)s and cannot change.")
                    % {"number": order.number, "state": order.get_state_display().lower()}
                ]
            }
        )
    if order.state != State.DRAFT:
        settled = [f for f in data if f not in LATE_FIELDS and _value(order, f) != getattr(data[f], "pk", data[f])]
        if lines is not None or settled:
            raise ValidationFailed(
                {
                    "__all__": [
                        _("%(number)s is %(state)s: only its contact, dates, address, note and manager may change.")
                        % {"number": order.number, "state": order.get_state_display().lower()}
                    ]
                }
            )
    before = {f: _value(order, f) for f in data}
    old_lines = list(order.lines.all())
    apply(order, data)
    if "counterparty" in data and not data.get("delivery_address") and order.state == State.DRAFT:
        if before.get("counterparty") != order.counterparty_id:
            order.delivery_address = _delivery_address(order.counterparty)
    validate(order)
    _check_header(order)
    if lines is not None:
        previous = {line.product_id: (line.price, line.discount_pct) for line in old_lines}
        built = _build_lines(order, lines, actor=actor, previous=previous)
        order.lines.all().delete()
        SalesOrderLine.objects.bulk_create(built)
        compute_totals(order, built)
    order.save()
    if order.state == State.DRAFT:
        billing.schedule_build(order=order)
    after = {f: _value(order, f) for f in data}
    changed = sorted(f for f in data if before[f] != after[f])
    record_event("sales.order_updated", order, actor=actor, fields=changed, lines=lines is not None)
    return order


_FK_FIELDS = {"counterparty", "contact", "manager", "warehouse", "price_type", "payment_terms", "deal"}


def _value(order: SalesOrder, field: str):
    return getattr(order, f"{field}_id") if field in _FK_FIELDS else getattr(order, field)


@transaction.atomic
def order_delete(*, actor, order: SalesOrder) -> None:
    """Only a draft may be deleted (a confirmed order is cancelled instead, and stays on record)."""
    order = lock_order(order)
    if order.state != State.DRAFT:
        raise ValidationFailed(
            {"__all__": [_("Only a draft can be deleted; cancel %(number)s instead.") % {"number": order.number}]}
        )
    record_event("sales.order_deleted", order, actor=actor, number=order.number)
    order.schedule.all().delete()
    order.delete()


# --- the workflow -----------------------------------------------------------------------------


@transaction.atomic
def order_confirm(*, actor, order: SalesOrder) -> SalesOrder:
    """Draft → confirmed: the customer's word is given. The people of the roles in the sales
    settings get a task to look at the order (on their day page)."""
    from .notify import notify_confirmed

    order = lock_order(order)
    check_transition(order, State.CONFIRMED)
    lines = list(order.lines.select_related("product"))
    if not lines:
        raise ValidationFailed({"lines": [_("Add at least one line.")]})
    if not order.warehouse.active:
        raise ValidationFailed({"warehouse": [_("This warehouse is closed.")]})
    order.state = State.CONFIRMED
    order.confirmed_at = timezone.now()
    order.save(update_fields=["state", "confirmed_at", "updated_at"])
    billing.schedule_event(order=order, event="confirmed", on_date=timezone.localdate())
    tasks = notify_confirmed(actor=actor, order=order)
    record_event("sales.order_confirmed", order, actor=actor, total=order.total, tasks=len(tasks))
    return order


@transaction.atomic
def order_start_work(*, actor, order: SalesOrder) -> SalesOrder:
    """Confirmed → in work: production (or assembly) has started on it. With the advance policy
    "block" the advance must be paid first (`AdvanceRequired`)."""
    order = lock_order(order)
    check_transition(order, State.IN_WORK)
    billing.order_check_advance(order=order)
    order.state = State.IN_WORK
    order.work_started_at = timezone.now()
    order.save(update_fields=["state", "work_started_at", "updated_at"])
    billing.schedule_event(order=order, event="production", on_date=timezone.localdate())
    record_event("sales.order_started", order, actor=actor)
    return order


@transaction.atomic
def order_close(*, actor, order: SalesOrder) -> SalesOrder:
    """Shipped → closed: nothing more is expected of the order. An order of services only (nothing
    to ship) closes from confirmed or in work."""
    order = lock_order(order)
    services_only = not any(line.product.is_stocked for line in order.lines.select_related("product"))
    if not (services_only and order.state in (State.CONFIRMED, State.IN_WORK)):
        check_transition(order, State.CLOSED)
    order.state = State.CLOSED
    order.closed_at = timezone.now()
    order.save(update_fields=["state", "closed_at", "updated_at"])
    record_event("sales.order_closed", order, actor=actor)
    return order


def shipping_state(order: SalesOrder, lines) -> str:
    """The state the shipped quantities of the stocked lines say the order is in."""
    stocked = [line for line in lines if line.product.is_stocked]
    shipped_any = any(line.qty_shipped > 0 for line in stocked)
    if stocked and all(line.qty_shipped >= line.qty for line in stocked):
        return State.SHIPPED
    if shipped_any:
        return State.PARTLY_SHIPPED
    return State.IN_WORK if order.work_started_at else State.CONFIRMED


def follow_shipments(*, actor, order: SalesOrder) -> SalesOrder:
    """Move the (locked) order to the state its shipped quantities say (inside a shipping service)."""
    lines = list(order.lines.select_related("product"))
    target = shipping_state(order, lines)
    if target != order.state:
        check_transition(order, target, allowed=SalesOrder.SHIPPING_TRANSITIONS)
        before = order.state
        order.state = target
        order.save(update_fields=["state", "updated_at"])
        record_event("sales.order_state_followed", order, actor=actor, before=before, after=target)
        if target == State.SHIPPED:
            billing.schedule_event(order=order, event="shipped", on_date=timezone.localdate())
    return order


def task_due(settings: SalesSettings):
    return timezone.now() + timedelta(days=settings.task_due_days)
