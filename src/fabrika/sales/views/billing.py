"""Invoices, payments and what they pay, receivables and the overdue list."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
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
from ..filters import InvoiceFilter, PaymentFilter, ReceivableFilter
from ..forms import AllocationForm, InvoiceForm, PaymentForm
from ..models import Invoice, Payment, PaymentAllocation
from ..queries import receivable_totals, receivables
from ..services.billing import open_invoices
from .common import HtmlColumn, HtmlRowsMixin, link, order_or_404, run_service, sales_rights, state_column


def _errors_to(form, exc):
    if isinstance(exc, ValidationFailed):
        for field, messages_ in exc.errors.items():
            for message in messages_:
                form.add_error(field if field in form.fields else None, message)
    else:
        form.add_error(None, exc.message)


# --- invoices ---------------------------------------------------------------------------------


def invoice_columns():
    return [
        HtmlColumn(
            "number", gettext_lazy("Number"), sort="number", html=lambda i: link(i.get_absolute_url(), i.number)
        ),
        Column("kind", gettext_lazy("Kind"), sort="kind", value=lambda i: i.get_kind_display()),
        state_column(gettext_lazy("State")),
        Column("issue_date", gettext_lazy("Date"), sort="issue_date"),
        Column("due_date", gettext_lazy("Due"), sort="due_date"),
        Column("counterparty", gettext_lazy("Customer"), sort="counterparty__name"),
        HtmlColumn(
            "order",
            gettext_lazy("Order"),
            sort="order__number",
            html=lambda i: link(i.order.get_absolute_url(), i.order.number),
        ),
        Column("amount", gettext_lazy("Amount"), sort="amount"),
        Column("paid_amount", gettext_lazy("Paid"), sort="paid_amount"),
        Column("open", gettext_lazy("To pay"), value=lambda i: i.open_amount),
        Column("currency", gettext_lazy("Currency")),
    ]


class InvoiceListView(HtmlRowsMixin, ListPage):
    model = Invoice
    access_policy = Policy("sales", "view")
    filterset_class = InvoiceFilter
    search_fields = ("number", "counterparty__name", "order__number")
    default_ordering = ("-issue_date", "-id")
    export_name = "invoices"
    title = gettext_lazy("Invoices")

    @cached_property
    def columns(self):
        return invoice_columns()

    def base_queryset(self):
        return self.scoped(Invoice.objects.select_related("counterparty", "order"))


class ReceivablesView(InvoiceListView):
    """Invoices with money still to come, due first first; totals per currency above the list."""

    filterset_class = ReceivableFilter
    template_name = "sales/receivables.html"
    default_ordering = ("due_date", "id")
    export_name = "receivables"
    title = gettext_lazy("Receivables")
    overdue = False

    def base_queryset(self):
        qs = super().base_queryset()
        return receivables(qs, overdue_on=timezone.localdate() if self.overdue else None)

    @cached_property
    def columns(self):
        columns = invoice_columns()
        columns.append(
            Column(
                "days_overdue",
                gettext_lazy("Days overdue"),
                value=lambda i: max((timezone.localdate() - i.due_date).days, 0),
            )
        )
        return columns

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["totals"] = receivable_totals(self.get_queryset())
        ctx["overdue"] = self.overdue
        return ctx


class OverdueView(ReceivablesView):
    overdue = True
    export_name = "overdue"
    title = gettext_lazy("Overdue invoices")


def invoice_or_404(user, pk, action="view"):
    return get_object_or_404(
        restrict(user, action, Invoice.objects.select_related("counterparty", "order", "created_by")), pk=pk
    )


class InvoiceDetailView(PolicyMixin, View):
    access_policy = Policy("sales", "view")

    def get(self, request, pk):
        invoice = invoice_or_404(request.user, pk)
        ctx = {
            "title": f"{invoice.number} · {invoice.get_kind_display()}",
            "invoice": invoice,
            "object": invoice,
            "allocations": invoice.allocations.select_related("payment").order_by("id"),
            "rights": sales_rights(request.user),
        }
        return TemplateResponse(request, "sales/invoice_detail.html", ctx)


class InvoiceCreateView(PolicyMixin, View):
    access_policy = Policy("sales", "post")

    def render(self, request, order, form):
        ctx = {
            "title": _("Invoice for %(number)s") % {"number": order.number},
            "order": order,
            "object": order,
            "form": form,
            "advance": services.advance_status(order),
            "invoiced": services.billing.invoiced(order)[0],
        }
        return TemplateResponse(request, "sales/invoice_form.html", ctx)

    def schedule(self, order):
        return list(order.schedule.filter(invoice__isnull=True).order_by("position"))

    def get(self, request, pk):
        order = order_or_404(request.user, pk, "post")
        schedule = self.schedule(order)
        initial = {}
        asked = request.GET.get("schedule_line", "")
        if asked.isdigit() and int(asked) in {s.pk for s in schedule}:
            line = next(s for s in schedule if s.pk == int(asked))
            initial.update(schedule_line=line.pk, kind="advance" if line.is_advance else "regular")
        return self.render(request, order, InvoiceForm(schedule=schedule, initial=initial))

    def post(self, request, pk):
        order = order_or_404(request.user, pk, "post")
        form = InvoiceForm(request.POST, schedule=self.schedule(order))
        if form.is_valid():
            data = form.cleaned_data
            try:
                invoice = services.invoice_create(
                    actor=request.user,
                    order=order,
                    kind=data["kind"],
                    amount=data["amount"],
                    schedule_line=form.schedule.get(data["schedule_line"]),
                    issue_date=data["issue_date"],
                    due_date=data["due_date"],
                    note=data["note"],
                )
            except (ValidationFailed, DomainError) as exc:
                _errors_to(form, exc)
            else:
                messages.success(request, _("Invoice %(number)s was issued.") % {"number": invoice.number})
                return redirect(order.get_absolute_url() + "?tab=billing")
        return self.render(request, order, form)


class InvoiceCancelView(PolicyMixin, View):
    access_policy = Policy("sales", "post")
    http_method_names = ["post"]

    def post(self, request, pk):
        invoice = invoice_or_404(request.user, pk, "post")
        response, _result = run_service(
            request,
            lambda: services.invoice_cancel(actor=request.user, invoice=invoice),
            _("%(number)s was cancelled.") % {"number": invoice.number},
            invoice.get_absolute_url(),
        )
        return response


# --- payments ---------------------------------------------------------------------------------


class PaymentListView(HtmlRowsMixin, ListPage):
    model = Payment
    access_policy = Policy("sales", "view")
    filterset_class = PaymentFilter
    search_fields = ("number", "reference", "counterparty__name")
    default_ordering = ("-date", "-id")
    export_name = "payments"
    title = gettext_lazy("Payments")
    columns = [
        HtmlColumn(
            "number", gettext_lazy("Number"), sort="number", html=lambda p: link(p.get_absolute_url(), p.number)
        ),
        Column("date", gettext_lazy("Date"), sort="date"),
        Column("counterparty", gettext_lazy("Customer"), sort="counterparty__name"),
        Column("reference", gettext_lazy("Reference")),
        Column("amount", gettext_lazy("Amount"), sort="amount"),
        Column("allocated_amount", gettext_lazy("Allocated"), sort="allocated_amount"),
        Column("unallocated", gettext_lazy("Not allocated")),
        Column("currency", gettext_lazy("Currency")),
    ]

    def base_queryset(self):
        return self.scoped(Payment.objects.select_related("counterparty"))

    @cached_property
    def create_url(self):
        return reverse("sales:payment-create") if can(self.request.user, "sales", "post") else None


class PaymentCreateView(PolicyMixin, View):
    access_policy = Policy("sales", "post")

    def render(self, request, form):
        return TemplateResponse(request, "sales/payment_form.html", {"title": _("Payment received"), "form": form})

    def get(self, request):
        initial = {}
        customer = request.GET.get("counterparty", "")
        if customer.isdigit():
            initial["counterparty"] = int(customer)
        return self.render(request, PaymentForm(user=request.user, initial=initial))

    def post(self, request):
        form = PaymentForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                payment = services.payment_create(
                    actor=request.user,
                    counterparty=data["counterparty"],
                    date=data["date"],
                    amount=data["amount"],
                    currency=data["currency"],
                    reference=data["reference"],
                    note=data["note"],
                    auto_allocate=data["auto_allocate"],
                )
            except (ValidationFailed, DomainError) as exc:
                _errors_to(form, exc)
            else:
                messages.success(request, _("Payment %(number)s was recorded.") % {"number": payment.number})
                return redirect(payment.get_absolute_url())
        return self.render(request, form)


def payment_or_404(user, pk, action="view"):
    return get_object_or_404(restrict(user, action, Payment.objects.select_related("counterparty")), pk=pk)


class PaymentDetailView(PolicyMixin, View):
    """The payment, the invoices it pays, and a form to put what is left on an open invoice."""

    access_policy = Policy("sales", "view")

    def render(self, request, payment, form):
        rights = sales_rights(request.user)
        ctx = {
            "title": _("Payment %(number)s") % {"number": payment.number},
            "payment": payment,
            "object": payment,
            "allocations": payment.allocations.select_related("invoice", "invoice__order").order_by("id"),
            "form": form if rights["post"] and payment.unallocated > 0 else None,
            "rights": rights,
        }
        return TemplateResponse(request, "sales/payment_detail.html", ctx)

    def get(self, request, pk):
        payment = payment_or_404(request.user, pk)
        invoices = open_invoices(payment.counterparty, payment.currency)
        first = invoices.first()
        initial = {"invoice": first.pk, "amount": min(first.open_amount, payment.unallocated)} if first else {}
        return self.render(request, payment, AllocationForm(invoices=invoices, initial=initial))


class PaymentAllocateView(PaymentDetailView):
    access_policy = Policy("sales", "post")
    http_method_names = ["post"]

    def post(self, request, pk):
        payment = payment_or_404(request.user, pk, "post")
        form = AllocationForm(request.POST, invoices=open_invoices(payment.counterparty, payment.currency))
        if form.is_valid():
            try:
                services.payment_allocate(
                    actor=request.user,
                    payment=payment,
                    allocations=[(form.cleaned_data["invoice"], form.cleaned_data["amount"])],
                )
            except (ValidationFailed, DomainError) as exc:
                _errors_to(form, exc)
            else:
                messages.success(request, _("The payment was allocated."))
                return redirect(payment.get_absolute_url())
        return self.render(request, payment, form)


class PaymentDeleteView(PolicyMixin, View):
    access_policy = Policy("sales", "delete")
    http_method_names = ["post"]

    def post(self, request, pk):
        payment = payment_or_404(request.user, pk, "delete")
        response, _result = run_service(
            request,
            lambda: services.payment_delete(actor=request.user, payment=payment),
            _("Payment %(number)s was deleted.") % {"number": payment.number},
            reverse("sales:payment-list"),
        )
        return response


class AllocationDeleteView(PolicyMixin, View):
    access_policy = Policy("sales", "post")
    http_method_names = ["post"]

    def post(self, request, pk):
        allocation = get_object_or_404(
            restrict(request.user, "post", PaymentAllocation.objects.select_related("payment", "invoice")), pk=pk
        )
        response, _result = run_service(
            request,
            lambda: services.payment_unallocate(actor=request.user, allocation=allocation),
            _("%(number)s no longer pays %(invoice)s.")
            % {"number": allocation.payment.number, "invoice": allocation.invoice.number},
            allocation.payment.get_absolute_url(),
        )
        return response


urlpatterns = [
    path("invoices/", InvoiceListView.as_view(), name="invoice-list"),
    path("invoices/<int:pk>/", InvoiceDetailView.as_view(), name="invoice-detail"),
    path("invoices/<int:pk>/cancel/", InvoiceCancelView.as_view(), name="invoice-cancel"),
    path("orders/<int:pk>/invoice/", InvoiceCreateView.as_view(), name="order-invoice"),
    path("receivables/", ReceivablesView.as_view(), name="receivables"),
    path("receivables/overdue/", OverdueView.as_view(), name="overdue"),
    path("payments/", PaymentListView.as_view(), name="payment-list"),
    path("payments/new/", PaymentCreateView.as_view(), name="payment-create"),
    path("payments/<int:pk>/", PaymentDetailView.as_view(), name="payment-detail"),
    path("payments/<int:pk>/allocate/", PaymentAllocateView.as_view(), name="payment-allocate"),
    path("payments/<int:pk>/delete/", PaymentDeleteView.as_view(), name="payment-delete"),
    path("allocations/<int:pk>/delete/", AllocationDeleteView.as_view(), name="allocation-delete"),
]
