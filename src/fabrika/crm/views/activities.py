"""Activities: the list, the card, logging and editing, done/reopen (htmx) and deletion.

Every change goes through `fabrika.crm.services`; every queryset through `restrict`.
`?next=` brings the user back to where the activity was logged from (the counterparty card's
activities tab, a deal, "my day"), once `url_has_allowed_host_and_scheme` agrees.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from fabrika.access.policy import Policy, can, restrict
from fabrika.core.errors import DomainError
from fabrika.core.views import Column, ListPage, PolicyMixin

from .. import services
from ..filters import ActivityFilter
from ..forms_deals import ActivityForm, add_service_errors
from ..models import Activity, Counterparty, Deal

# --- helpers shared by the activity, deal, board and "my day" pages ---------------------------


def safe_next(request, default: str = "") -> str:
    """The `next` of the request (POST first) when it stays on this site, else `default`."""
    for candidate in (request.POST.get("next"), request.GET.get("next")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return default


def back_url(request, default: str) -> str:
    """Where "redirect back" goes: `next`, else the referring page of this site, else `default`."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        default = referer
    return safe_next(request, default)


def user_rights(user) -> dict:
    """Flags the templates use to show only the buttons the user may press."""
    return {
        "can_add": can(user, "crm", "add"),
        "can_change": can(user, "crm", "change"),
        "can_delete": can(user, "crm", "delete"),
    }


class ScopedChoicesMixin:
    """A FilterSet whose choices of owned records (counterparties…) are limited to the user's scope."""

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is None:
            return
        for flt in self.filters.values():
            queryset = getattr(flt, "queryset", None)
            if queryset is not None and getattr(queryset.model, "owner_fields", ()):
                flt.queryset = restrict(request.user, "view", queryset)


def scoped_pk(user, model, value, action: str = "view"):
    """The record `value` (a primary key from a query string) if the user may see it, else None."""
    if not str(value or "").isdigit():
        return None
    return restrict(user, action, model._default_manager.all()).filter(pk=value).first()


# --- list -------------------------------------------------------------------------------------


class ScopedActivityFilter(ScopedChoicesMixin, ActivityFilter):
    pass


class ActivityListView(ListPage):
    model = Activity
    access_policy = Policy("crm", "view")
    template_name = "crm/activity_list.html"
    filterset_class = ScopedActivityFilter
    search_fields = ("subject", "body", "counterparty__name", "contact__last_name", "deal__number")
    default_ordering = ("-occurred_at", "-id")
    export_name = "activities"
    title = gettext_lazy("Activities")
    columns = [
        Column("kind", gettext_lazy("Kind"), sort="kind", value=lambda a: a.get_kind_display()),
        Column("subject", gettext_lazy("Subject"), sort="subject", link=True),
        Column("counterparty", gettext_lazy("Counterparty"), sort="counterparty__name"),
        Column("contact", gettext_lazy("Contact")),
        Column("deal", gettext_lazy("Deal"), sort="deal__number", value=lambda a: a.deal.number if a.deal else ""),
        Column("owner", gettext_lazy("Assigned to"), sort="owner__last_name"),
        Column("occurred_at", gettext_lazy("When"), sort="occurred_at"),
        Column("due_at", gettext_lazy("Due"), sort="due_at"),
        Column("done", gettext_lazy("Done"), sort="done"),
    ]

    def base_queryset(self):
        return self.scoped(Activity.objects.select_related("counterparty", "contact", "deal", "owner"))

    @cached_property
    def create_url(self):
        return reverse("crm:activity-create") if can(self.request.user, "crm", "add") else None

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(user_rights(self.request.user))
        ctx["next_here"] = self.request.get_full_path()
        return ctx


# --- card -------------------------------------------------------------------------------------


class ActivityDetailView(PolicyMixin, View):
    access_policy = Policy("crm", "view")

    def get(self, request, pk):
        activity = get_object_or_404(
            self.scoped(Activity.objects.select_related("counterparty", "contact", "deal", "owner", "created_by")),
            pk=pk,
        )
        ctx = {"object": activity, "activity": activity, "title": str(activity), **user_rights(request.user)}
        return TemplateResponse(request, "crm/activity_detail.html", ctx)


# --- log and edit -----------------------------------------------------------------------------


class CounterpartyFormView(PolicyMixin, View):
    """A create/edit page whose contact (and deal) choices follow the chosen counterparty.

    GET presets fields from the query string (`?counterparty=1&kind=call`); when the user picks
    another counterparty, htmx re-draws the fields (`#form-fields`) with the form's current values.
    Subclasses set `form_class`, `template_name` and implement `save`, `title`, `done_message`,
    `cancel_default`, `success_url`.
    """

    form_class = None
    template_name = ""
    instance = None

    def load(self, **kwargs) -> None:
        """Find the edited record (after the access policy was checked)."""

    def initial_from_query(self, request) -> dict:
        names = self.form_class._meta.fields
        initial = {name: request.GET[name] for name in names if request.GET.get(name, "") != ""}
        if request.htmx and "counterparty" in request.GET:  # re-drawn after a counterparty change
            model = self.form_class._meta.model
            for name in names:
                if model._meta.get_field(name).get_internal_type() == "BooleanField":
                    initial[name] = name in request.GET
            initial.setdefault("counterparty", "")
        return self.adjust_initial(initial)

    def adjust_initial(self, initial: dict) -> dict:
        return initial

    def chosen_counterparty(self, data, initial):
        """The counterparty the choices are limited to: as posted, as preset, or the record's."""
        if data is not None:
            return scoped_pk(self.request.user, Counterparty, data.get("counterparty"))
        if initial and "counterparty" in initial:
            return scoped_pk(self.request.user, Counterparty, initial["counterparty"])
        return self.instance.counterparty if self.instance is not None else None

    def make_form(self, data=None, initial=None):
        form = self.form_class(
            data,
            initial=initial,
            instance=self.instance,
            user=self.request.user,
            counterparty=self.chosen_counterparty(data, initial),
        )
        form.fields["counterparty"].widget.attrs.update(
            {
                "hx-get": self.request.path,
                "hx-trigger": "change",
                "hx-include": "#form-fields",
                "hx-target": "#form-fields",
                "hx-select": "#form-fields",
                "hx-swap": "outerHTML",
            }
        )
        return form

    def render(self, form, status=200):
        ctx = {
            "form": form,
            "object": self.instance,
            "title": self.title(),
            "next": safe_next(self.request),
            "cancel_url": safe_next(self.request, self.cancel_default()),
        }
        return TemplateResponse(self.request, self.template_name, ctx, status=status)

    def get(self, request, *args, **kwargs):
        self.load(**kwargs)
        return self.render(self.make_form(initial=self.initial_from_query(request)))

    def post(self, request, *args, **kwargs):
        self.load(**kwargs)
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                obj = self.save(form.cleaned_data)
            except DomainError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, self.done_message(obj))
                return redirect(safe_next(request, self.success_url(obj)))
        return self.render(form)


class ActivityEditBase(CounterpartyFormView):
    form_class = ActivityForm
    template_name = "crm/activity_form.html"

    def adjust_initial(self, initial):
        if initial.get("kind") not in Activity.Kind.values:
            initial.pop("kind", None)
        if initial.get("deal") and not initial.get("counterparty"):
            deal = scoped_pk(self.request.user, Deal, initial["deal"])
            if deal is not None:
                initial["counterparty"] = deal.counterparty_id
        return initial

    def success_url(self, activity):
        return reverse("crm:activity-detail", args=[activity.pk])


class ActivityCreateView(ActivityEditBase):
    access_policy = Policy("crm", "add")

    def title(self):
        return _("New activity")

    def cancel_default(self):
        return reverse("crm:activity-list")

    def initial_from_query(self, request):
        initial = {"owner": request.user.pk}
        initial.update(super().initial_from_query(request))
        return initial

    def save(self, data):
        return services.activity_create(actor=self.request.user, data=data)

    def done_message(self, activity):
        return _("%(activity)s was logged.") % {"activity": activity}


class ActivityUpdateView(ActivityEditBase):
    access_policy = Policy("crm", "change")

    def load(self, *, pk, **kwargs):
        self.instance = get_object_or_404(
            restrict(self.request.user, "change", Activity.objects.select_related("counterparty")), pk=pk
        )

    def title(self):
        return _("Edit %(activity)s") % {"activity": self.instance}

    def cancel_default(self):
        return reverse("crm:activity-detail", args=[self.instance.pk])

    def save(self, data):
        return services.activity_update(actor=self.request.user, activity=self.instance, data=data)

    def done_message(self, activity):
        return _("%(activity)s was saved.") % {"activity": activity}


# --- done / reopen, delete --------------------------------------------------------------------

FRAGMENTS = {
    "row": "crm/activity_row.html",  # a row of the activity list
    "compact": "crm/activity_row_compact.html",  # a row of a card's activities tab
    "my_day": "crm/my_day_item.html",  # an item of "my day"
}


class ActivityCompleteView(PolicyMixin, View):
    """Mark done (`done=1`, the default) or reopen (`done=0`).

    htmx gets the updated fragment back (`fragment`: row, compact or my_day); a plain form post
    is redirected back to where it came from.
    """

    access_policy = Policy("crm", "change")
    http_method_names = ["post"]

    def post(self, request, pk):
        activity = get_object_or_404(self.scoped(Activity.objects.all(), "change"), pk=pk)
        done = request.POST.get("done", "1").lower() not in ("0", "false", "no", "")
        services.activity_complete(actor=request.user, activity=activity, done=done)
        if request.htmx:
            activity = Activity.objects.select_related("counterparty", "contact", "deal", "owner").get(pk=pk)
            template = FRAGMENTS.get(request.POST.get("fragment", ""), FRAGMENTS["row"])
            ctx = {
                "activity": activity,
                "obj": activity,
                "next_here": safe_next(request),
                **user_rights(request.user),
            }
            return TemplateResponse(request, template, ctx)
        if done:
            messages.success(request, _("%(activity)s is done.") % {"activity": activity})
        else:
            messages.info(request, _("%(activity)s was reopened.") % {"activity": activity})
        return redirect(back_url(request, reverse("crm:activity-detail", args=[pk])))


class ActivityDeleteView(PolicyMixin, View):
    access_policy = Policy("crm", "delete")
    http_method_names = ["post"]

    def post(self, request, pk):
        activity = get_object_or_404(self.scoped(Activity.objects.all(), "delete"), pk=pk)
        label = str(activity)
        services.activity_delete(actor=request.user, activity=activity)
        messages.success(request, _("%(activity)s was deleted.") % {"activity": label})
        return redirect(safe_next(request, reverse("crm:activity-list")))


urlpatterns = [
    path("activities/", ActivityListView.as_view(), name="activity-list"),
    path("activities/new/", ActivityCreateView.as_view(), name="activity-create"),
    path("activities/<int:pk>/", ActivityDetailView.as_view(), name="activity-detail"),
    path("activities/<int:pk>/edit/", ActivityUpdateView.as_view(), name="activity-update"),
    path("activities/<int:pk>/complete/", ActivityCompleteView.as_view(), name="activity-complete"),
    path("activities/<int:pk>/delete/", ActivityDeleteView.as_view(), name="activity-delete"),
]
