import django_filters
from django.contrib.auth import get_user_model
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from fabrika.catalog.models import Product
from fabrika.inventory.forms import DateInput, ProductSelect

from .models import ProductionOrder


class OrderFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=_("State"), choices=ProductionOrder.State.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=ProductionOrder.Kind.choices)
    product = django_filters.ModelChoiceFilter(
        label=_("Product"),
        queryset=Product.objects.all(),
        widget=ProductSelect(attrs={"data-product-search": reverse_lazy("production:product-search")}),
    )
    responsible = django_filters.ModelChoiceFilter(
        label=_("Responsible"), queryset=get_user_model().objects.order_by("first_name", "last_name", "username")
    )
    date_from = django_filters.DateFilter(
        label=_("Planned from"), field_name="planned_start", lookup_expr="gte", widget=DateInput()
    )
    date_to = django_filters.DateFilter(
        label=_("Planned to"), field_name="planned_start", lookup_expr="lte", widget=DateInput()
    )

    class Meta:
        model = ProductionOrder
        fields = ["state", "kind", "product", "responsible", "date_from", "date_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["responsible"].widget.attrs["data-tom"] = ""
