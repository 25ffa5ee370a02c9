"""Shipping an order (now or planned), posting and cancelling shipments, customer returns, and the
shipments calendar (planned deliveries by month and week, server-rendered)."""

import datetime

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views import View

from fabrika.access.policy import Policy, restrict
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.views import PolicyMixin

from .. import services
from ..forms import ReturnForm, ShipmentForm
from ..models import SalesOrder, Shipment
from ..queries import order_lines_with_stock, shipment_calendar, shipment_week
from .common import order_or_404, run_service, sales_rights


def _form_errors(form, exc):
    if isinstance(exc, ValidationFailed):
        for messages_ in exc.errors.values():
            for message in messages_:
                form.add_error(None, message)
    else:
        form.add_error(None, exc.message)


class ShipView(PolicyMixin, View):
    """The quantities to ship per line (defaults: everything reserved and not planned yet)."""

    access_policy = Policy("sales", "post")

    def lines(self, order):
        return [(ls.line, ls.shippable) for ls in order_lines_with_stock(order) if ls.line.product.is_stocked]

    def render(self, request, order, form):
        states = {ls.line.pk: ls for ls in order_lines_with_stock(order)}
        ctx = {
            "title": _("Ship %(number)s") % {"number": order.number},
            "order": order,
            "object": order,
            "form": form,
            "rows": [(line, states[line.pk], form[name]) for line, _left, name in form.line_fields],
            "rights": sales_rights(request.user),
        }
        return TemplateResponse(request, "sales/ship_form.html", ctx)

    def get(self, request, pk):
        order = order_or_404(request.user, pk, "post")
        lines = self.lines(order)
        initial = {f"qty_{line.pk}": left.normalize() if left else None for line, left in lines}
        initial["delivery_address"] = order.delivery_address
        initial["post"] = True
        return self.render(request, order, ShipmentForm(lines=lines, initial=initial))

    def post(self, request, pk):
        order = order_or_404(request.user, pk, "post")
        form = ShipmentForm(request.POST, lines=self.lines(order))
        if form.is_valid():
            quantities = form.quantities()
            if not quantities:
                form.add_error(None, _("Say what to ship."))
            else:
                data = form.cleaned_data
                try:
                    shipment = services.shipment_create(
                        actor=request.user,
                        order=order,
                        lines=quantities,
                        carrier=data["carrier"],
                        vehicle=data["vehicle"],
                        delivery_address=data["delivery_address"],
                        shipping_cost=data["shipping_cost"] or 0,
                        planned_delivery=data["planned_delivery"],
                        post=data["post"],
                    )
                except (ValidationFailed, DomainError) as exc:
                    _form_errors(form, exc)
                else:
                    if shipment.state == Shipment.State.SHIPPED:
                        text = _("%(number)s was shipped.")
                    else:
                        text = _("Shipment %(number)s is planned.")
                    messages.success(request, text % {"number": shipment.document.number})
                    return redirect(order.get_absolute_url() + "?tab=shipments")
        return self.render(request, order, form)


class ReturnView(ShipView):
    def lines(self, order):
        return [(ls.line, ls.returnable) for ls in order_lines_with_stock(order) if ls.returnable > 0]

    def render(self, request, order, form):
        response = super().render(request, order, form)
        response.context_data["title"] = _("Return for %(number)s") % {"number": order.number}
        response.context_data["is_return"] = True
        return response

    def get(self, request, pk):
        order = order_or_404(request.user, pk, "post")
        return self.render(request, order, ReturnForm(lines=self.lines(order), initial={"credit": True}))

    def post(self, request, pk):
        order = order_or_404(request.user, pk, "post")
        form = ReturnForm(request.POST, lines=self.lines(order))
        if form.is_valid():
            quantities = form.quantities()
            if not quantities:
                form.add_error(None, _("Say what comes back."))
            else:
                try:
                    sales_return = services.order_return(
                        actor=request.user,
                        order=order,
                        lines=quantities,
                        credit=form.cleaned_data["credit"],
                        reason=form.cleaned_data["reason"],
                    )
                except (ValidationFailed, DomainError) as exc:
                    _form_errors(form, exc)
                else:
                    messages.success(
                        request, _("Return %(number)s was posted.") % {"number": sales_return.document.number}
                    )
                    return redirect(order.get_absolute_url() + "?tab=shipments")
        return self.render(request, order, form)


def shipment_or_404(user, pk, action="post"):
    return get_object_or_404(restrict(user, action, Shipment.objects.select_related("order", "document")), pk=pk)


class ShipmentPostView(PolicyMixin, View):
    access_policy = Policy("sales", "post")
    http_method_names = ["post"]

    def post(self, request, pk):
        shipment = shipment_or_404(request.user, pk)
        response, _result = run_service(
            request,
            lambda: services.shipment_post(actor=request.user, shipment=shipment),
            _("%(number)s was shipped.") % {"number": shipment.document.number},
            shipment.order.get_absolute_url() + "?tab=shipments",
        )
        return response


class ShipmentCancelView(PolicyMixin, View):
    access_policy = Policy("sales", "post")
    http_method_names = ["post"]

    def post(self, request, pk):
        shipment = shipment_or_404(request.user, pk)
        response, _result = run_service(
            request,
            lambda: services.shipment_cancel(actor=request.user, shipment=shipment),
            _("%(number)s was cancelled.") % {"number": shipment.document.number},
            shipment.order.get_absolute_url() + "?tab=shipments",
        )
        return response


class CalendarView(PolicyMixin, View):
    """`?month=2026-05`: a month grid of planned deliveries (and promised orders not planned yet);
    `?week=2026-05-11`: the week of that day, with the goods of each shipment."""

    access_policy = Policy("sales", "view")

    def get(self, request):
        today = timezone.localdate()
        orders = restrict(request.user, "view", SalesOrder.objects.all())
        base = reverse("sales:shipment-calendar")
        week = _date(request.GET.get("week", ""))
        if week is not None:
            monday = week - datetime.timedelta(days=week.weekday())
            weeks = shipment_week(orders, day=monday)
            ctx = {
                "mode": "week",
                "label": _("Week %(number)s, %(first)s – %(last)s")
                % {
                    "number": monday.isocalendar()[1],
                    "first": formats.date_format(monday, "SHORT_DATE_FORMAT"),
                    "last": formats.date_format(monday + datetime.timedelta(days=6), "SHORT_DATE_FORMAT"),
                },
                "previous": f"{base}?week={monday - datetime.timedelta(days=7)}",
                "following": f"{base}?week={monday + datetime.timedelta(days=7)}",
                "current": f"{base}?week={today}",
                "other_view": f"{base}?month={monday:%Y-%m}",
            }
        else:
            first = _date(request.GET.get("month", "") + "-01") or today.replace(day=1)
            weeks = shipment_calendar(orders, year=first.year, month=first.month)
            previous = (first - datetime.timedelta(days=1)).replace(day=1)
            following = (first + datetime.timedelta(days=32)).replace(day=1)
            ctx = {
                "mode": "month",
                "label": formats.date_format(first, "YEAR_MONTH_FORMAT"),
                "previous": f"{base}?month={previous:%Y-%m}",
                "following": f"{base}?month={following:%Y-%m}",
                "current": f"{base}?month={today:%Y-%m}",
                "other_view": f"{base}?week={first if first.month != today.month else today}",
            }
        ctx.update(
            title=_("Shipments calendar"),
            weeks=weeks,
            weekdays=[formats.date_format(day.date, "D") for day in weeks[0]],
        )
        return TemplateResponse(request, "sales/calendar.html", ctx)


def _date(text):
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


urlpatterns = [
    path("orders/<int:pk>/ship/", ShipView.as_view(), name="order-ship"),
    path("orders/<int:pk>/return/", ReturnView.as_view(), name="order-return"),
    path("shipments/<int:pk>/post/", ShipmentPostView.as_view(), name="shipment-post"),
    path("shipments/<int:pk>/cancel/", ShipmentCancelView.as_view(), name="shipment-cancel"),
    path("shipments/calendar/", CalendarView.as_view(), name="shipment-calendar"),
]
