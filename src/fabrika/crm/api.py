"""CRM endpoints: counterparties, contacts, activities, deals and the funnel, segments.

Every write goes through `fabrika.crm.services` (serializers only check the input's shape);
record scope comes from `ScopedViewSetMixin` (a record outside the user's scope is a 404).
"""

import django_filters
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from fabrika.access.api import ScopedViewSetMixin
from fabrika.access.policy import restrict
from fabrika.api.filters import StrictFilterBackend
from fabrika.api.router import router
from fabrika.api.serializers import ErrorSerializer

from . import services
from .filters import ActivityFilter, ContactFilter, CounterpartyFilter, DealFilter, counterparty_search
from .models import Activity, Contact, Counterparty, Deal, FunnelStage, Segment, Tag
from .queries import funnel_report, segment_counterparties
from .serializers import (
    ActivityCompleteSerializer,
    ActivitySerializer,
    ContactSerializer,
    CounterpartySerializer,
    DealLoseSerializer,
    DealMoveSerializer,
    DealSerializer,
    DuplicateWarningSerializer,
    FunnelRowSerializer,
    FunnelStageSerializer,
    SegmentSerializer,
)
from .services.counterparties import DuplicateWarning

# ---------------------------------------------------------------------------------------------
# shared pieces


class StrictOrderingFilter(OrderingFilter):
    """`?ordering=` refuses fields it does not know (instead of ignoring them) and always ends on
    the primary key, so that pages of a sorted list never repeat or skip a row."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = [item[0] for item in self.get_valid_fields(queryset, view, {"request": request})]
        unknown = [term for term in fields if term.lstrip("-") not in valid]
        if unknown:
            raise ValidationError(
                {
                    "ordering": [
                        _("Cannot sort by %(names)s. Allowed: %(allowed)s.")
                        % {"names": ", ".join(unknown), "allowed": ", ".join(sorted(valid))}
                    ]
                }
            )
        return fields

    def filter_queryset(self, request, queryset, view):
        ordering = list(self.get_ordering(request, queryset, view) or ())
        if not ordering:
            return queryset
        if not {"id", "-id", "pk", "-pk"} & set(ordering):
            ordering.append("id")
        return queryset.order_by(*ordering)


def refuse_unknown_params(request, allowed) -> None:
    """The StrictFilterBackend rule for actions that are not a model list (sub-lists)."""
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise ValidationError(
            {
                "detail": _("Unknown filter: %(names)s. Allowed: %(allowed)s.")
                % {"names": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))}
            }
        )


REFUSED = {
    400: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Invalid input (errors per field).")),
    409: OpenApiResponse(ErrorSerializer, description=gettext_lazy("A business rule refused the change.")),
}


class CrmViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """CRUD on a CRM model; subclasses call the services in `perform_*`."""

    access_area = "crm"
    filter_backends = [StrictFilterBackend, StrictOrderingFilter]

    @property
    def actor(self):
        return self.request.user


# ---------------------------------------------------------------------------------------------
# counterparties


@extend_schema_field(OpenApiTypes.STR)
class TagNameFilter(django_filters.ModelMultipleChoiceFilter):
    """Tags by name (`?tag=VIP&tag=Schools`: either of them)."""


class CounterpartyApiFilter(CounterpartyFilter):
    """The counterparty list's filters; tags by name (the API shows tags by name)."""

    tag = TagNameFilter(
        label=gettext_lazy("Tags"), field_name="tags__name", to_field_name="name", queryset=Tag.objects.all()
    )
    search = django_filters.CharFilter(
        label=gettext_lazy("Search: name, legal name, tax id, e-mail, phone, contacts"),
        method="filter_search",
    )

    class Meta(CounterpartyFilter.Meta):
        fields = [*CounterpartyFilter.Meta.fields, "search"]

    def filter_search(self, queryset, name, value):
        return counterparty_search(queryset, value) if value.strip() else queryset


@extend_schema_view(
    create=extend_schema(
        responses={
            201: CounterpartySerializer,
            400: REFUSED[400],
            409: OpenApiResponse(
                DuplicateWarningSerializer,
                description=gettext_lazy(
                    "Counterparties with the same e-mail or phone exist: send again with confirm_duplicates=true."
                ),
            ),
        }
    ),
    update=extend_schema(responses={200: CounterpartySerializer, **REFUSED}),
    partial_update=extend_schema(responses={200: CounterpartySerializer, **REFUSED}),
    destroy=extend_schema(responses={204: None, 409: REFUSED[409]}),
)
class CounterpartyViewSet(CrmViewSet):
    """Customers and suppliers, with their addresses, classifiers and tags."""

    queryset = Counterparty.objects.select_related("responsible").prefetch_related(
        "addresses", "classifiers__kind", "tags"
    )
    serializer_class = CounterpartySerializer
    filterset_class = CounterpartyApiFilter
    ordering_fields = ["name", "kind", "tax_id", "created_at", "updated_at", "id"]
    ordering = ["name", "id"]

    def _split(self, serializer):
        data = dict(serializer.validated_data)
        addresses = data.pop("addresses", None)
        confirm = data.pop("confirm_duplicates", False)
        tag_names = data.pop("tags", None)
        if tag_names is not None:
            data["tags"] = [services.tag_get_or_create(actor=self.actor, name=name) for name in tag_names]
        return data, [dict(a) for a in addresses] if addresses is not None else None, confirm

    def create(self, request, *args, **kwargs):
        try:
            return super().create(request, *args, **kwargs)
        except DuplicateWarning as exc:
            return Response(
                {
                    "detail": exc.message,
                    "code": exc.code,
                    "data": {"duplicates": [{"id": c.pk, "name": c.name} for c in exc.duplicates]},
                },
                status=status.HTTP_409_CONFLICT,
            )

    def perform_create(self, serializer):
        # One transaction: tags made for a refused counterparty are not kept.
        with transaction.atomic():
            data, addresses, confirm = self._split(serializer)
            serializer.instance = services.counterparty_create(
                actor=self.actor, data=data, addresses=addresses, confirm_duplicates=confirm
            )

    def perform_update(self, serializer):
        with transaction.atomic():
            data, addresses, _confirm = self._split(serializer)
            serializer.instance = services.counterparty_update(
                actor=self.actor, counterparty=serializer.instance, data=data, addresses=addresses
            )

    def perform_destroy(self, instance):
        services.counterparty_delete(actor=self.actor, counterparty=instance)


# ---------------------------------------------------------------------------------------------
# contacts


@extend_schema_view(
    create=extend_schema(responses={201: ContactSerializer, 400: REFUSED[400]}),
    update=extend_schema(responses={200: ContactSerializer, 400: REFUSED[400]}),
    partial_update=extend_schema(responses={200: ContactSerializer, 400: REFUSED[400]}),
)
class ContactViewSet(CrmViewSet):
    """People at counterparties; one main contact per counterparty."""

    queryset = Contact.objects.all()
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    ordering_fields = ["last_name", "first_name", "created_at", "id"]
    ordering = ["-is_primary", "last_name", "first_name", "id"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        counterparty = data.pop("counterparty")
        serializer.instance = services.contact_create(actor=self.actor, counterparty=counterparty, data=data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("counterparty", None)
        serializer.instance = services.contact_update(actor=self.actor, contact=serializer.instance, data=data)

    def perform_destroy(self, instance):
        services.contact_delete(actor=self.actor, contact=instance)


# ---------------------------------------------------------------------------------------------
# activities


@extend_schema_view(
    create=extend_schema(responses={201: ActivitySerializer, 400: REFUSED[400]}),
    update=extend_schema(responses={200: ActivitySerializer, 400: REFUSED[400]}),
    partial_update=extend_schema(responses={200: ActivitySerializer, 400: REFUSED[400]}),
)
class ActivityViewSet(CrmViewSet):
    """Calls, meetings, e-mails, notes and tasks logged on counterparties."""

    queryset = Activity.objects.select_related("counterparty", "contact", "deal", "owner")
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilter
    ordering_fields = ["occurred_at", "due_at", "created_at", "id"]
    ordering = ["-occurred_at", "-id"]
    access_actions = {"complete": "change"}

    def perform_create(self, serializer):
        serializer.instance = services.activity_create(actor=self.actor, data=dict(serializer.validated_data))

    def perform_update(self, serializer):
        serializer.instance = services.activity_update(
            actor=self.actor, activity=serializer.instance, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance):
        services.activity_delete(actor=self.actor, activity=instance)

    @extend_schema(request=ActivityCompleteSerializer, responses={200: ActivitySerializer, 400: REFUSED[400]})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Mark the activity done (or reopen it with `{"done": false}`)."""
        activity = self.get_object()
        body = ActivityCompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        activity = services.activity_complete(actor=request.user, activity=activity, done=body.validated_data["done"])
        return Response(ActivitySerializer(activity, context=self.get_serializer_context()).data)


# ---------------------------------------------------------------------------------------------
# funnel stages and deals


@extend_schema_view(
    create=extend_schema(responses={201: FunnelStageSerializer, 400: REFUSED[400]}),
    update=extend_schema(responses={200: FunnelStageSerializer, 400: REFUSED[400]}),
    partial_update=extend_schema(responses={200: FunnelStageSerializer, 400: REFUSED[400]}),
    destroy=extend_schema(responses={204: None, 409: REFUSED[409]}),
)
class FunnelStageViewSet(CrmViewSet):
    """The funnel's stages: everyone with CRM rights reads them, changing them needs crm/change."""

    queryset = FunnelStage.objects.all()
    serializer_class = FunnelStageSerializer
    ordering_fields = ["order", "name", "id"]
    ordering = ["order", "id"]
    access_actions = {"create": "change", "update": "change", "partial_update": "change", "destroy": "change"}

    def perform_create(self, serializer):
        serializer.instance = services.stage_save(actor=self.actor, data=dict(serializer.validated_data))

    def perform_update(self, serializer):
        serializer.instance = services.stage_save(
            actor=self.actor, stage=serializer.instance, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance):
        services.stage_delete(actor=self.actor, stage=instance)


@extend_schema_view(
    create=extend_schema(responses={201: DealSerializer, 400: REFUSED[400]}),
    update=extend_schema(responses={200: DealSerializer, 400: REFUSED[400]}),
    partial_update=extend_schema(responses={200: DealSerializer, 400: REFUSED[400]}),
)
class DealViewSet(CrmViewSet):
    """Deals in the sales funnel; the stage changes through the move, win and lose actions."""

    queryset = Deal.objects.select_related("stage", "counterparty", "owner")
    serializer_class = DealSerializer
    filterset_class = DealFilter
    ordering_fields = ["created_at", "expected_close", "amount", "number", "title", "id"]
    ordering = ["-created_at", "-id"]
    access_actions = {"move": "change", "win": "change", "lose": "change"}

    def perform_create(self, serializer):
        serializer.instance = services.deal_create(actor=self.actor, data=dict(serializer.validated_data))

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("stage", None)  # unchanged (the serializer refuses another stage)
        serializer.instance = services.deal_update(actor=self.actor, deal=serializer.instance, data=data)

    def perform_destroy(self, instance):
        services.deal_delete(actor=self.actor, deal=instance)

    def _answer(self, deal):
        return Response(DealSerializer(deal, context=self.get_serializer_context()).data)

    @extend_schema(request=DealMoveSerializer, responses={200: DealSerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the deal to another stage (a lost stage needs `lost_reason`)."""
        deal = self.get_object()
        body = DealMoveSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        deal = services.deal_move(
            actor=request.user,
            deal=deal,
            stage=body.validated_data["stage"],
            lost_reason=body.validated_data.get("lost_reason", ""),
        )
        return self._answer(deal)

    @extend_schema(request=None, responses={200: DealSerializer, 409: REFUSED[409]})
    @action(detail=True, methods=["post"])
    def win(self, request, pk=None):
        """Close the deal as won."""
        deal = services.deal_win(actor=request.user, deal=self.get_object())
        return self._answer(deal)

    @extend_schema(request=DealLoseSerializer, responses={200: DealSerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def lose(self, request, pk=None):
        """Close the deal as lost, with the reason."""
        deal = self.get_object()
        body = DealLoseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        deal = services.deal_lose(actor=request.user, deal=deal, reason=body.validated_data["reason"])
        return self._answer(deal)


class FunnelReportFilter(django_filters.FilterSet):
    owner = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Owner"), queryset=get_user_model().objects.filter(is_active=True)
    )
    counterparty = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Counterparty"), queryset=Counterparty.objects.all()
    )
    created_after = django_filters.DateFilter(
        label=gettext_lazy("Created from"), field_name="created_at", lookup_expr="date__gte"
    )
    created_before = django_filters.DateFilter(
        label=gettext_lazy("Created to"), field_name="created_at", lookup_expr="date__lte"
    )

    class Meta:
        model = Deal
        fields = ["owner", "counterparty", "created_after", "created_before"]


class FunnelReportViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """Count, amount, weighted amount and conversion per stage, over the deals the user may see."""

    access_area = "crm"
    queryset = Deal.objects.all()
    serializer_class = FunnelRowSerializer
    filterset_class = FunnelReportFilter
    filter_backends = [StrictFilterBackend]
    pagination_class = None

    @extend_schema(responses=FunnelRowSerializer(many=True))
    def list(self, request):
        deals = self.filter_queryset(self.get_queryset())
        rows = funnel_report(request.user, deals=deals)
        return Response(FunnelRowSerializer(rows, many=True).data)


# ---------------------------------------------------------------------------------------------
# segments


@extend_schema_view(
    create=extend_schema(responses={201: SegmentSerializer, 400: REFUSED[400]}),
    update=extend_schema(responses={200: SegmentSerializer, 400: REFUSED[400]}),
    partial_update=extend_schema(responses={200: SegmentSerializer, 400: REFUSED[400]}),
)
class SegmentViewSet(CrmViewSet):
    """Saved counterparty filters."""

    queryset = Segment.objects.select_related("owner")
    serializer_class = SegmentSerializer
    ordering_fields = ["name", "created_at", "id"]
    ordering = ["name", "id"]
    access_actions = {"counterparties": "view"}

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.segment_create(
            actor=self.actor,
            name=data["name"],
            filters=data.get("filters", {}),
            description=data.get("description", ""),
        )

    def perform_update(self, serializer):
        segment, data = serializer.instance, serializer.validated_data
        serializer.instance = services.segment_update(
            actor=self.actor,
            segment=segment,
            name=data.get("name", segment.name),
            filters=data.get("filters", segment.filters),
            description=data.get("description", segment.description),
        )

    def perform_destroy(self, instance):
        services.segment_delete(actor=self.actor, segment=instance)

    @extend_schema(responses=CounterpartySerializer(many=True), filters=False)
    @action(detail=True, methods=["get"])
    def counterparties(self, request, pk=None):
        """The counterparties the segment's filters select, among those the user may see."""
        refuse_unknown_params(request, {"limit", "offset", "format"})
        segment = self.get_object()
        queryset = segment_counterparties(
            segment, restrict(request.user, "view", CounterpartyViewSet.queryset.all())
        ).order_by("name", "id")
        page = self.paginate_queryset(queryset)
        context = self.get_serializer_context()
        if page is not None:
            return self.get_paginated_response(CounterpartySerializer(page, many=True, context=context).data)
        return Response(CounterpartySerializer(queryset, many=True, context=context).data)


router.register("counterparties", CounterpartyViewSet, basename="counterparty")
router.register("contacts", ContactViewSet, basename="contact")
router.register("activities", ActivityViewSet, basename="activity")
router.register("funnel-stages", FunnelStageViewSet, basename="funnel-stage")
router.register("deals", DealViewSet, basename="deal")
router.register("segments", SegmentViewSet, basename="segment")
router.register("funnel-report", FunnelReportViewSet, basename="funnel-report")
