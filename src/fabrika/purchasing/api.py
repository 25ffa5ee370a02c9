"""Supplier request endpoints: `GET/POST /api/supplier-requests/`, `GET /api/supplier-requests/{id}/`
and `POST /api/supplier-requests/{id}/transition/` (`{"to": "ordered"}`).

Every write goes through `fabrika.purchasing.services`: bad input answers 400 with the errors per
field (`lines.0.qty`), an illegal move 409 with the states, and changes nothing.
"""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fabrika.access.api import ScopedViewSetMixin
from fabrika.api.router import router
from fabrika.api.serializers import ErrorSerializer
from fabrika.crm.models import Counterparty

from . import services
from .models import SupplierRequest
from .serializers import SupplierRequestSerializer, TransitionSerializer

REFUSED = {
    400: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Invalid input (errors per field).")),
    409: OpenApiResponse(ErrorSerializer, description=gettext_lazy("The request is in a state that refuses it.")),
}


class RequestApiFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=SupplierRequest.State.choices)
    supplier = django_filters.ModelChoiceFilter(queryset=Counterparty.objects.filter(is_supplier=True))
    product = django_filters.NumberFilter(method="filter_product", label=gettext_lazy("Product id"))
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")
    search = django_filters.CharFilter(method="filter_search", label=gettext_lazy("Number, supplier or source"))

    class Meta:
        model = SupplierRequest
        fields = ["state", "supplier", "product", "date_from", "date_to", "search"]

    def filter_product(self, queryset, name, value):
        return queryset.filter(pk__in=SupplierRequest.objects.filter(lines__product_id=value).values("pk"))

    def filter_search(self, queryset, name, value):
        for term in value.split():
            queryset = queryset.filter(
                Q(number__icontains=term) | Q(supplier__name__icontains=term) | Q(source_label__icontains=term)
            )
        return queryset


def _queryset():
    return SupplierRequest.objects.select_related("supplier", "source_type").prefetch_related(
        "lines", "lines__source_type"
    )


@extend_schema_view(create=extend_schema(responses={201: SupplierRequestSerializer, 400: REFUSED[400]}))
class SupplierRequestViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The supplier request journal: drafts with their lines, then `transition/` through
    draft → sent → ordered → received (or cancelled from draft, sent or ordered)."""

    access_area = "purchasing"
    access_actions = {"transition": "change"}
    queryset = _queryset().order_by("-date", "-id")
    serializer_class = SupplierRequestSerializer
    filterset_class = RequestApiFilter
    ordering_fields = ["date", "number", "needed_by", "state"]

    def perform_create(self, serializer):
        data, lines = serializer.split()
        serializer.instance = services.request_create(actor=self.request.user, data=data, lines=lines)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        obj = _queryset().get(pk=serializer.instance.pk)
        body = SupplierRequestSerializer(obj, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=TransitionSerializer, responses={200: SupplierRequestSerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the request to the state `to` (sending this way needs a supplier and a line)."""
        asked = TransitionSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        obj = services.request_transition(
            actor=request.user, request=self.get_object(), to_state=asked.validated_data["to"]
        )
        obj = _queryset().get(pk=obj.pk)
        return Response(SupplierRequestSerializer(obj, context=self.get_serializer_context()).data)


router.register("supplier-requests", SupplierRequestViewSet, basename="supplier-request")
