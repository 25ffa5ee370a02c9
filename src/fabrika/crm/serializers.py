"""Shape of the CRM API's input and output.

Serializers check the shape of the input only (types, lengths, choices, that a referenced
record exists and is visible to the user). Every rule of the business — a tax id used twice,
a task without a due date, a lost deal without a reason — lives in `fabrika.crm.services`,
which the viewsets call with the validated data.

Every error of the input is answered like a `ValidationFailed` of a service:
`{"detail": …, "code": "invalid", "errors": {field: [messages]}}` (nested fields are named
with dots: `addresses.0.text`), so clients read one error shape.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers

from fabrika.access.policy import restrict
from fabrika.api.serializers import ModelSerializer, Serializer

from .models import (
    Activity,
    Address,
    ClassifierValue,
    Contact,
    Counterparty,
    Deal,
    FunnelStage,
    Segment,
)

# ---------------------------------------------------------------------------------------------
# helpers


def _request_user(context):
    request = context.get("request")
    return getattr(request, "user", None)


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A related CRM record the requesting user may see; others read as "does not exist"."""

    def get_queryset(self):
        queryset = super().get_queryset()
        user = _request_user(self.context)
        if user is None:
            return queryset.none()
        return restrict(user, "view", queryset)


def active_users():
    return get_user_model().objects.filter(is_active=True)


class ClassifierValueRefField(serializers.PrimaryKeyRelatedField):
    """Written as an id (or `{"id": …}`, so a read record can be sent back), read as an object."""

    def use_pk_only_optimization(self):
        return False

    def to_internal_value(self, data):
        if isinstance(data, dict):
            data = data.get("id")
        return super().to_internal_value(data)

    def to_representation(self, value):
        return {"id": value.pk, "kind": value.kind.name, "name": value.name}


class ClassifierValueRefExtension(OpenApiSerializerFieldExtension):
    target_class = ClassifierValueRefField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return build_basic_type(OpenApiTypes.INT)
        return {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "kind": {"type": "string", "description": "Name of the classifier (industry, region…)"},
                "name": {"type": "string", "description": "The value"},
            },
            "required": ["id", "kind", "name"],
        }


class TagNamesField(serializers.ListField):
    """Tags by name, both ways; unknown names are created by the service."""

    child = serializers.CharField(max_length=50)

    def to_representation(self, data):
        manager_or_list = data.all() if hasattr(data, "all") else data
        return [tag.name for tag in manager_or_list]

    def to_internal_value(self, data):
        names = super().to_internal_value(data)
        unique: list[str] = []
        for name in names:
            if name not in unique:
                unique.append(name)
        return unique


# ---------------------------------------------------------------------------------------------
# counterparties and contacts


class AddressSerializer(ModelSerializer):
    class Meta:
        model = Address
        fields = ["id", "kind", "text"]
        read_only_fields = ["id"]


class CounterpartySerializer(ModelSerializer):
    addresses = AddressSerializer(many=True, required=False, help_text=_("Replaces every address when sent."))
    classifiers = ClassifierValueRefField(
        many=True, required=False, queryset=ClassifierValue.objects.select_related("kind")
    )
    tags = TagNamesField(required=False)
    responsible = serializers.PrimaryKeyRelatedField(queryset=active_users(), required=False, allow_null=True)
    confirm_duplicates = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text=_("Create even though counterparties with the same e-mail or phone exist."),
    )

    class Meta:
        model = Counterparty
        fields = [
            "id",
            "kind",
            "name",
            "legal_name",
            "is_customer",
            "is_supplier",
            "tax_id",
            "registration_number",
            "phone",
            "email",
            "website",
            "bank_name",
            "bank_account",
            "bank_code",
            "responsible",
            "classifiers",
            "tags",
            "notes",
            "addresses",
            "confirm_duplicates",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_by", "created_at", "updated_at"]
        # Uniqueness (tax id) is the service's rule, answered as errors.tax_id.
        extra_kwargs = {"tax_id": {"validators": []}}
        validators = []


class DuplicateRefSerializer(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DuplicateDataSerializer(Serializer):
    duplicates = DuplicateRefSerializer(many=True)


class DuplicateWarningSerializer(Serializer):
    """The 409 answer of a create that looks like an existing counterparty."""

    detail = serializers.CharField()
    code = serializers.CharField()
    data = DuplicateDataSerializer()


class ContactSerializer(ModelSerializer):
    counterparty = ScopedRelatedField(queryset=Counterparty.objects.all())
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "counterparty",
            "name",
            "first_name",
            "last_name",
            "position",
            "phone",
            "mobile",
            "email",
            "is_primary",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_counterparty(self, value):
        if self.instance is not None and value.pk != self.instance.counterparty_id:
            raise serializers.ValidationError(_("A contact cannot move to another counterparty."))
        return value


# ---------------------------------------------------------------------------------------------
# activities


class ActivitySerializer(ModelSerializer):
    counterparty = ScopedRelatedField(queryset=Counterparty.objects.all(), required=False, allow_null=True)
    contact = ScopedRelatedField(queryset=Contact.objects.all(), required=False, allow_null=True)
    deal = ScopedRelatedField(queryset=Deal.objects.all(), required=False, allow_null=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=active_users(), required=False, help_text=_("Defaults to the user who logs the activity.")
    )
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "kind",
            "subject",
            "body",
            "counterparty",
            "contact",
            "deal",
            "owner",
            "occurred_at",
            "due_at",
            "remind_at",
            "done",
            "done_at",
            "is_overdue",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "done_at", "created_by", "created_at", "updated_at"]


class ActivityCompleteSerializer(Serializer):
    done = serializers.BooleanField(default=True, help_text=_("false reopens the activity."))


# ---------------------------------------------------------------------------------------------
# funnel and deals


class FunnelStageSerializer(ModelSerializer):
    class Meta:
        model = FunnelStage
        fields = ["id", "name", "order", "probability", "kind", "color"]
        read_only_fields = ["id"]


class DealSerializer(ModelSerializer):
    counterparty = ScopedRelatedField(queryset=Counterparty.objects.all())
    contact = ScopedRelatedField(queryset=Contact.objects.all(), required=False, allow_null=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=active_users(), required=False, help_text=_("Defaults to the user who creates the deal.")
    )
    stage = serializers.PrimaryKeyRelatedField(
        queryset=FunnelStage.objects.all(),
        required=False,
        help_text=_("Set on creation (first open stage by default); later use the move, win and lose actions."),
    )
    stage_name = serializers.CharField(source="stage.name", read_only=True)
    status = serializers.ChoiceField(source="stage.kind", choices=FunnelStage.Kind.choices, read_only=True)
    probability = serializers.IntegerField(source="stage.probability", read_only=True)
    weighted_amount = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    currency = serializers.CharField(
        max_length=3, required=False, allow_blank=True, help_text=_("The company's currency when left out.")
    )

    class Meta:
        model = Deal
        fields = [
            "id",
            "number",
            "title",
            "counterparty",
            "contact",
            "owner",
            "stage",
            "stage_name",
            "status",
            "probability",
            "amount",
            "weighted_amount",
            "currency",
            "expected_close",
            "lost_reason",
            "closed_at",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "number", "closed_at", "created_at", "updated_at"]

    def validate_stage(self, value):
        if self.instance is not None and value.pk != self.instance.stage_id:
            raise serializers.ValidationError(_("The stage changes only through the move, win and lose actions."))
        return value


class DealMoveSerializer(Serializer):
    stage = serializers.PrimaryKeyRelatedField(queryset=FunnelStage.objects.all())
    lost_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=300,
        help_text=_("Required when the stage is a lost stage."),
    )


class DealLoseSerializer(Serializer):
    reason = serializers.CharField(max_length=300, allow_blank=True, help_text=_("Why the deal was lost."))


class FunnelRowSerializer(Serializer):
    stage = FunnelStageSerializer()
    count = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    weighted = serializers.DecimalField(max_digits=18, decimal_places=2)
    reached = serializers.IntegerField(help_text=_("Deals that ever reached this stage (open stages)."))
    conversion = serializers.DecimalField(
        max_digits=6,
        decimal_places=1,
        allow_null=True,
        help_text=_("Share of the deals that reached this stage and went on to the next, in %."),
    )


# ---------------------------------------------------------------------------------------------
# segments


class SegmentSerializer(ModelSerializer):
    filters = serializers.DictField(
        help_text=_('The counterparty list\'s filters, e.g. {"role": "customer", "tag": [3], "q": "robot"}.'),
    )

    class Meta:
        model = Segment
        fields = ["id", "name", "description", "filters", "owner", "created_at"]
        read_only_fields = ["id", "owner", "created_at"]
