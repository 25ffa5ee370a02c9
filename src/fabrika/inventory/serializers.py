"""Shape of the warehouse API's input and output.

Serializers check the shape only; `fabrika.inventory.services` checks the rules and writes.
Input errors answer like a service's `ValidationFailed` (`errors` per field, nested fields with
dots: `lines.0.qty`). Values and costs of the ledger (move values, unit costs, stock values) are
left out for users without the inventory cost right.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fabrika.access.policy import can
from fabrika.api.serializers import ModelSerializer, Serializer
from fabrika.catalog.models import Product, ProductGroup, Unit

from .forms import counterparty_choices
from .models import Location, Lot, Reservation, StockDocument, StockDocumentLine, StockMove, Warehouse
from .templatetags.inventory_tags import plain_qty


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


def sees_cost(context) -> bool:
    user = _user(context)
    return user is not None and user.is_authenticated and can(user, "inventory", "cost")


class CostFieldsMixin:
    """Drops `cost_fields` from the output for users without the inventory cost right."""

    cost_fields: tuple[str, ...] = ()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not sees_cost(self.context):
            for name in self.cost_fields:
                data.pop(name, None)
        return data


class CounterpartyRefField(serializers.PrimaryKeyRelatedField):
    """A counterparty the user may name on a document (their CRM scope, or all without CRM rights)."""

    def get_queryset(self):
        return counterparty_choices(_user(self.context), None)


# --- warehouses -----------------------------------------------------------------------------------


class LocationSerializer(ModelSerializer):
    class Meta:
        model = Location
        fields = ["id", "kind", "name"]
        read_only_fields = fields


class WarehouseSerializer(ModelSerializer):
    locations = LocationSerializer(many=True, read_only=True)

    class Meta:
        model = Warehouse
        fields = ["id", "code", "name", "valuation", "address", "active", "locations"]
        read_only_fields = ["id", "locations"]
        extra_kwargs = {"code": {"validators": []}}  # uniqueness is the service's rule

    def validate_valuation(self, value):
        if self.instance is not None and value != self.instance.valuation:
            raise serializers.ValidationError(
                _("The valuation is chosen when the warehouse is created; it cannot change.")
            )
        return value


# --- documents ------------------------------------------------------------------------------------


class StockDocumentLineSerializer(CostFieldsMixin, ModelSerializer):
    """Prices are input for everyone who may write documents; they are shown only with the cost right."""

    cost_fields = ("price", "value")
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The product's base unit when left out."),
    )
    lot = serializers.PrimaryKeyRelatedField(
        queryset=Lot.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Issues: take only this lot (FIFO warehouses)."),
    )
    reservation = serializers.PrimaryKeyRelatedField(
        queryset=Reservation.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Shipments: the reservation this line ships (it is consumed)."),
    )

    class Meta:
        model = StockDocumentLine
        fields = [
            "id",
            "position",
            "product",
            "qty",
            "unit",
            "qty_base",
            "price",
            "value",
            "lot",
            "lot_number",
            "counted_qty",
            "reservation",
        ]
        read_only_fields = ["id", "position", "qty_base", "value"]
        extra_kwargs = {
            "qty": {"required": False, "allow_null": True},
            "price": {"help_text": _("Receipts and returns: price per unit of the line.")},
            "lot_number": {"help_text": _("Receipts: the lot to create (a number is made when left out).")},
            "counted_qty": {"help_text": _("Stocktake: the counted quantity.")},
        }

    def validate(self, attrs):
        product, lot, reservation = attrs.get("product"), attrs.get("lot"), attrs.get("reservation")
        if product is not None and lot is not None and lot.product_id != product.pk:
            raise serializers.ValidationError({"lot": [_("This lot is of another product.")]})
        if product is not None and reservation is not None and reservation.product_id != product.pk:
            raise serializers.ValidationError({"reservation": [_("This reservation is for another product.")]})
        return attrs


class StockMoveSerializer(CostFieldsMixin, ModelSerializer):
    cost_fields = ("value", "unit_cost", "settlement")

    class Meta:
        model = StockMove
        fields = [
            "id",
            "posted_at",
            "kind",
            "product",
            "qty",
            "from_location",
            "to_location",
            "lot",
            "reverses",
            "value",
            "unit_cost",
            "settlement",
        ]
        read_only_fields = fields


class StockDocumentSerializer(ModelSerializer):
    counterparty = CounterpartyRefField(required=False, allow_null=True)
    lines = StockDocumentLineSerializer(many=True, required=False, help_text=_("Replaces every line when sent."))
    moves = StockMoveSerializer(many=True, read_only=True)

    class Meta:
        model = StockDocument
        fields = [
            "id",
            "number",
            "type",
            "state",
            "date",
            "warehouse",
            "to_warehouse",
            "counterparty",
            "reason",
            "comment",
            "lines",
            "moves",
            "created_by",
            "created_at",
            "posted_at",
            "posted_by",
            "cancelled_at",
        ]
        read_only_fields = [
            "id",
            "number",
            "state",
            "created_by",
            "created_at",
            "posted_at",
            "posted_by",
            "cancelled_at",
        ]
        extra_kwargs = {"date": {"required": False, "help_text": _("Now when left out.")}}

    def validate_type(self, value):
        if self.instance is not None and value != self.instance.type:
            raise serializers.ValidationError(_("The type of a document cannot change."))
        return value

    def validate(self, attrs):
        if self.instance is None and "lines" not in attrs:
            raise serializers.ValidationError({"lines": [_("Add at least one line.")]})
        return attrs

    def split(self) -> tuple[dict, list[dict] | None]:
        data = dict(self.validated_data)
        lines = data.pop("lines", None)
        data.pop("type", None)
        return data, [dict(line) for line in lines] if lines is not None else None


class CommandDocumentSerializer(StockDocumentSerializer):
    """A receipt or shipment created and posted in one call (the type comes from the endpoint)."""

    class Meta(StockDocumentSerializer.Meta):
        read_only_fields = [*StockDocumentSerializer.Meta.read_only_fields, "type"]


# --- reservations ---------------------------------------------------------------------------------


class ReservationSerializer(ModelSerializer):
    counterparty = CounterpartyRefField(required=False, allow_null=True)
    lot = serializers.PrimaryKeyRelatedField(queryset=Lot.objects.all(), required=False, allow_null=True)
    open_qty = serializers.DecimalField(max_digits=20, decimal_places=6, read_only=True)

    class Meta:
        model = Reservation
        fields = [
            "id",
            "product",
            "warehouse",
            "lot",
            "qty",
            "qty_consumed",
            "open_qty",
            "state",
            "reference",
            "counterparty",
            "created_at",
            "created_by",
        ]
        read_only_fields = ["id", "qty_consumed", "open_qty", "state", "created_at", "created_by"]

    def validate(self, attrs):
        product, lot = attrs.get("product"), attrs.get("lot")
        if product is not None and lot is not None and lot.product_id != product.pk:
            raise serializers.ValidationError({"lot": [_("This lot is of another product.")]})
        return attrs


# --- reports --------------------------------------------------------------------------------------


class StockQuerySerializer(Serializer):
    warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.all(), required=False)
    group = serializers.PrimaryKeyRelatedField(
        queryset=ProductGroup.objects.all(), required=False, help_text=_("With its subgroups.")
    )
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), required=False)
    as_of = serializers.DateField(required=False, help_text=_("The end of this day; now when left out."))
    by_lot = serializers.BooleanField(required=False, default=False)


class ValueQuerySerializer(Serializer):
    warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.all(), required=False)
    group = serializers.PrimaryKeyRelatedField(queryset=ProductGroup.objects.all(), required=False)
    as_of = serializers.DateField(required=False, help_text=_("The end of this day; now when left out."))


class QtyField(serializers.DecimalField):
    """A quantity as a string without trailing zeros ("7", "1.5")."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 20)
        kwargs.setdefault("decimal_places", 6)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return None if value is None else f"{plain_qty(value):f}"


class StockOnHandRowSerializer(CostFieldsMixin, Serializer):
    cost_fields = ("value", "average_cost")

    product = serializers.IntegerField(source="product_id")
    product_code = serializers.CharField(source="code")
    product_name = serializers.CharField(source="name")
    unit = serializers.CharField()
    group = serializers.CharField()
    warehouse = serializers.IntegerField(source="warehouse_id")
    warehouse_name = serializers.CharField(source="warehouse")
    lot = serializers.IntegerField(source="lot_id", allow_null=True)
    lot_number = serializers.CharField(source="lot")
    qty = QtyField()
    reserved = QtyField(allow_null=True, help_text=_("Known for today only."))
    available = QtyField(allow_null=True, help_text=_("On hand − reserved; today only."))
    value = serializers.DecimalField(max_digits=18, decimal_places=2)
    average_cost = serializers.DecimalField(max_digits=20, decimal_places=6, allow_null=True)


class ValueLineSerializer(Serializer):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    value = serializers.DecimalField(max_digits=18, decimal_places=2)


class InventoryValueSerializer(Serializer):
    as_of = serializers.DateField(allow_null=True)
    total = serializers.DecimalField(max_digits=18, decimal_places=2)
    by_warehouse = ValueLineSerializer(many=True)
    by_group = ValueLineSerializer(many=True)


class PeriodSerializer(Serializer):
    month = serializers.CharField(source="label", help_text=_("YYYY-MM"))
    closed = serializers.BooleanField()
    closed_at = serializers.DateTimeField(source="period.closed_at", allow_null=True, default=None)
    closed_by = serializers.IntegerField(source="period.closed_by_id", allow_null=True, default=None)
    drafts = serializers.IntegerField(help_text=_("Draft documents dated in the month."))


class PeriodCloseSerializer(Serializer):
    month = serializers.CharField(max_length=7, help_text=_("The month to close, YYYY-MM."))
