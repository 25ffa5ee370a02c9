"""Orders: the list (filters, search, export; fast on 100,000 orders), the card with its tabs, the
form with its lines, and the buttons of the workflow (confirm, start work, close, cancel with the
list of what is cancelled, reserve and release).

Every change goes through `fabrika.sales.services`.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from fabrika.access.policy import Policy, can, restrict
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.views import Column, ListPage, PolicyMixin

from .. import services
from ..filters import OrderFilter
from ..forms import CancelForm, OrderForm, apply_errors, apply_line_errors, line_formset, order_line_initial
from ..models import SalesOrder, SalesOrderLine
from ..queries import LimitedCountPaginator, order_lines_with_stock, order_reservations, order_search
from .common import HtmlColumn, HtmlRowsMixin, link, order_or_404, run_service, sales_rights, state_column

State = SalesOrder.State


# --- list -------------------------------------------------------------------------------------


class OrderListView(HtmlRowsMixin, ListPage):
    model = SalesOrder
    access_policy = Policy("sales", "view")
    template_name = "sales/order_list.html"
    filterset_class = OrderFilter
    search_fields = ()  # number or customer: see get_queryset
    default_ordering = ("-order_date", "-id")
    paginator_class = LimitedCountPaginator
    export_name = "sales-orders"
    title = gettext_lazy("Sales orders")
    columns = [
        HtmlColumn(
            "number", gettext_lazy("Number"), sort="number", html=lambda o: link(o.get_absolute_url(), o.number)
        ),
        Column("order_date", gettext_lazy("Date"), sort="order_date"),
        state_column(gettext_lazy("State")),
        Column("counterparty", gettext_lazy("Customer"), sort="counterparty__name"),
        Column("manager", gettext_lazy("Manager"), sort="manager__last_name"),
        Column("promised_date", gettext_lazy("Promised"), sort="promised_date"),
        Column("subtotal", gettext_lazy("Before VAT"), sort="subtotal"),
        Column("total", gettext_lazy("Total"), sort="total"),
        Column("currency", gettext_lazy("Currency")),
    ]

    def base_queryset(self):
        return self.scoped(SalesOrder.objects.select_related("counterparty", "manager"))

    def get_queryset(self):
        qs = super().get_queryset()
        self.search = self.request.GET.get("q", "").strip()
        return order_search(qs, self.search) if self.search else qs

    @cached_property
    def create_url(self):
        return reverse("sales:order-create") if can(self.request.user, "sales", "add") else None

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        paginator = ctx.get("paginator")
        ctx.update(
            has_search=True,
            search=self.search,
            count_capped=getattr(paginator, "capped", False),
            count_limit=LimitedCountPaginator.limit,
            rights=sales_rights(self.request.user),
        )
        return ctx


# --- card -------------------------------------------------------------------------------------

TABS = [
    ("lines", gettext_lazy("Lines"), "list-ol"),
    ("availability", gettext_lazy("Availability"), "clipboard-data"),
    ("shipments", gettext_lazy("Shipments"), "truck"),
    ("billing", gettext_lazy("Invoices and payments"), "receipt"),
    ("documents", gettext_lazy("Documents and e-mails"), "envelope-paper"),
    ("history", gettext_lazy("History"), "clock-history"),
]


class OrderDetailView(PolicyMixin, View):
    access_policy = Policy("sales", "view")

    def get(self, request, pk):
        from .common import library_available

        order = order_or_404(request.user, pk)
        tab = request.GET.get("tab", "lines")
        if tab not in {key for key, _label, _icon in TABS}:
            tab = "lines"
        rights = sales_rights(request.user)
        lines = order_lines_with_stock(order)
        ctx = {
            "title": f"{order.number} · {order.counterparty}",
            "object": order,
            "order": order,
            "tab": tab,
            "tabs": TABS,
            "lines": lines,
            "rights": rights,
            "can_edit": rights["change"] and order.state not in (State.CANCELLED, State.CLOSED),
            "can_edit_lines": rights["change"] and order.is_draft,
            "can_confirm": rights["change"] and (order.state, State.CONFIRMED) in SalesOrder.TRANSITIONS,
            "can_start": rights["change"] and (order.state, State.IN_WORK) in SalesOrder.TRANSITIONS,
            "can_close": rights["change"]
            and (
                order.state == State.SHIPPED
                or (order.state in (State.CONFIRMED, State.IN_WORK) and not any(ls.line.is_stocked for ls in lines))
            ),
            "can_cancel": rights["change"] and (order.state, State.CANCELLED) in SalesOrder.TRANSITIONS,
            "can_delete": rights["delete"] and order.is_draft,
            "can_stock": rights["post"] and order.is_open,
            "has_stocked": any(ls.line.product.is_stocked for ls in lines),
            "has_history": library_available("audit_tags"),
            "has_files": library_available("documents_tags"),
            "advance": services.advance_status(order),
            "tasks": order.tasks.select_related("activity", "activity__owner").order_by("activity__due_at"),
            "next_here": request.get_full_path(),
            "today": timezone.localdate(),
        }
        if tab == "lines":
            ctx["reservations"] = order_reservations(order)
        elif tab == "availability":
            from .availability import tab_context

            ctx.update(tab_context(request, order, rights))
        elif tab == "shipments":
            ctx["shipments"] = order.shipments.select_related("document").prefetch_related("lines__order_line__product")
            ctx["returns"] = order.returns.select_related("document", "credit_note").prefetch_related(
                "lines__order_line__product"
            )
            ctx["can_return"] = rights["post"] and any(ls.returnable > 0 for ls in lines)
        elif tab == "billing":
            from ..models import PaymentAllocation

            ctx["schedule"] = order.schedule.select_related("invoice")
            ctx["invoices"] = order.invoices.order_by("issue_date", "id")
            ctx["allocations"] = PaymentAllocation.objects.filter(invoice__order=order).select_related(
                "payment", "invoice"
            )
            ctx["can_invoice"] = rights["post"] and order.state not in (State.DRAFT, State.CANCELLED)
        elif tab == "documents":
            from .email import email_codes

            ctx["email_codes"] = email_codes(order, request.user)
            ctx["has_outbox"] = _has_outbox()
        return TemplateResponse(request, "sales/order_detail.html", ctx)


def _has_outbox() -> bool:
    from django.template import engines

    try:
        library = engines["django"].engine.template_libraries["documents_tags"]
    except KeyError:
        return False
    return "outbox_panel" in library.tags


# --- create, edit -----------------------------------------------------------------------------


class OrderFormView(PolicyMixin, View):
    template_name = "sales/order_form.html"
    order: SalesOrder | None = None

    def load(self, pk):
        pass

    def initial(self) -> dict:
        return {}

    def render_form(self, header, formset):
        ctx = {
            "title": self.title(),
            "form": header,
            "formset": formset,
            "object": self.order,
            "order": self.order,
            "lines_editable": self.order is None or self.order.is_draft,
            "cancel_url": self.order.get_absolute_url() if self.order else reverse("sales:order-list"),
            "rights": sales_rights(self.request.user),
        }
        return TemplateResponse(self.request, self.template_name, ctx)

    def get(self, request, pk=None):
        self.load(pk)
        header = OrderForm(user=request.user, order=self.order, initial=self.initial() if self.order is None else None)
        formset = line_formset(initial=order_line_initial(self.order) if self.order else [])
        return self.render_form(header, formset)

    def post(self, request, pk=None):
        self.load(pk)
        action = request.POST.get("action", "save")
        if action == "confirm" and not can(request.user, "sales", "change"):
            raise PermissionDenied
        header = OrderForm(data=request.POST, user=request.user, order=self.order)
        lines_editable = self.order is None or self.order.is_draft
        formset = line_formset(data=request.POST) if lines_editable else None
        if header.is_valid() and (formset is None or formset.is_valid()):
            line_forms = formset.submitted_forms() if formset is not None else []
            lines = [f.line_data() for f in line_forms] if formset is not None else None
            try:
                with transaction.atomic():
                    order = self.save(header.service_data(), lines)
                    if action == "confirm":
                        order = services.order_confirm(actor=request.user, order=order)
            except ValidationFailed as exc:
                rest = apply_line_errors(formset, line_forms, exc.errors) if formset is not None else exc.errors
                apply_errors(header, rest)
            except DomainError as exc:
                header.add_error(None, exc.message)
            else:
                if action == "confirm":
                    messages.success(request, _("Order %(number)s was confirmed.") % {"number": order.number})
                else:
                    messages.success(request, _("Order %(number)s was saved.") % {"number": order.number})
                return redirect(order.get_absolute_url())
        if formset is None:
            formset = line_formset(initial=order_line_initial(self.order))
        return self.render_form(header, formset)


class OrderCreateView(OrderFormView):
    access_policy = Policy("sales", "add")

    def title(self):
        return _("New order")

    def initial(self):
        from fabrika.core.models import CompanySettings

        from ..models import SalesSettings

        settings = SalesSettings.load()
        initial = {
            "manager": self.request.user.pk,
            "order_date": timezone.localdate(),
            "currency": CompanySettings.load().currency,
            "warehouse": settings.default_warehouse_id,
            "price_type": settings.default_price_type_id,
            "payment_terms": settings.default_payment_terms_id,
            "advance_policy": SalesOrder.AdvancePolicy.NONE,
        }
        customer = self.request.GET.get("counterparty", "")
        if customer.isdigit():
            initial["counterparty"] = int(customer)
        return initial

    def save(self, data, lines):
        return services.order_create(actor=self.request.user, data=data, lines=lines)


class OrderUpdateView(OrderFormView):
    access_policy = Policy("sales", "change")

    def load(self, pk):
        self.order = order_or_404(self.request.user, pk, "change")

    def get(self, request, pk=None):
        self.load(pk)
        if self.order.state in (State.CANCELLED, State.CLOSED):
            messages.error(request, _("%(number)s cannot change any more.") % {"number": self.order.number})
            return redirect(self.order.get_absolute_url())
        return super().get(request, pk)

    def title(self):
        return _("Edit %(number)s") % {"number": self.order.number}

    def save(self, data, lines):
        return services.order_update(actor=self.request.user, order=self.order, data=data, lines=lines)


class OrderDeleteView(PolicyMixin, View):
    access_policy = Policy("sales", "delete")
    http_method_names = ["post"]

    def post(self, request, pk):
        order = order_or_404(request.user, pk, "delete")
        number = order.number
        response, _result = run_service(
            request,
            lambda: services.order_delete(actor=request.user, order=order),
            _("Draft %(number)s was deleted.") % {"number": number},
            order.get_absolute_url(),
        )
        if not SalesOrder.objects.filter(pk=pk).exists():
            return redirect(reverse("sales:order-list"))
        return response


# --- workflow buttons -------------------------------------------------------------------------


class OrderActionView(PolicyMixin, View):
    """A button on the card that calls one service with the order."""

    access_policy = Policy("sales", "change")
    http_method_names = ["post"]
    service = None
    done = ""

    def post(self, request, pk):
        order = order_or_404(request.user, pk, self.access_policy.action)
        response, _result = run_service(
            request,
            lambda: type(self).service(actor=request.user, order=order),
            self.done % {"number": order.number},
            order.get_absolute_url(),
        )
        return response


class OrderConfirmView(OrderActionView):
    service = services.order_confirm
    done = gettext_lazy("Order %(number)s was confirmed.")


class OrderStartView(OrderActionView):
    service = services.order_start_work
    done = gettext_lazy("Work on %(number)s has started.")

    def post(self, request, pk):
        order = order_or_404(request.user, pk, "change")
        warning = services.order_check_advance(order=order) if order.advance_policy == "warn" else ""
        response = super().post(request, pk)
        order.refresh_from_db(fields=["state"])
        if warning and order.state == State.IN_WORK:
            messages.warning(request, warning)
        return response


class OrderCloseView(OrderActionView):
    service = services.order_close
    done = gettext_lazy("Order %(number)s is closed.")


class OrderCancelView(PolicyMixin, View):
    """GET: what cancelling will cancel (or why it cannot); POST: cancel, confirmed."""

    access_policy = Policy("sales", "change")

    def render(self, request, order, form):
        items = services.order_cancel_preview(order)
        shipped = [ls for ls in order.lines.select_related("product") if ls.qty_shipped > 0]
        ctx = {
            "title": _("Cancel %(number)s") % {"number": order.number},
            "order": order,
            "object": order,
            "form": form,
            "items": items,
            "blocking": [i for i in items if i.blocking],
            "shipped": shipped,
            "allowed": (order.state, State.CANCELLED) in SalesOrder.TRANSITIONS and not shipped,
        }
        return TemplateResponse(request, "sales/order_cancel.html", ctx)

    def get(self, request, pk):
        return self.render(request, order_or_404(request.user, pk, "change"), CancelForm())

    def post(self, request, pk):
        order = order_or_404(request.user, pk, "change")
        form = CancelForm(request.POST)
        if form.is_valid():
            try:
                order = services.order_cancel(
                    actor=request.user, order=order, confirm=True, reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Order %(number)s was cancelled.") % {"number": order.number})
                return redirect(order.get_absolute_url())
        return self.render(request, order, form)


class OrderReserveView(PolicyMixin, View):
    """Reserve what the order (or one line, `line=<id>`) still needs; `partial=1`: what is free."""

    access_policy = Policy("sales", "post")
    http_method_names = ["post"]

    def post(self, request, pk):
        order = order_or_404(request.user, pk, "post")
        line_id = request.POST.get("line", "")
        back = order.get_absolute_url()
        if line_id.isdigit():
            line = SalesOrderLine.objects.filter(order=order, pk=line_id).first()
            if line is None:
                return redirect(back)
            response, _result = run_service(
                request,
                lambda: services.order_reserve_line(actor=request.user, line=line),
                _("%(reference)s is reserved.") % {"reference": f"{order.number}/{line.position}"},
                back,
            )
            return response
        partial = request.POST.get("partial") == "1"
        response, made = run_service(
            request, lambda: services.order_reserve(actor=request.user, order=order, partial=partial), "", back
        )
        if made is not None:
            if made:
                messages.success(request, _("%(count)d lines reserved.") % {"count": len(made)})
            else:
                messages.info(request, _("Nothing more could be reserved."))
        return response


class OrderReleaseView(PolicyMixin, View):
    access_policy = Policy("sales", "post")
    http_method_names = ["post"]

    def post(self, request, pk):
        order = order_or_404(request.user, pk, "post")
        line_id = request.POST.get("line", "")
        back = order.get_absolute_url()
        if line_id.isdigit():
            line = SalesOrderLine.objects.filter(order=order, pk=line_id).first()
            if line is None:
                return redirect(back)
            call = lambda: services.order_release_line(actor=request.user, line=line)  # noqa: E731
        else:
            call = lambda: services.order_release(actor=request.user, order=order)  # noqa: E731
        response, _result = run_service(request, call, _("The reservations were released."), back)
        return response


def scoped_orders(user, action="view"):
    return restrict(user, action, SalesOrder.objects.all())


urlpatterns = [
    path("orders/", OrderListView.as_view(), name="order-list"),
    path("orders/new/", OrderCreateView.as_view(), name="order-create"),
    path("orders/<int:pk>/", OrderDetailView.as_view(), name="order-detail"),
    path("orders/<int:pk>/edit/", OrderUpdateView.as_view(), name="order-update"),
    path("orders/<int:pk>/delete/", OrderDeleteView.as_view(), name="order-delete"),
    path("orders/<int:pk>/confirm/", OrderConfirmView.as_view(), name="order-confirm"),
    path("orders/<int:pk>/start/", OrderStartView.as_view(), name="order-start"),
    path("orders/<int:pk>/close/", OrderCloseView.as_view(), name="order-close"),
    path("orders/<int:pk>/cancel/", OrderCancelView.as_view(), name="order-cancel"),
    path("orders/<int:pk>/reserve/", OrderReserveView.as_view(), name="order-reserve"),
    path("orders/<int:pk>/release/", OrderReleaseView.as_view(), name="order-release"),
]
