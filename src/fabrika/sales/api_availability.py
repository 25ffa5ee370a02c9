"""The availability analysis of an order in the API (a mixin of the orders viewset):

    GET  /api/sales/orders/{id}/availability/?as_of=YYYY-MM-DD[&with_supply=true|false]
    POST /api/sales/orders/{id}/reserve-available/   → the reservations made
    POST /api/sales/orders/{id}/create-production/   → the production orders made (with child orders)
    POST /api/sales/orders/{id}/create-requests/     → the supplier requests made

The actions need sales/change, and besides reserving sales/post, production orders production/add,
supplier requests purchasing/add. A refusal answers 400 (`invalid`: nothing to produce or to buy)
or 409 with its data (`advance_required`, an illegal state…) and changes nothing.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from fabrika.access.policy import require
from fabrika.api.serializers import ErrorSerializer, Serializer
from fabrika.inventory.serializers import QtyField

from . import availability

REFUSED = {
    400: OpenApiResponse(ErrorSerializer, description=_("Nothing to produce or to buy (errors per field).")),
    403: OpenApiResponse(ErrorSerializer, description=_("The action needs a right the user does not have.")),
    409: OpenApiResponse(ErrorSerializer, description=_("A business rule refused it, with its data.")),
}


class AvailabilityQuerySerializer(Serializer):
    as_of = serializers.DateField(required=False, help_text=_("The date to look at; today when left out (stock only)."))
    with_supply = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Count open production orders and supplier requests due by then; by default when as_of is given."),
    )


class AvailabilityPartSerializer(Serializer):
    level = serializers.IntegerField(help_text=_("0: the line's product; 1, 2…: its BOM levels."))
    product = serializers.IntegerField(source="product.pk")
    product_code = serializers.CharField(source="product.code")
    product_name = serializers.CharField(source="product.name")
    required = QtyField()
    from_stock = QtyField()
    requested = QtyField(help_text=_("Covered by open supplier requests made for this order."))
    from_supply = QtyField(help_text=_("Covered by other open production orders and supplier requests due in time."))
    to_produce = QtyField()
    to_purchase = QtyField()
    ready = serializers.DateField(allow_null=True)
    phantom = serializers.BooleanField()


class AvailabilityLineSerializer(Serializer):
    line = serializers.IntegerField(source="line.pk")
    position = serializers.IntegerField(source="line.position")
    product = serializers.IntegerField(source="line.product_id")
    product_code = serializers.CharField(source="line.product.code")
    product_name = serializers.CharField(source="line.product.name")
    unit = serializers.CharField(source="line.product.unit.code", help_text=_("Quantities are in this base unit."))
    ordered = QtyField(help_text=_("Still to ship."))
    reserved = QtyField()
    in_production = QtyField()
    requested = QtyField()
    free = QtyField(help_text=_("Free stock of the product when the line's turn came."))
    from_stock = QtyField()
    from_supply = QtyField()
    to_produce = QtyField()
    to_purchase = QtyField()
    ready = serializers.DateField(allow_null=True)
    covered = serializers.BooleanField()
    parts = AvailabilityPartSerializer(many=True)


class AvailabilityPurchaseSerializer(Serializer):
    product = serializers.IntegerField(source="product.pk")
    product_code = serializers.CharField(source="product.code")
    qty = QtyField()
    needed_by = serializers.DateField()


class OrderAvailabilitySerializer(Serializer):
    order = serializers.IntegerField(source="order.pk")
    number = serializers.CharField(source="order.number")
    promised_date = serializers.DateField(source="order.promised_date", allow_null=True)
    as_of = serializers.DateField()
    with_supply = serializers.BooleanField()
    earliest = serializers.DateField(allow_null=True, help_text=_("The earliest possible delivery of the whole order."))
    lines = AvailabilityLineSerializer(many=True)
    purchases = serializers.SerializerMethodField()

    @extend_schema_field(AvailabilityPurchaseSerializer(many=True))
    def get_purchases(self, analysis) -> list[dict]:
        rows = [{"product": p, "qty": q, "needed_by": d} for p, q, d in analysis.purchases.values()]
        return AvailabilityPurchaseSerializer(rows, many=True).data


class AvailabilityReservationSerializer(Serializer):
    id = serializers.IntegerField()
    line = serializers.IntegerField(source="source_id")
    product = serializers.IntegerField(source="product_id")
    lot = serializers.IntegerField(source="lot_id", allow_null=True)
    qty = QtyField()


class AvailabilityProductionOrderSerializer(Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    product = serializers.IntegerField(source="product_id")
    product_code = serializers.CharField(source="product.code")
    qty = QtyField()
    state = serializers.CharField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    planned_finish = serializers.DateField(allow_null=True)


class AvailabilityRequestLineSerializer(Serializer):
    product = serializers.IntegerField(source="product_id")
    product_code = serializers.CharField(source="product.code")
    qty = QtyField()
    needed_by = serializers.DateField(allow_null=True)


class AvailabilityRequestSerializer(Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    state = serializers.CharField()
    supplier = serializers.IntegerField(source="supplier_id", allow_null=True)
    lines = serializers.SerializerMethodField()

    def get_lines(self, request) -> list[dict]:
        rows = request.lines.select_related("product").order_by("pk")
        return AvailabilityRequestLineSerializer(rows, many=True).data


class AvailabilityActionsMixin:
    """The availability endpoints of `OrderViewSet` (its `access_actions` name their rights)."""

    @extend_schema(parameters=[AvailabilityQuerySerializer], responses={200: OrderAvailabilitySerializer})
    @action(detail=True, methods=["get"])
    def availability(self, request, pk=None):
        """The availability analysis: per line free stock, reserved, in production, requested, what comes
        from stock and open supply, what must be produced and purchased (with every BOM level in
        `parts`), the ready dates and the earliest delivery."""
        order = self.get_object()
        query = AvailabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        analysis = availability.analyse(
            order, as_of=query.validated_data.get("as_of"), with_supply=query.validated_data.get("with_supply")
        )
        return Response(OrderAvailabilitySerializer(analysis).data)

    @extend_schema(request=None, responses={200: AvailabilityReservationSerializer(many=True), **REFUSED})
    @action(detail=True, methods=["post"], url_path="reserve-available", url_name="reserve-available")
    def reserve_available(self, request, pk=None):
        """Reserve for every line as much as is free in stock (needs sales/post as well)."""
        require(request.user, "sales", "post")
        made = availability.reserve_available(actor=request.user, order=self.get_object())
        return Response(AvailabilityReservationSerializer(made, many=True).data)

    @extend_schema(request=None, responses={201: AvailabilityProductionOrderSerializer(many=True), **REFUSED})
    @action(detail=True, methods=["post"], url_path="create-production", url_name="create-production")
    def create_production(self, request, pk=None):
        """Released production orders for what the lines must have made, with child orders for the short
        nodes (needs production/add as well; refused with `advance_required` while the advance is unpaid)."""
        require(request.user, "production", "add")
        made = availability.create_production(actor=request.user, order=self.get_object())
        return Response(AvailabilityProductionOrderSerializer(made, many=True).data, status=201)

    @extend_schema(request=None, responses={201: AvailabilityRequestSerializer(many=True), **REFUSED})
    @action(detail=True, methods=["post"], url_path="create-requests", url_name="create-requests")
    def create_requests(self, request, pk=None):
        """Draft supplier requests (one per supplier) for what must be bought (needs purchasing/add as well)."""
        require(request.user, "purchasing", "add")
        made = availability.create_requests(actor=request.user, order=self.get_object())
        return Response(AvailabilityRequestSerializer(made, many=True).data, status=201)
