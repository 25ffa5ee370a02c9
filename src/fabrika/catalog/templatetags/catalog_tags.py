"""`{% load catalog_tags %}`: quantities shown with their unit's precision."""

from decimal import Decimal

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def qty(value, unit=None):
    """A quantity with as many decimal places as its unit allows (`{{ row.on_hand|qty:product.unit }}`)."""
    if value is None or value == "":
        return ""
    places = getattr(unit, "precision", None)
    value = Decimal(value)
    if places is None:
        value = value.normalize()
        places = max(0, -value.as_tuple().exponent)
    return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


@register.filter
def unit_cost(value):
    """A unit cost: 2 decimal places, more when the cost has them (up to 6)."""
    if value is None or value == "":
        return ""
    value = Decimal(value)
    places = min(6, max(2, -value.normalize().as_tuple().exponent))
    return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
