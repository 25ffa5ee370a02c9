"""Shape of the supplier request API. Serializers check the shape only; `purchasing.services`
checks the rules and writes. Expected prices (and amounts) are left out for users without the
purchasing cost right; they may still send them when creating a request."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fabrika.access.policy import can
from fabrika.api.serializers import ModelSerializer, Serializer
from fabrika.catalog.models import Product, Unit
from fabrika.inventory.forms import counterparty_choices

from .models import SupplierRequest, SupplierRequestLine


def _user(context):
    return getattr(context.get("request"), "user", None)


def sees_prices(context) -> bool:
    user = _user(context)
    return user is not None and user.is_authenticated and can(user, "purchasing", "cost")


class SupplierField(serializers.PrimaryKeyRelatedField):
    """A supplier the user may name (their CRM scope, or every supplier without CRM rights)."""

    def get_queryset(self):
        return counterparty_choices(_user(self.context), "supplier")


class SourceMixin(serializers.Serializer):
    source = serializers.SerializerMethodField(help_text=_("The record it comes from, as app_label.model:id."))

    def get_source(self, obj) -> str | None:
        if obj.source_type_id is None:
            return None
        return f"{obj.source_type.app_label}.{obj.source_type.model}:{obj.source_id}"


class SupplierRequestLineSerializer(SourceMixin, ModelSerializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The product's base unit when left out."),
    )
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True, allow_null=True)

    class Meta:
        model = SupplierRequestLine
        fields = [
            "id",
            "position",
            "product",
            "qty",
            "unit",
            "needed_by",
            "expected_price",
            "amount",
            "source",
            "source_label",
            "note",
        ]
        read_only_fields = ["id", "position", "amount", "source"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not sees_prices(self.context):
            data.pop("expected_price", None)
            data.pop("amount", None)
        return data


class SupplierRequestSerializer(SourceMixin, ModelSerializer):
    supplier = SupplierField(required=False, allow_null=True)
    lines = SupplierRequestLineSerializer(many=True, required=False)

    class Meta:
        model = SupplierRequest
        fields = [
            "id",
            "number",
            "state",
            "date",
            "supplier",
            "needed_by",
            "responsible",
            "currency",
            "note",
            "source",
            "source_label",
            "lines",
            "created_by",
            "created_at",
            "updated_at",
            "sent_at",
            "ordered_at",
            "received_at",
            "cancelled_at",
        ]
        read_only_fields = [
            "id",
            "number",
            "state",
            "source",
            "created_by",
            "created_at",
            "updated_at",
            "sent_at",
            "ordered_at",
            "received_at",
            "cancelled_at",
        ]
        extra_kwargs = {
            "date": {"required": False, "help_text": _("Today when left out.")},
            "currency": {"required": False, "help_text": _("The company's currency when left out.")},
        }

    def split(self) -> tuple[dict, list[dict]]:
        data = dict(self.validated_data)
        lines = [dict(line) for line in data.pop("lines", [])]
        return data, lines


class TransitionSerializer(Serializer):
    to = serializers.ChoiceField(choices=SupplierRequest.State.choices, help_text=_("The state to move to."))
