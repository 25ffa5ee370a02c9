"""The e-mail outbox pages: the list of messages (filters, search, export), a message with its
attachments (downloads), and "Retry" for a message that is queued or failed.

documents/view shows the messages whose record the user may see (`queries_outbox`); retrying
needs documents/change. Every change goes through `fabrika.documents.outbox`.
"""

import io

import django_filters
from django.contrib import messages
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View

from fabrika.access.policy import Policy, can
from fabrika.core.errors import DomainError
from fabrika.core.views import Column, ListPage, PolicyMixin

from . import outbox
from .models_outbox import OutboxAttachment, OutboxMessage
from .queries import resolve_target
from .queries_outbox import related_types, visible_messages

State = OutboxMessage.State
STATE_COLORS = {State.QUEUED: "warning", State.SENT: "success", State.FAILED: "danger"}


def state_badge(message: OutboxMessage):
    color = STATE_COLORS.get(message.state, "secondary")
    return format_html(
        '<span class="badge text-bg-{} state-{}">{}</span>', color, message.state, message.get_state_display()
    )


def related_url(message: OutboxMessage) -> str:
    """The card of the record the message is about, when it exists and has one."""
    if message.content_type_id is None:
        return ""
    target = resolve_target(message.content_type, message.object_id)
    url = getattr(target, "get_absolute_url", None)
    if url is None:
        return ""
    try:
        return url()
    except NoReverseMatch:
        return ""


class HtmlColumn(Column):
    """A list column shown as HTML on the page and as its plain value in exports."""

    def __init__(self, key, label, *, html, **kwargs):
        super().__init__(key, label, **kwargs)
        self.html = html


def _link(url, text):
    return format_html('<a href="{}">{}</a>', url, text) if url else text


class OutboxFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=gettext_lazy("State"), choices=State.choices)
    related_type = django_filters.ChoiceFilter(
        label=gettext_lazy("About"), choices=[], method="filter_related_type", empty_label=gettext_lazy("anything")
    )
    date_from = django_filters.DateFilter(
        label=gettext_lazy("Queued from"), field_name="created_at", lookup_expr="date__gte"
    )
    date_to = django_filters.DateFilter(
        label=gettext_lazy("Queued to"), field_name="created_at", lookup_expr="date__lte"
    )

    class Meta:
        model = OutboxMessage
        fields = ["state", "related_type", "date_from", "date_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["related_type"].extra["choices"] = [("none", _("no record")), *related_types(self.queryset)]

    def filter_related_type(self, queryset, name, value):
        if value == "none":
            return queryset.filter(content_type__isnull=True)
        app_label, _dot, model = value.partition(".")
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)


class OutboxListView(ListPage):
    model = OutboxMessage
    access_policy = Policy("documents", "view")
    title = gettext_lazy("E-mail outbox")
    export_name = "outbox"
    filterset_class = OutboxFilter
    search_fields = ("subject", "to", "related_label")
    default_ordering = ("-created_at", "-id")
    columns = [
        Column("created_at", gettext_lazy("Queued"), sort="created_at"),
        HtmlColumn(
            "state", gettext_lazy("State"), sort="state", value=lambda m: m.get_state_display(), html=state_badge
        ),
        HtmlColumn(
            "subject",
            gettext_lazy("Subject"),
            sort="subject",
            html=lambda m: _link(m.get_absolute_url(), m.subject),
        ),
        Column("to", pgettext_lazy("e-mail", "To"), value=lambda m: m.recipients_display),
        HtmlColumn(
            "related_label",
            gettext_lazy("About"),
            sort="related_label",
            html=lambda m: _link(related_url(m), m.related_label),
        ),
        Column("attempts", gettext_lazy("Attempts"), sort="attempts"),
        Column("sent_at", pgettext_lazy("e-mail state", "Sent"), sort="sent_at"),
        Column("next_attempt_at", gettext_lazy("Next attempt"), sort="next_attempt_at"),
        Column("last_error", gettext_lazy("Last error"), value=lambda m: (m.last_error or "")[:120]),
        Column("created_by", gettext_lazy("Queued by")),
    ]

    def base_queryset(self):
        return visible_messages(
            self.request.user, OutboxMessage.objects.select_related("created_by", "content_type").defer("body")
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["rows"] = [
            (obj, [c.html(obj) if isinstance(c, HtmlColumn) else c.value(obj) for c in ctx["columns"]])
            for obj in ctx["object_list"]
        ]
        return ctx


def message_or_404(user, pk) -> OutboxMessage:
    queryset = visible_messages(user, OutboxMessage.objects.select_related("created_by", "content_type"))
    return get_object_or_404(queryset, pk=pk)


class OutboxDetailView(PolicyMixin, View):
    access_policy = Policy("documents", "view")

    def get(self, request, pk: int):
        message = message_or_404(request.user, pk)
        ctx = {
            "title": message.subject,
            "message": message,
            "attachments": list(message.attachments.defer("content")),
            "related_url": related_url(message),
            "can_retry": message.state != State.SENT and can(request.user, "documents", "change"),
        }
        return TemplateResponse(request, "documents/outbox_detail.html", ctx)


class OutboxRetryView(PolicyMixin, View):
    access_policy = Policy("documents", "change")
    http_method_names = ["post"]

    def post(self, request, pk: int):
        message = message_or_404(request.user, pk)
        try:
            outbox.outbox_retry(actor=request.user, message=message)  # sends right after the commit
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            message.refresh_from_db()
            if message.state == State.SENT:
                messages.success(request, _("The message was sent."))
            elif message.state == State.FAILED:
                messages.error(request, _("The message could not be sent: %(error)s") % {"error": message.last_error})
            else:
                messages.warning(
                    request,
                    _("The message is queued and will be sent shortly.")
                    + (f" {message.last_error}" if message.last_error else ""),
                )
        nxt = request.POST.get("next", "")
        if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
            return HttpResponseRedirect(nxt)
        return HttpResponseRedirect(message.get_absolute_url())


class OutboxAttachmentView(PolicyMixin, View):
    """A file as it was sent, as a download (never rendered inline)."""

    access_policy = Policy("documents", "view")
    http_method_names = ["get", "head"]

    def get(self, request, pk: int):
        attachment = get_object_or_404(OutboxAttachment.objects.select_related("message"), pk=pk)
        message_or_404(request.user, attachment.message_id)
        response = FileResponse(
            io.BytesIO(bytes(attachment.content)),
            as_attachment=True,
            filename=attachment.filename,
            content_type="application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox"
        response["Cache-Control"] = "private, no-store"
        return response


urlpatterns = [
    path("outbox/", OutboxListView.as_view(), name="outbox-list"),
    path("outbox/<int:pk>/", OutboxDetailView.as_view(), name="outbox-detail"),
    path("outbox/<int:pk>/retry/", OutboxRetryView.as_view(), name="outbox-retry"),
    path("outbox/attachments/<int:pk>/", OutboxAttachmentView.as_view(), name="outbox-attachment"),
]
