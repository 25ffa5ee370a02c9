"""Helpers shared by the sales pages."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from fabrika.access.policy import can, restrict
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.inventory.views.common import HtmlColumn, HtmlRowsMixin, library_available  # noqa: F401

from ..models import SalesOrder

ACTIONS = ("view", "add", "change", "delete", "post", "approve", "cost")

STATE_COLORS = {
    "draft": "secondary",
    "confirmed": "primary",
    "in_work": "info",
    "partly_shipped": "warning",
    "shipped": "success",
    "closed": "dark",
    "cancelled": "danger",
    "issued": "primary",
    "partly_paid": "warning",
    "paid": "success",
    "planned": "info",
}


def sales_rights(user) -> dict[str, bool]:
    rights = {action: can(user, "sales", action) for action in ACTIONS}
    rights["settings"] = can(user, "settings", "change")
    rights["inventory"] = can(user, "inventory", "view")
    return rights


def badge(state: str, label) -> str:
    return format_html(
        '<span class="badge text-bg-{} state-{}">{}</span>', STATE_COLORS.get(state, "secondary"), state, label
    )


def state_column(label, *, sort="state"):
    return HtmlColumn(
        "state",
        label,
        sort=sort,
        value=lambda o: o.get_state_display(),
        html=lambda o: badge(o.state, o.get_state_display()),
    )


def link(url, text):
    return format_html('<a href="{}">{}</a>', url, text)


def order_or_404(user, pk, action: str = "view") -> SalesOrder:
    qs = SalesOrder.objects.select_related(
        "counterparty", "contact", "manager", "warehouse", "price_type", "payment_terms", "deal", "created_by"
    )
    return get_object_or_404(restrict(user, action, qs), pk=pk)


def safe_next(request, default: str) -> str:
    for candidate in (request.POST.get("next"), request.GET.get("next")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return default


def run_service(request, call, success: str, back: str):
    """Call a service from a button: a message either way, then back to the page."""
    try:
        result = call()
    except ValidationFailed as exc:
        for field_messages in exc.errors.values():
            for message in field_messages:
                messages.error(request, message)
        return redirect(back), None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back), None
    if success:
        messages.success(request, success)
    return redirect(back), result
