from django.db import models
from django.utils.translation import gettext_lazy as _


class ClassifierKind(models.Model):
    """A configurable dictionary for counterparties: industry, region, source…"""

    access_area = "crm"

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("classifier")
        verbose_name_plural = _("classifiers")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class ClassifierValue(models.Model):
    access_area = "crm"

    kind = models.ForeignKey(ClassifierKind, verbose_name=_("classifier"), on_delete=models.CASCADE,
                             related_name="values")
    name = models.CharField(_("value"), max_length=100)

    class Meta:
        verbose_name = _("classifier value")
        verbose_name_plural = _("classifier values")
        ordering = ["kind__order", "kind__name", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="uniq_classifier_value")]

    def __str__(self) -> str:
        return f"{self.kind.name}: {self.name}"


class Tag(models.Model):
    access_area = "crm"

    name = models.CharField(_("tag"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
