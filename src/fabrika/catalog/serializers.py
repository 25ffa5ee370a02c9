"""Shapes of the catalog API. Serializers only check the input's shape; the services decide.

Uniqueness and business rules (product code, barcode, one price per product and list…) are
the services' and come back as `ValidationFailed` errors keyed by field.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fabrika.api.serializers import ModelSerializer, Serializer

from .models import (
    GroupCharacteristic,
    PriceList,
    PriceListItem,
    PriceType,
    Product,
    ProductGroup,
    Unit,
    UnitConversion,
)
from .queries import characteristic_template

# ---------------------------------------------------------------------------------------------
# helpers


# ---------------------------------------------------------------------------------------------
# units and products


class UnitSerializer(ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "code", "name", "precision"]
        read_only_fields = ["id"]
        extra_kwargs = {"code": {"validators": []}}


class ConversionSerializer(ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    factor = serializers.DecimalField(
        max_digits=20, decimal_places=6, help_text=_("How many base units one `unit` holds (a box of 100: 100).")
    )

    class Meta:
        model = UnitConversion
        fields = ["id", "unit", "unit_code", "factor", "barcode"]
        read_only_fields = ["id"]
        validators = []


class ProductSerializer(ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    group_path = serializers.SerializerMethodField()
    characteristics = serializers.DictField(
        required=False,
        help_text=_(
            "Values by characteristic name, checked against the group's template (inherited characteristics "
            'included): {"cores": 4, "size": "M"}. Numbers are returned as decimal strings.'
        ),
    )
    conversions = ConversionSerializer(
        many=True, required=False, help_text=_("Replaces every unit conversion of the product when sent.")
    )
    photo = serializers.ImageField(
        write_only=True,
        required=False,
        allow_null=True,
        help_text=_("A PNG, JPEG, GIF or WebP image (multipart); null removes the photo."),
    )
    photo_url = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id",
            "code",
            "name",
            "type",
            "unit",
            "unit_code",
            "group",
            "group_path",
            "barcode",
            "default_warehouse",
            "description",
            "characteristics",
            "active",
            "photo",
            "photo_url",
            "conversions",
            "created_at",
            "updated_at",
        ]
        # Archiving is DELETE (catalog/delete), restoring the restore action (catalog/change).
        read_only_fields = ["id", "active", "created_at", "updated_at"]
        extra_kwargs = {"code": {"validators": []}}

    def get_group_path(self, product) -> str:
        if product.group_id is None:
            return ""
        path = (self.context.get("group_paths") or {}).get(product.group_id)
        return path if path is not None else product.group.path

    def get_photo_url(self, product) -> str | None:
        return reverse("catalog:product-photo", args=[product.pk]) if product.photo else None


class StockRowSerializer(Serializer):
    """A product's balance in one warehouse. `value` and `average_cost` only for those who may see costs."""

    warehouse = serializers.DictField(help_text=_("id, code, name"))
    on_hand = serializers.DecimalField(max_digits=20, decimal_places=6)
    reserved = serializers.DecimalField(max_digits=20, decimal_places=6)
    available = serializers.DecimalField(max_digits=20, decimal_places=6)
    value = serializers.DecimalField(max_digits=18, decimal_places=2, required=False)
    average_cost = serializers.DecimalField(max_digits=20, decimal_places=6, required=False)


# ---------------------------------------------------------------------------------------------
# groups and characteristics


class CharacteristicSerializer(ModelSerializer):
    id = serializers.IntegerField(
        required=False, help_text=_("Of an existing characteristic of the group: it is changed, not added.")
    )
    choices = serializers.ListField(child=serializers.CharField(max_length=100), required=False)

    class Meta:
        model = GroupCharacteristic
        fields = ["id", "name", "kind", "choices", "unit", "required", "order"]
        validators = []

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["choices"] = instance.choice_list
        return data

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if "choices" in value:
            value["choices"] = "\n".join(value["choices"])
        return value


class TemplateItemSerializer(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField(), source="choice_list")
    unit = serializers.CharField()
    required = serializers.BooleanField()
    group = serializers.IntegerField(source="group_id", help_text=_("The group that defines it."))


class ProductGroupSerializer(ModelSerializer):
    path = serializers.CharField(read_only=True)
    characteristics = CharacteristicSerializer(
        many=True,
        required=False,
        help_text=_("The group's own template; replaces it when sent (items with an id change that one)."),
    )
    template = serializers.SerializerMethodField(
        help_text=_("What products of the group carry: inherited characteristics first, then the group's own.")
    )

    class Meta:
        model = ProductGroup
        fields = ["id", "name", "code", "parent", "path", "characteristics", "template"]
        read_only_fields = ["id"]

    def get_template(self, group) -> list[dict]:
        return TemplateItemSerializer(characteristic_template(group), many=True).data


# ---------------------------------------------------------------------------------------------
# prices


class PriceTypeSerializer(ModelSerializer):
    class Meta:
        model = PriceType
        fields = ["id", "code", "name"]
        read_only_fields = ["id"]
        extra_kwargs = {"code": {"validators": []}}


class PriceListSerializer(ModelSerializer):
    currency = serializers.CharField(
        max_length=3, required=False, allow_blank=True, help_text=_("The company's currency when left out.")
    )
    item_count = serializers.SerializerMethodField()

    class Meta:
        model = PriceList
        fields = ["id", "name", "price_type", "currency", "valid_from", "valid_to", "includes_vat", "item_count"]
        read_only_fields = ["id"]
        validators = []

    def get_item_count(self, price_list) -> int:
        count = getattr(price_list, "item_count", None)
        return count if count is not None else price_list.items.count()


class PriceListItemSerializer(ModelSerializer):
    product_code = serializers.CharField(source="product.code", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = PriceListItem
        fields = ["id", "price_list", "product", "product_code", "product_name", "price"]
        read_only_fields = ["id"]
        validators = []
