"""Helpers shared by the production pages: policies, rights, messages of refusals, exports."""

from django.contrib import messages
from django.template import engines

from fabrika.access.policy import Policy, can
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.exports import export_response
from fabrika.inventory.templatetags.inventory_tags import plain_qty

VIEW = Policy("production", "view")
ADD = Policy("production", "add")
CHANGE = Policy("production", "change")
POST = Policy("production", "post")
COST = Policy("production", "cost")

ACTIONS = ("view", "add", "change", "delete", "post", "approve", "cost")


def production_rights(user) -> dict[str, bool]:
    """What the user may do in production; `cost` shows costs and values."""
    return {action: can(user, "production", action) for action in ACTIONS}


def library_available(name: str) -> bool:
    """Whether `{% load name %}` works (tags of other parts may be missing)."""
    return name in engines["django"].engine.template_libraries


def flash_error(request, exc: DomainError) -> None:
    """A refusal as messages on the next page: every field message of a `ValidationFailed`."""
    if isinstance(exc, ValidationFailed):
        for errors in exc.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.error(request, exc.message)


def export_table(request, name: str, header: list, rows):
    """CSV or XLSX of `rows` when the query asks for it (`?export=csv|xlsx`), else None.

    Quantities go out as people write them (`plain_qty`: "5", "1.5"); money keeps its 2 places."""
    fmt = request.GET.get("export")
    if fmt not in ("csv", "xlsx"):
        return None
    return export_response(fmt, name, [str(h) for h in header], rows)


def q(value):
    """A quantity for an export row: no trailing zeros."""
    return plain_qty(value)


def export_query(request) -> str:
    """The page's query without `export` (and `page`), for the export links."""
    params = request.GET.copy()
    for key in ("export", "page", "table"):
        params.pop(key, None)
    return params.urlencode()
