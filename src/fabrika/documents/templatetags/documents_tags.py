"""`{% attachments_panel object %}`: the files of a card, with upload and delete.

The card page has already checked that the user may see `object`; the panel adds the
documents rights: the list needs documents/view, the upload form documents/add, the delete
buttons documents/delete.
"""

from django import template
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils.http import urlencode

from fabrika.access.policy import can

from ..forms import AttachmentForm
from ..queries import attachments_of

register = template.Library()


@register.inclusion_tag("documents/attachments_panel.html", takes_context=True)
def attachments_panel(context, obj):
    request = context["request"]
    user = request.user
    can_view = user.is_authenticated and obj is not None and obj.pk is not None and can(user, "documents", "view")
    if not can_view:
        return {"can_view": False}
    content_type = ContentType.objects.get_for_model(obj)
    back = urlencode({"next": request.get_full_path()})
    return {
        "can_view": True,
        "can_add": can(user, "documents", "add"),
        "can_delete": can(user, "documents", "delete"),
        "attachments": list(attachments_of(obj)),
        "form": AttachmentForm(),
        "upload_url": reverse("documents:attachment-add", args=[content_type.pk, obj.pk]) + "?" + back,
        "back": back,
        "max_upload_mb": settings.MAX_UPLOAD_MB,
    }


from .outbox_tags import outbox_panel as _outbox_panel  # noqa: E402  ({% outbox_panel obj %} here too)

register.inclusion_tag("documents/outbox_panel.html", takes_context=True, name="outbox_panel")(_outbox_panel)
