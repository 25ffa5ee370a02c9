from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "fabrika.access"
    label = "access"
    verbose_name = _("Access")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Department, Role, User

        auditlog.register(User, exclude_fields=["password", "last_login"], m2m_fields={"roles"})
        auditlog.register(Department)
        auditlog.register(Role)

        from . import endpoints  # noqa: F401  (registers the API viewsets on the router)
