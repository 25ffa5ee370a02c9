"""Reservations: list (active / shipped / released), reserve, release."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from fabrika.access.policy import Policy, can
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.views import Column, ListPage, PolicyMixin

from ..filters import ReservationFilter
from ..forms import ReservationForm, apply_errors
from ..models import Reservation
from ..services import release, reserve
from ..templatetags.inventory_tags import plain_qty
from .common import HtmlColumn, HtmlRowsMixin, badge_column, inventory_rights


def _product(r):
    return f"{r.product.code} — {r.product.name}"


class ReservationListView(HtmlRowsMixin, ListPage):
    model = Reservation
    access_policy = Policy("inventory", "view")
    template_name = "inventory/reservation_list.html"
    title = gettext_lazy("Reservations")
    export_name = "reservations"
    filterset_class = ReservationFilter
    search_fields = ("reference", "product__code", "product__name", "counterparty__name")
    default_ordering = ("-created_at", "-id")
    columns = [
        Column("created_at", gettext_lazy("Reserved"), sort="created_at"),
        Column("product", gettext_lazy("Product"), sort="product__code", value=_product),
        Column("warehouse", gettext_lazy("Warehouse"), sort="warehouse__name"),
        Column("lot", gettext_lazy("Lot")),
        Column("qty", gettext_lazy("Reserved qty"), sort="qty", value=lambda r: plain_qty(r.qty)),
        Column("qty_consumed", gettext_lazy("Shipped"), value=lambda r: plain_qty(r.qty_consumed)),
        Column("open_qty", gettext_lazy("Held"), value=lambda r: plain_qty(r.open_qty)),
        badge_column("state", gettext_lazy("State"), sort="state"),
        Column("reference", gettext_lazy("For"), sort="reference"),
        Column("counterparty", gettext_lazy("Customer"), sort="counterparty__name"),
        Column("created_by", gettext_lazy("By")),
    ]

    def base_queryset(self):
        return self.scoped(
            Reservation.objects.select_related("product", "warehouse", "lot", "counterparty", "created_by")
        )

    @cached_property
    def create_url(self):
        return reverse("inventory:reservation-create") if can(self.request.user, "inventory", "add") else None

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rights = inventory_rights(self.request.user)
        if rights["change"]:
            # A release button on the active ones.
            columns = [*ctx["columns"], HtmlColumn("release", "", html=self._release_button)]
            ctx["columns"] = columns
            ctx["rows"] = [(obj, [*cells, self._release_button(obj)]) for obj, cells in ctx["rows"]]
        ctx["rights"] = rights
        return ctx

    def _release_button(self, reservation):
        if reservation.state != Reservation.State.ACTIVE:
            return ""
        return format_html(
            '<form method="post" action="{}" class="d-inline">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<button type="submit" class="btn btn-link btn-sm p-0 text-danger" data-confirm="{}">{}</button></form>',
            reverse("inventory:reservation-release", args=[reservation.pk]),
            self._csrf,
            _("Release %(qty)s of %(product)s?")
            % {"qty": f"{plain_qty(reservation.open_qty):f}", "product": reservation.product},
            _("Release"),
        )

    @cached_property
    def _csrf(self):
        from django.middleware.csrf import get_token

        return get_token(self.request)


class ReservationCreateView(PolicyMixin, View):
    access_policy = Policy("inventory", "add")

    def render_form(self, form):
        return TemplateResponse(
            self.request,
            "inventory/reservation_form.html",
            {
                "form": form,
                "title": _("Reserve stock"),
                "cancel_url": reverse("inventory:reservation-list"),
                "options_url": reverse("inventory:product-options"),
            },
        )

    def get(self, request):
        initial = {k: request.GET[k] for k in ("product", "warehouse", "reference") if request.GET.get(k)}
        return self.render_form(ReservationForm(initial=initial, user=request.user))

    def post(self, request):
        form = ReservationForm(data=request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                reservation = reserve(
                    actor=request.user,
                    product=data["product"],
                    warehouse=data["warehouse"],
                    qty=data["qty"],
                    reference=data["reference"],
                    lot=data.get("lot"),
                    counterparty=data.get("counterparty"),
                )
            except ValidationFailed as exc:
                apply_errors(form, exc.errors)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("%(qty)s of %(product)s are reserved for %(reference)s.")
                    % {
                        "qty": f"{plain_qty(reservation.qty):f}",
                        "product": reservation.product,
                        "reference": reservation.reference,
                    },
                )
                return redirect("inventory:reservation-list")
        return self.render_form(form)


class ReservationReleaseView(PolicyMixin, View):
    access_policy = Policy("inventory", "change")
    http_method_names = ["post"]

    def post(self, request, pk):
        reservation = get_object_or_404(self.scoped(Reservation.objects.all(), "change"), pk=pk)
        try:
            reservation = release(actor=request.user, reservation=reservation)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("The reservation for %(reference)s was released.") % {"reference": reservation.reference}
            )
        return redirect("inventory:reservation-list")


urlpatterns = [
    path("reservations/", ReservationListView.as_view(), name="reservation-list"),
    path("reservations/new/", ReservationCreateView.as_view(), name="reservation-create"),
    path("reservations/<int:pk>/release/", ReservationReleaseView.as_view(), name="reservation-release"),
]
