"""Warehouse endpoints: warehouses, documents (drafts with nested lines; post, cancel), the command
endpoints `POST /api/stock/receipts/` and `/api/stock/shipments/` (create and post in one call),
reservations (release), stock on hand and inventory value as of a date, periods (close).

Every write goes through `fabrika.inventory.services`. A refused posting answers 409 with its
data (`InsufficientStock`: product, warehouse, wanted, available) and leaves the database as it
was; the command endpoints keep nothing at all when posting is refused.
"""

import django_filters
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from fabrika.access.api import ScopedViewSetMixin
from fabrika.access.policy import Policy, require
from fabrika.api.filters import StrictFilterBackend
from fabrika.api.router import router
from fabrika.api.serializers import ErrorSerializer

from . import queries
from .models import Reservation, StockDocument, Warehouse
from .serializers import (
    CommandDocumentSerializer,
    InventoryValueSerializer,
    PeriodCloseSerializer,
    PeriodSerializer,
    ReservationSerializer,
    StockDocumentSerializer,
    StockOnHandRowSerializer,
    StockQuerySerializer,
    ValueQuerySerializer,
    WarehouseSerializer,
)
from .services import (
    document_cancel,
    document_create,
    document_post,
    document_update,
    release,
    reserve,
    warehouse_create,
    warehouse_update,
)
from .services.periods import month_of, period_close

REFUSED = {
    400: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Invalid input (errors per field).")),
    409: OpenApiResponse(
        ErrorSerializer,
        description=gettext_lazy(
            "A business rule refused it: not enough stock (data: product, warehouse, wanted, available), "
            "a closed period, a document in the wrong state."
        ),
    ),
}


def refuse_unknown_params(request, allowed) -> None:
    """The StrictFilterBackend rule for endpoints that are not a model list."""
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        raise ValidationError(
            {
                "detail": _("Unknown filter: %(names)s. Allowed: %(allowed)s.")
                % {"names": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))}
            }
        )


def given(request) -> dict:
    """The query parameters that have a value (`?warehouse=&as_of=` means "all warehouses, now")."""
    return {key: value for key, value in request.query_params.items() if value != ""}


class InventoryViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    access_area = "inventory"
    filter_backends = [StrictFilterBackend]

    @property
    def actor(self):
        return self.request.user


# --- warehouses -----------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(responses={201: WarehouseSerializer, 400: REFUSED[400]}),
    update=extend_schema(responses={200: WarehouseSerializer, 400: REFUSED[400]}),
    partial_update=extend_schema(responses={200: WarehouseSerializer, 400: REFUSED[400]}),
)
class WarehouseViewSet(
    InventoryViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin
):
    """Warehouses and their locations. The valuation (fifo / average) is chosen at creation, once."""

    queryset = Warehouse.objects.prefetch_related("locations").order_by("code", "id")
    serializer_class = WarehouseSerializer
    filterset_fields = ["active", "valuation"]

    def perform_create(self, serializer):
        serializer.instance = warehouse_create(actor=self.actor, data=dict(serializer.validated_data))

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("valuation", None)
        serializer.instance = warehouse_update(actor=self.actor, warehouse=serializer.instance, data=data)


# --- documents ------------------------------------------------------------------------------------


class DocumentApiFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(choices=StockDocument.Type.choices)
    state = django_filters.ChoiceFilter(choices=StockDocument.State.choices)
    warehouse = django_filters.ModelChoiceFilter(
        queryset=Warehouse.objects.all(), method="filter_warehouse", label=gettext_lazy("Warehouse (either side)")
    )
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="date__lte")
    search = django_filters.CharFilter(method="filter_search", label=gettext_lazy("Number or counterparty"))

    class Meta:
        model = StockDocument
        fields = ["type", "state", "warehouse", "date_from", "date_to", "search"]

    def filter_warehouse(self, queryset, name, value):
        return queryset.filter(Q(warehouse=value) | Q(to_warehouse=value))

    def filter_search(self, queryset, name, value):
        for term in value.split():
            queryset = queryset.filter(Q(number__icontains=term) | Q(counterparty__name__icontains=term))
        return queryset


def _document_queryset():
    return StockDocument.objects.select_related("warehouse", "to_warehouse", "counterparty").prefetch_related(
        "lines", "moves"
    )


@extend_schema_view(
    create=extend_schema(responses={201: StockDocumentSerializer, 400: REFUSED[400]}),
    update=extend_schema(responses={200: StockDocumentSerializer, **REFUSED}),
    partial_update=extend_schema(responses={200: StockDocumentSerializer, **REFUSED}),
)
class StockDocumentViewSet(
    InventoryViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin
):
    """Warehouse documents: drafts with their lines, then `post/` (moves enter the ledger) or `cancel/`
    (a draft is dropped; a posted document is reversed by moves dated now)."""

    queryset = _document_queryset().order_by("-date", "-id")
    serializer_class = StockDocumentSerializer
    filterset_class = DocumentApiFilter
    access_actions = {"post_document": "post", "cancel_document": "post"}

    def perform_create(self, serializer):
        data, lines = serializer.split()
        serializer.instance = document_create(
            actor=self.actor, type=serializer.validated_data["type"], data=data, lines=lines or []
        )

    def perform_update(self, serializer):
        data, lines = serializer.split()
        serializer.instance = document_update(actor=self.actor, document=serializer.instance, data=data, lines=lines)

    def _answer(self, document):
        document = _document_queryset().get(pk=document.pk)
        return Response(StockDocumentSerializer(document, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: StockDocumentSerializer, 409: REFUSED[409]})
    @action(detail=True, methods=["post"], url_path="post", url_name="post")
    def post_document(self, request, pk=None):
        """Post the draft: its moves enter the ledger (refused with the numbers when stock is short)."""
        return self._answer(document_post(actor=request.user, document=self.get_object()))

    @extend_schema(request=None, responses={200: StockDocumentSerializer, 409: REFUSED[409]})
    @action(detail=True, methods=["post"], url_path="cancel", url_name="cancel")
    def cancel_document(self, request, pk=None):
        """Cancel: a draft is marked cancelled; a posted document is reversed by moves dated now."""
        return self._answer(document_cancel(actor=request.user, document=self.get_object()))


class StockCommandViewSet(InventoryViewSet, mixins.CreateModelMixin):
    """Create and post a document in one call: nothing is kept when posting is refused."""

    doc_type = StockDocument.Type.RECEIPT
    queryset = StockDocument.objects.none()
    serializer_class = CommandDocumentSerializer
    access_actions = {"create": "post"}

    def create(self, request, *args, **kwargs):
        require(request.user, "inventory", "add")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data, lines = serializer.split()
        with transaction.atomic():
            document = document_create(actor=request.user, type=self.doc_type, data=data, lines=lines or [])
            document = document_post(actor=request.user, document=document)
        document = _document_queryset().get(pk=document.pk)
        return Response(
            StockDocumentSerializer(document, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(create=extend_schema(responses={201: StockDocumentSerializer, **REFUSED}))
class StockReceiptViewSet(StockCommandViewSet):
    """`POST /api/stock/receipts/`: a receipt from a supplier, posted at once."""

    doc_type = StockDocument.Type.RECEIPT


@extend_schema_view(create=extend_schema(responses={201: StockDocumentSerializer, **REFUSED}))
class StockShipmentViewSet(StockCommandViewSet):
    """`POST /api/stock/shipments/`: a shipment to a customer, posted at once (lines may name their
    reservation, which the shipment consumes)."""

    doc_type = StockDocument.Type.SHIPMENT


# --- reservations ---------------------------------------------------------------------------------


class ReservationApiFilter(django_filters.FilterSet):
    class Meta:
        model = Reservation
        fields = ["state", "warehouse", "product", "lot"]


@extend_schema_view(create=extend_schema(responses={201: ReservationSerializer, **REFUSED}))
class ReservationViewSet(InventoryViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin):
    """Stock held for an order line; refused beyond what is available (409 with the numbers).
    `release/` gives the unshipped part back."""

    queryset = Reservation.objects.select_related("product", "warehouse", "lot").order_by("-created_at", "-id")
    serializer_class = ReservationSerializer
    filterset_class = ReservationApiFilter
    access_actions = {"release": "change"}

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = reserve(
            actor=self.actor,
            product=data["product"],
            warehouse=data["warehouse"],
            qty=data["qty"],
            reference=data["reference"],
            lot=data.get("lot"),
            counterparty=data.get("counterparty"),
        )

    @extend_schema(request=None, responses={200: ReservationSerializer, 409: REFUSED[409]})
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        reservation = release(actor=request.user, reservation=self.get_object())
        return Response(ReservationSerializer(reservation, context=self.get_serializer_context()).data)


# --- reports --------------------------------------------------------------------------------------

COMMON = {"limit", "offset", "format"}


class StockOnHandViewSet(viewsets.GenericViewSet):
    """Stock on hand per product and warehouse (or lot), now or as of the end of a day."""

    access_area = "inventory"
    serializer_class = StockOnHandRowSerializer
    pagination_class = LimitOffsetPagination
    filter_backends = []

    @extend_schema(parameters=[StockQuerySerializer], responses={200: StockOnHandRowSerializer(many=True), **REFUSED})
    def list(self, request):
        refuse_unknown_params(request, {*StockQuerySerializer().fields, *COMMON})
        query = StockQuerySerializer(data=given(request))
        query.is_valid(raise_exception=True)
        rows = queries.stock_on_hand(**query.validated_data)
        page = self.paginate_queryset(rows)
        if page is not None:
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        return Response(self.get_serializer(rows, many=True).data)


class StockValueViewSet(viewsets.ViewSet):
    """Inventory value, now or as of the end of a day: total, per warehouse, per product group.
    Needs the inventory cost right."""

    access_policy = Policy("inventory", "cost")

    @extend_schema(parameters=[ValueQuerySerializer], responses={200: InventoryValueSerializer, 400: REFUSED[400]})
    def list(self, request):
        refuse_unknown_params(request, {*ValueQuerySerializer().fields, "format"})
        query = ValueQuerySerializer(data=given(request))
        query.is_valid(raise_exception=True)
        report = queries.inventory_value(**query.validated_data)
        data = {
            "as_of": report.as_of,
            "total": report.total,
            "by_warehouse": [{"id": pk, "name": name, "value": value} for pk, name, value in report.by_warehouse],
            "by_group": [{"id": pk, "name": name, "value": value} for pk, name, value in report.by_group],
        }
        return Response(InventoryValueSerializer(data).data)


class PeriodViewSet(viewsets.ViewSet):
    """The months of the ledger and their state; `close/` closes a month (and the open ones before it)."""

    access_area = "inventory"
    access_actions = {"close": "post"}

    @extend_schema(responses={200: PeriodSerializer(many=True)})
    def list(self, request):
        refuse_unknown_params(request, {"format"})
        return Response(PeriodSerializer(queries.period_months(), many=True).data)

    @extend_schema(
        request=PeriodCloseSerializer,
        responses={200: PeriodSerializer, **REFUSED},
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, required=False)],
    )
    @action(detail=False, methods=["post"])
    def close(self, request):
        """Close the month: postings dated in it are refused from now on; a snapshot of the stock at its
        end is kept. Refused while draft documents are dated in it."""
        body = PeriodCloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        month = month_of(body.validated_data["month"])
        period_close(actor=request.user, month=month)
        row = next(r for r in queries.period_months() if r["month"] == month)
        return Response(PeriodSerializer(row).data)


router.register("warehouses", WarehouseViewSet, basename="warehouse")
router.register("stock-documents", StockDocumentViewSet, basename="stock-document")
router.register("stock/receipts", StockReceiptViewSet, basename="stock-receipt")
router.register("stock/shipments", StockShipmentViewSet, basename="stock-shipment")
router.register("stock/on-hand", StockOnHandViewSet, basename="stock-on-hand")
router.register("stock/value", StockValueViewSet, basename="stock-value")
router.register("reservations", ReservationViewSet, basename="reservation")
router.register("periods", PeriodViewSet, basename="period")
