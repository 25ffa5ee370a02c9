from django.db import models
from django.utils.translation import gettext_lazy as _


class NumberFormat(models.Model):
    """How the numbers of one document type look: `ORD-2026-00017`."""

    doc_type = models.CharField(_("document type"), max_length=40, unique=True)
    prefix = models.CharField(_("prefix"), max_length=20)
    padding = models.PositiveSmallIntegerField(_("digits"), default=5)

    class Meta:
        verbose_name = _("number format")
        verbose_name_plural = _("number formats")
        ordering = ["doc_type"]

    def __str__(self) -> str:
        return f"{self.doc_type}: {self.prefix}"


class NumberSequence(models.Model):
    """The last number issued for one document type in one year.

    Numbers are gapless: the row is locked while the next number is taken, inside the
    transaction that creates the document, so a rolled-back document gives its number back.
    """

    doc_type = models.CharField(_("document type"), max_length=40)
    year = models.PositiveIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        constraints = [models.UniqueConstraint(fields=["doc_type", "year"], name="uniq_sequence_type_year")]

    def __str__(self) -> str:
        return f"{self.doc_type} {self.year}: {self.last_number}"
