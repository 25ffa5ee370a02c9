import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fabrika.crm.models import Counterparty
from fabrika.inventory.forms import DateInput

from .models import SupplierRequest


class RequestFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=_("State"), choices=SupplierRequest.State.choices)
    supplier = django_filters.ModelChoiceFilter(
        label=_("Supplier"), queryset=Counterparty.objects.filter(is_supplier=True).order_by("name")
    )
    product = django_filters.CharFilter(label=_("Product"), method="filter_product")
    date_from = django_filters.DateFilter(
        label=_("Date from"), field_name="date", lookup_expr="gte", widget=DateInput()
    )
    date_to = django_filters.DateFilter(label=_("Date to"), field_name="date", lookup_expr="lte", widget=DateInput())

    class Meta:
        model = SupplierRequest
        fields = ["state", "supplier", "product", "date_from", "date_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["supplier"].widget.attrs["data-tom"] = ""
        self.form.fields["product"].widget.attrs["placeholder"] = _("code or name")

    def filter_product(self, queryset, name, value):
        """Requests with a line of a product whose code or name contains every word."""
        condition = Q()
        for term in value.split():
            condition &= Q(lines__product__code__icontains=term) | Q(lines__product__name__icontains=term)
        matching = SupplierRequest.objects.filter(condition).values("pk")
        return queryset.filter(pk__in=matching)
