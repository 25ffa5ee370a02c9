import copy
import json

from auditlog.cid import get_cid
from auditlog.context import disable_auditlog
from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.encoding import smart_str

from .context import get_actor, get_request_id
from .models import BusinessEvent
from .receivers import stamp_log_entry


def _event(event: str, obj, data: dict, *, actor, request_id: str, content_type=None) -> BusinessEvent:
    return BusinessEvent(
        actor=actor,
        request_id=request_id,
        event=event,
        content_type=content_type or (ContentType.objects.get_for_model(obj) if obj is not None else None),
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:255] if obj is not None else "",
        data=json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
    )


def _actor(actor):
    """The given user, else the user of the current request, job or command context; an anonymous
    user is no actor."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return get_actor()
    return actor


def record_event(event: str, obj=None, *, actor=None, **data) -> BusinessEvent:
    """Record a business event inside the caller's transaction (the actor: see _actor)."""
    entry = _event(event, obj, data, actor=_actor(actor), request_id=get_request_id() or "")
    entry.save()
    return entry


def log_changes(rows: list[tuple]) -> None:
    """The field-change records django-auditlog writes on save, for rows saved in bulk, in one insert.

    rows: (action, the instance before (None when created), the instance as saved, the saved fields or
    None for all). Same changes (auditlog's own diff), correlation id, actor and address as on save."""
    entries = []
    cid = get_cid()
    for action, old, new, fields in rows:
        changes = model_instance_diff(
            old,
            new,
            fields_to_check=fields,
            use_json_for_changes=getattr(settings, "AUDITLOG_STORE_JSON_CHANGES", False),
        )
        if not changes:
            continue
        entry = LogEntry(
            content_type=ContentType.objects.get_for_model(new),
            object_pk=str(new.pk),
            object_id=new.pk,
            object_repr=smart_str(new),
            action=action,
            changes=changes,
            cid=cid,
        )
        stamp_log_entry(LogEntry, entry)
        entries.append(entry)
    LogEntry.objects.bulk_create(entries, batch_size=500)


def record_events(event: str, items: list[tuple], *, actor) -> None:
    """`record_event(event, obj, actor=actor, **data)` for many (obj, data) at once, in one insert."""
    if not items:
        return
    actor, request_id = _actor(actor), get_request_id() or ""
    content_type = ContentType.objects.get_for_model(items[0][0])
    BusinessEvent.objects.bulk_create(
        [
            _event(event, obj, data, actor=actor, request_id=request_id, content_type=content_type)
            for obj, data in items
        ],
        batch_size=500,
    )


def save_changes(instance, **values) -> None:
    """Set `values` on `instance`, save those fields (and its automatic timestamps) and record the
    change in the field-level audit log (django-auditlog): the entry auditlog's own receiver writes
    before a save, diffed against the instance as the caller read and locked it in this
    transaction instead of auditlog reading the row again — for the hot paths (a document's posting)."""
    before = copy.copy(instance)
    for name, value in values.items():
        setattr(instance, name, value)
    log_changes([(LogEntry.Action.UPDATE, before, instance, list(values))])
    auto = [f.name for f in instance._meta.concrete_fields if getattr(f, "auto_now", False)]
    with disable_auditlog():
        instance.save(update_fields=[*values, *auto])
