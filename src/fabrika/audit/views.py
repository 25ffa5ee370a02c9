"""The audit log: field changes (django-auditlog) and business events, in two tabs.

Lists read LogEntry / BusinessEvent through their time index, newest first; the page's rows
are decorated in bulk (names of referenced objects, links to the objects' pages), exports
the same way in chunks, so neither grows with the size of the log.
"""

from itertools import islice

from auditlog.models import LogEntry
from django.urls import reverse
from django.utils.html import escape, format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from fabrika.access.policy import Policy
from fabrika.core.exports import export_response
from fabrika.core.views import Column, ListPage

from .filters import ChangeFilter, EventFilter
from .models import BusinessEvent
from .queries import (
    FieldChange,
    action_label,
    actor_label,
    attach_object_urls,
    content_type_label,
    describe_changes,
    event_data_text,
)

EXPORT_CHUNK = 2000
TAB_PARAMS = ("user", "object_type", "date_from", "date_to", "request_id", "q")


class Rich(str):
    """A cell: plain text (exports, `str()`) that renders as HTML on the page.

    A `str` subclass, because templates turn any other object into `str()` before escaping.
    The HTML is built only when the page renders it (`html` may be a callable), never for exports.
    """

    def __new__(cls, text: str, html=None):
        cell = super().__new__(cls, text)
        cell._html = html
        return cell

    def __html__(self) -> str:
        html = self._html() if callable(self._html) else self._html
        return str(html) if html is not None else str(escape(str(self)))


def _object_cell(row) -> Rich:
    text, url = row.object_repr, getattr(row, "object_url", None)
    return Rich(text, (lambda: format_html('<a href="{}">{}</a>', url, text)) if url else None)


def _request_cell(request_id: str, url_name: str = "audit:log") -> Rich:
    def html():
        url = reverse(url_name) + "?" + urlencode({"request_id": request_id})
        return format_html('<a href="{}" class="font-monospace small text-nowrap">{}</a>', url, request_id)

    return Rich(request_id or "", html if request_id else None)


_FIELD = '<span class="text-muted">{}:</span>'
_BEFORE = '<del class="text-danger">{}</del>'
_AFTER = '<ins class="text-success text-decoration-none">{}</ins>'


def change_html(change: FieldChange):
    """One field: "Name: <del>before</del> → <ins>after</ins>"; a created or deleted value alone."""
    if change.before and change.after:
        return format_html(f"<div>{_FIELD} {_BEFORE} &rarr; {_AFTER}</div>", change.field, change.before, change.after)
    if change.before:
        return format_html(f"<div>{_FIELD} {_BEFORE}</div>", change.field, change.before)
    return format_html(f"<div>{_FIELD} {_AFTER}</div>", change.field, change.after)


def _changes_cell(entry) -> Rich:
    changes = entry.field_changes
    return Rich(
        "; ".join(str(c) for c in changes),
        lambda: format_html_join("", "{}", ((change_html(c),) for c in changes)),
    )


def _chunks(iterable, size):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _AuditListPage(ListPage):
    access_policy = Policy("audit", "view")
    template_name = "audit/log.html"
    search_fields = ("object_repr",)
    tab = ""

    def prepare(self, rows) -> None:
        """Decorate a batch of rows before their cells are read."""

    def paginate_queryset(self, queryset, page_size):
        paginator, page, object_list, is_paginated = super().paginate_queryset(queryset, page_size)
        object_list = list(object_list)
        self.prepare(object_list)
        page.object_list = object_list
        return paginator, page, object_list, is_paginated

    def get(self, request, *args, **kwargs):
        export = request.GET.get("export")
        if export in ("csv", "xlsx"):
            header = [str(c.label) for c in self.columns]
            return export_response(export, self.export_name, header, self._export_rows())
        return super().get(request, *args, **kwargs)

    def _export_rows(self):
        for chunk in _chunks(self.get_queryset().iterator(EXPORT_CHUNK), EXPORT_CHUNK):
            self.prepare(chunk)
            for obj in chunk:
                yield [c.value(obj) for c in self.columns]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        keep = urlencode([(k, v) for k in TAB_PARAMS for v in self.request.GET.getlist(k) if v])
        ctx.update(
            tab=self.tab,
            tab_query=f"?{keep}" if keep else "",
        )
        return ctx


class ChangeLogView(_AuditListPage):
    """Field changes: who changed what, before and after, in which request."""

    model = LogEntry
    title = _("Audit log")
    tab = "changes"
    filterset_class = ChangeFilter
    default_ordering = ("-timestamp", "-id")
    export_name = "audit-changes"
    columns = [
        Column("timestamp", _("Time"), sort="timestamp"),
        Column("actor", _("User"), value=lambda e: actor_label(e.actor, e.actor_email, e.cid)),
        Column("content_type", _("Object type"), value=lambda e: content_type_label(e.content_type_id)),
        Column("object_repr", _("Object"), value=_object_cell),
        Column("action", _("Action"), value=lambda e: action_label(e.action)),
        Column("changes", _("Changes"), value=_changes_cell),
        Column("cid", _("Request id"), value=lambda e: _request_cell(e.cid)),
    ]

    def base_queryset(self):
        # The whole log is the audit area's: the policy checked audit/view; no record scope.
        return LogEntry.objects.select_related("actor")

    def ordering_for(self, sort: str):
        if sort in ("timestamp", "-timestamp"):
            return (sort, sort.replace("timestamp", "id"))
        return self.default_ordering

    def prepare(self, rows) -> None:
        describe_changes(rows)
        attach_object_urls(rows, pk_attr="object_pk")


class EventLogView(_AuditListPage):
    """Business events: what an operation meant ("deal won", "file attached")."""

    model = BusinessEvent
    title = _("Audit log")
    tab = "events"
    filterset_class = EventFilter
    default_ordering = ("-at", "-id")
    export_name = "audit-events"
    columns = [
        Column("at", _("Time"), sort="at"),
        Column("actor", _("User"), value=lambda e: actor_label(e.actor, None, e.request_id)),
        Column("event", _("Event"), value=lambda e: Rich(e.event, lambda: format_html("<code>{}</code>", e.event))),
        Column("content_type", _("Object type"), value=lambda e: content_type_label(e.content_type_id)),
        Column("object_repr", _("Object"), value=_object_cell),
        Column("data", _("Data"), value=lambda e: event_data_text(e.data)),
        Column("request_id", _("Request id"), value=lambda e: _request_cell(e.request_id, "audit:events")),
    ]

    def base_queryset(self):
        return BusinessEvent.objects.select_related("actor")

    def ordering_for(self, sort: str):
        if sort in ("at", "-at"):
            return (sort, sort.replace("at", "id"))
        return self.default_ordering

    def prepare(self, rows) -> None:
        attach_object_urls(rows, pk_attr="object_id")
