import django_filters
from django.utils.translation import gettext_lazy as _

from .models import Reservation, StockDocument, Warehouse


class DocumentFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(label=_("Type"), choices=StockDocument.Type.choices)
    state = django_filters.ChoiceFilter(label=_("State"), choices=StockDocument.State.choices)
    warehouse = django_filters.ModelChoiceFilter(
        label=_("Warehouse"), queryset=Warehouse.objects.order_by("name"), method="filter_warehouse"
    )
    date_from = django_filters.DateFilter(label=_("Date from"), field_name="date", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(label=_("Date to"), field_name="date", lookup_expr="date__lte")

    class Meta:
        model = StockDocument
        fields = ["type", "state", "warehouse", "date_from", "date_to"]

    def filter_warehouse(self, queryset, name, value):
        """A transfer belongs to both of its warehouses."""
        from django.db.models import Q

        return queryset.filter(Q(warehouse=value) | Q(to_warehouse=value))


class ReservationFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=_("State"), choices=Reservation.State.choices)
    warehouse = django_filters.ModelChoiceFilter(label=_("Warehouse"), queryset=Warehouse.objects.order_by("name"))

    class Meta:
        model = Reservation
        fields = ["state", "warehouse"]
