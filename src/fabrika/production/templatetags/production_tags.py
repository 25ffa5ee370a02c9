"""Template helpers of the production pages: `{% load production_tags %}`."""

from django import template
from django.utils.html import format_html

register = template.Library()

STATE_COLORS = {
    "draft": "secondary",
    "released": "info",
    "in_progress": "primary",
    "done": "success",
    "cancelled": "danger",
    "posted": "success",
}


@register.simple_tag
def state_badge(state: str, label) -> str:
    color = STATE_COLORS.get(state, "secondary")
    return format_html('<span class="badge text-bg-{} state-{}">{}</span>', color, state, label)


@register.simple_tag
def order_state(order) -> str:
    """The state of a production order as a coloured badge."""
    return state_badge(order.state, order.get_state_display())


@register.filter
def indent(level) -> str:
    """Left padding of an indented explosion row (1.25rem per level)."""
    try:
        return f"{max(int(level), 0) * 1.25:g}rem"
    except (TypeError, ValueError):
        return "0"
