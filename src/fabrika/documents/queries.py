"""Read side of attachments: which files a user may see.

A file is visible when the user may view documents and may view the record it is attached to:
`restrict(user, "view", …)` for a model with an `access_area`, any signed-in user otherwise.
A record the user cannot see hides its files exactly as if they did not exist (404).
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

from fabrika.access.policy import can, restrict, restrict_object

from .models import Attachment


def resolve_target(content_type: ContentType, object_id):
    """The record a (content type, object id) pair points to, or None."""
    model = content_type.model_class() if content_type is not None else None
    if model is None:
        return None
    try:
        pk = model._meta.pk.to_python(object_id)
        return model._default_manager.filter(pk=pk).first()
    except (ValidationError, ValueError, TypeError):
        return None


def target_visible(user, target) -> bool:
    if target is None or not user.is_authenticated:
        return False
    if getattr(type(target), "access_area", None):
        return restrict_object(user, "view", target)
    return True


def visible_attachments(user, queryset: QuerySet | None = None) -> QuerySet:
    """The attachments of `queryset` whose record `user` may see (documents/view is checked too)."""
    queryset = Attachment.objects.all() if queryset is None else queryset
    if not user.is_authenticated or not can(user, "documents", "view"):
        return queryset.none()
    condition = Q(pk__in=[])
    ct_ids = queryset.order_by().values_list("content_type", flat=True).distinct()
    for ct_id in ct_ids:
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model is None:
            continue
        if not getattr(model, "access_area", None):
            condition |= Q(content_type_id=ct_id)
            continue
        visible = restrict(user, "view", model._default_manager.all())
        if visible.query.is_empty():
            continue
        # Only records that still exist and are in the user's record scope; object_id is text.
        pks = visible.order_by().annotate(_pk_text=Cast("pk", CharField())).values("_pk_text")
        condition |= Q(content_type_id=ct_id, object_id__in=pks)
    return queryset.filter(condition)


def attachments_of(target) -> QuerySet:
    return Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(target), object_id=str(target.pk)
    ).select_related("uploaded_by")
