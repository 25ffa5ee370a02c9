"""Sales settings, users' discount limits and payment terms templates."""

from decimal import Decimal

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.records import apply, save_m2m, validate

from ..models import DiscountLimit, PaymentTerms, PaymentTermsLine, SalesSettings, Trigger

SETTINGS_FIELDS = {
    "max_discount_pct",
    "notify_roles",
    "task_due_days",
    "default_payment_terms",
    "default_warehouse",
    "default_price_type",
    "invoice_due_days",
}


@transaction.atomic
def sales_settings_update(*, actor, data: dict) -> SalesSettings:
    unknown = set(data) - SETTINGS_FIELDS
    if unknown:
        raise TypeError(f"sales_settings_update() got unknown fields: {', '.join(sorted(unknown))}")
    settings = SalesSettings.objects.select_for_update().get(pk=SalesSettings.load().pk)
    m2m = apply(settings, data)
    validate(settings)
    settings.save()
    save_m2m(settings, m2m)
    record_event("sales.settings_changed", settings, actor=actor, fields=sorted(data))
    return settings


@transaction.atomic
def discount_limit_set(*, actor, user, max_discount_pct: Decimal | None) -> DiscountLimit | None:
    """Give `user` a discount limit of their own (None: the company's limit applies again)."""
    if max_discount_pct is None:
        DiscountLimit.objects.filter(user=user).delete()
        record_event("sales.discount_limit_removed", user, actor=actor)
        return None
    limit = DiscountLimit.objects.filter(user=user).first() or DiscountLimit(user=user)
    limit.max_discount_pct = max_discount_pct
    validate(limit, exclude=["user"])
    limit.save()
    record_event("sales.discount_limit_set", user, actor=actor, max_discount_pct=max_discount_pct)
    return limit


def _terms_lines(terms: PaymentTerms, lines: list[dict]) -> list[PaymentTermsLine]:
    if not lines:
        raise ValidationFailed({"lines": [_("Add at least one part.")]})
    errors: dict[str, list[str]] = {}
    built = []
    for index, data in enumerate(lines):
        percent = data.get("percent")
        trigger = data.get("trigger")
        days = data.get("days") or 0
        if percent is None or Decimal(percent) <= 0 or Decimal(percent) > 100:
            errors.setdefault(f"lines.{index}.percent", []).append(_("A share is more than 0 and at most 100 %."))
        if trigger not in Trigger.values:
            errors.setdefault(f"lines.{index}.trigger", []).append(_("Choose when the part is due."))
        if int(days) < 0:
            errors.setdefault(f"lines.{index}.days", []).append(_("Days cannot be negative."))
        if not errors:
            built.append(
                PaymentTermsLine(terms=terms, position=index + 1, percent=Decimal(percent), trigger=trigger, days=days)
            )
    if errors:
        raise ValidationFailed(errors)
    total = sum((line.percent for line in built), Decimal("0"))
    if total != 100:
        raise ValidationFailed({"lines": [_("The parts add up to %(total)s %%, not 100 %%.") % {"total": total}]})
    return built


@transaction.atomic
def payment_terms_save(*, actor, terms: PaymentTerms | None = None, data: dict, lines: list[dict]) -> PaymentTerms:
    """Create or change a payment terms template: its parts must add up to 100 %. Orders that
    already have their schedule keep it."""
    creating = terms is None
    terms = terms or PaymentTerms()
    apply(terms, data)
    validate(terms)
    built = _terms_lines(terms, lines)
    terms.save()
    terms.lines.all().delete()
    for line in built:
        line.terms = terms
    PaymentTermsLine.objects.bulk_create(built)
    record_event(
        "sales.terms_created" if creating else "sales.terms_changed",
        terms,
        actor=actor,
        lines=[[str(line.percent), line.trigger, line.days] for line in built],
    )
    return terms


@transaction.atomic
def payment_terms_delete(*, actor, terms: PaymentTerms) -> None:
    record_event("sales.terms_deleted", terms, actor=actor, name=terms.name)
    try:
        with transaction.atomic():
            terms.delete()
    except ProtectedError:
        raise DomainError(_("%(name)s is used by orders: make it inactive instead.") % {"name": terms.name}) from None
