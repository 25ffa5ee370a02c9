"""Shape of the sales API's input and output. Serializers check the shape only;
`fabrika.sales.services` checks the rules and writes."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fabrika.api.serializers import ModelSerializer, Serializer
from fabrika.catalog.models import PriceType, Product, Unit
from fabrika.crm.models import Contact, Counterparty, Deal
from fabrika.crm.serializers import ScopedRelatedField
from fabrika.inventory.models import Lot, Warehouse

from .models import (
    Invoice,
    Payment,
    PaymentAllocation,
    PaymentScheduleLine,
    PaymentTerms,
    SalesOrder,
    SalesOrderLine,
    Shipment,
)


class SalesOrderLineSerializer(ModelSerializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), required=False, allow_null=True, help_text=_("The product's unit when left out.")
    )
    price = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text=_("Left out: the order's price list. Another price needs the sales approve right."),
    )

    class Meta:
        model = SalesOrderLine
        fields = [
            "id",
            "position",
            "product",
            "description",
            "qty",
            "unit",
            "qty_base",
            "price",
            "discount_pct",
            "amount",
            "qty_shipped",
            "qty_returned",
            "configuration",
            "origin_kind",
            "origin_id",
            "origin_inputs",
        ]
        read_only_fields = ["id", "position", "qty_base", "amount", "qty_shipped", "qty_returned"]
        extra_kwargs = {"qty": {"min_value": None}, "discount_pct": {"required": False}}


class PaymentScheduleLineSerializer(ModelSerializer):
    class Meta:
        model = PaymentScheduleLine
        fields = ["id", "position", "percent", "trigger", "days", "amount", "due_date", "invoice"]
        read_only_fields = fields


class SalesOrderSerializer(ModelSerializer):
    counterparty = ScopedRelatedField(queryset=Counterparty.objects.all())
    contact = ScopedRelatedField(queryset=Contact.objects.all(), required=False, allow_null=True)
    deal = ScopedRelatedField(queryset=Deal.objects.all(), required=False, allow_null=True)
    manager = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, help_text=_("You when left out.")
    )
    warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.all(), required=False)
    price_type = serializers.PrimaryKeyRelatedField(queryset=PriceType.objects.all(), required=False, allow_null=True)
    payment_terms = serializers.PrimaryKeyRelatedField(
        queryset=PaymentTerms.objects.all(), required=False, allow_null=True
    )
    lines = SalesOrderLineSerializer(many=True, required=False, help_text=_("Replaces every line when sent (drafts)."))
    schedule = PaymentScheduleLineSerializer(many=True, read_only=True)

    class Meta:
        model = SalesOrder
        fields = [
            "id",
            "number",
            "state",
            "counterparty",
            "contact",
            "manager",
            "order_date",
            "promised_date",
            "warehouse",
            "currency",
            "price_type",
            "payment_terms",
            "advance_policy",
            "delivery_address",
            "note",
            "deal",
            "vat_rate",
            "subtotal",
            "discount_amount",
            "vat_amount",
            "total",
            "lines",
            "schedule",
            "created_at",
            "confirmed_at",
            "work_started_at",
            "closed_at",
            "cancelled_at",
            "cancel_reason",
        ]
        read_only_fields = [
            "id",
            "number",
            "state",
            "vat_rate",
            "subtotal",
            "discount_amount",
            "vat_amount",
            "total",
            "created_at",
            "confirmed_at",
            "work_started_at",
            "closed_at",
            "cancelled_at",
            "cancel_reason",
        ]
        extra_kwargs = {
            "order_date": {"required": False},
            "currency": {"required": False},
            "delivery_address": {"required": False},
        }

    def validate(self, attrs):
        if self.instance is None and not attrs.get("lines"):
            raise serializers.ValidationError({"lines": [_("Add at least one line.")]})
        return attrs

    def split(self) -> tuple[dict, list[dict] | None]:
        data = dict(self.validated_data)
        lines = data.pop("lines", None)
        if lines is not None:
            lines = [{k: v for k, v in dict(line).items()} for line in lines]
        if self.instance is not None:
            data = {k: v for k, v in data.items() if _value(self.instance, k) != getattr(v, "pk", v)}
        return data, lines


def _value(order, name):
    field = SalesOrder._meta.get_field(name)
    return getattr(order, field.attname)


class OrderCancelSerializer(Serializer):
    confirm = serializers.BooleanField(
        default=False, help_text=_("Without it nothing happens: the answer lists what would be cancelled.")
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)


class OrderCancelItemSerializer(Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    detail = serializers.CharField()
    url = serializers.CharField()
    blocking = serializers.BooleanField()


class OrderReserveSerializer(Serializer):
    line = serializers.IntegerField(required=False, help_text=_("One line (its id); every stocked line when left out."))
    qty = serializers.DecimalField(
        max_digits=20, decimal_places=6, required=False, help_text=_("Base units; all the line still needs by default.")
    )
    lot = serializers.PrimaryKeyRelatedField(queryset=Lot.objects.all(), required=False, allow_null=True)
    partial = serializers.BooleanField(
        default=False, help_text=_("Whole order: hold what is free instead of refusing.")
    )


class OrderReleaseSerializer(Serializer):
    line = serializers.IntegerField(required=False)


class OrderQtyLineSerializer(Serializer):
    line = serializers.IntegerField(help_text=_("The order line's id."))
    qty = serializers.DecimalField(max_digits=20, decimal_places=6, help_text=_("In the line's unit."))


class OrderShipSerializer(Serializer):
    lines = OrderQtyLineSerializer(many=True)
    carrier = serializers.CharField(required=False, allow_blank=True, default="")
    vehicle = serializers.CharField(required=False, allow_blank=True, default="")
    delivery_address = serializers.CharField(required=False, allow_blank=True, default="")
    shipping_cost = serializers.DecimalField(max_digits=18, decimal_places=2, required=False, default=0)
    planned_delivery = serializers.DateField(required=False, allow_null=True, default=None)
    post = serializers.BooleanField(default=True, help_text=_("False: a planned shipment (a draft document)."))


class OrderReturnSerializer(Serializer):
    lines = OrderQtyLineSerializer(many=True)
    credit = serializers.BooleanField(default=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class SalesShipmentSerializer(ModelSerializer):
    number = serializers.CharField(source="document.number", read_only=True)
    lines = serializers.SerializerMethodField()

    class Meta:
        model = Shipment
        fields = [
            "id",
            "number",
            "document",
            "state",
            "carrier",
            "vehicle",
            "delivery_address",
            "shipping_cost",
            "planned_delivery",
            "shipped_at",
            "lines",
        ]
        read_only_fields = fields

    def get_lines(self, shipment) -> list[dict]:
        return [{"line": sl.order_line_id, "qty": str(sl.qty)} for sl in shipment.lines.all()]


class SalesInvoiceSerializer(ModelSerializer):
    order = serializers.PrimaryKeyRelatedField(queryset=SalesOrder.objects.all())
    schedule_line = serializers.PrimaryKeyRelatedField(
        queryset=PaymentScheduleLine.objects.all(), required=False, allow_null=True, write_only=True
    )
    amount = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text=_("With VAT. Left out: the schedule part's amount, else what is left to invoice."),
    )
    issue_date = serializers.DateField(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    open_amount = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "kind",
            "state",
            "order",
            "schedule_line",
            "counterparty",
            "issue_date",
            "due_date",
            "currency",
            "amount",
            "vat_rate",
            "vat_amount",
            "paid_amount",
            "open_amount",
            "note",
            "created_at",
            "cancelled_at",
        ]
        read_only_fields = [
            "id",
            "number",
            "state",
            "counterparty",
            "currency",
            "vat_rate",
            "vat_amount",
            "paid_amount",
            "created_at",
            "cancelled_at",
        ]


class PaymentAllocationSerializer(ModelSerializer):
    invoice = serializers.PrimaryKeyRelatedField(queryset=Invoice.objects.all())

    class Meta:
        model = PaymentAllocation
        fields = ["id", "invoice", "amount"]
        read_only_fields = ["id"]


class SalesPaymentSerializer(ModelSerializer):
    counterparty = ScopedRelatedField(queryset=Counterparty.objects.all())
    allocations = PaymentAllocationSerializer(many=True, required=False)
    auto_allocate = serializers.BooleanField(
        default=False, write_only=True, help_text=_("Pay the customer's open invoices, the ones due first first.")
    )
    unallocated = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "number",
            "counterparty",
            "date",
            "amount",
            "currency",
            "reference",
            "note",
            "allocations",
            "auto_allocate",
            "allocated_amount",
            "unallocated",
            "created_at",
        ]
        read_only_fields = ["id", "number", "allocated_amount", "created_at"]
        extra_kwargs = {"currency": {"required": False}, "amount": {"min_value": None}}


class PaymentAllocateSerializer(Serializer):
    allocations = PaymentAllocationSerializer(many=True)
