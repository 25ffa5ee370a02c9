"""Shortage analysis of open orders (every missing component at every level, exportable, turned into
supplier requests when purchasing is there) and lot genealogy (what a lot went into, what went into it)."""

import importlib

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views import View

from fabrika.access.policy import Policy, can
from fabrika.core.errors import DomainError
from fabrika.core.views import PolicyMixin
from fabrika.inventory.models import Lot

from ..forms import GenealogyForm, ShortageForm
from ..queries import lots_consumed_by, lots_containing, shortages
from .common import VIEW, export_query, export_table, flash_error, q


def _requests_for_needs():
    """`fabrika.purchasing.services.requests_for_needs`, or None while purchasing does not offer it."""
    try:
        module = importlib.import_module("fabrika.purchasing.services")
    except ImportError:
        return None
    return getattr(module, "requests_for_needs", None)


def _journal_url() -> str | None:
    try:
        return reverse("purchasing:request-list")
    except NoReverseMatch:
        return None


def to_buy(rows) -> list:
    """The rows that are bought (a node that can be made is covered by its components' rows)."""
    return [r for r in rows if not r.make]


class ShortageView(PolicyMixin, View):
    """Every missing component of the chosen open orders (all of them by default), level by level."""

    access_policy = VIEW

    def get(self, request):
        form = ShortageForm(request.GET or None, user=request.user)
        ready = form.is_valid() if form.is_bound else True
        orders = form.chosen() if ready and form.is_bound else list(form.fields["orders"].queryset)
        rows = shortages(orders) if ready else []
        header = [
            pgettext("production order", "Order"),
            _("Level"),
            _("Code"),
            _("Component"),
            _("Unit"),
            _("Warehouse"),
            pgettext("quantity", "Required"),
            _("Available"),
            _("Short"),
            _("Needed by"),
            _("Make or buy"),
        ]
        exported = export_table(
            request,
            "shortages",
            header,
            (
                [
                    r.order.number,
                    r.level,
                    r.product.code,
                    r.product.name,
                    r.product.unit.code,
                    str(r.warehouse),
                    q(r.required),
                    q(r.available),
                    q(r.short),
                    r.needed_by,
                    _("make") if r.make else _("buy"),
                ]
                for r in rows
            ),
        )
        if exported is not None:
            return exported
        request_service = _requests_for_needs()
        ctx = {
            "title": _("Shortage analysis"),
            "form": form,
            "ready": ready,
            "rows": rows,
            "orders": orders,
            "buy_count": len(to_buy(rows)),
            "querystring": export_query(request),
            "can_request": request_service is not None
            and _journal_url() is not None
            and can(request.user, "purchasing", "add"),
        }
        return TemplateResponse(request, "production/shortages.html", ctx)


class ShortageRequestView(PolicyMixin, View):
    """Supplier requests (drafts, per supplier) for what the chosen orders are short of and must buy."""

    access_policy = Policy("purchasing", "add")
    http_method_names = ["post"]

    def post(self, request):
        if not can(request.user, "production", "view"):
            raise PermissionDenied
        service, journal = _requests_for_needs(), _journal_url()
        back = f"{reverse('production:shortages')}?{request.POST.get('query', '')}"
        if service is None or journal is None:
            messages.error(request, _("Supplier requests are not available."))
            return redirect(back)
        form = ShortageForm(request.POST, user=request.user)
        if not form.is_valid():
            messages.error(request, _("Choose open orders."))
            return redirect(back)
        rows = to_buy(shortages(form.chosen()))
        today = timezone.localdate()
        needs = [
            {
                "product": r.product,
                "qty": r.short,
                "needed_by": r.needed_by or today,
                "source": r.order,
                "source_label": r.order.number,
            }
            for r in rows
        ]
        try:
            made = service(actor=request.user, needs=needs)
        except DomainError as exc:
            flash_error(request, exc)
            return redirect(back)
        messages.success(
            request,
            _("Supplier requests were made: %(numbers)s.") % {"numbers": ", ".join(str(r.number) for r in made)},
        )
        return redirect(journal)


class GenealogyView(PolicyMixin, View):
    """A lot's genealogy: the lots (at every level above) made with it, and those that went into it."""

    access_policy = VIEW

    def get(self, request):
        form = GenealogyForm(request.GET or None)
        lot = found = None
        containing, consumed = [], []
        if form.is_bound and form.is_valid():
            lot = form.cleaned_data.get("lot")
            text = (form.cleaned_data.get("q") or "").strip()
            if lot is None and text:
                found = list(
                    Lot.objects.filter(number__icontains=text).select_related("product").order_by("number", "id")[:50]
                )
                if len(found) == 1:
                    lot, found = found[0], None
        if lot is not None:
            containing = lots_containing(lot)
            consumed = lots_consumed_by(lot)
            products = {x.product_id for x in containing} | {x.product_id for _lv, x, _q in consumed}
            from fabrika.catalog.models import Product

            by_id = Product.objects.select_related("unit").in_bulk(products | {lot.product_id})
            containing = [(x, by_id[x.product_id]) for x in containing]
            consumed = [(level, x, qty, by_id[x.product_id]) for level, x, qty in consumed]
        ctx = {
            "title": _("Lot genealogy"),
            "form": form,
            "lot": lot,
            "found": found,
            "containing": containing,
            "consumed": consumed,
            "catalog_view": can(request.user, "catalog", "view"),
        }
        return TemplateResponse(request, "production/genealogy.html", ctx)


urlpatterns = [
    path("shortages/", ShortageView.as_view(), name="shortages"),
    path("shortages/request/", ShortageRequestView.as_view(), name="shortage-request"),
    path("genealogy/", GenealogyView.as_view(), name="genealogy"),
]
