from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "fabrika.documents"
    label = "documents"
    verbose_name = _("Documents")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Attachment

        auditlog.register(Attachment, exclude_fields=["file"])
