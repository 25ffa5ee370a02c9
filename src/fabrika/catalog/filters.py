import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import PriceList, PriceListItem, PriceType, Product, ProductGroup, UnitConversion
from .queries import group_descendant_ids


def product_search(queryset, text: str):
    """Every word must appear in the code, the name or the barcode (of the product or of a unit conversion)."""
    for term in text.split():
        queryset = queryset.filter(
            Q(code__icontains=term)
            | Q(name__icontains=term)
            | Q(barcode=term)
            | Q(pk__in=UnitConversion.objects.filter(barcode=term).values("product_id"))
        )
    return queryset


class ProductFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(label=_("Type"), choices=Product.Type.choices)
    group = django_filters.ModelChoiceFilter(
        label=_("Group (with subgroups)"), queryset=ProductGroup.objects.all(), method="filter_group"
    )
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Product
        fields = ["type", "group", "active"]

    def filter_group(self, queryset, name, value):
        return queryset.filter(group_id__in=group_descendant_ids(value)) if value else queryset


class PriceListFilter(django_filters.FilterSet):
    price_type = django_filters.ModelChoiceFilter(label=_("Price type"), queryset=PriceType.objects.all())
    valid_on = django_filters.DateFilter(label=_("Valid on"), method="filter_valid_on")

    class Meta:
        model = PriceList
        fields = ["price_type", "valid_on"]

    def filter_valid_on(self, queryset, name, value):
        return queryset.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=value), valid_from__lte=value)


class PriceListItemFilter(django_filters.FilterSet):
    price_list = django_filters.ModelChoiceFilter(label=_("Price list"), queryset=PriceList.objects.all())
    product = django_filters.ModelChoiceFilter(label=_("Product"), queryset=Product.objects.all())

    class Meta:
        model = PriceListItem
        fields = ["price_list", "product"]
