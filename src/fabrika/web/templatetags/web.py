import datetime
from decimal import Decimal

from django import template
from django.forms import CheckboxInput, CheckboxSelectMultiple, RadioSelect, Select, SelectMultiple
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


def _style(field, small: bool = False):
    widget = field.field.widget
    css = widget.attrs.get("class", "")
    if isinstance(widget, CheckboxInput):
        base = "form-check-input"
    elif isinstance(widget, (CheckboxSelectMultiple, RadioSelect)):
        base = ""
    elif isinstance(widget, (Select, SelectMultiple)):
        base = "form-select" + (" form-select-sm" if small else "")
    else:
        base = "form-control" + (" form-control-sm" if small else "")
    if field.errors:
        base += " is-invalid"
    attrs = {"class": f"{css} {base}".strip()}
    if field.errors:
        attrs["aria-describedby"] = f"{field.auto_id}_errors"
    return field.as_widget(attrs=attrs)


@register.simple_tag
def field_sm(field):
    return _style(field, small=True)


@register.simple_tag
def field_widget(field):
    return _style(field)


@register.simple_tag
def form_fields(form):
    for field in form.visible_fields():
        field.styled = _style(field)
    return render_to_string("web/form_fields_styled.html", {"form": form})


@register.filter
def zip_values(columns, values):
    return zip(columns, values, strict=True)


@register.filter
def cell(value):
    """How a value looks in a table cell."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return format_html('<i class="bi bi-check-lg" title="{}"></i>', _("yes")) if value else ""
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, Decimal):
        return formats.number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
    return value


@register.filter
def money(value, currency=""):
    if value is None or value == "":
        return ""
    text = formats.number_format(Decimal(value), decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{text} {currency}".strip()
