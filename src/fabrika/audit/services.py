import copy
import json

from auditlog.context import disable_auditlog
from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder

from .context import get_actor, get_request_id
from .models import BusinessEvent


def record_event(event: str, obj=None, *, actor=None, **data) -> BusinessEvent:
    """Record a business event inside the caller's transaction.

    The actor is the given user, else the user of the current request, job or command context;
    an anonymous user is no actor.
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        actor = get_actor()
    return BusinessEvent.objects.create(
        actor=actor,
        request_id=get_request_id() or "",
        event=event,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:255] if obj is not None else "",
        data=json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
    )


def unchanged(instance):
    """A copy of `instance` as it is now, to give save_changes() as `before`."""
    return copy.copy(instance)


def save_changes(instance, *, before, update_fields: list[str]) -> None:
    """Save `update_fields` of `instance` and record the change in the field-level audit log
    (django-auditlog) against `before`: the row as the caller read and locked it in this
    transaction (see unchanged()). The entry auditlog's own receiver would write (the values as
    set before saving, so not the automatic timestamp), without its reading the row again first:
    for the hot paths (a document's posting)."""
    changes = model_instance_diff(
        before,
        instance,
        fields_to_check=update_fields,
        use_json_for_changes=getattr(settings, "AUDITLOG_STORE_JSON_CHANGES", False),
    )
    with disable_auditlog():
        instance.save(update_fields=update_fields)
    if changes:
        LogEntry.objects.log_create(instance, action=LogEntry.Action.UPDATE, changes=changes)
