from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "fabrika.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self):
        from . import receivers

        receivers.connect()
