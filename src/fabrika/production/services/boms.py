"""BOMs, tech cards, work centres and the product's production profile."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event
from fabrika.catalog.models import Product, Unit
from fabrika.core.errors import ValidationFailed
from fabrika.core.records import apply, validate
from fabrika.inventory.services import to_base

from ..domain import bom as dbom
from ..errors import BomCycleRefused
from ..models import Bom, BomLine, Operation, ProductionProfile, TechCard, WorkCentre
from ..queries import load_boms

ZERO = Decimal("0")
HUNDRED = Decimal("100")


def _decimal(value, field: str, errors: dict, *, default=None):
    if value in (None, ""):
        return default
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(_("Enter a number."))
        return default


def _build_bom_lines(product, lines: list[dict]) -> list[BomLine]:
    errors: dict[str, list[str]] = {}
    built = []
    if not lines:
        raise ValidationFailed({"lines": [_("Add at least one component.")]})
    units = {u.pk: u for u in Unit.objects.all()}
    for i, data in enumerate(lines):
        component = data.get("component")
        if isinstance(component, int | str):
            component = Product.objects.filter(pk=component).first()
        if component is None:
            errors.setdefault(f"lines.{i}.component", []).append(_("Choose a component."))
            continue
        if component.pk == product.pk:
            errors.setdefault(f"lines.{i}.component", []).append(_("A product cannot be its own component."))
        qty = _decimal(data.get("qty"), f"lines.{i}.qty", errors)
        if qty is None or qty <= 0:
            errors.setdefault(f"lines.{i}.qty", []).append(_("The quantity must be greater than zero."))
            continue
        scrap = _decimal(data.get("scrap_pct"), f"lines.{i}.scrap_pct", errors, default=ZERO)
        if scrap is not None and not (ZERO <= scrap < HUNDRED):
            errors.setdefault(f"lines.{i}.scrap_pct", []).append(_("Scrap is a percentage from 0 to 99.999."))
        unit = data.get("unit") or None
        if unit is not None and not isinstance(unit, Unit):
            unit = units.get(int(unit))
        try:
            qty_base = to_base(component, qty, unit) if unit is not None else qty
        except ValidationFailed as exc:
            errors.setdefault(f"lines.{i}.unit", []).extend(exc.errors.get("unit", []))
            continue
        built.append(
            BomLine(
                position=i + 1,
                component=component,
                qty=qty,
                unit=unit,
                qty_base=qty_base,
                scrap_pct=scrap or ZERO,
                phantom=bool(data.get("phantom")),
                note=(data.get("note") or "")[:200],
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return built


def _refuse_cycles(product, lines: list[BomLine]) -> None:
    override = {product.pk: [dbom.BomLine(x.component.pk, x.qty_base, x.scrap_pct, x.phantom) for x in lines]}
    boms = load_boms([product.pk], override=override)
    path = dbom.find_cycle(boms, start=product.pk)
    if path:
        products = Product.objects.in_bulk(path)
        raise BomCycleRefused([products[p] for p in path])


def _next_version(model, product) -> int:
    return (model.objects.filter(product=product).aggregate(v=Max("version"))["v"] or 0) + 1


@transaction.atomic
def bom_save(*, actor, product, data: dict, lines: list[dict], bom: Bom | None = None) -> Bom:
    """Create a BOM version (or replace the header and lines of `bom`). Cycles are refused with their path.

    The first standard version of a product becomes its active one.
    """
    built = _build_bom_lines(product, lines)
    _refuse_cycles(product, built)
    creating = bom is None
    if creating:
        bom = Bom(product=product, version=_next_version(Bom, product), created_by=actor)
    apply(bom, {k: v for k, v in data.items() if k in {"name", "valid_from", "valid_to", "note", "is_custom"}})
    if bom.valid_from and bom.valid_to and bom.valid_to < bom.valid_from:
        raise ValidationFailed({"valid_to": [_("The end of validity is before its start.")]})
    if creating and not bom.is_custom and not Bom.objects.filter(product=product, is_active=True).exists():
        bom.is_active = True
    validate(bom, exclude=["product", "created_by"])
    bom.save()
    bom.lines.all().delete()
    for line in built:
        line.bom = bom
    BomLine.objects.bulk_create(built)
    record_event("production.bom_saved", bom, actor=actor, version=bom.version, lines=len(built))
    return bom


@transaction.atomic
def bom_activate(*, actor, bom: Bom) -> Bom:
    if bom.is_custom:
        raise ValidationFailed({"is_active": [_("A custom BOM belongs to one order and cannot be the product's BOM.")]})
    _refuse_cycles(bom.product, list(bom.lines.select_related("component")))
    Bom.objects.filter(product=bom.product, is_active=True).exclude(pk=bom.pk).update(is_active=False)
    bom.is_active = True
    bom.save(update_fields=["is_active", "updated_at"])
    record_event("production.bom_activated", bom, actor=actor, version=bom.version)
    return bom


@transaction.atomic
def bom_copy(*, actor, bom: Bom, custom: bool = False, name: str = "") -> Bom:
    """A new version with the same lines (inactive), or an order's own copy to modify."""
    lines = [
        {
            "component": line.component,
            "qty": line.qty,
            "unit": line.unit,
            "scrap_pct": line.scrap_pct,
            "phantom": line.phantom,
            "note": line.note,
        }
        for line in bom.lines.select_related("component", "unit")
    ]
    data = {"name": name or bom.name, "note": bom.note, "is_custom": custom}
    return bom_save(actor=actor, product=bom.product, data=data, lines=lines)


def _build_operations(operations: list[dict]) -> list[Operation]:
    errors: dict[str, list[str]] = {}
    built = []
    centres = {c.pk: c for c in WorkCentre.objects.all()}
    for i, data in enumerate(operations):
        name = (data.get("name") or "").strip()
        if not name:
            errors.setdefault(f"operations.{i}.name", []).append(_("Name the operation."))
        values = {}
        for field in ("setup_minutes", "run_minutes", "labour_rate", "overhead_rate"):
            value = _decimal(data.get(field), f"operations.{i}.{field}", errors, default=ZERO)
            if value is not None and value < 0:
                errors.setdefault(f"operations.{i}.{field}", []).append(_("The value cannot be negative."))
            values[field] = value or ZERO
        centre = data.get("work_centre") or None
        if centre is not None and not isinstance(centre, WorkCentre):
            centre = centres.get(int(centre))
        built.append(
            Operation(
                seq=int(data.get("seq") or (i + 1) * 10),
                name=name[:200],
                work_centre=centre,
                instructions=data.get("instructions") or "",
                **values,
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return built


@transaction.atomic
def techcard_save(*, actor, product, data: dict, operations: list[dict], card: TechCard | None = None) -> TechCard:
    built = _build_operations(operations)
    creating = card is None
    if creating:
        card = TechCard(product=product, version=_next_version(TechCard, product))
    apply(card, {k: v for k, v in data.items() if k in {"name", "note"}})
    if creating and not TechCard.objects.filter(product=product, is_active=True).exists():
        card.is_active = True
    validate(card, exclude=["product"])
    card.save()
    card.operations.all().delete()
    for op in built:
        op.tech_card = card
    Operation.objects.bulk_create(built)
    record_event("production.techcard_saved", card, actor=actor, version=card.version, operations=len(built))
    return card


@transaction.atomic
def techcard_activate(*, actor, card: TechCard) -> TechCard:
    TechCard.objects.filter(product=card.product, is_active=True).exclude(pk=card.pk).update(is_active=False)
    card.is_active = True
    card.save(update_fields=["is_active", "updated_at"])
    record_event("production.techcard_activated", card, actor=actor, version=card.version)
    return card


@transaction.atomic
def workcentre_save(*, actor, data: dict, centre: WorkCentre | None = None) -> WorkCentre:
    centre = centre or WorkCentre()
    apply(centre, data)
    validate(centre)
    centre.save()
    return centre


@transaction.atomic
def profile_save(*, actor, product, data: dict) -> ProductionProfile:
    profile, _created = ProductionProfile.objects.get_or_create(product=product)
    apply(profile, data)
    validate(profile, exclude=["product"])
    profile.save()
    return profile
