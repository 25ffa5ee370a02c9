from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "fabrika.crm"
    label = "crm"
    verbose_name = _("Customers")

    def ready(self):
        from auditlog.registry import auditlog

        from fabrika.core import numbering

        from . import models

        numbering.register("deal", prefix="DEAL", label=_("Deal"))
        for model in (
            models.Counterparty, models.Address, models.Contact, models.Activity, models.Deal,
            models.FunnelStage, models.Segment, models.ClassifierKind, models.ClassifierValue, models.Tag,
        ):
            auditlog.register(
                model,
                m2m_fields=getattr(model, "audit_m2m", set()),
                # Derived bookkeeping fields are not news to the people reading the history.
                exclude_fields=["phone_normalized", "reached_order", "created_at", "updated_at"],
            )

        from . import widgets

        widgets.register()
