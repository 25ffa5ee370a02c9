"""Filters of print templates: money, quantities and dates in the document's language.

Rendering runs inside `translation.override(language)`, so Django's locale formats (decimal
separator, grouping, month names) are those of the document, not of the server.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.utils import formats, timezone
from jinja2 import pass_context


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def number(value, places: int = 2) -> str:
    """`1234.5|number` → "1,234.50" (in English); empty for no value."""
    amount = _decimal(value)
    if amount is None:
        return ""
    places = max(0, min(int(places), 6))
    return formats.number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=True)


@pass_context
def money(context, value, currency=None) -> str:
    """`line.amount|money` → "1,234.50 EUR" in the company currency; `|money(false)` without it."""
    text = number(value, 2)
    if not text:
        return ""
    if currency is None:
        currency = context.get("currency") or ""
    return f"{text}\u00a0{currency}" if currency else text


def qty(value) -> str:
    """A quantity without trailing zeros: 5.000000 → "5", 1234.50 → "1,234.5"."""
    amount = _decimal(value)
    if amount is None:
        return ""
    normal = amount.normalize()
    exponent = normal.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return formats.number_format(amount, decimal_pos=min(places, 6), use_l10n=True, force_grouping=True)


def _local(value):
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def date(value, style: str = "long") -> str:
    """`doc.date|date` → "27 November 2026"; `|date("short")` → "11/27/2026" (per language)."""
    if not isinstance(value, datetime.date):
        return "" if value in (None, "") else str(value)
    value = _local(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    return formats.date_format(value, "SHORT_DATE_FORMAT" if style == "short" else "DATE_FORMAT")


def datetime_(value) -> str:
    if not isinstance(value, datetime.datetime):
        return date(value, "short")
    return formats.date_format(_local(value), "SHORT_DATETIME_FORMAT")


FILTERS = {"money": money, "qty": qty, "number": number, "date": date, "datetime": datetime_}
