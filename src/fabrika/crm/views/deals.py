"""Deals: list, card, create/edit, moves through the funnel (win, lose), the funnel board and report.

A stage changes only through `services.deal_move` (and `deal_win` / `deal_lose`, which call it):
the card's buttons, the board's drag and drop (JSON) and its no-JS "move to" forms all post to
`crm:deal-move`.
"""

import json
from decimal import Decimal

from django.contrib import messages
from django.db.models import DecimalField, ExpressionWrapper, F, ProtectedError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from fabrika.access.policy import Policy, can, restrict
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.exports import export_response
from fabrika.core.views import Column, ListPage, PolicyMixin

from .. import services
from ..filters import DealFilter
from ..forms_deals import (
    BoardFilterForm,
    DealForm,
    DealLoseForm,
    DealMoveForm,
    FunnelFilterForm,
    add_service_errors,
)
from ..models import Deal, FunnelStage
from ..queries import board_columns, funnel_report
from ..templatetags.crm_funnel import library_available
from .activities import CounterpartyFormView, ScopedChoicesMixin, back_url, safe_next, user_rights

# --- list -------------------------------------------------------------------------------------


class ScopedDealFilter(ScopedChoicesMixin, DealFilter):
    pass


class DealListView(ListPage):
    model = Deal
    access_policy = Policy("crm", "view")
    template_name = "crm/deal_list.html"
    filterset_class = ScopedDealFilter
    search_fields = ("number", "title", "counterparty__name")
    default_ordering = ("-created_at", "-id")
    export_name = "deals"
    title = gettext_lazy("Deals")
    columns = [
        Column("number", gettext_lazy("Number"), sort="number", link=True),
        Column("title", gettext_lazy("Title"), sort="title"),
        Column("counterparty", gettext_lazy("Counterparty"), sort="counterparty__name"),
        Column("stage", gettext_lazy("Stage"), sort="stage__order"),
        Column("amount", gettext_lazy("Amount"), sort="amount"),
        Column("currency", gettext_lazy("Currency"), sort="currency"),
        Column(
            "probability",
            gettext_lazy("Probability, %"),
            sort="stage__probability",
            value=lambda d: d.stage.probability,
        ),
        Column("weighted_amount", gettext_lazy("Weighted"), sort="weighted"),
        Column("expected_close", gettext_lazy("Expected close"), sort="expected_close"),
        Column("owner", gettext_lazy("Owner"), sort="owner__last_name"),
    ]

    def base_queryset(self):
        weighted = ExpressionWrapper(
            F("amount") * F("stage__probability") / 100,
            output_field=DecimalField(max_digits=18, decimal_places=2),
        )
        return self.scoped(Deal.objects.select_related("counterparty", "stage", "owner").annotate(weighted=weighted))

    @cached_property
    def create_url(self):
        return reverse("crm:deal-create") if can(self.request.user, "crm", "add") else None

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(user_rights(self.request.user), today=timezone.localdate())
        return ctx


# --- card -------------------------------------------------------------------------------------

DEAL_TABS = [
    ("activities", gettext_lazy("Activities"), "telephone"),
    ("history", gettext_lazy("History"), "clock-history"),
    ("files", gettext_lazy("Files"), "paperclip"),
]


def deal_or_404(user, pk, action: str = "view"):
    return get_object_or_404(
        restrict(user, action, Deal.objects.select_related("counterparty", "contact", "owner", "stage")),
        pk=pk,
    )


class DealDetailView(PolicyMixin, View):
    access_policy = Policy("crm", "view")

    def get(self, request, pk):
        deal = deal_or_404(request.user, pk)
        tab = request.GET.get("tab", "activities")
        if tab not in {key for key, _label, _icon in DEAL_TABS}:
            tab = "activities"
        here = reverse("crm:deal-detail", args=[pk])
        activities = restrict(
            request.user, "view", deal.activities.select_related("contact", "owner", "counterparty", "deal")
        ).order_by("-occurred_at", "-id")
        stages = list(FunnelStage.objects.order_by("order", "id"))
        ctx = {
            "object": deal,
            "deal": deal,
            "title": f"{deal.number} · {deal.title}",
            "tab": tab,
            "tabs": DEAL_TABS,
            "history": deal.stage_changes.select_related("from_stage", "to_stage", "by").order_by("at", "id"),
            "activities": activities,
            "activity_count": activities.count(),
            "open_stages": [s for s in stages if s.kind == FunnelStage.Kind.OPEN],
            "move_stages": [s for s in stages if s.kind == FunnelStage.Kind.OPEN and s.pk != deal.stage_id],
            "has_won_stage": any(s.kind == FunnelStage.Kind.WON for s in stages),
            "has_lost_stage": any(s.kind == FunnelStage.Kind.LOST for s in stages),
            "has_history": library_available("audit_tags"),
            "has_files": library_available("documents_tags"),
            "lose_form": DealLoseForm(),
            "next_here": f"{here}?tab=activities",
            "log_activity_url": reverse("crm:activity-create")
            + "?"
            + urlencode({"counterparty": deal.counterparty_id, "deal": deal.pk, "next": f"{here}?tab=activities"}),
            **user_rights(request.user),
        }
        return TemplateResponse(request, "crm/deal_detail.html", ctx)


# --- create, edit, delete ---------------------------------------------------------------------


class DealEditBase(CounterpartyFormView):
    form_class = DealForm
    template_name = "crm/deal_form.html"

    def success_url(self, deal):
        return reverse("crm:deal-detail", args=[deal.pk])


class DealCreateView(DealEditBase):
    access_policy = Policy("crm", "add")

    def initial_from_query(self, request):
        from fabrika.core.models import CompanySettings

        initial = {"owner": request.user.pk, "currency": CompanySettings.load().currency}
        initial.update(super().initial_from_query(request))
        return initial

    def title(self):
        return _("New deal")

    def cancel_default(self):
        return reverse("crm:deal-list")

    def save(self, data):
        return services.deal_create(actor=self.request.user, data=data)

    def done_message(self, deal):
        return _("Deal %(number)s was created.") % {"number": deal.number}


class DealUpdateView(DealEditBase):
    access_policy = Policy("crm", "change")

    def load(self, *, pk, **kwargs):
        self.instance = deal_or_404(self.request.user, pk, "change")

    def title(self):
        return _("Edit deal %(number)s") % {"number": self.instance.number}

    def cancel_default(self):
        return reverse("crm:deal-detail", args=[self.instance.pk])

    def save(self, data):
        return services.deal_update(actor=self.request.user, deal=self.instance, data=data)

    def done_message(self, deal):
        return _("Deal %(number)s was saved.") % {"number": deal.number}


class DealDeleteView(PolicyMixin, View):
    access_policy = Policy("crm", "delete")
    http_method_names = ["post"]

    def post(self, request, pk):
        deal = deal_or_404(request.user, pk, "delete")
        try:
            services.deal_delete(actor=request.user, deal=deal)
        except DomainError as exc:
            messages.error(request, exc.message)
        except ProtectedError:
            messages.error(request, _("Deal %(number)s is used by other documents.") % {"number": deal.number})
        else:
            messages.success(request, _("Deal %(number)s was deleted.") % {"number": deal.number})
            return redirect(reverse("crm:deal-list"))
        return redirect(reverse("crm:deal-detail", args=[pk]))


# --- moves through the funnel -----------------------------------------------------------------


def wants_json(request) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get("Accept", "")


def request_data(request) -> dict:
    """The posted fields: a JSON object body or the form fields."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return request.POST


def board_totals(user, data) -> dict:
    """Deal count and amount per board column, with the board's filters (owner, counterparty)."""
    filters = BoardFilterForm({k: data.get(k) or "" for k in ("owner", "counterparty")}, user=user)
    deals = filters.filter(restrict(user, "view", Deal.objects.all()))
    return {
        str(column["stage"].pk): {
            "count": len(column["deals"]),
            "amount": str(column["total"]),
            "amount_display": formats.number_format(column["total"], decimal_pos=2, use_l10n=True, force_grouping=True),
        }
        for column in board_columns(user, deals=deals)
    }


def _first_error(errors: dict) -> str:
    for messages_ in errors.values():
        for message in messages_:
            return str(message)
    return _("The deal could not be moved.")


class DealMoveView(PolicyMixin, View):
    """Move a deal to a stage: `stage=<id>` (and `lost_reason` for the lost stage).

    JSON in, JSON out for the funnel board: {ok, deal, stage, totals}; a refusal is a 400 with
    {ok: false, error, errors}. A plain form post redirects back (to the lose form when a reason
    is needed).
    """

    access_policy = Policy("crm", "change")
    http_method_names = ["post"]

    def post(self, request, pk):
        deal = deal_or_404(request.user, pk, "change")
        data = request_data(request)
        as_json = wants_json(request)
        form = DealMoveForm({"stage": data.get("stage") or "", "lost_reason": data.get("lost_reason") or ""})
        back = back_url(request, reverse("crm:deal-detail", args=[pk]))
        if not form.is_valid():
            errors = {k: [str(m) for m in v] for k, v in form.errors.items()}
            return self.refuse(request, as_json, errors, back)
        stage, reason = form.cleaned_data["stage"], form.cleaned_data["lost_reason"]
        if not as_json and stage.kind == FunnelStage.Kind.LOST and not reason.strip():
            return redirect(reverse("crm:deal-lose", args=[pk]) + "?" + urlencode({"next": back}))
        try:
            deal = services.deal_move(actor=request.user, deal=deal, stage=stage, lost_reason=reason)
        except ValidationFailed as exc:
            return self.refuse(request, as_json, exc.errors, back)
        except DomainError as exc:
            return self.refuse(request, as_json, {"__all__": [exc.message]}, back)
        message = _("%(number)s moved to %(stage)s.") % {"number": deal.number, "stage": stage.name}
        if as_json:
            return JsonResponse(
                {
                    "ok": True,
                    "message": message,
                    "deal": {
                        "id": deal.pk,
                        "number": deal.number,
                        "title": deal.title,
                        "stage": stage.pk,
                        "url": reverse("crm:deal-detail", args=[deal.pk]),
                    },
                    "stage": {
                        "id": stage.pk,
                        "name": stage.name,
                        "kind": stage.kind,
                        "color": stage.color,
                        "probability": stage.probability,
                    },
                    "totals": board_totals(request.user, data),
                }
            )
        messages.success(request, message)
        return redirect(back)

    def refuse(self, request, as_json, errors, back):
        if as_json:
            return JsonResponse({"ok": False, "error": _first_error(errors), "errors": errors}, status=400)
        messages.error(request, _first_error(errors))
        return redirect(back)


class DealWinView(PolicyMixin, View):
    access_policy = Policy("crm", "change")
    http_method_names = ["post"]

    def post(self, request, pk):
        deal = deal_or_404(request.user, pk, "change")
        try:
            deal = services.deal_win(actor=request.user, deal=deal)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Deal %(number)s is won.") % {"number": deal.number})
        return redirect(safe_next(request, reverse("crm:deal-detail", args=[pk])))


class DealLoseView(PolicyMixin, View):
    """Mark a deal lost: a reason is required (the card's modal posts here; GET is the no-JS form)."""

    access_policy = Policy("crm", "change")

    def render(self, request, deal, form):
        ctx = {
            "deal": deal,
            "object": deal,
            "form": form,
            "title": _("Deal %(number)s is lost") % {"number": deal.number},
            "next": safe_next(request),
            "cancel_url": safe_next(request, reverse("crm:deal-detail", args=[deal.pk])),
        }
        return TemplateResponse(request, "crm/deal_lose.html", ctx)

    def get(self, request, pk):
        return self.render(request, deal_or_404(request.user, pk, "change"), DealLoseForm())

    def post(self, request, pk):
        deal = deal_or_404(request.user, pk, "change")
        form = DealLoseForm(request.POST)
        if form.is_valid():
            try:
                deal = services.deal_lose(actor=request.user, deal=deal, reason=form.cleaned_data["lost_reason"])
            except DomainError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Deal %(number)s is lost.") % {"number": deal.number})
                return redirect(safe_next(request, reverse("crm:deal-detail", args=[pk])))
        return self.render(request, deal, form)


# --- funnel board -----------------------------------------------------------------------------


class DealBoardView(PolicyMixin, View):
    access_policy = Policy("crm", "view")

    def get(self, request):
        filters = BoardFilterForm(request.GET or None, user=request.user)
        deals = filters.filter(self.scoped(Deal.objects.all()))
        columns = board_columns(request.user, deals=deals)
        for column in columns:
            column["count"] = len(column["deals"])
        ctx = {
            "title": _("Funnel board"),
            "filters": filters,
            "columns": columns,
            "stages": [c["stage"] for c in columns],
            "owner_filter": request.GET.get("owner", ""),
            "counterparty_filter": request.GET.get("counterparty", ""),
            "next_here": request.get_full_path(),
            "today": timezone.localdate(),
            **user_rights(request.user),
        }
        return TemplateResponse(request, "crm/board.html", ctx)


# --- funnel report ----------------------------------------------------------------------------


class FunnelReportView(PolicyMixin, View):
    access_policy = Policy("crm", "view")

    def get(self, request):
        filters = FunnelFilterForm(request.GET or None)
        deals = filters.filter(self.scoped(Deal.objects.all()))
        rows = funnel_report(request.user, deals=deals)
        totals = {
            "count": sum(r.count for r in rows),
            "amount": sum((r.amount for r in rows), Decimal("0.00")),
            "weighted": sum((r.weighted for r in rows), Decimal("0.00")),
        }
        export = request.GET.get("export")
        if export in ("csv", "xlsx"):
            header = [
                _("Stage"),
                _("Kind"),
                _("Probability, %"),
                _("Deals"),
                _("Amount"),
                _("Weighted amount"),
                _("Reached"),
                _("Conversion, %"),
            ]
            lines = [
                [
                    r.stage.name,
                    r.stage.get_kind_display(),
                    r.stage.probability,
                    r.count,
                    r.amount,
                    r.weighted,
                    r.reached if r.stage.kind == FunnelStage.Kind.OPEN else None,
                    r.conversion,
                ]
                for r in rows
            ]
            lines.append([_("Total"), "", None, totals["count"], totals["amount"], totals["weighted"], None, None])
            return export_response(export, "funnel", [str(h) for h in header], lines)
        params = request.GET.copy()
        params.pop("export", None)
        chart = {
            "labels": [r.stage.name for r in rows],
            "colors": [r.stage.color for r in rows],
            "amount": [str(r.amount) for r in rows],
            "weighted": [str(r.weighted) for r in rows],
            "count": [r.count for r in rows],
            "series": {"amount": _("Amount"), "weighted": _("Weighted amount"), "count": _("Deals")},
        }
        ctx = {
            "title": _("Funnel report"),
            "filters": filters,
            "rows": rows,
            "totals": totals,
            "chart": chart,
            "querystring": params.urlencode(),
            "open_kind": FunnelStage.Kind.OPEN,
        }
        return TemplateResponse(request, "crm/funnel_report.html", ctx)


urlpatterns = [
    path("deals/", DealListView.as_view(), name="deal-list"),
    path("deals/new/", DealCreateView.as_view(), name="deal-create"),
    path("deals/board/", DealBoardView.as_view(), name="deal-board"),
    path("deals/funnel/", FunnelReportView.as_view(), name="funnel-report"),
    path("deals/<int:pk>/", DealDetailView.as_view(), name="deal-detail"),
    path("deals/<int:pk>/edit/", DealUpdateView.as_view(), name="deal-update"),
    path("deals/<int:pk>/delete/", DealDeleteView.as_view(), name="deal-delete"),
    path("deals/<int:pk>/move/", DealMoveView.as_view(), name="deal-move"),
    path("deals/<int:pk>/win/", DealWinView.as_view(), name="deal-win"),
    path("deals/<int:pk>/lose/", DealLoseView.as_view(), name="deal-lose"),
]
