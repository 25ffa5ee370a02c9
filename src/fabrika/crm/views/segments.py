"""Segments: saved filters of the counterparty list. Opening one shows the list with its filters."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from fabrika.access.policy import Policy, can, restrict
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.exports import export_response
from fabrika.core.views import Column, ListPage, PolicyMixin

from .. import services
from ..forms import SegmentForm, SegmentSaveForm, apply_errors
from ..models import Counterparty, Segment
from ..queries import segment_counterparties
from .counterparties import HtmlColumn, HtmlRowsMixin, crm_rights, safe_next

NOT_FILTERS = {"page", "sort", "export", "segment", "csrfmiddlewaretoken"}


def open_url(segment: Segment) -> str:
    return f"{reverse('crm:counterparty-list')}?segment={segment.pk}"


def filters_from_query(query: str) -> dict:
    """The counterparty list's query string as a segment's filters (a list for repeated keys)."""
    params = QueryDict(query)
    filters = {}
    for key in params:
        if key in NOT_FILTERS:
            continue
        values = [v for v in params.getlist(key) if v.strip()]
        if len(values) == 1 and key not in ("classifier", "tag"):
            filters[key] = values[0]
        elif values:
            filters[key] = values
    return filters


class SegmentListView(HtmlRowsMixin, ListPage):
    model = Segment
    access_policy = Policy("crm", "view")
    template_name = "crm/segment_list.html"
    title = gettext_lazy("Segments")
    export_name = "segments"
    search_fields = ("name", "description")
    default_ordering = ("name", "id")
    columns = [
        HtmlColumn(
            "name",
            gettext_lazy("Name"),
            sort="name",
            html=lambda s: format_html('<a href="{}">{}</a>', open_url(s), s.name),
        ),
        Column("description", gettext_lazy("Description")),
        Column("count", gettext_lazy("Counterparties"), value=lambda s: getattr(s, "counterparty_count", "")),
        Column("owner", gettext_lazy("Owner"), sort="owner__last_name"),
        Column("created_at", gettext_lazy("Created"), sort="created_at"),
    ]

    def base_queryset(self):
        return self.scoped(Segment.objects.select_related("owner"))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        # Each segment's count is the number of matching counterparties this user may see.
        for segment in ctx["object_list"]:
            segment.counterparty_count = segment_counterparties(
                segment, self.scoped(Counterparty.objects.all())
            ).count()
        ctx["rows"] = self.build_rows(ctx["columns"], ctx["object_list"])
        ctx["rights"] = crm_rights(self.request.user)
        return ctx

    def get(self, request, *args, **kwargs):
        export = request.GET.get("export")
        if export not in ("csv", "xlsx"):
            return super().get(request, *args, **kwargs)
        user = request.user

        def rows():
            for segment in self.get_queryset().iterator(500):
                segment.counterparty_count = segment_counterparties(
                    segment, restrict(user, "view", Counterparty.objects.all())
                ).count()
                yield [c.value(segment) for c in self.columns]

        return export_response(export, self.export_name, [str(c.label) for c in self.columns], rows())


class SegmentCreateView(PolicyMixin, View):
    """ "Save as segment" from the counterparty list (POST: name + the list's query string)."""

    access_policy = Policy("crm", "add")
    http_method_names = ["post"]

    def post(self, request):
        form = SegmentSaveForm(request.POST)
        query = request.POST.get("query", "")
        back = f"{reverse('crm:counterparty-list')}?{query}" if query else reverse("crm:counterparty-list")
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(back)
        filters = filters_from_query(form.cleaned_data["query"])
        replace = form.cleaned_data.get("replace")
        try:
            if replace:
                # "Replace the filters of the open segment" instead of making a new one.
                if not can(request.user, "crm", "change"):
                    raise PermissionDenied
                segment = get_object_or_404(restrict(request.user, "change", Segment.objects.all()), pk=replace)
                segment = services.segment_update(
                    actor=request.user,
                    segment=segment,
                    name=segment.name,
                    description=segment.description,
                    filters=filters,
                )
            else:
                segment = services.segment_create(
                    actor=request.user, name=form.cleaned_data["name"].strip(), filters=filters
                )
        except ValidationFailed as exc:
            for field_errors in exc.errors.values():
                for error in field_errors:
                    messages.error(request, error)
            return redirect(back)
        messages.success(request, _("Segment %(name)s was saved.") % {"name": segment.name})
        return redirect(safe_next(request, open_url(segment)))


class SegmentUpdateView(PolicyMixin, View):
    access_policy = Policy("crm", "change")

    def get_object(self, pk):
        return get_object_or_404(restrict(self.request.user, "change", Segment.objects.all()), pk=pk)

    def render_form(self, form, segment):
        return render(
            self.request,
            "crm/segment_form.html",
            {
                "form": form,
                "object": segment,
                "title": _("Edit segment %(name)s") % {"name": segment.name},
                "cancel_url": reverse("crm:segment-list"),
                "open_url": open_url(segment),
            },
        )

    def get(self, request, pk):
        segment = self.get_object(pk)
        return self.render_form(SegmentForm(instance=segment), segment)

    def post(self, request, pk):
        segment = self.get_object(pk)
        form = SegmentForm(data=request.POST, instance=segment)
        if form.is_valid():
            try:
                segment = services.segment_update(
                    actor=request.user, segment=segment, filters=segment.filters, **form.service_data()
                )
            except ValidationFailed as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Segment %(name)s was saved.") % {"name": segment.name})
                return redirect("crm:segment-list")
        return self.render_form(form, segment)


class SegmentDeleteView(PolicyMixin, View):
    access_policy = Policy("crm", "delete")

    def get_object(self, pk):
        return get_object_or_404(restrict(self.request.user, "delete", Segment.objects.all()), pk=pk)

    def get(self, request, pk):
        segment = self.get_object(pk)
        return render(
            request,
            "crm/segment_confirm_delete.html",
            {"object": segment, "title": _("Delete segment %(name)s") % {"name": segment.name}},
        )

    def post(self, request, pk):
        segment = self.get_object(pk)
        try:
            services.segment_delete(actor=request.user, segment=segment)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Segment %(name)s was deleted.") % {"name": segment.name})
        return redirect("crm:segment-list")


class SegmentOpenView(PolicyMixin, View):
    """A stable link to a segment: the counterparty list with the segment's filters."""

    access_policy = Policy("crm", "view")

    def get(self, request, pk):
        segment = get_object_or_404(restrict(request.user, "view", Segment.objects.all()), pk=pk)
        return redirect(open_url(segment))


urlpatterns = [
    path("segments/", SegmentListView.as_view(), name="segment-list"),
    path("segments/new/", SegmentCreateView.as_view(), name="segment-create"),
    path("segments/<int:pk>/", SegmentOpenView.as_view(), name="segment-open"),
    path("segments/<int:pk>/edit/", SegmentUpdateView.as_view(), name="segment-update"),
    path("segments/<int:pk>/delete/", SegmentDeleteView.as_view(), name="segment-delete"),
]
