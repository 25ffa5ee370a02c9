from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Segment(models.Model):
    """A saved filter over counterparties (the query string of the counterparty list)."""

    access_area = "crm"
    owner_fields = ("owner",)

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    filters = models.JSONField(_("filters"), default=dict)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE,
                              related_name="segments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
