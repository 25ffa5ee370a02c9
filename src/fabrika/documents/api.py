"""Attachment endpoints.

`GET /api/attachments/` lists every file the user may see: documents/view plus a visible
record it is attached to. Narrow it to one record with `?content_type=crm.counterparty&object_id=5`
(`object_id` needs `content_type`). `POST` uploads (multipart: content_type, object_id, file,
description); `GET /api/attachments/{id}/` gives the metadata, `DELETE` removes the file and
`GET /api/attachments/{id}/download/` returns its bytes as a download. A record the user cannot
see hides its files (404), and uploading to it is refused with 404 too.
"""

import json

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from fabrika.access.api import ScopedViewSetMixin
from fabrika.api.router import router

from . import services
from .models import Attachment
from .queries import resolve_target, target_visible, visible_attachments
from .views import download_response


class BinaryRenderer(BaseRenderer):
    """Lets a client ask for `Accept: application/octet-stream` on the download endpoint."""

    media_type = "application/octet-stream"
    format = "bin"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data, ensure_ascii=False, default=str).encode()  # an error's body


def content_type_from_label(label: str) -> ContentType:
    app_label, _dot, model = (label or "").strip().lower().partition(".")
    try:
        content_type = ContentType.objects.get_by_natural_key(app_label, model)
    except ContentType.DoesNotExist:
        content_type = None
    if content_type is None or content_type.model_class() is None:
        raise ValidationError(
            {
                "content_type": [
                    _("Unknown object type %(label)s: use app_label.model, e.g. crm.counterparty.") % {"label": label}
                ]
            }
        )
    return content_type


class AttachmentSerializer(serializers.ModelSerializer):
    content_type = serializers.SerializerMethodField()
    uploaded_by_name = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "content_type",
            "object_id",
            "filename",
            "size",
            "sha256",
            "description",
            "uploaded_by",
            "uploaded_by_name",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_content_type(self, obj) -> str:
        return f"{obj.content_type.app_label}.{obj.content_type.model}"

    def get_uploaded_by_name(self, obj) -> str:
        return str(obj.uploaded_by) if obj.uploaded_by_id else ""

    def get_download_url(self, obj) -> str:
        url = reverse("api:attachment-download", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class AttachmentUploadSerializer(serializers.Serializer):
    content_type = serializers.CharField(
        help_text=gettext_lazy("Object type as app_label.model, e.g. crm.counterparty")
    )
    object_id = serializers.CharField(max_length=64)
    file = serializers.FileField(allow_empty_file=True)  # the service refuses empty files with a clear message
    description = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    def validate_content_type(self, value):
        return content_type_from_label(value)


class AttachmentFilter(django_filters.FilterSet):
    content_type = django_filters.CharFilter(
        method="filter_content_type", help_text=gettext_lazy("app_label.model, e.g. crm.counterparty")
    )
    object_id = django_filters.CharFilter(
        field_name="object_id", help_text=gettext_lazy("The record's id; needs content_type")
    )

    class Meta:
        model = Attachment
        fields = ["content_type", "object_id"]

    def filter_content_type(self, queryset, name, value):
        return queryset.filter(content_type=content_type_from_label(value))

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        if data.get("object_id") and not data.get("content_type"):
            raise ValidationError({"object_id": [_("object_id needs content_type.")]})
        return super().filter_queryset(queryset)


@extend_schema_view(
    create=extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer}, responses={201: AttachmentSerializer}
    ),
)
class AttachmentViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Files attached to records.

    A file is visible when the user may view documents and may view its record. The list shows
    every visible file; `?content_type=app_label.model&object_id=…` narrows it to one record
    (`object_id` needs `content_type`). Upload with multipart/form-data; `download/` returns the
    bytes as `application/octet-stream`, always as an attachment.
    """

    access_area = "documents"
    access_actions = {"download": "view"}
    queryset = Attachment.objects.select_related("content_type", "uploaded_by")
    serializer_class = AttachmentSerializer
    filterset_class = AttachmentFilter
    search_fields = ["filename", "description"]
    ordering_fields = ["uploaded_at", "filename", "size"]
    ordering = ["-uploaded_at", "-id"]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        # Area right and (empty) record scope from the mixin; then the visibility of the target records.
        return visible_attachments(self.request.user, super().get_queryset())

    def create(self, request, *args, **kwargs):
        upload = AttachmentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        target = resolve_target(data["content_type"], data["object_id"])
        if not target_visible(request.user, target):
            raise NotFound(_("No such record."))
        attachment = services.attachment_add(
            actor=request.user,
            target=target,
            uploaded_file=data["file"],
            description=data.get("description", ""),
        )
        body = AttachmentSerializer(attachment, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.attachment_delete(actor=self.request.user, attachment=instance)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, BinaryRenderer])
    def download(self, request, pk=None):
        return download_response(self.get_object())


router.register("attachments", AttachmentViewSet, basename="attachment")


from . import api_outbox  # noqa: E402, F401  (registers the outbox endpoints)
