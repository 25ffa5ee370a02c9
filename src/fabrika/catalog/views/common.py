"""Helpers shared by the catalog pages."""

from django.contrib import messages
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from fabrika.access.policy import Policy, can
from fabrika.core.errors import DomainError, ValidationFailed

from ..queries import cost_allowed

VIEW = Policy("catalog", "view")
ADD = Policy("catalog", "add")
CHANGE = Policy("catalog", "change")
DELETE = Policy("catalog", "delete")


def catalog_rights(user) -> dict[str, bool]:
    rights = {action: can(user, "catalog", action) for action in ("view", "add", "change", "delete")}
    rights["cost"] = cost_allowed(user)
    return rights


def flash_errors(request, exc: DomainError) -> None:
    if isinstance(exc, ValidationFailed):
        for errors in exc.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.error(request, exc.message)


def optional_url(name: str, *args) -> str | None:
    """The URL of a page another part builds, or None while it does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def safe_next(request, default: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return default
