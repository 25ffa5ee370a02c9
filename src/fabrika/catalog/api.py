"""Catalog endpoints: products (with their stock), units, groups and their characteristics
templates, price types, price lists and their items.

Every write goes through `fabrika.catalog.services`; serializers only check the input's shape.
"""

import django_filters
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from fabrika.access.api import ScopedViewSetMixin
from fabrika.api.filters import StrictFilterBackend
from fabrika.api.router import router
from fabrika.api.serializers import ErrorSerializer  # the one shape of a refused request

from . import services
from .filters import PriceListFilter, PriceListItemFilter, ProductFilter, product_search
from .models import PriceList, PriceListItem, PriceType, Product, ProductGroup, Unit
from .queries import cost_allowed, group_paths, product_stock
from .serializers import (
    PriceListItemSerializer,
    PriceListSerializer,
    PriceTypeSerializer,
    ProductGroupSerializer,
    ProductSerializer,
    StockRowSerializer,
    UnitSerializer,
)

REFUSED = {
    400: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Invalid input (errors per field).")),
    409: OpenApiResponse(ErrorSerializer, description=gettext_lazy("A business rule refused the change.")),
}


def crud_schema(serializer):
    return extend_schema_view(
        create=extend_schema(responses={201: serializer, 400: REFUSED[400]}),
        update=extend_schema(responses={200: serializer, 400: REFUSED[400]}),
        partial_update=extend_schema(responses={200: serializer, 400: REFUSED[400]}),
        destroy=extend_schema(responses={204: None, 409: REFUSED[409]}),
    )


def refuse_unknown_params(request, allowed) -> None:
    """The StrictFilterBackend rule for actions that are not a model list."""
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        raise ValidationError(
            {
                "detail": _("Unknown filter: %(names)s. Allowed: %(allowed)s.")
                % {"names": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))}
            }
        )


class PkOrderingFilter(OrderingFilter):
    """`?ordering=` among the declared fields, always ending on the primary key (stable pages)."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = [item[0] for item in self.get_valid_fields(queryset, view, {"request": request})]
        unknown = [term for term in fields if term.lstrip("-") not in valid]
        if unknown:
            raise ValidationError(
                {
                    "ordering": [
                        _("Cannot sort by %(names)s. Allowed: %(allowed)s.")
                        % {"names": ", ".join(unknown), "allowed": ", ".join(sorted(valid))}
                    ]
                }
            )
        return fields

    def filter_queryset(self, request, queryset, view):
        ordering = list(self.get_ordering(request, queryset, view) or ())
        if ordering and not {"id", "-id", "pk", "-pk"} & set(ordering):
            ordering.append("id")
        return queryset.order_by(*ordering) if ordering else queryset


class CatalogViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    access_area = "catalog"
    filter_backends = [StrictFilterBackend, PkOrderingFilter]

    @property
    def actor(self):
        return self.request.user


# ---------------------------------------------------------------------------------------------
# units


@crud_schema(UnitSerializer)
class UnitViewSet(CatalogViewSet):
    """Units of measure; a unit used by products or conversions cannot be deleted."""

    queryset = Unit.objects.all()
    serializer_class = UnitSerializer
    ordering_fields = ["code", "name", "id"]
    ordering = ["code", "id"]

    def perform_create(self, serializer):
        serializer.instance = services.unit_save(actor=self.actor, data=dict(serializer.validated_data))

    def perform_update(self, serializer):
        serializer.instance = services.unit_save(
            actor=self.actor, data=dict(serializer.validated_data), unit=serializer.instance
        )

    def perform_destroy(self, instance):
        services.unit_delete(actor=self.actor, unit=instance)


# ---------------------------------------------------------------------------------------------
# products


class ProductApiFilter(ProductFilter):
    search = django_filters.CharFilter(label=gettext_lazy("Search: code, name, barcode"), method="filter_search")

    class Meta(ProductFilter.Meta):
        fields = [*ProductFilter.Meta.fields, "search"]

    def filter_search(self, queryset, name, value):
        return product_search(queryset, value) if value.strip() else queryset


@extend_schema_view(
    create=extend_schema(responses={201: ProductSerializer, 400: REFUSED[400]}),
    update=extend_schema(responses={200: ProductSerializer, 400: REFUSED[400]}),
    partial_update=extend_schema(responses={200: ProductSerializer, 400: REFUSED[400]}),
    destroy=extend_schema(
        description="Archives the product (it stays, with `active: false`, for its history).",
        responses={204: None},
    ),
)
class ProductViewSet(CatalogViewSet):
    """Products: components, nodes, finished products, services and kits.

    DELETE archives a product (needs catalog/delete); its moves, prices and history stay;
    POST …/restore/ brings it back (catalog/change).
    """

    queryset = Product.objects.select_related("unit", "group").prefetch_related("conversions__unit")
    serializer_class = ProductSerializer
    filterset_class = ProductApiFilter
    ordering_fields = ["code", "name", "type", "created_at", "updated_at", "id"]
    ordering = ["code", "id"]
    access_actions = {"restore": "change"}

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action == "list":
            context["group_paths"] = group_paths()  # one query instead of a walk up per row
        return context

    @staticmethod
    def _split(serializer) -> dict:
        data = dict(serializer.validated_data)
        extra = {
            "characteristics": data.pop("characteristics", None),
            "conversions": [dict(c) for c in data["conversions"]] if "conversions" in data else None,
        }
        data.pop("conversions", None)
        if "photo" in data:
            photo = data.pop("photo")
            extra["photo"] = photo if photo else False
        return data, extra

    def perform_create(self, serializer):
        data, extra = self._split(serializer)
        if extra.get("photo") is False:
            extra["photo"] = None
        serializer.instance = services.product_create(actor=self.actor, data=data, **extra)

    def perform_update(self, serializer):
        data, extra = self._split(serializer)
        serializer.instance = services.product_update(actor=self.actor, product=serializer.instance, data=data, **extra)

    def perform_destroy(self, instance):
        services.product_archive(actor=self.actor, product=instance)

    @extend_schema(request=None, responses={200: ProductSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        """Bring an archived product back into use."""
        product = services.product_restore(actor=request.user, product=self.get_object())
        return Response(ProductSerializer(product, context=self.get_serializer_context()).data)

    @extend_schema(responses=StockRowSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"])
    def stock(self, request, pk=None):
        """On hand, reserved and available per warehouse (value and average cost with the cost right)."""
        refuse_unknown_params(request, {"format"})
        product = self.get_object()
        with_cost = cost_allowed(request.user)
        rows = []
        for row in product_stock(product).rows:
            item = {
                "warehouse": {"id": row.warehouse.pk, "code": row.warehouse.code, "name": row.warehouse.name},
                "on_hand": row.on_hand,
                "reserved": row.reserved,
                "available": row.available,
            }
            if with_cost:
                item.update(value=row.value, average_cost=row.average_cost)
            rows.append(item)
        return Response(StockRowSerializer(rows, many=True).data)


# ---------------------------------------------------------------------------------------------
# groups


@crud_schema(ProductGroupSerializer)
class ProductGroupViewSet(CatalogViewSet):
    """The product group tree with each group's characteristics template.

    A group cannot move under itself or its own subgroups (400 naming the loop).
    """

    queryset = ProductGroup.objects.select_related("parent").prefetch_related("characteristics")
    serializer_class = ProductGroupSerializer
    filterset_fields = ["parent"]
    ordering_fields = ["name", "code", "id"]
    ordering = ["name", "id"]

    def _save(self, serializer, group=None):
        data = dict(serializer.validated_data)
        items = data.pop("characteristics", None)
        with transaction.atomic():
            if group is None:
                group = services.group_create(actor=self.actor, data=data)
            else:
                group = services.group_update(actor=self.actor, group=group, data=data)
            if items is not None:
                services.characteristics_set(actor=self.actor, group=group, items=[dict(i) for i in items])
        serializer.instance = ProductGroup.objects.get(pk=group.pk)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        services.group_delete(actor=self.actor, group=instance)


# ---------------------------------------------------------------------------------------------
# prices


@crud_schema(PriceTypeSerializer)
class PriceTypeViewSet(CatalogViewSet):
    """Price types: retail, wholesale, dealer…"""

    queryset = PriceType.objects.all()
    serializer_class = PriceTypeSerializer
    ordering_fields = ["name", "code", "id"]
    ordering = ["name", "id"]

    def perform_create(self, serializer):
        serializer.instance = services.price_type_save(actor=self.actor, data=dict(serializer.validated_data))

    def perform_update(self, serializer):
        serializer.instance = services.price_type_save(
            actor=self.actor, data=dict(serializer.validated_data), price_type=serializer.instance
        )

    def perform_destroy(self, instance):
        services.price_type_delete(actor=self.actor, price_type=instance)


@crud_schema(PriceListSerializer)
class PriceListViewSet(CatalogViewSet):
    """Sale price lists of a price type, valid from a day to a day (or open-ended), in one currency."""

    queryset = PriceList.objects.select_related("price_type").annotate(item_count=Count("items"))
    serializer_class = PriceListSerializer
    filterset_class = PriceListFilter
    ordering_fields = ["name", "valid_from", "valid_to", "id"]
    ordering = ["-valid_from", "id"]

    def perform_create(self, serializer):
        serializer.instance = services.price_list_create(actor=self.actor, data=dict(serializer.validated_data))

    def perform_update(self, serializer):
        serializer.instance = services.price_list_update(
            actor=self.actor, price_list=serializer.instance, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance):
        services.price_list_delete(actor=self.actor, price_list=instance)

    @extend_schema(responses=PriceListItemSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"])
    def items(self, request, pk=None):
        """The prices of the list, by product code (change them through /api/price-list-items/)."""
        refuse_unknown_params(request, {"limit", "offset", "format"})
        price_list = self.get_object()
        queryset = price_list.items.select_related("product").order_by("product__code", "id")
        page = self.paginate_queryset(queryset)
        if page is not None:
            return self.get_paginated_response(PriceListItemSerializer(page, many=True).data)
        return Response(PriceListItemSerializer(queryset, many=True).data)


@crud_schema(PriceListItemSerializer)
class PriceListItemViewSet(CatalogViewSet):
    """One product's price in one price list (one price per product and list)."""

    queryset = PriceListItem.objects.select_related("product", "price_list")
    serializer_class = PriceListItemSerializer
    filterset_class = PriceListItemFilter
    ordering_fields = ["price", "id"]
    ordering = ["price_list", "product__code", "id"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.price_item_save(
            actor=self.actor, price_list=data["price_list"], product=data["product"], price=data["price"]
        )

    def perform_update(self, serializer):
        item, data = serializer.instance, serializer.validated_data
        if data.get("price_list", item.price_list).pk != item.price_list_id:
            raise ValidationError({"price_list": [_("A price stays in its list; add it to the other list instead.")]})
        serializer.instance = services.price_item_save(
            actor=self.actor,
            price_list=item.price_list,
            product=data.get("product", item.product),
            price=data.get("price", item.price),
            item=item,
        )

    def perform_destroy(self, instance):
        services.price_item_delete(actor=self.actor, item=instance)


router.register("products", ProductViewSet, basename="product")
router.register("units", UnitViewSet, basename="unit")
router.register("product-groups", ProductGroupViewSet, basename="product-group")
router.register("price-types", PriceTypeViewSet, basename="price-type")
router.register("price-lists", PriceListViewSet, basename="price-list")
router.register("price-list-items", PriceListItemViewSet, basename="price-list-item")
