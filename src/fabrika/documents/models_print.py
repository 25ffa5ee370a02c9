"""Print templates an administrator has changed; the built-in ones are files (print_templates/)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

ANY_LANGUAGE = ""


def language_choices():
    return [(ANY_LANGUAGE, _("Any language")), *settings.LANGUAGES]


class PrintTemplate(models.Model):
    """An override of the built-in template of one printed form, for one language or for all.

    The body is a sandboxed Jinja template (see `documents.printing.sandbox`) and is only saved
    once it compiles and renders a sample document (`printing.services.print_template_save`).
    """

    access_area = "documents"

    code = models.CharField(_("form"), max_length=64, db_index=True)
    language = models.CharField(_("language"), max_length=8, blank=True, choices=language_choices)
    name = models.CharField(_("name"), max_length=150, blank=True)
    body = models.TextField(_("template"))
    css = models.TextField(_("stylesheet"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("changed by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("print template")
        verbose_name_plural = _("print templates")
        ordering = ["code", "language"]
        constraints = [models.UniqueConstraint(fields=["code", "language"], name="uniq_print_template_code_language")]

    def __str__(self) -> str:
        return f"{self.code} [{self.language or '*'}]"
