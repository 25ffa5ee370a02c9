"""`{% load outbox_tags %}{% outbox_panel object %}`: the e-mail sent about a card, with "Retry".

Also available from `{% load documents_tags %}`. The card page has already checked that the user
may see `object`; the panel needs documents/view, its Retry buttons documents/change.
"""

from django import template
from django.db.models import Count

from fabrika.access.policy import can

from ..outbox import messages_for

register = template.Library()


def outbox_panel(context, obj):
    request = context["request"]
    user = request.user
    if not (user.is_authenticated and obj is not None and obj.pk is not None and can(user, "documents", "view")):
        return {"can_view": False}
    return {
        "can_view": True,
        "can_retry": can(user, "documents", "change"),
        "outbox_messages": list(messages_for(obj).defer("body").annotate(attachment_count=Count("attachments"))),
        "back": request.get_full_path(),
    }


register.inclusion_tag("documents/outbox_panel.html", takes_context=True)(outbox_panel)
