from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def attachment_history_children(obj) -> list[tuple]:
    """A card's history includes the files attached to it (and deleted from it)."""
    from django.contrib.contenttypes.models import ContentType

    from .models import Attachment

    if isinstance(obj, Attachment):
        return []
    return [(Attachment, {"content_type": ContentType.objects.get_for_model(obj), "object_id": str(obj.pk)})]


class DocumentsConfig(AppConfig):
    name = "fabrika.documents"
    label = "documents"
    verbose_name = _("Documents")

    def ready(self):
        from auditlog.registry import auditlog

        from fabrika.audit.queries import GENERIC_CHILDREN

        from .models import Attachment

        auditlog.register(Attachment, exclude_fields=["file"])
        GENERIC_CHILDREN.append(attachment_history_children)
        self.ready_printing(auditlog)

    def ready_printing(self, auditlog):
        from .models_print import PrintTemplate
        from .printing import stock  # noqa: F401  (registers the printed stock documents)

        auditlog.register(PrintTemplate)
