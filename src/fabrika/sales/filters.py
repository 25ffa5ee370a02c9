"""Filters of the sales lists (pages and API share them)."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fabrika.access.policy import restrict
from fabrika.crm.models import Counterparty
from fabrika.inventory.forms import ProductSelect

from .models import Invoice, Payment, SalesOrder


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ScopedChoices:
    """Choices of owned records (customers) limited to what the user may see; Tom Select boxes."""

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        for flt in self.filters.values():
            queryset = getattr(flt, "queryset", None)
            if queryset is not None and request is not None and getattr(queryset.model, "owner_fields", ()):
                flt.queryset = restrict(request.user, "view", queryset)
        for name in ("counterparty", "manager"):
            if name in self.form.fields and "data-product-search" not in self.form.fields[name].widget.attrs:
                self.form.fields[name].widget.attrs["data-tom"] = ""


def _customers():
    return Counterparty.objects.filter(is_customer=True).order_by("name")


def _managers():
    return get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name", "username")


class OrderFilter(ScopedChoices, django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        label=_("State"),
        choices=SalesOrder.State.choices,
        widget=forms.SelectMultiple(attrs={"data-tom": ""}),
        distinct=False,  # a plain column: no DISTINCT over 100,000 orders
    )
    # Thousands of customers: the box loads matches as one types (inventory/products.js), the page
    # carries only the chosen one.
    counterparty = django_filters.ModelChoiceFilter(
        label=_("Customer"),
        queryset=_customers(),
        widget=ProductSelect(attrs={"data-product-search": reverse_lazy("sales:customer-search")}),
    )
    manager = django_filters.ModelChoiceFilter(label=_("Manager"), queryset=_managers())
    date_from = django_filters.DateFilter(
        label=_("Ordered from"), field_name="order_date", lookup_expr="gte", widget=DateInput()
    )
    date_to = django_filters.DateFilter(
        label=_("Ordered to"), field_name="order_date", lookup_expr="lte", widget=DateInput()
    )
    promised_to = django_filters.DateFilter(
        label=_("Promised by"), field_name="promised_date", lookup_expr="lte", widget=DateInput()
    )

    class Meta:
        model = SalesOrder
        fields = ["state", "counterparty", "manager", "date_from", "date_to", "promised_to"]


class InvoiceFilter(ScopedChoices, django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=_("State"), choices=Invoice.State.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Invoice.Kind.choices)
    counterparty = django_filters.ModelChoiceFilter(label=_("Customer"), queryset=_customers())
    date_from = django_filters.DateFilter(
        label=_("Issued from"), field_name="issue_date", lookup_expr="gte", widget=DateInput()
    )
    date_to = django_filters.DateFilter(
        label=_("Issued to"), field_name="issue_date", lookup_expr="lte", widget=DateInput()
    )

    class Meta:
        model = Invoice
        fields = ["state", "kind", "counterparty", "date_from", "date_to"]


class ReceivableFilter(ScopedChoices, django_filters.FilterSet):
    counterparty = django_filters.ModelChoiceFilter(label=_("Customer"), queryset=_customers())
    manager = django_filters.ModelChoiceFilter(label=_("Manager"), field_name="order__manager", queryset=_managers())
    due_to = django_filters.DateFilter(label=_("Due by"), field_name="due_date", lookup_expr="lte", widget=DateInput())

    class Meta:
        model = Invoice
        fields = ["counterparty", "manager", "due_to"]


class PaymentFilter(ScopedChoices, django_filters.FilterSet):
    counterparty = django_filters.ModelChoiceFilter(label=_("Customer"), queryset=_customers())
    date_from = django_filters.DateFilter(label=_("From"), field_name="date", lookup_expr="gte", widget=DateInput())
    date_to = django_filters.DateFilter(label=_("To"), field_name="date", lookup_expr="lte", widget=DateInput())
    unallocated = django_filters.BooleanFilter(
        label=_("Not fully allocated"), method="filter_unallocated", widget=forms.CheckboxInput()
    )

    class Meta:
        model = Payment
        fields = ["counterparty", "date_from", "date_to", "unallocated"]

    def filter_unallocated(self, queryset, name, value):
        from django.db.models import F

        return queryset.filter(allocated_amount__lt=F("amount")) if value else queryset


def today():
    return timezone.localdate()
