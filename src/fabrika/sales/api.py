"""Sales endpoints: orders (CRUD of drafts, then command endpoints confirm, start, close, cancel,
reserve, release, ship, return), invoices (issue, cancel), payments (record, allocate).

Every write goes through `fabrika.sales.services`; record scope comes from `ScopedViewSetMixin`
(an order of another manager outside the user's scope is a 404). A refused operation answers 409
with its data (`InsufficientStock`, `DiscountOverLimit`, `MoreThanReserved`…) and changes nothing.
"""

import django_filters
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from fabrika.access.api import ScopedViewSetMixin
from fabrika.access.policy import restrict
from fabrika.api.filters import StrictFilterBackend
from fabrika.api.router import router
from fabrika.api.serializers import ErrorSerializer
from fabrika.crm.api import StrictOrderingFilter

from . import services
from .api_availability import AvailabilityActionsMixin
from .filters import InvoiceFilter, OrderFilter, PaymentFilter
from .models import Invoice, Payment, SalesOrder, SalesOrderLine
from .queries import order_search
from .serializers import (
    OrderCancelItemSerializer,
    OrderCancelSerializer,
    OrderReleaseSerializer,
    OrderReserveSerializer,
    OrderReturnSerializer,
    OrderShipSerializer,
    PaymentAllocateSerializer,
    SalesInvoiceSerializer,
    SalesOrderSerializer,
    SalesPaymentSerializer,
    SalesShipmentSerializer,
)

REFUSED = {
    400: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Invalid input (errors per field).")),
    409: OpenApiResponse(
        ErrorSerializer,
        description=gettext_lazy(
            "A business rule refused it (with data): an illegal state change, not enough stock, a discount "
            "over the limit, more than reserved, an overpayment."
        ),
    ),
}


class SalesViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    access_area = "sales"
    filter_backends = [StrictFilterBackend, StrictOrderingFilter]

    @property
    def actor(self):
        return self.request.user


# --- orders -----------------------------------------------------------------------------------


class OrderApiFilter(OrderFilter):
    search = django_filters.CharFilter(method="filter_search", label=gettext_lazy("Number or customer"))

    class Meta(OrderFilter.Meta):
        fields = [*OrderFilter.Meta.fields, "search"]

    def filter_search(self, queryset, name, value):
        return order_search(queryset, value)


def _orders():
    return SalesOrder.objects.select_related("counterparty", "manager").prefetch_related("lines", "schedule")


@extend_schema_view(
    create=extend_schema(responses={201: SalesOrderSerializer, **REFUSED}),
    update=extend_schema(responses={200: SalesOrderSerializer, **REFUSED}),
    partial_update=extend_schema(responses={200: SalesOrderSerializer, **REFUSED}),
    destroy=extend_schema(responses={204: None, **REFUSED}),
)
class OrderViewSet(
    AvailabilityActionsMixin,
    SalesViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    """Customer orders. A draft changes freely (lines replace all lines); a confirmed order only its
    contact, dates, address, note, manager and advance policy. Only a draft is deleted."""

    queryset = _orders().order_by("-order_date", "-id")
    serializer_class = SalesOrderSerializer
    filterset_class = OrderApiFilter
    ordering_fields = ["order_date", "promised_date", "number", "total", "id"]
    access_actions = {
        "confirm": "change",
        "start": "change",
        "close": "change",
        "cancel": "change",
        "cancel_preview": "view",
        "reserve": "post",
        "release": "post",
        "ship": "post",
        "return_goods": "post",
        "availability": "view",
        "reserve_available": "change",  # and sales/post
        "create_production": "change",  # and production/add
        "create_requests": "change",  # and purchasing/add
    }

    def perform_create(self, serializer):
        data, lines = serializer.split()
        serializer.instance = services.order_create(actor=self.actor, data=data, lines=lines or [])

    def perform_update(self, serializer):
        data, lines = serializer.split()
        serializer.instance = services.order_update(actor=self.actor, order=serializer.instance, data=data, lines=lines)

    def perform_destroy(self, instance):
        services.order_delete(actor=self.actor, order=instance)

    def _answer(self, order):
        return Response(SalesOrderSerializer(_orders().get(pk=order.pk), context=self.get_serializer_context()).data)

    def _line(self, order, line_id):
        line = SalesOrderLine.objects.filter(order=order, pk=line_id).select_related("order").first()
        if line is None:
            raise NotFound(gettext_lazy("The order has no such line."))
        return line

    @extend_schema(request=None, responses={200: SalesOrderSerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Draft → confirmed; the roles in the sales settings get a task."""
        return self._answer(services.order_confirm(actor=request.user, order=self.get_object()))

    @extend_schema(request=None, responses={200: SalesOrderSerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Confirmed → in work (refused with `advance_required` when the policy blocks and the advance is unpaid)."""
        return self._answer(services.order_start_work(actor=request.user, order=self.get_object()))

    @extend_schema(request=None, responses={200: SalesOrderSerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Shipped → closed."""
        return self._answer(services.order_close(actor=request.user, order=self.get_object()))

    @extend_schema(responses={200: OrderCancelItemSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="cancel-preview", url_name="cancel-preview")
    def cancel_preview(self, request, pk=None):
        """What cancelling the order would cancel; items with `blocking` stop it."""
        items = services.order_cancel_preview(self.get_object())
        return Response(OrderCancelItemSerializer([i.as_dict() for i in items], many=True).data)

    @extend_schema(request=OrderCancelSerializer, responses={200: SalesOrderSerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel with everything that hangs on the order. Without `confirm: true` the answer is a 409
        `confirm_cancel` listing what would be cancelled."""
        body = OrderCancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = services.order_cancel(
            actor=request.user,
            order=self.get_object(),
            confirm=body.validated_data["confirm"],
            reason=body.validated_data.get("reason", ""),
        )
        return self._answer(order)

    @extend_schema(request=OrderReserveSerializer, responses={200: SalesOrderSerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def reserve(self, request, pk=None):
        """Hold stock for a line or for the whole order (all or nothing unless `partial`)."""
        order = self.get_object()
        body = OrderReserveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data.get("line"):
            services.order_reserve_line(
                actor=request.user, line=self._line(order, data["line"]), qty=data.get("qty"), lot=data.get("lot")
            )
        else:
            services.order_reserve(actor=request.user, order=order, partial=data["partial"])
        return self._answer(order)

    @extend_schema(request=OrderReleaseSerializer, responses={200: SalesOrderSerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        order = self.get_object()
        body = OrderReleaseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if body.validated_data.get("line"):
            services.order_release_line(actor=request.user, line=self._line(order, body.validated_data["line"]))
        else:
            services.order_release(actor=request.user, order=order)
        return self._answer(order)

    @extend_schema(request=OrderShipSerializer, responses={201: SalesShipmentSerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def ship(self, request, pk=None):
        """Ship (or plan, `post: false`) quantities of the lines from their reservations."""
        order = self.get_object()
        body = OrderShipSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        lines = [(self._line(order, item["line"]), item["qty"]) for item in data.pop("lines")]
        shipment = services.shipment_create(actor=request.user, order=order, lines=lines, **data)
        return Response(SalesShipmentSerializer(shipment).data, status=201)

    @extend_schema(request=OrderReturnSerializer, responses={200: SalesOrderSerializer, **REFUSED})
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_goods(self, request, pk=None):
        """Goods come back from the customer (a posted return document; a credit note with `credit`)."""
        order = self.get_object()
        body = OrderReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        lines = [(self._line(order, item["line"]), item["qty"]) for item in data["lines"]]
        services.order_return(
            actor=request.user, order=order, lines=lines, credit=data["credit"], reason=data["reason"]
        )
        return self._answer(order)


# --- invoices ---------------------------------------------------------------------------------


@extend_schema_view(create=extend_schema(responses={201: SalesInvoiceSerializer, **REFUSED}))
class InvoiceViewSet(SalesViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin):
    """Invoices of orders (amounts with VAT). Issuing needs sales/post."""

    queryset = Invoice.objects.select_related("counterparty", "order").order_by("-issue_date", "-id")
    serializer_class = SalesInvoiceSerializer
    filterset_class = InvoiceFilter
    ordering_fields = ["issue_date", "due_date", "number", "amount", "id"]
    access_actions = {"create": "post", "cancel": "post"}

    def perform_create(self, serializer):
        data = serializer.validated_data
        order = data["order"]
        if not restrict(self.actor, "post", SalesOrder.objects.filter(pk=order.pk)).exists():
            raise NotFound(gettext_lazy("No such order."))
        serializer.instance = services.invoice_create(
            actor=self.actor,
            order=order,
            kind=data.get("kind") or Invoice.Kind.REGULAR,
            amount=data.get("amount"),
            schedule_line=data.get("schedule_line"),
            issue_date=data.get("issue_date"),
            due_date=data.get("due_date"),
            note=data.get("note", ""),
        )

    @extend_schema(request=None, responses={200: SalesInvoiceSerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        invoice = services.invoice_cancel(actor=request.user, invoice=self.get_object())
        return Response(SalesInvoiceSerializer(invoice, context=self.get_serializer_context()).data)


# --- payments ---------------------------------------------------------------------------------


@extend_schema_view(create=extend_schema(responses={201: SalesPaymentSerializer, **REFUSED}))
class PaymentViewSet(SalesViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin):
    """Money received, and the invoices it pays (an overpayment is refused with the numbers)."""

    queryset = Payment.objects.select_related("counterparty").prefetch_related("allocations").order_by("-date", "-id")
    serializer_class = SalesPaymentSerializer
    filterset_class = PaymentFilter
    ordering_fields = ["date", "amount", "number", "id"]
    access_actions = {"create": "post", "allocate": "post"}

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.payment_create(
            actor=self.actor,
            counterparty=data["counterparty"],
            date=data["date"],
            amount=data["amount"],
            currency=data.get("currency", ""),
            reference=data.get("reference", ""),
            note=data.get("note", ""),
            allocations=[(a["invoice"], a["amount"]) for a in data.get("allocations", [])],
            auto_allocate=data.get("auto_allocate", False),
        )

    @extend_schema(request=PaymentAllocateSerializer, responses={200: SalesPaymentSerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def allocate(self, request, pk=None):
        payment = self.get_object()
        body = PaymentAllocateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        payment = services.payment_allocate(
            actor=request.user,
            payment=payment,
            allocations=[(a["invoice"], a["amount"]) for a in body.validated_data["allocations"]],
        )
        payment = Payment.objects.prefetch_related("allocations").get(pk=payment.pk)
        return Response(SalesPaymentSerializer(payment, context=self.get_serializer_context()).data)


router.register("sales/orders", OrderViewSet, basename="sales-order")
router.register("sales/invoices", InvoiceViewSet, basename="sales-invoice")
router.register("sales/payments", PaymentViewSet, basename="sales-payment")
