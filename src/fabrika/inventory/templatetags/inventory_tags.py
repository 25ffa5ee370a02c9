"""Template helpers of the warehouse pages: `{% load inventory_tags %}`."""

from decimal import Decimal

from django import template
from django.utils import formats
from django.utils.html import format_html

register = template.Library()

STATE_COLORS = {
    "draft": "secondary",
    "posted": "success",
    "cancelled": "danger",
    "active": "primary",
    "consumed": "success",
    "released": "secondary",
}


def plain_qty(value):
    """A quantity without trailing zeros: Decimal("7.000000") → Decimal("7"), never "7E+1"."""
    if value is None or value == "":
        return value
    value = Decimal(value)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


@register.filter
def qty(value):
    """A quantity as people write it: grouped, with only the decimals it has."""
    if value is None or value == "":
        return ""
    value = plain_qty(value)
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


@register.simple_tag
def state_badge(state: str, label: str):
    color = STATE_COLORS.get(state, "secondary")
    return format_html('<span class="badge text-bg-{} state-{}">{}</span>', color, state, label)


@register.filter
def field(form, name):
    """`form|field:name`: the bound field `name` (the fields of a line depend on the document type)."""
    return form[name]


@register.filter
def has_field(form, name) -> bool:
    return name in form.fields


@register.filter
def report_cell(value, kind: str):
    """A report cell by the column's kind: quantities, money, unit costs, dates."""
    from fabrika.web.templatetags.web import cell, money

    if value is None or value == "":
        return ""
    if kind == "qty":
        return qty(value)
    if kind == "money":
        return money(value)
    if kind == "cost":
        value = Decimal(value).quantize(Decimal("0.000001"))
        text = format(value.normalize(), "f")
        places = max(2, len(text.split(".")[1]) if "." in text else 0)
        return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    return cell(value)
