"""Template helpers of the activity and deal pages: `{% load crm_funnel %}`."""

from django import template
from django.template import engines
from django.urls import NoReverseMatch
from django.utils.html import format_html

register = template.Library()

BOOTSTRAP_COLORS = ("primary", "secondary", "success", "danger", "warning", "info", "light", "dark")

ACTIVITY_ICONS = {
    "call": "telephone",
    "meeting": "people",
    "email": "envelope",
    "note": "sticky",
    "task": "check2-square",
}


@register.filter
def activity_icon(kind: str) -> str:
    """The bootstrap-icons name of an activity kind."""
    return ACTIVITY_ICONS.get(kind, "dot")


@register.filter
def bs_color(name: str) -> str:
    """A Bootstrap colour name, safe to put in a class (unknown names become "secondary")."""
    return name if name in BOOTSTRAP_COLORS else "secondary"


@register.simple_tag
def link_to(obj, css: str = ""):
    """A link to the object's page, or its plain name while that page does not exist."""
    if obj is None or obj == "":
        return ""
    try:
        url = obj.get_absolute_url()
    except (AttributeError, NoReverseMatch):
        return format_html("{}", obj)
    return format_html('<a href="{}" class="{}">{}</a>', url, css, obj)


def library_available(name: str) -> bool:
    """Whether `{% load name %}` works (tags built by other parts may be missing)."""
    return name in engines["django"].engine.template_libraries
