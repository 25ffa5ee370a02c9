"""The e-mail outbox, read-only: `GET /api/outbox/` and `GET /api/outbox/{id}/`.

Visible like the pages: documents/view, and the record a message is about must be visible to
the user (else 404). Filters: `state`, `content_type=app_label.model` with `object_id` (the
messages of one record). Attachments are listed with their size and SHA-256; their bytes are
downloaded from the page link (`download_url`).
"""

import django_filters
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError

from fabrika.access.api import ScopedViewSetMixin
from fabrika.api.router import router

from .api import content_type_from_label
from .models_outbox import OutboxAttachment, OutboxMessage
from .queries_outbox import visible_messages


class OutboxAttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = OutboxAttachment
        fields = ["id", "filename", "mimetype", "size", "sha256", "download_url"]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        url = reverse("documents:outbox-attachment", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class OutboxMessageSerializer(serializers.ModelSerializer):
    to = serializers.ListField(child=serializers.CharField(), read_only=True)
    cc = serializers.ListField(child=serializers.CharField(), read_only=True)
    content_type = serializers.SerializerMethodField()
    attachments = OutboxAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = OutboxMessage
        fields = [
            "id",
            "state",
            "from_email",
            "to",
            "cc",
            "reply_to",
            "subject",
            "body",
            "content_type",
            "object_id",
            "related_label",
            "attempts",
            "last_error",
            "next_attempt_at",
            "sent_at",
            "created_by",
            "created_at",
            "attachments",
        ]
        read_only_fields = fields

    def get_content_type(self, obj) -> str | None:
        if obj.content_type_id is None:
            return None
        return f"{obj.content_type.app_label}.{obj.content_type.model}"


class OutboxFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=OutboxMessage.State.choices)
    content_type = django_filters.CharFilter(
        method="filter_content_type", help_text=gettext_lazy("app_label.model, e.g. purchasing.supplierrequest")
    )
    object_id = django_filters.CharFilter(
        field_name="object_id", help_text=gettext_lazy("The record's id; needs content_type")
    )

    class Meta:
        model = OutboxMessage
        fields = ["state", "content_type", "object_id"]

    def filter_content_type(self, queryset, name, value):
        return queryset.filter(content_type=content_type_from_label(value))

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        if data.get("object_id") and not data.get("content_type"):
            raise ValidationError({"object_id": [_("object_id needs content_type.")]})
        return super().filter_queryset(queryset)


class OutboxMessageViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """E-mail queued and sent by Fabrika, newest first (read-only)."""

    access_area = "documents"
    queryset = OutboxMessage.objects.select_related("content_type").prefetch_related("attachments")
    serializer_class = OutboxMessageSerializer
    filterset_class = OutboxFilter
    search_fields = ["subject", "related_label"]
    ordering_fields = ["created_at", "sent_at", "state"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return visible_messages(self.request.user, super().get_queryset())


router.register("outbox", OutboxMessageViewSet, basename="outbox-message")
