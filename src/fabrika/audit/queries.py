"""Read side of the audit: readable change rows for the log page, exports and card histories.

Everything that needs the database works on a batch of rows at once (one query per related
model), so a page of 50 entries or an export chunk of 2,000 costs a handful of queries.
"""

import datetime
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.urls import NoReverseMatch
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext as _

from .models import BusinessEvent

VALUE_LIMIT = 200
_GENERATED_RID = re.compile(r"^(?P<label>.+)-[0-9a-f]{16}$")  # see context.new_request_id()


# --- labels -----------------------------------------------------------------------------------


def request_id_label(request_id: str | None) -> str:
    """What made a change, from a generated request id: "cmd-demo-1a2b…" -> "cmd-demo"."""
    match = _GENERATED_RID.match(request_id or "")
    return match.group("label") if match else ""


@lru_cache(maxsize=16)
def _system_label(language) -> str:
    return _("system")


def actor_label(actor, actor_email: str | None, request_id: str | None) -> str:
    """The user who acted; "system" with the job or command for changes without a user."""
    if actor is not None:
        return str(actor)
    if actor_email:
        return actor_email  # the user was deleted; LogEntry keeps the address
    label = request_id_label(request_id)
    system = _system_label(get_language())
    return f"{system} ({label})" if label else system


# Labels are computed once per model (or action) and language: an export of 100,000 rows
# would otherwise spend most of its time translating the same few words.


@lru_cache(maxsize=512)
def _model_label(model, language) -> str:
    return str(capfirst(model._meta.verbose_name))


def content_type_label(content_type_id: int | None) -> str:
    if not content_type_id:
        return ""
    ct = ContentType.objects.get_for_id(content_type_id)
    model = ct.model_class()
    return _model_label(model, get_language()) if model is not None else ct.app_labeled_name


ACTION_CODES = {
    LogEntry.Action.CREATE: "create",
    LogEntry.Action.UPDATE: "update",
    LogEntry.Action.DELETE: "delete",
    LogEntry.Action.ACCESS: "access",
}


ACTION_LABELS = {
    LogEntry.Action.CREATE: pgettext_lazy("audit action", "created"),
    LogEntry.Action.UPDATE: pgettext_lazy("audit action", "changed"),
    LogEntry.Action.DELETE: pgettext_lazy("audit action", "deleted"),
    LogEntry.Action.ACCESS: pgettext_lazy("audit action", "viewed"),
}


@lru_cache(maxsize=64)
def _action_label(action: int, language) -> str:
    return str(ACTION_LABELS.get(action, action))


def action_label(action: int) -> str:
    return _action_label(action, get_language())


def content_types_with_entries(model) -> list[tuple[int, str]]:
    """(content type id, label) of the object types that have rows in `model` (LogEntry or events).

    One index probe per content type (there are dozens), not a DISTINCT over the whole log.
    """
    has_rows = models.Exists(model.objects.filter(content_type=models.OuterRef("pk")))
    ids = ContentType.objects.filter(has_rows).values_list("pk", flat=True)
    choices = [(pk, content_type_label(pk)) for pk in ids]
    return sorted(choices, key=lambda c: c[1].lower())


# --- field changes ----------------------------------------------------------------------------


@dataclass
class FieldChange:
    field: str
    before: str
    after: str

    def __str__(self) -> str:
        return f"{self.field}: {self.before or '—'} → {self.after or '—'}"


def _clip(text: str) -> str:
    return text if len(text) <= VALUE_LIMIT else text[:VALUE_LIMIT] + "…"


def _model_of(content_type_id):
    return ContentType.objects.get_for_id(content_type_id).model_class()


def _field(model, name: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _fk_refs(entries) -> dict:
    """{related model: set of pk strings} of every foreign-key value in the entries' changes."""
    refs = defaultdict(set)
    for entry in entries:
        model = _model_of(entry.content_type_id)
        for name, values in (entry.changes or {}).items():
            f = _field(model, name)
            if f is None or _noise(f) or not (f.many_to_one or f.one_to_one) or not isinstance(values, list):
                continue
            for value in values:
                if value not in (None, "None", ""):
                    refs[f.related_model].add(str(value))
    return refs


def _resolve_refs(refs: dict) -> dict:
    """{(related model, pk string): str(object)} in one query per related model."""
    names = {}
    for model, pks in refs.items():
        valid = []
        for pk in pks:
            try:
                valid.append(model._meta.pk.to_python(pk))
            except (ValidationError, ValueError, TypeError):
                continue
        for obj in model._base_manager.filter(pk__in=valid):
            names[(model, str(obj.pk))] = str(obj)
    return names


@lru_cache(maxsize=16)
def _bool_label(text: str, language) -> str:
    return {"True": _("yes"), "False": _("no")}.get(text, text)


def _format_value(model, f, value, names: dict) -> str:
    if value is None or value == "None":
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if f is None:
        return _clip(text)
    if f.many_to_one or f.one_to_one:
        name = names.get((f.related_model, text))
        return _clip(name) if name is not None else f"#{text} ({_('deleted')})"
    choices = getattr(f, "flatchoices", None)
    if choices:
        labels = {str(k): str(v) for k, v in choices}
        return _clip(labels.get(text, text))
    if isinstance(f, models.BooleanField):
        return _bool_label(text, get_language())
    if isinstance(f, models.DateTimeField):
        parsed = parse_datetime(text)
        if parsed is not None:
            if timezone.is_naive(parsed):
                parsed = timezone.make_aware(parsed, datetime.UTC)  # auditlog stores naive UTC
            return formats.date_format(timezone.localtime(parsed), "SHORT_DATETIME_FORMAT")
    elif isinstance(f, models.DateField):
        parsed = parse_date(text)
        if parsed is not None:
            return formats.date_format(parsed, "SHORT_DATE_FORMAT")
    return _clip(text)


def _noise(f) -> bool:
    """Reverse relations, the primary key and automatic timestamps say nothing about a change."""
    return (
        not getattr(f, "concrete", False)
        or f.primary_key
        or getattr(f, "auto_now", False)
        or getattr(f, "auto_now_add", False)
    )


@lru_cache(maxsize=4096)
def _field_label(model, name: str, language) -> str:
    mapping = auditlog.get_model_fields(model)["mapping_fields"] if model and auditlog.contains(model) else {}
    f = _field(model, name)
    return str(mapping.get(name) or (capfirst(f.verbose_name) if getattr(f, "verbose_name", None) else name))


def _describe(entry, names: dict) -> list[FieldChange]:
    model = _model_of(entry.content_type_id)
    language = get_language()
    rows = []
    for name, values in (entry.changes or {}).items():
        f = _field(model, name)
        label = _field_label(model, name, language)
        if isinstance(values, dict) and values.get("type") == "m2m":
            objects = ", ".join(str(o) for o in values.get("objects", []))
            if values.get("operation") == "add":
                rows.append(FieldChange(label, "", _clip(_("added: %(objects)s") % {"objects": objects})))
            else:
                rows.append(FieldChange(label, _clip(_("removed: %(objects)s") % {"objects": objects}), ""))
            continue
        if f is not None and _noise(f):
            continue
        if not isinstance(values, list | tuple) or len(values) != 2:
            rows.append(FieldChange(label, "", _clip(str(values))))
            continue
        before, after = _format_value(model, f, values[0], names), _format_value(model, f, values[1], names)
        if before or after:
            rows.append(FieldChange(label, before, after))
    rows.sort(key=lambda r: r.field.lower())
    return rows


def describe_changes(entries) -> None:
    """Set `entry.field_changes` (a list of FieldChange with verbose names) on each entry."""
    entries = list(entries)
    names = _resolve_refs(_fk_refs(entries))
    for entry in entries:
        entry.field_changes = _describe(entry, names)


def event_data_text(data) -> str:
    if not isinstance(data, dict):
        return str(data or "")
    parts = []
    for key, value in data.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        parts.append(f"{key}: {_clip(text)}")
    return "; ".join(parts)


# --- links to the objects ---------------------------------------------------------------------


def attach_object_urls(rows, *, pk_attr: str) -> None:
    """Set `row.object_url` to the page of the row's object when it has one and still exists."""
    rows = list(rows)
    wanted = defaultdict(set)
    for row in rows:
        if row.content_type_id and getattr(row, pk_attr):
            wanted[row.content_type_id].add(str(getattr(row, pk_attr)))
    urls = {}
    for ct_id, pks in wanted.items():
        model = _model_of(ct_id)
        if model is None or not hasattr(model, "get_absolute_url"):
            continue
        valid = []
        for pk in pks:
            try:
                valid.append(model._meta.pk.to_python(pk))
            except (ValidationError, ValueError, TypeError):
                continue
        for obj in model._default_manager.filter(pk__in=valid):
            try:
                urls[(ct_id, str(obj.pk))] = obj.get_absolute_url()
            except NoReverseMatch:
                continue  # the card page is not built yet
    for row in rows:
        row.object_url = urls.get((row.content_type_id, str(getattr(row, pk_attr) or "")))


# --- the history of one object ----------------------------------------------------------------

# Providers of children that any object may have (attachments, comments…): each is called with
# the object and returns [(model, filter kwargs)]. Apps append to it in AppConfig.ready().
GENERIC_CHILDREN: list = []


@dataclass
class HistoryItem:
    at: datetime.datetime
    actor: object
    actor_label: str
    kind: str  # create / update / delete / access / event
    action: str
    object_label: str  # "" for the object itself, "Contact: Anna Smith" for a child
    request_id: str
    changes: list[FieldChange] = field(default_factory=list)
    event: str = ""
    data: str = ""


def _concrete_field(model, key: str):
    for f in model._meta.concrete_fields:
        if key in (f.name, f.attname):
            return f
    return None


def _deleted_child_pks(model, content_type, kwargs: dict) -> set[str]:
    """Pks of deleted children: their delete entries keep the old value of the parent field."""
    condition = models.Q(content_type=content_type, action=LogEntry.Action.DELETE)
    for key, value in kwargs.items():
        f = _concrete_field(model, key)
        if f is None:
            return set()  # a lookup across relations: only the current children are found
        if isinstance(value, models.Model):
            value = value.pk
        condition &= models.Q(**{f"changes__{f.name}__0": str(value)})
    return set(LogEntry.objects.filter(condition).values_list("object_pk", flat=True))


def history_children(obj) -> list[tuple]:
    children = list(obj.history_children()) if hasattr(obj, "history_children") else []
    for provider in GENERIC_CHILDREN:
        children.extend(provider(obj))
    return children


def history_for(obj, *, user=None, limit: int = 100) -> list[HistoryItem]:
    """Field changes and business events of `obj` and of its children, newest first.

    A model lists its children with `history_children()` -> [(model, filter kwargs)], e.g. a
    counterparty's contacts `(Contact, {"counterparty_id": pk})`. Children whose area `user`
    may not view are left out. Deleted children are found through their delete entries.
    """
    from fabrika.access.policy import can

    ct = ContentType.objects.get_for_model(obj)
    targets = {ct.pk: {str(obj.pk)}}
    for model, kwargs in history_children(obj):
        area = getattr(model, "access_area", None)
        if user is not None and area and not can(user, area, "view"):
            continue
        child_ct = ContentType.objects.get_for_model(model)
        pks = {str(pk) for pk in model._default_manager.filter(**kwargs).values_list("pk", flat=True)}
        pks |= _deleted_child_pks(model, child_ct, kwargs)
        if pks:
            targets.setdefault(child_ct.pk, set()).update(pks)

    entry_q = models.Q()
    event_q = models.Q()
    for ct_id, pks in targets.items():
        entry_q |= models.Q(content_type_id=ct_id, object_pk__in=sorted(pks))
        event_q |= models.Q(content_type_id=ct_id, object_id__in=sorted(pks))
    entries = list(LogEntry.objects.filter(entry_q).select_related("actor").order_by("-timestamp", "-id")[:limit])
    events = list(BusinessEvent.objects.filter(event_q).select_related("actor").order_by("-at", "-id")[:limit])
    describe_changes(entries)

    def child_label(ct_id, pk, repr_):
        if ct_id == ct.pk and pk == str(obj.pk):
            return ""
        return f"{content_type_label(ct_id)}: {repr_}"

    items = [
        HistoryItem(
            at=e.timestamp,
            actor=e.actor,
            actor_label=actor_label(e.actor, e.actor_email, e.cid),
            kind=ACTION_CODES.get(e.action, "update"),
            action=action_label(e.action),
            object_label=child_label(e.content_type_id, e.object_pk, e.object_repr),
            request_id=e.cid or "",
            changes=e.field_changes,
        )
        for e in entries
    ]
    items += [
        HistoryItem(
            at=ev.at,
            actor=ev.actor,
            actor_label=actor_label(ev.actor, None, ev.request_id),
            kind="event",
            action=ev.event,
            object_label=child_label(ev.content_type_id, ev.object_id, ev.object_repr),
            request_id=ev.request_id,
            event=ev.event,
            data=event_data_text(ev.data),
        )
        for ev in events
    ]
    items.sort(key=lambda i: i.at, reverse=True)
    return items[:limit]
