"""Counterparty pages: the list (filters, search, segments, export), the card with its tabs,
the create/edit forms (addresses, classifiers, tags, duplicate warning) and deletion."""

from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist, engines
from django.template.loader import get_template
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from fabrika.access.policy import Policy, can, restrict
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.views import Column, ListPage, PolicyMixin
from fabrika.web.templatetags.web import cell

from .. import services
from ..filters import CounterpartyFilter, counterparty_search
from ..forms import (
    CounterpartyForm,
    address_formset,
    apply_errors,
    formset_addresses,
    grouped_classifier_choices,
)
from ..models import Activity, ClassifierValue, Counterparty, Deal, Segment
from ..services.counterparties import DuplicateWarning

# --- helpers shared by the counterparty-side pages -------------------------------------------------


class HtmlColumn(Column):
    """A column shown as HTML on the page (links, badges) and as plain `value` in exports."""

    def __init__(self, key, label, *, html, **kwargs):
        super().__init__(key, label, **kwargs)
        self.html = html


class NoWrapColumn(HtmlColumn):
    """A plain column whose cells do not wrap (phones, names, dates)."""

    def __init__(self, key, label, **kwargs):
        super().__init__(key, label, html=self._html, **kwargs)

    def _html(self, obj):
        return format_html('<span class="text-nowrap">{}</span>', cell(self.value(obj)))


class HtmlRowsMixin:
    """Use `HtmlColumn.html` for the page's cells (ListPage's export keeps the plain values)."""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["rows"] = self.build_rows(ctx["columns"], ctx["object_list"])
        return ctx

    @staticmethod
    def build_rows(columns, objects):
        return [(obj, [c.html(obj) if isinstance(c, HtmlColumn) else c.value(obj) for c in columns]) for obj in objects]


def optional_url(name: str, *args, query: dict | None = None) -> str | None:
    """The URL of a page built by another part, or None while it does not exist."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode(query)}" if query else url


def library_available(name: str) -> bool:
    """Whether `{% load name %}` works: template tags of other parts may not exist yet."""
    return name in engines["django"].engine.template_libraries


def template_if_exists(name: str) -> str | None:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return None
    return name


def crm_rights(user) -> dict[str, bool]:
    return {action: can(user, "crm", action) for action in ("view", "add", "change", "delete")}


def safe_next(request, default: str) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    nxt = request.POST.get("next") or request.GET.get("next")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return default


def segment_querydict(segment: Segment) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in segment.filters.items():
        data.setlist(key, [str(v) for v in value] if isinstance(value, list) else [str(value)])
    return data


def filter_counterparties(queryset, data: QueryDict, *, strict: bool = False):
    """The counterparty list's filters and search (`q`) applied to a queryset; returns (qs, filterset).

    Invalid filters are ignored (the form shows why), or select nothing when `strict` (a saved
    segment whose tag was deleted must not widen to everyone).
    """
    filterset = CounterpartyFilter(data or None, queryset=queryset)
    if filterset.is_bound:
        if filterset.is_valid():
            queryset = filterset.qs
        elif strict:
            queryset = queryset.none()
    search = (data.get("q") or "").strip()
    if search:
        queryset = counterparty_search(queryset, search)
    return queryset, filterset


# --- list -----------------------------------------------------------------------------------------


def _classifier_badges(obj):
    return format_html_join(
        " ",
        '<span class="badge text-bg-light border text-wrap text-start" title="{}">{}</span>',
        ((v.kind.name, v.name) for v in obj.classifiers.all()),
    )


def _classifier_text(obj):
    return ", ".join(f"{v.kind.name}: {v.name}" for v in obj.classifiers.all())


def _roles_html(obj):
    parts = []
    if obj.is_customer:
        parts.append(
            format_html('<span class="badge bg-primary-subtle text-primary-emphasis">{}</span>', _("customer"))
        )
    if obj.is_supplier:
        parts.append(
            format_html('<span class="badge bg-warning-subtle text-warning-emphasis">{}</span>', _("supplier"))
        )
    return format_html_join(" ", "{}", ((p,) for p in parts))


def email_html(email: str):
    """A mailto link that may break before the "@" (long addresses would widen a whole list)."""
    if not email:
        return ""
    local, at, domain = email.partition("@")
    return format_html('<a href="mailto:{}">{}<wbr>{}{}</a>', email, local, at, domain)


def _created_html(obj):
    """The day on the page (the exact time in its tooltip); exports keep the time."""
    return format_html(
        '<span class="text-nowrap" title="{}">{}</span>',
        cell(obj.created_at),
        cell(timezone.localtime(obj.created_at).date()),
    )


class CounterpartyListView(HtmlRowsMixin, ListPage):
    model = Counterparty
    access_policy = Policy("crm", "view")
    template_name = "crm/counterparty_list.html"
    title = gettext_lazy("Counterparties")
    export_name = "counterparties"
    filterset_class = CounterpartyFilter
    search_fields = ("name",)  # shows the search box; the search itself is `counterparty_search`
    default_ordering = ("name", "id")
    columns = [
        Column("name", gettext_lazy("Name"), sort="name", link=True),
        Column("kind", gettext_lazy("Kind"), sort="kind", value=lambda o: o.get_kind_display()),
        HtmlColumn("roles", gettext_lazy("Roles"), value=lambda o: o.roles_display, html=_roles_html),
        Column("tax_id", gettext_lazy("Tax id"), sort="tax_id"),
        NoWrapColumn("phone", gettext_lazy("Phone")),
        HtmlColumn("email", gettext_lazy("E-mail"), sort="email", html=lambda o: email_html(o.email)),
        NoWrapColumn("responsible", gettext_lazy("Responsible"), sort="responsible__last_name"),
        HtmlColumn("classifiers", gettext_lazy("Classifiers"), value=_classifier_text, html=_classifier_badges),
        HtmlColumn("created_at", gettext_lazy("Created"), sort="created_at", html=_created_html),
    ]

    def base_queryset(self):
        return self.scoped(
            Counterparty.objects.select_related("responsible").prefetch_related(
                Prefetch("classifiers", queryset=ClassifierValue.objects.select_related("kind"))
            )
        )

    def filter_data(self) -> QueryDict:
        """The request's filters, on top of a saved segment's when `?segment=<id>` is given."""
        self.segment = None
        params = self.request.GET
        segment_id = params.get("segment", "")
        if not segment_id:
            return params
        if not segment_id.isdigit():
            raise Http404
        self.segment = get_object_or_404(restrict(self.request.user, "view", Segment.objects.all()), pk=int(segment_id))
        data = segment_querydict(self.segment)
        for key in params:
            if key != "segment":
                data.setlist(key, params.getlist(key))
        return data

    def get_queryset(self):
        data = self.filter_data()
        qs, self.filterset = filter_counterparties(self.base_queryset(), data, strict=self.segment is not None)
        self.search = (data.get("q") or "").strip()
        self.filter_values = data
        return qs.order_by(*self.ordering_for(data.get("sort", "")))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if self.filterset is not None:
            form = self.filterset.form
            form.fields["classifier"].widget.choices = grouped_classifier_choices()
            for name in ("classifier", "tag", "responsible"):
                form.fields[name].widget.attrs["data-tom"] = ""
            for name in ("created_after", "created_before"):
                form.fields[name].widget.input_type = "date"
        # The filters to save as a segment: what is applied now, without paging, sorting or export.
        query = QueryDict(mutable=True)
        known = set(CounterpartyFilter.base_filters) | {"q"}
        for key in self.filter_values:
            if key in known:
                values = [v for v in self.filter_values.getlist(key) if v != ""]
                if values:
                    query.setlist(key, values)
        rights = crm_rights(self.request.user)
        ctx.update(
            segment=self.segment,
            segment_query=query.urlencode(),
            has_filters=bool(query),
            rights=rights,
            create_url=reverse("crm:counterparty-create") if rights["add"] else None,
            import_url=reverse("crm:counterparty-import") if rights["add"] else None,
            segments=restrict(self.request.user, "view", Segment.objects.all()).order_by("name")[:50],
        )
        return ctx


# --- card -----------------------------------------------------------------------------------------

TABS = [
    ("details", gettext_lazy("Details"), "info-circle"),
    ("contacts", gettext_lazy("Contacts"), "person-lines-fill"),
    ("activities", gettext_lazy("Activities"), "telephone"),
    ("deals", gettext_lazy("Deals"), "briefcase"),
    ("files", gettext_lazy("Files"), "paperclip"),
    ("history", gettext_lazy("History"), "clock-history"),
]
TAB_LIBRARIES = {"files": "documents_tags", "history": "audit_tags"}


class CounterpartyDetailView(PolicyMixin, View):
    access_policy = Policy("crm", "view")

    def get(self, request, pk):
        user = request.user
        counterparty = get_object_or_404(
            restrict(user, "view", Counterparty.objects.select_related("responsible", "created_by")), pk=pk
        )
        tab = request.GET.get("tab", "details")
        if tab not in {key for key, _label, _icon in TABS}:
            tab = "details"
        contacts = restrict(user, "view", counterparty.contacts.all())
        activities = restrict(user, "view", Activity.objects.filter(counterparty=counterparty))
        deals = restrict(user, "view", Deal.objects.filter(counterparty=counterparty))
        counts = {"contacts": contacts.count(), "activities": activities.count(), "deals": deals.count()}
        ctx = {
            "object": counterparty,
            "counterparty": counterparty,
            "title": counterparty.name,
            "tab": tab,
            "tabs": [(key, label, icon, counts.get(key)) for key, label, icon in TABS],
            "rights": crm_rights(user),
            "tab_template": f"crm/counterparty_tab_{tab}.html",
        }
        library = TAB_LIBRARIES.get(tab)
        if library and not library_available(library):
            ctx["tab_template"] = "crm/counterparty_tab_unavailable.html"
        getattr(self, f"tab_{tab}")(ctx, counterparty, contacts=contacts, activities=activities, deals=deals)
        return render(request, "crm/counterparty_detail.html", ctx)

    def tab_details(self, ctx, counterparty, **_kw):
        classifiers: dict[str, list[str]] = {}
        for value in counterparty.classifiers.select_related("kind").order_by("kind__order", "kind__name", "name"):
            classifiers.setdefault(value.kind.name, []).append(value.name)
        ctx.update(
            addresses=list(counterparty.addresses.all()),
            classifiers=classifiers,
            tags=list(counterparty.tags.all()),
        )

    def tab_contacts(self, ctx, counterparty, *, contacts, **_kw):
        ctx["contacts"] = list(contacts)

    def tab_activities(self, ctx, counterparty, *, activities, **_kw):
        rows = []
        for activity in activities.select_related("owner", "contact", "deal").order_by("-occurred_at", "-id")[:200]:
            url = optional_url("crm:activity-detail", activity.pk) or optional_url("crm:activity-update", activity.pk)
            rows.append((activity, url))
        card_url = reverse("crm:counterparty-detail", args=[counterparty.pk]) + "?tab=activities"
        ctx.update(
            activities=rows,
            # The activities' own row (done toggle…) once that part exists; a plain row until then.
            activity_row_template=template_if_exists("crm/activity_row_compact.html"),
            can_change=ctx["rights"]["change"],
            next_here=card_url,
            activity_create_url=optional_url("crm:activity-create", query={"counterparty": counterparty.pk}),
            activity_kinds=[(k, label) for k, label in Activity.Kind.choices if k != Activity.Kind.TASK],
            now_local=timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            card_url=card_url,
        )

    def tab_deals(self, ctx, counterparty, *, deals, **_kw):
        rows = [
            (deal, optional_url("crm:deal-detail", deal.pk))
            for deal in deals.select_related("stage", "owner").order_by("-created_at", "-id")
        ]
        ctx.update(
            deals=rows,
            deal_create_url=optional_url("crm:deal-create", query={"counterparty": counterparty.pk}),
        )

    def tab_files(self, ctx, counterparty, **_kw):
        pass

    def tab_history(self, ctx, counterparty, **_kw):
        pass


# --- create / edit --------------------------------------------------------------------------------


class CounterpartyFormView(PolicyMixin, View):
    template_name = "crm/counterparty_form.html"
    counterparty: Counterparty | None = None

    def get_object(self):
        return None

    def render_form(self, form, formset, **extra):
        cancel = (
            reverse("crm:counterparty-detail", args=[self.counterparty.pk])
            if self.counterparty
            else reverse("crm:counterparty-list")
        )
        ctx = {
            "form": form,
            "formset": formset,
            "object": self.counterparty,
            "cancel_url": cancel,
            "title": self.title(),
            **extra,
        }
        return render(self.request, self.template_name, ctx)

    def get(self, request, pk=None):
        self.counterparty = self.get_object()
        return self.render_form(self.make_form(), address_formset(counterparty=self.counterparty))

    def post(self, request, pk=None):
        self.counterparty = self.get_object()
        form = self.make_form(data=request.POST)
        formset = address_formset(data=request.POST, counterparty=self.counterparty)
        duplicates = []
        if form.is_valid() and formset.is_valid():
            try:
                with transaction.atomic():  # new tags are undone with a refused counterparty
                    data = form.service_data()
                    data["tags"] = [
                        services.tag_get_or_create(actor=request.user, name=name) for name in form.cleaned_data["tags"]
                    ]
                    counterparty = self.save(form, data, formset_addresses(formset))
            except DuplicateWarning as warning:
                visible = set(
                    restrict(
                        request.user,
                        "view",
                        Counterparty.objects.filter(pk__in=[c.pk for c in warning.duplicates]),
                    ).values_list("pk", flat=True)
                )
                duplicates = [(c, c.pk in visible) for c in warning.duplicates]
            except ValidationFailed as exc:
                apply_errors(form, exc)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, self.success_message(counterparty))
                return redirect(counterparty.get_absolute_url())
        return self.render_form(form, formset, duplicates=duplicates)


class CounterpartyCreateView(CounterpartyFormView):
    access_policy = Policy("crm", "add")

    def title(self):
        return _("New counterparty")

    def make_form(self, data=None):
        return CounterpartyForm(data=data, initial={"responsible": self.request.user.pk})

    def save(self, form, data, addresses):
        return services.counterparty_create(
            actor=self.request.user,
            data=data,
            addresses=addresses,
            confirm_duplicates=form.cleaned_data.get("confirm_duplicates", False),
        )

    def success_message(self, counterparty):
        return _("Counterparty %(name)s was created.") % {"name": counterparty.name}


class CounterpartyUpdateView(CounterpartyFormView):
    access_policy = Policy("crm", "change")

    def get_object(self):
        return get_object_or_404(
            restrict(self.request.user, "change", Counterparty.objects.all()), pk=self.kwargs["pk"]
        )

    def title(self):
        return _("Edit %(name)s") % {"name": self.counterparty.name}

    def make_form(self, data=None):
        return CounterpartyForm(data=data, instance=self.counterparty)

    def save(self, form, data, addresses):
        return services.counterparty_update(
            actor=self.request.user, counterparty=self.counterparty, data=data, addresses=addresses
        )

    def success_message(self, counterparty):
        return _("Counterparty %(name)s was saved.") % {"name": counterparty.name}


class CounterpartyDeleteView(PolicyMixin, View):
    access_policy = Policy("crm", "delete")

    def get_object(self, pk):
        qs = restrict(
            self.request.user,
            "delete",
            Counterparty.objects.annotate(
                deal_count=Count("deals", distinct=True), contact_count=Count("contacts", distinct=True)
            ),
        )
        return get_object_or_404(qs, pk=pk)

    def get(self, request, pk):
        counterparty = self.get_object(pk)
        return render(
            request,
            "crm/counterparty_confirm_delete.html",
            {"object": counterparty, "title": _("Delete %(name)s") % {"name": counterparty.name}},
        )

    def post(self, request, pk):
        counterparty = self.get_object(pk)
        try:
            services.counterparty_delete(actor=request.user, counterparty=counterparty)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(counterparty.get_absolute_url())
        messages.success(request, _("Counterparty %(name)s was deleted.") % {"name": counterparty.name})
        return redirect("crm:counterparty-list")


urlpatterns = [
    path("counterparties/", CounterpartyListView.as_view(), name="counterparty-list"),
    path("counterparties/new/", CounterpartyCreateView.as_view(), name="counterparty-create"),
    path("counterparties/<int:pk>/", CounterpartyDetailView.as_view(), name="counterparty-detail"),
    path("counterparties/<int:pk>/edit/", CounterpartyUpdateView.as_view(), name="counterparty-update"),
    path("counterparties/<int:pk>/delete/", CounterpartyDeleteView.as_view(), name="counterparty-delete"),
]
