"""`{% object_history object %}`: the history of one record on its card.

Shown only to users who may view the record's area (its `access_area`); the card page has
already checked the record scope. Request ids link to the audit log for those who may read it.
"""

from django import template
from django.contrib.contenttypes.models import ContentType
from django.utils.http import urlencode

from fabrika.access.policy import can

from ..queries import history_for
from ..views import change_html

register = template.Library()


@register.simple_tag
def field_change(change):
    """`Name: <del>before</del> → <ins>after</ins>`, as on the audit log page."""
    return change_html(change)


@register.inclusion_tag("audit/object_history.html", takes_context=True)
def object_history(context, obj, limit=100):
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    area = getattr(obj, "access_area", None) or "audit"
    allowed = (
        user is not None
        and user.is_authenticated
        and obj is not None
        and obj.pk is not None
        and can(user, area, "view")
    )
    log_query = ""
    if allowed:
        ct = ContentType.objects.get_for_model(obj)
        log_query = urlencode({"object_type": ct.pk, "q": str(obj)[:100]})
    return {
        "allowed": allowed,
        "log_query": log_query,
        "items": history_for(obj, user=user, limit=limit) if allowed else [],
        "limit": limit,
        "can_open_log": allowed and can(user, "audit", "view"),
    }
