"""The only code that changes the catalog. Views, API, imports and the demo call these functions.

Every function takes keyword-only arguments, runs in one transaction, raises `ValidationFailed`
(field → messages) or another `DomainError` with data, and records a business event.

Characteristics: a product of a group carries the characteristics of the group's template,
inherited ones from the ancestor groups included (`queries.characteristic_template`). They are
stored on the product by name: numbers as decimal strings ("2.4"), choices and text as strings,
yes/no as booleans; empty values are left out.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.text import slugify
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event
from fabrika.core.errors import ValidationFailed
from fabrika.core.records import apply, validate

from .errors import GroupCycle, InUse
from .models import (
    GroupCharacteristic,
    PriceList,
    PriceListItem,
    PriceType,
    Product,
    ProductGroup,
    Unit,
    UnitConversion,
)
from .queries import characteristic_template, group_descendant_ids

Kind = GroupCharacteristic.Kind

PRODUCT_FIELDS = {"code", "name", "type", "unit", "group", "barcode", "default_warehouse", "description", "active"}
UNIT_FIELDS = {"code", "name", "precision"}
GROUP_FIELDS = {"name", "code", "parent"}
CHARACTERISTIC_FIELDS = {"name", "kind", "choices", "unit", "required", "order"}
PRICE_TYPE_FIELDS = {"code", "name"}
PRICE_LIST_FIELDS = {"name", "price_type", "currency", "valid_from", "valid_to", "includes_vat"}
PHOTO_FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
TEXT_LIMIT = 500


def _only(data: dict, allowed: set[str], what: str) -> dict:
    unknown = set(data) - allowed
    if unknown:
        raise TypeError(f"{what}: unknown fields {', '.join(sorted(unknown))}")
    return dict(data)


def _strip(instance, *names) -> None:
    for name in names:
        value = getattr(instance, name)
        if isinstance(value, str):
            setattr(instance, name, value.strip())


def _merge(errors: dict, exc: ValidationFailed) -> None:
    for key, messages in exc.errors.items():
        errors.setdefault(key, []).extend(messages)


def _changed(before: dict, obj, names) -> list[str]:
    return sorted(n for n in names if before.get(n) != getattr(obj, n))


# --- units --------------------------------------------------------------------------------------


@transaction.atomic
def unit_save(*, actor, data: dict, unit: Unit | None = None) -> Unit:
    """Create a unit of measure, or change one."""
    created = unit is None
    unit = Unit() if created else Unit.objects.select_for_update().get(pk=unit.pk)
    apply(unit, _only(data, UNIT_FIELDS, "unit_save"))
    _strip(unit, "code", "name")
    validate(unit)
    unit.save()
    record_event("catalog.unit_created" if created else "catalog.unit_updated", unit, actor=actor, code=unit.code)
    return unit


@transaction.atomic
def unit_delete(*, actor, unit: Unit) -> None:
    """Delete a unit no product, conversion or document uses."""
    products = Product.objects.filter(unit=unit).count()
    conversions = UnitConversion.objects.filter(unit=unit).count()
    if products or conversions:
        raise InUse(
            _("%(unit)s is the unit of %(products)d products and %(conversions)d conversions.")
            % {"unit": unit.code, "products": products, "conversions": conversions},
            products=products,
            conversions=conversions,
        )
    record_event("catalog.unit_deleted", unit, actor=actor, code=unit.code)
    try:
        with transaction.atomic():
            unit.delete()
    except ProtectedError:
        raise InUse(_("%(unit)s is used by warehouse documents.") % {"unit": unit.code}) from None


def _clean_conversions(product: Product, conversions: list[dict]) -> list[UnitConversion]:
    """Check conversion rows (unit, factor, barcode); errors are keyed `conversions.<row>.<field>`."""
    errors: dict[str, list[str]] = {}
    built, seen = [], set()
    for index, row in enumerate(conversions):
        unit, factor = row.get("unit"), row.get("factor")
        key = f"conversions.{index}"
        if unit is None:
            errors.setdefault(f"{key}.unit", []).append(_("Choose a unit."))
        elif unit.pk == product.unit_id:
            errors.setdefault(f"{key}.unit", []).append(_("%(unit)s is the product's own unit.") % {"unit": unit.code})
        elif unit.pk in seen:
            errors.setdefault(f"{key}.unit", []).append(_("%(unit)s is listed twice.") % {"unit": unit.code})
        else:
            seen.add(unit.pk)
        try:
            factor = Decimal(str(factor)) if factor is not None and not isinstance(factor, bool) else None
        except InvalidOperation:
            factor = None
        if factor is None or not factor.is_finite():
            errors.setdefault(f"{key}.factor", []).append(_("Enter how many base units one holds."))
        elif factor <= 0:
            errors.setdefault(f"{key}.factor", []).append(
                _("The factor must be greater than zero (got %(factor)s).") % {"factor": factor}
            )
        if errors:
            continue
        conversion = UnitConversion(
            product=product, unit=unit, factor=factor, barcode=(row.get("barcode") or "").strip()
        )
        try:
            validate(conversion, exclude=["product"])
        except ValidationFailed as exc:
            for field, messages in exc.errors.items():
                errors.setdefault(f"{key}.{field}", []).extend(messages)
        built.append(conversion)
    if errors:
        raise ValidationFailed(errors)
    return built


def _save_conversions(product: Product, built: list[UnitConversion]) -> None:
    existing = {c.unit_id: c for c in product.conversions.all()}
    keep = set()
    for conversion in built:
        current = existing.get(conversion.unit_id)
        if current is None:
            conversion.product = product
            conversion.save()
        elif (current.factor, current.barcode) != (conversion.factor, conversion.barcode):
            current.factor, current.barcode = conversion.factor, conversion.barcode
            current.save(update_fields=["factor", "barcode"])
        keep.add(conversion.unit_id)
    for unit_id, conversion in existing.items():
        if unit_id not in keep:
            conversion.delete()


@transaction.atomic
def product_conversions_set(*, actor, product: Product, conversions: list[dict]) -> list[UnitConversion]:
    """Replace the product's unit conversions: rows `{"unit", "factor", "barcode"}` (1 unit = factor base units)."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    built = _clean_conversions(product, conversions)
    _save_conversions(product, built)
    record_event(
        "catalog.conversions_set",
        product,
        actor=actor,
        conversions={c.unit.code: str(c.factor.normalize()) for c in built},
    )
    return list(product.conversions.select_related("unit"))


# --- characteristics of products ----------------------------------------------------------------


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(raw) -> Decimal:
    if isinstance(raw, bool):
        raise InvalidOperation
    text = str(raw).strip().replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    number = Decimal(text)
    if not number.is_finite():
        raise InvalidOperation
    return number


def clean_characteristic(char: GroupCharacteristic, raw):
    """One value as stored, or ValueError with the message for people."""
    if char.kind == Kind.NUMBER:
        try:
            number = _number(raw)
        except (InvalidOperation, ValueError):
            raise ValueError(
                _("%(name)s must be a number, not “%(value)s”.") % {"name": char.name, "value": raw}
            ) from None
        return format(number.normalize(), "f")
    if char.kind == Kind.CHOICE:
        value = str(raw).strip()
        if value not in char.choice_list:
            raise ValueError(
                _("“%(value)s” is not one of the choices of %(name)s: %(choices)s.")
                % {"value": value, "name": char.name, "choices": ", ".join(char.choice_list)}
            )
        return value
    if char.kind == Kind.BOOL:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on", "y"):
            return True
        if text in ("0", "false", "no", "off", "n"):
            return False
        raise ValueError(_("%(name)s must be yes or no, not “%(value)s”.") % {"name": char.name, "value": raw})
    value = str(raw).strip()
    if len(value) > TEXT_LIMIT:
        raise ValueError(_("%(name)s is at most %(n)d characters long.") % {"name": char.name, "n": TEXT_LIMIT})
    return value


def clean_characteristics(*, group: ProductGroup | None, values: dict | None) -> dict:
    """The characteristics of a product of `group`, checked against the group's template.

    Refused (ValidationFailed, keys `characteristics.<name>`): a required one missing, a number
    that is not one, a choice not in the list, a name the template does not have.
    """
    values = dict(values or {})
    template = characteristic_template(group)
    by_name = {c.name: c for c in template}
    errors: dict[str, list[str]] = {}
    for name in values:
        if name not in by_name and not _blank(values[name]):
            message = (
                _("The group %(group)s has no characteristic %(name)s.") % {"group": group.name, "name": name}
                if group is not None
                else _("Choose a group: characteristics come from the group's template (%(name)s).") % {"name": name}
            )
            errors[f"characteristics.{name}"] = [message]
    clean = {}
    for char in template:
        raw = values.get(char.name)
        if _blank(raw):
            if char.required:
                errors[f"characteristics.{char.name}"] = [_("%(name)s is required.") % {"name": char.name}]
            continue
        try:
            clean[char.name] = clean_characteristic(char, raw)
        except ValueError as exc:
            errors[f"characteristics.{char.name}"] = [str(exc)]
    if errors:
        raise ValidationFailed(errors)
    return clean


# --- products -----------------------------------------------------------------------------------


def validate_photo(photo) -> str:
    """A photo must be a PNG, JPEG, GIF or WebP image within the upload limit; returns its extension."""
    limit = settings.MAX_UPLOAD_MB * 1024 * 1024
    if photo.size > limit:
        raise ValidationFailed(
            {
                "photo": [
                    _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
                    % {"size": round(photo.size / 1024 / 1024, 1), "limit": settings.MAX_UPLOAD_MB}
                ]
            }
        )
    from PIL import Image, UnidentifiedImageError

    try:
        photo.seek(0)
        with Image.open(photo) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationFailed({"photo": [_("The file is not an image.")]}) from None
    finally:
        photo.seek(0)
    if image_format not in PHOTO_FORMATS:
        raise ValidationFailed({"photo": [_("Use a PNG, JPEG, GIF or WebP image.")]})
    return PHOTO_FORMATS[image_format]


def _check_product(product: Product, errors: dict) -> None:
    _strip(product, "code", "name", "barcode")
    try:
        validate(product, exclude=["photo"])
    except ValidationFailed as exc:
        _merge(errors, exc)
    if product.barcode:
        clash = Product.objects.filter(barcode=product.barcode).exclude(pk=product.pk).first()
        if clash is None:
            conversion = UnitConversion.objects.filter(barcode=product.barcode).exclude(product_id=product.pk).first()
            clash = conversion.product if conversion is not None else None
        if clash is not None:
            errors.setdefault("barcode", []).append(
                _("Barcode %(barcode)s is already used by %(product)s.")
                % {"barcode": product.barcode, "product": f"{clash.code} {clash.name}"}
            )


def _store_photo(product: Product, photo, extension: str) -> None:
    name = f"{slugify(product.code) or 'product'}.{extension}"
    product.photo.save(name, photo, save=False)


def _drop_file_after_commit(storage, name: str) -> None:
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def product_create(
    *, actor, data: dict, characteristics: dict | None = None, conversions: list[dict] | None = None, photo=None
) -> Product:
    """Create a product. Everything is checked at once; a refusal lists every problem."""
    product = Product()
    apply(product, _only(data, PRODUCT_FIELDS, "product_create"))
    errors: dict[str, list[str]] = {}
    _check_product(product, errors)
    try:
        product.characteristics = clean_characteristics(group=product.group, values=characteristics)
    except ValidationFailed as exc:
        _merge(errors, exc)
    built = []
    try:
        built = _clean_conversions(product, conversions or [])
    except ValidationFailed as exc:
        _merge(errors, exc)
    extension = ""
    if photo:
        try:
            extension = validate_photo(photo)
        except ValidationFailed as exc:
            _merge(errors, exc)
    if errors:
        raise ValidationFailed(errors)
    if photo:
        _store_photo(product, photo, extension)
    product.save()
    _save_conversions(product, built)
    record_event("catalog.product_created", product, actor=actor, code=product.code, type=product.type)
    return product


def _check_stock_rules(product: Product, before: dict, errors: dict) -> None:
    """The base unit is fixed once the ledger holds the product; a stocked product cannot turn into a service."""
    from fabrika.inventory.models import Balance, StockDocumentLine, StockMove

    if product.unit_id != before["unit_id"] and (
        StockMove.objects.filter(product=product).exists() or StockDocumentLine.objects.filter(product=product).exists()
    ):
        errors.setdefault("unit", []).append(
            _("The unit cannot change: warehouse documents already count %(product)s in %(unit)s.")
            % {"product": product.code, "unit": Unit.objects.get(pk=before["unit_id"]).code}
        )
    if product.type == Product.Type.SERVICE and before["type"] != Product.Type.SERVICE:
        if Balance.objects.filter(product=product).exclude(qty=0, reserved=0).exists():
            errors.setdefault("type", []).append(
                _("%(product)s is in stock and cannot become a service.") % {"product": product.code}
            )


@transaction.atomic
def product_update(
    *,
    actor,
    product: Product,
    data: dict,
    characteristics: dict | None = None,
    conversions: list[dict] | None = None,
    photo=None,
) -> Product:
    """Change a product. `characteristics`/`conversions`: None keeps them (characteristics the
    new group's template does not have are dropped); `photo`: a new image, False to remove, None to keep."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    names = ["unit_id", "group_id", "default_warehouse_id", *(PRODUCT_FIELDS - {"unit", "group", "default_warehouse"})]
    before = {n: getattr(product, n) for n in names}
    before_chars = dict(product.characteristics or {})
    apply(product, _only(data, PRODUCT_FIELDS, "product_update"))
    errors: dict[str, list[str]] = {}
    _check_product(product, errors)
    _check_stock_rules(product, before, errors)
    if characteristics is None:
        known = {c.name for c in characteristic_template(product.group)}
        characteristics = {k: v for k, v in before_chars.items() if k in known}
    try:
        product.characteristics = clean_characteristics(group=product.group, values=characteristics)
    except ValidationFailed as exc:
        _merge(errors, exc)
    built = None
    if conversions is not None:
        try:
            built = _clean_conversions(product, conversions)
        except ValidationFailed as exc:
            _merge(errors, exc)
    extension = ""
    if photo:
        try:
            extension = validate_photo(photo)
        except ValidationFailed as exc:
            _merge(errors, exc)
    if errors:
        raise ValidationFailed(errors)
    changed = _changed(before, product, names)
    if product.characteristics != before_chars:
        changed.append("characteristics")
    old_photo = product.photo.name if product.photo else ""
    if photo:
        _store_photo(product, photo, extension)
        changed.append("photo")
        if old_photo and old_photo != product.photo.name:
            _drop_file_after_commit(product.photo.storage, old_photo)
    elif photo is False and old_photo:
        storage = product.photo.storage
        product.photo = None
        changed.append("photo")
        _drop_file_after_commit(storage, old_photo)
    product.save()
    if built is not None:
        _save_conversions(product, built)
        changed.append("conversions")
    event = "catalog.product_updated"
    if "active" in changed:
        event = "catalog.product_restored" if product.active else "catalog.product_archived"
    record_event(event, product, actor=actor, fields=[n.removesuffix("_id") for n in changed])
    return product


@transaction.atomic
def product_archive(*, actor, product: Product) -> Product:
    """Take a product out of use (lists hide it, documents no longer offer it). Its history stays."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.active:
        product.active = False
        product.save(update_fields=["active", "updated_at"])
        record_event("catalog.product_archived", product, actor=actor, code=product.code)
    return product


@transaction.atomic
def product_restore(*, actor, product: Product) -> Product:
    product = Product.objects.select_for_update().get(pk=product.pk)
    if not product.active:
        product.active = True
        product.save(update_fields=["active", "updated_at"])
        record_event("catalog.product_restored", product, actor=actor, code=product.code)
    return product


# --- groups and their characteristics templates -------------------------------------------------


def _check_cycle(group: ProductGroup, parent: ProductGroup | None) -> None:
    """Refuse a parent that is the group itself or lies below it, naming the loop."""
    if parent is None or group.pk is None:
        return
    chain, node, seen = [], ProductGroup.objects.filter(pk=parent.pk).first(), set()
    while node is not None and node.pk not in seen:
        seen.add(node.pk)
        chain.append(node)
        if node.pk == group.pk:
            path = list(reversed(chain))  # the group … the new parent
            raise GroupCycle(group, [*path, group] if len(path) > 1 else [group, group])
        node = node.parent


@transaction.atomic
def group_create(*, actor, data: dict) -> ProductGroup:
    group = ProductGroup()
    apply(group, _only(data, GROUP_FIELDS, "group_create"))
    _strip(group, "name", "code")
    validate(group)
    group.save()
    record_event("catalog.group_created", group, actor=actor, parent=group.parent_id)
    return group


@transaction.atomic
def group_update(*, actor, group: ProductGroup, data: dict) -> ProductGroup:
    """Rename a group or move it under another parent (never under itself or its own subgroups)."""
    group = ProductGroup.objects.select_for_update().get(pk=group.pk)
    before = {"name": group.name, "code": group.code, "parent_id": group.parent_id}
    apply(group, _only(data, GROUP_FIELDS, "group_update"))
    _strip(group, "name", "code")
    validate(group)
    if group.parent_id != before["parent_id"]:
        _check_cycle(group, group.parent)
    group.save()
    changed = _changed(before, group, before)
    if "parent_id" in changed:
        record_event("catalog.group_moved", group, actor=actor, parent=[before["parent_id"], group.parent_id])
    if changed:
        record_event("catalog.group_updated", group, actor=actor, fields=changed)
    return group


def group_move(*, actor, group: ProductGroup, parent: ProductGroup | None) -> ProductGroup:
    return group_update(actor=actor, group=group, data={"parent": parent})


@transaction.atomic
def group_delete(*, actor, group: ProductGroup) -> None:
    children = group.children.count()
    products = group.products.count()
    if children or products:
        raise InUse(
            _("%(group)s holds %(children)d subgroups and %(products)d products; move them first.")
            % {"group": group.name, "children": children, "products": products},
            children=children,
            products=products,
        )
    record_event("catalog.group_deleted", group, actor=actor, name=group.name)
    group.delete()


def _check_characteristic(char: GroupCharacteristic) -> None:
    _strip(char, "name", "unit")
    errors: dict[str, list[str]] = {}
    lines = []
    for line in (char.choices or "").splitlines():
        line = line.strip()
        if line and line not in lines:
            lines.append(line)
    char.choices = "\n".join(lines) if char.kind == Kind.CHOICE else ""
    if char.kind == Kind.CHOICE and not lines:
        errors["choices"] = [_("List the choices, one per line.")]
    if char.name and "." in char.name:
        errors["name"] = [_("A characteristic's name cannot contain a dot.")]
    elif (
        char.name
        and GroupCharacteristic.objects.filter(group_id=char.group_id, name=char.name).exclude(pk=char.pk).exists()
    ):
        errors["name"] = [_("The group already has a characteristic %(name)s.") % {"name": char.name}]
    try:
        validate(char, exclude=["group"])
    except ValidationFailed as exc:
        _merge(errors, exc)
    if errors:
        raise ValidationFailed(errors)


def _groups_where_effective(char: GroupCharacteristic) -> list[int]:
    """The groups (of the characteristic's subtree) whose products get this very definition."""
    found = []
    for group in ProductGroup.objects.filter(pk__in=group_descendant_ids(char.group_id)):
        if any(c.pk == char.pk for c in characteristic_template(group)):
            found.append(group.pk)
    return found


def _rename_in_products(group_ids: list[int], old: str, new: str) -> None:
    for product in Product.objects.filter(group_id__in=group_ids).select_for_update():
        values = product.characteristics or {}
        if old in values:
            values = {(new if k == old else k): v for k, v in values.items()}
            product.characteristics = values
            product.save(update_fields=["characteristics", "updated_at"])


def _prune_products(group_ids) -> None:
    """Drop from the products of these groups the values their template no longer has."""
    for group in ProductGroup.objects.filter(pk__in=group_ids):
        names = {c.name for c in characteristic_template(group)}
        for product in group.products.select_for_update():
            values = product.characteristics or {}
            kept = {k: v for k, v in values.items() if k in names}
            if kept != values:
                product.characteristics = kept
                product.save(update_fields=["characteristics", "updated_at"])


@transaction.atomic
def characteristic_save(
    *, actor, group: ProductGroup, data: dict, characteristic: GroupCharacteristic | None = None
) -> GroupCharacteristic:
    """Add a characteristic to a group's template, or change one (a rename carries products' values along)."""
    created = characteristic is None
    char = (
        GroupCharacteristic(group=group)
        if created
        else GroupCharacteristic.objects.select_for_update().get(pk=characteristic.pk)
    )
    old_name = char.name
    apply(char, _only(data, CHARACTERISTIC_FIELDS, "characteristic_save"))
    _check_characteristic(char)
    effective = [] if created or char.name == old_name else _groups_where_effective(char)
    char.save()
    if effective:
        _rename_in_products(effective, old_name, char.name)
    record_event(
        "catalog.characteristic_created" if created else "catalog.characteristic_updated",
        char,
        actor=actor,
        group=group.pk,
        name=char.name,
        kind=char.kind,
    )
    return char


@transaction.atomic
def characteristic_delete(*, actor, characteristic: GroupCharacteristic) -> None:
    """Remove a characteristic from its group's template and its values from the products."""
    subtree = group_descendant_ids(characteristic.group_id)
    record_event(
        "catalog.characteristic_deleted",
        characteristic,
        actor=actor,
        group=characteristic.group_id,
        name=characteristic.name,
    )
    characteristic.delete()
    _prune_products(subtree)


@transaction.atomic
def characteristics_set(*, actor, group: ProductGroup, items: list[dict]) -> list[GroupCharacteristic]:
    """Replace a group's own template: rows with an `id` of the group change it, rows without add one,
    the group's characteristics left out are deleted. Errors are keyed `characteristics.<row>.<field>`."""
    own = {c.pk: c for c in group.characteristics.all()}
    keep, errors = set(), {}
    rows = []
    for index, item in enumerate(items):
        item = dict(item)
        pk = item.pop("id", None)
        if pk is not None and pk not in own:
            errors[f"characteristics.{index}.id"] = [_("The group has no characteristic %(id)s.") % {"id": pk}]
            continue
        keep.add(pk)
        rows.append((index, own.get(pk), item))
    for pk, char in own.items():
        if pk not in keep:
            characteristic_delete(actor=actor, characteristic=char)
    saved = []
    for index, char, item in rows:
        try:
            saved.append(characteristic_save(actor=actor, group=group, data=item, characteristic=char))
        except ValidationFailed as exc:
            for field, messages in exc.errors.items():
                errors.setdefault(f"characteristics.{index}.{field}", []).extend(messages)
    if errors:
        raise ValidationFailed(errors)
    return saved


# --- prices ---------------------------------------------------------------------------------------


@transaction.atomic
def price_type_save(*, actor, data: dict, price_type: PriceType | None = None) -> PriceType:
    created = price_type is None
    price_type = PriceType() if created else PriceType.objects.select_for_update().get(pk=price_type.pk)
    apply(price_type, _only(data, PRICE_TYPE_FIELDS, "price_type_save"))
    _strip(price_type, "code", "name")
    validate(price_type)
    price_type.save()
    record_event(
        "catalog.price_type_created" if created else "catalog.price_type_updated",
        price_type,
        actor=actor,
        code=price_type.code,
    )
    return price_type


@transaction.atomic
def price_type_delete(*, actor, price_type: PriceType) -> None:
    lists = price_type.price_lists.count()
    if lists:
        raise InUse(
            _("%(type)s has %(n)d price lists; delete them first.") % {"type": price_type.name, "n": lists},
            price_lists=lists,
        )
    record_event("catalog.price_type_deleted", price_type, actor=actor, code=price_type.code)
    price_type.delete()


def _check_price_list(price_list: PriceList) -> None:
    from fabrika.core.models import CompanySettings

    _strip(price_list, "name", "currency")
    price_list.currency = (price_list.currency or "").upper() or CompanySettings.load().currency
    errors: dict[str, list[str]] = {}
    if not re.fullmatch(r"[A-Z]{3}", price_list.currency):
        errors["currency"] = [_("Enter a three-letter currency code.")]
    if price_list.valid_from and price_list.valid_to and price_list.valid_to < price_list.valid_from:
        errors["valid_to"] = [_("The list cannot end before it starts.")]
    try:
        validate(price_list)
    except ValidationFailed as exc:
        for field, messages in exc.errors.items():
            # Our own message about the field (or the dates' order) says it better.
            if field not in errors and not (field == "__all__" and "valid_to" in errors):
                errors[field] = messages
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def price_list_create(*, actor, data: dict) -> PriceList:
    """A price list of a price type, valid from a day (to a day, or open-ended), in one currency."""
    data = _only(data, PRICE_LIST_FIELDS, "price_list_create")
    price_list = PriceList()
    if not data.get("currency"):
        data["currency"] = ""
    apply(price_list, data)
    _check_price_list(price_list)
    price_list.save()
    record_event("catalog.price_list_created", price_list, actor=actor, price_type=price_list.price_type.code)
    return price_list


@transaction.atomic
def price_list_update(*, actor, price_list: PriceList, data: dict) -> PriceList:
    price_list = PriceList.objects.select_for_update().get(pk=price_list.pk)
    names = ["name", "price_type_id", "currency", "valid_from", "valid_to", "includes_vat"]
    before = {n: getattr(price_list, n) for n in names}
    apply(price_list, _only(data, PRICE_LIST_FIELDS, "price_list_update"))
    _check_price_list(price_list)
    price_list.save()
    record_event("catalog.price_list_updated", price_list, actor=actor, fields=_changed(before, price_list, names))
    return price_list


@transaction.atomic
def price_list_delete(*, actor, price_list: PriceList) -> None:
    record_event(
        "catalog.price_list_deleted", price_list, actor=actor, name=price_list.name, items=price_list.items.count()
    )
    price_list.delete()


@transaction.atomic
def price_item_save(
    *, actor, price_list: PriceList, product: Product, price: Decimal, item: PriceListItem | None = None
) -> PriceListItem:
    """Set a product's price in a list (one price per product and list)."""
    created = item is None
    item = (
        PriceListItem(price_list=price_list) if created else PriceListItem.objects.select_for_update().get(pk=item.pk)
    )
    old_price = item.price
    item.product = product
    item.price = price
    errors: dict[str, list[str]] = {}
    if price is None:
        errors["price"] = [_("Enter the price.")]
    elif price < 0:
        errors["price"] = [_("The price cannot be negative.")]
    clash = (
        PriceListItem.objects.filter(price_list=item.price_list, product=product).exclude(pk=item.pk).first()
        if product is not None
        else None
    )
    if clash is not None:
        errors["product"] = [
            _("%(product)s already has a price in %(list)s: %(price)s.")
            % {"product": product.code, "list": item.price_list.name, "price": clash.price}
        ]
    if not errors:
        try:
            validate(item, exclude=["price_list"])
        except ValidationFailed as exc:
            _merge(errors, exc)
    if errors:
        raise ValidationFailed(errors)
    item.save()
    record_event(
        "catalog.price_set",
        item,
        actor=actor,
        price_list=item.price_list_id,
        product=product.code,
        price=[None if created else old_price, item.price],
    )
    return item


@transaction.atomic
def price_item_delete(*, actor, item: PriceListItem) -> None:
    record_event(
        "catalog.price_removed",
        item,
        actor=actor,
        price_list=item.price_list_id,
        product=item.product.code,
        price=item.price,
    )
    item.delete()
