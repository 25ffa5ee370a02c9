"""Read side of the outbox: which messages a user may see.

The rule of attachments (`documents.queries`): documents/view, and the record a message is about
must be visible to the user; a message about no record needs documents/view only. A message
about a record the user cannot see is hidden exactly as if it did not exist (404).
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

from fabrika.access.policy import can, restrict

from .models_outbox import OutboxMessage


def visible_messages(user, queryset: QuerySet | None = None) -> QuerySet:
    queryset = OutboxMessage.objects.all() if queryset is None else queryset
    if not user.is_authenticated or not can(user, "documents", "view"):
        return queryset.none()
    condition = Q(content_type__isnull=True)
    ct_ids = queryset.exclude(content_type__isnull=True).order_by().values_list("content_type", flat=True).distinct()
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
        pks = visible.order_by().annotate(_pk_text=Cast("pk", CharField())).values("_pk_text")
        condition |= Q(content_type_id=ct_id, object_id__in=pks)
    return queryset.filter(condition)


def related_types(queryset: QuerySet) -> list[tuple[str, str]]:
    """(app_label.model, its name) of the records the messages of `queryset` are about."""
    choices = []
    ct_ids = queryset.exclude(content_type__isnull=True).order_by().values_list("content_type", flat=True).distinct()
    for ct_id in ct_ids:
        content_type = ContentType.objects.get_for_id(ct_id)
        model = content_type.model_class()
        label = str(model._meta.verbose_name).capitalize() if model is not None else content_type.model
        choices.append((f"{content_type.app_label}.{content_type.model}", label))
    return sorted(choices, key=lambda c: c[1])
