from django.db import models
from django.utils.translation import gettext_lazy as _

from ..areas import AREAS, OWN, SCOPE_ORDER


class Role(models.Model):
    """A set of per-area permissions and record scopes.

    `permissions` maps an area to the list of granted actions: {"crm": ["view", "add"]}.
    `scopes` maps an area with owned records to own / team / all: {"crm": "team"}.
    Built-in roles (`code` set) are created by the `access` migration and may be edited.
    """

    access_area = "access"

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    permissions = models.JSONField(_("permissions"), default=dict, blank=True)
    scopes = models.JSONField(_("record scopes"), default=dict, blank=True)
    requires_second_factor = models.BooleanField(_("requires a second factor (TOTP)"), default=False)
    builtin = models.BooleanField(_("built-in"), default=False, editable=False)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("access:role-edit", args=[self.pk])

    def grants(self, area: str, action: str) -> bool:
        return action in self.permissions.get(area, [])

    def scope_for(self, area: str) -> str:
        scope = self.scopes.get(area, OWN)
        return scope if scope in SCOPE_ORDER else OWN

    def granted_pairs(self) -> list[tuple[str, str]]:
        return [(a, act) for a, acts in self.permissions.items() if a in AREAS for act in acts]
