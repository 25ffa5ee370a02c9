"""Shape of the production API's input and output.

Serializers check the shape only; `fabrika.production.services` checks the rules and writes.
Input errors answer like a service's `ValidationFailed` (`errors` per field, nested fields with
dots: `lines.0.qty`). Costs, rates and values are left out for users without production/cost.
"""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fabrika.access.policy import can
from fabrika.api.serializers import ModelSerializer, Serializer
from fabrika.catalog.models import Product, Unit
from fabrika.inventory.models import Lot, StockMove, Warehouse
from fabrika.inventory.serializers import QtyField

from .models import (
    Bom,
    BomLine,
    Operation,
    OrderLine,
    OrderOperation,
    ProductionOrder,
    ProductionReport,
    ReportOperation,
    TechCard,
    WorkCentre,
)
from .queries import COST_METHODS


def sees_cost(context) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated and can(user, "production", "cost")


class CostFieldsMixin:
    """Drops `cost_fields` from the output for users without production/cost."""

    cost_fields: tuple[str, ...] = ()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not sees_cost(self.context):
            for name in self.cost_fields:
                data.pop(name, None)
        return data


# --- work centres, BOMs, tech cards -----------------------------------------------------------------


class WorkCentreSerializer(CostFieldsMixin, ModelSerializer):
    cost_fields = ("hourly_rate",)

    class Meta:
        model = WorkCentre
        fields = ["id", "code", "name", "hourly_rate", "hours_per_day", "active"]
        read_only_fields = ["id"]
        extra_kwargs = {"code": {"validators": []}}  # uniqueness is the service's rule


class BomLineSerializer(ModelSerializer):
    component = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), required=False, allow_null=True, help_text=_("The base unit when left out.")
    )
    qty = QtyField()
    qty_base = QtyField(read_only=True)

    class Meta:
        model = BomLine
        fields = ["id", "position", "component", "qty", "unit", "qty_base", "scrap_pct", "phantom", "note"]
        read_only_fields = ["id", "position", "qty_base"]


class BomSerializer(ModelSerializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    lines = BomLineSerializer(many=True, required=False, help_text=_("Replaces every line when sent."))

    class Meta:
        model = Bom
        fields = [
            "id",
            "product",
            "version",
            "name",
            "valid_from",
            "valid_to",
            "is_active",
            "is_custom",
            "note",
            "lines",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "version", "is_active", "is_custom", "created_at", "updated_at"]

    def validate_product(self, value):
        if self.instance is not None and value != self.instance.product:
            raise serializers.ValidationError(_("The product of a BOM cannot change."))
        return value

    def validate(self, attrs):
        if self.instance is None and "lines" not in attrs:
            raise serializers.ValidationError({"lines": [_("Add at least one component.")]})
        return attrs

    def split(self) -> tuple[dict, list[dict] | None]:
        data = dict(self.validated_data)
        lines = data.pop("lines", None)
        data.pop("product", None)
        return data, [dict(line) for line in lines] if lines is not None else None


class OperationSerializer(CostFieldsMixin, ModelSerializer):
    cost_fields = ("labour_rate", "overhead_rate")
    work_centre = serializers.PrimaryKeyRelatedField(queryset=WorkCentre.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Operation
        fields = [
            "id",
            "seq",
            "name",
            "work_centre",
            "setup_minutes",
            "run_minutes",
            "labour_rate",
            "overhead_rate",
            "instructions",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {"seq": {"required": False}}


class TechCardSerializer(ModelSerializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    operations = OperationSerializer(many=True, required=False, help_text=_("Replaces every operation when sent."))

    class Meta:
        model = TechCard
        fields = ["id", "product", "version", "name", "is_active", "note", "operations", "created_at", "updated_at"]
        read_only_fields = ["id", "version", "is_active", "created_at", "updated_at"]

    def validate_product(self, value):
        if self.instance is not None and value != self.instance.product:
            raise serializers.ValidationError(_("The product of a tech card cannot change."))
        return value

    def split(self) -> tuple[dict, list[dict] | None]:
        data = dict(self.validated_data)
        operations = data.pop("operations", None)
        data.pop("product", None)
        return data, [dict(op) for op in operations] if operations is not None else None


# --- production orders ------------------------------------------------------------------------------


class OrderLineSerializer(CostFieldsMixin, ModelSerializer):
    cost_fields = ("share",)
    qty_per_unit = QtyField()
    qty_posted = QtyField()

    class Meta:
        model = OrderLine
        fields = ["id", "role", "position", "product", "qty_per_unit", "scrap_pct", "share", "qty_posted"]
        read_only_fields = fields


class OrderOperationSerializer(CostFieldsMixin, ModelSerializer):
    cost_fields = ("labour_rate", "overhead_rate")

    class Meta:
        model = OrderOperation
        fields = [
            "id",
            "seq",
            "name",
            "work_centre",
            "setup_minutes",
            "run_minutes",
            "labour_rate",
            "overhead_rate",
            "instructions",
            "actual_minutes",
        ]
        read_only_fields = fields


class MaterialSerializer(Serializer):
    """A line of an order's own material list (inputs; the parts of a disassembly)."""

    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    qty_per_unit = serializers.DecimalField(max_digits=20, decimal_places=6)
    scrap_pct = serializers.DecimalField(max_digits=7, decimal_places=3, required=False)
    share = serializers.DecimalField(
        max_digits=24,
        decimal_places=6,
        required=False,
        help_text=_("Disassembly: the part's share of the cost (standard cost when left out)."),
    )


class ChildSerializer(ModelSerializer):
    qty = QtyField()

    class Meta:
        model = ProductionOrder
        fields = ["id", "number", "state", "product", "qty"]
        read_only_fields = fields


class ProductionOrderSerializer(ModelSerializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    qty = QtyField()
    qty_done = QtyField(read_only=True)
    qty_scrap = QtyField(read_only=True)
    bom = serializers.PrimaryKeyRelatedField(
        queryset=Bom.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The product's active BOM when left out."),
    )
    tech_card = serializers.PrimaryKeyRelatedField(
        queryset=TechCard.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The product's active tech card when left out."),
    )
    input_warehouse = serializers.PrimaryKeyRelatedField(
        queryset=Warehouse.objects.all(), required=False, help_text=_("From the product's profile when left out.")
    )
    output_warehouse = serializers.PrimaryKeyRelatedField(
        queryset=Warehouse.objects.all(), required=False, help_text=_("From the product's profile when left out.")
    )
    responsible = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True
    )
    target = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(),
        required=False,
        write_only=True,
        help_text=_("Conversion: the product it becomes."),
    )
    materials = MaterialSerializer(
        many=True,
        required=False,
        write_only=True,
        help_text=_("The order's own material list instead of the BOM's (the parts of a disassembly)."),
    )
    lines = OrderLineSerializer(many=True, read_only=True)
    operations = OrderOperationSerializer(many=True, read_only=True)
    children = ChildSerializer(many=True, read_only=True)

    class Meta:
        model = ProductionOrder
        fields = [
            "id",
            "number",
            "kind",
            "state",
            "product",
            "qty",
            "bom",
            "tech_card",
            "input_warehouse",
            "output_warehouse",
            "planned_start",
            "planned_finish",
            "responsible",
            "parent",
            "source_label",
            "qty_done",
            "qty_scrap",
            "note",
            "released_at",
            "finished_at",
            "created_at",
            "target",
            "materials",
            "lines",
            "operations",
            "children",
        ]
        read_only_fields = [
            "id",
            "number",
            "state",
            "parent",
            "qty_done",
            "qty_scrap",
            "released_at",
            "finished_at",
            "created_at",
        ]

    def split(self) -> tuple[dict, list[dict] | None]:
        data = dict(self.validated_data)
        materials = data.pop("materials", None)
        for name in ("bom", "tech_card"):
            if name in data and data[name] is None:
                data.pop(name)  # null: the active one, like leaving it out
        return data, [dict(m) for m in materials] if materials is not None else None


class ReleaseSerializer(Serializer):
    children = serializers.BooleanField(
        required=False, default=True, help_text=_("Create released child orders for short nodes.")
    )


class ReportInputSerializer(Serializer):
    qty = serializers.DecimalField(max_digits=20, decimal_places=6, help_text=_("Good quantity made."))
    scrap = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, default=0)
    minutes = serializers.DictField(
        child=serializers.DecimalField(max_digits=12, decimal_places=3),
        required=False,
        help_text=_("Actual minutes per order operation id; the planned time for those left out."),
    )
    posted_at = serializers.DateTimeField(required=False, allow_null=True, help_text=_("Now when left out."))
    finish = serializers.BooleanField(required=False, default=False, help_text=_("Close the order after it."))
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ReportMoveSerializer(CostFieldsMixin, ModelSerializer):
    cost_fields = ("value", "unit_cost")
    qty = QtyField()
    lot_number = serializers.CharField(source="lot.number", default=None, read_only=True)
    product_code = serializers.CharField(source="product.code", read_only=True)

    class Meta:
        model = StockMove
        fields = ["id", "kind", "product", "product_code", "qty", "lot", "lot_number", "value", "unit_cost", "reverses"]
        read_only_fields = fields


class ReportOperationSerializer(CostFieldsMixin, ModelSerializer):
    cost_fields = ("labour", "overhead")

    class Meta:
        model = ReportOperation
        fields = ["operation", "minutes", "labour", "overhead"]
        read_only_fields = fields


class ProductionReportSerializer(CostFieldsMixin, ModelSerializer):
    cost_fields = ("labour", "overhead")
    qty = QtyField()
    qty_scrap = QtyField()
    operations = ReportOperationSerializer(many=True, read_only=True)
    moves = serializers.SerializerMethodField()

    class Meta:
        model = ProductionReport
        fields = [
            "id",
            "order",
            "state",
            "posted_at",
            "qty",
            "qty_scrap",
            "labour",
            "overhead",
            "note",
            "operations",
            "moves",
        ]
        read_only_fields = fields

    def get_moves(self, report) -> list[dict]:
        moves = StockMove.objects.filter(value_group_id=report.value_group_id).select_related("product", "lot")
        return ReportMoveSerializer(moves.order_by("id"), many=True, context=self.context).data


# --- analysis -------------------------------------------------------------------------------------


class AnalysisQuerySerializer(Serializer):
    qty = serializers.DecimalField(max_digits=20, decimal_places=6, min_value=0, required=False, default=Decimal(1))
    method = serializers.ChoiceField(choices=COST_METHODS, required=False, default=COST_METHODS[0])
    bom = serializers.PrimaryKeyRelatedField(
        queryset=Bom.objects.all(), required=False, help_text=_("A version of the product's BOM (the active one).")
    )


class ShortageQuerySerializer(Serializer):
    orders = serializers.CharField(
        required=False, help_text=_("Comma-separated order ids; every open order when left out.")
    )


class ShortageRowSerializer(Serializer):
    order = serializers.IntegerField(source="order.pk")
    order_number = serializers.CharField(source="order.number")
    level = serializers.IntegerField()
    product = serializers.IntegerField(source="product.pk")
    product_code = serializers.CharField(source="product.code")
    warehouse = serializers.IntegerField(source="warehouse.pk")
    required = QtyField()
    available = QtyField()
    short = QtyField()
    needed_by = serializers.DateField(allow_null=True)
    make = serializers.BooleanField()


class LotRefSerializer(ModelSerializer):
    class Meta:
        model = Lot
        fields = ["id", "number", "product", "received_at"]
        read_only_fields = fields
