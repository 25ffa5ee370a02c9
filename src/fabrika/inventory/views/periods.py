"""Periods: the months of the ledger with their state; closing a month (with confirmation)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from fabrika.access.policy import Policy
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.views import PolicyMixin

from ..forms import PeriodCloseForm
from ..models import StockDocument
from ..queries import month_end, period_months, start_of_day
from ..services.periods import months_to_close, period_close
from .common import inventory_rights


class PeriodList(PolicyMixin, View):
    access_policy = Policy("inventory", "view")

    def get(self, request):
        return TemplateResponse(
            request,
            "inventory/period_list.html",
            {"title": _("Periods"), "months": period_months(), "rights": inventory_rights(request.user)},
        )


class PeriodClose(PolicyMixin, View):
    """GET ?month=YYYY-MM: what closing it does; POST: close it."""

    access_policy = Policy("inventory", "post")

    def get(self, request):
        form = PeriodCloseForm(request.GET or None)
        if not form.is_valid():
            return redirect("inventory:period-list")
        month = form.cleaned_data["month"]
        months = months_to_close(month)
        drafts = StockDocument.objects.filter(state=StockDocument.State.DRAFT, date__lte=month_end(month))
        if months:
            drafts = drafts.filter(date__gte=start_of_day(months[0]))
        ctx = {
            "title": _("Close %(month)s") % {"month": f"{month:%Y-%m}"},
            "month": month,
            "months": months,
            "over": month_end(month) < timezone.now(),
            "drafts": drafts.select_related("warehouse").order_by("date")[:50] if months else [],
        }
        return TemplateResponse(request, "inventory/period_close.html", ctx)

    def post(self, request):
        form = PeriodCloseForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the month as YYYY-MM."))
            return redirect("inventory:period-list")
        month = form.cleaned_data["month"]
        try:
            period_close(actor=request.user, month=month)
        except ValidationFailed as exc:
            for field_messages in exc.errors.values():
                for message in field_messages:
                    messages.error(request, message)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(month)s is closed.") % {"month": f"{month:%Y-%m}"})
        return redirect("inventory:period-list")


urlpatterns = [
    path("periods/", PeriodList.as_view(), name="period-list"),
    path("periods/close/", PeriodClose.as_view(), name="period-close"),
]
