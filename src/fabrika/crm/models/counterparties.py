import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fabrika.core.models import TimeStampedModel


def normalize_phone(phone: str) -> str:
    """Digits only, so that "+33 1 23-45" and "+331 2345" are found as the same number."""
    return re.sub(r"\D", "", phone or "")


class Counterparty(TimeStampedModel):
    """A company or person we deal with: customer, supplier, or both."""

    access_area = "crm"
    owner_fields = ("responsible",)
    audit_m2m = {"classifiers", "tags"}

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        PERSON = "person", _("Person")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.COMPANY)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    legal_name = models.CharField(_("legal name"), max_length=300, blank=True)
    is_customer = models.BooleanField(_("customer"), default=True)
    is_supplier = models.BooleanField(_("supplier"), default=False)
    tax_id = models.CharField(_("tax id"), max_length=32, blank=True, db_index=True)
    registration_number = models.CharField(_("registration number"), max_length=32, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    phone_normalized = models.CharField(max_length=50, blank=True, editable=False, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=64, blank=True)
    bank_code = models.CharField(_("bank code (BIC)"), max_length=32, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("responsible manager"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="counterparties",
    )
    classifiers = models.ManyToManyField("crm.ClassifierValue", verbose_name=_("classifiers"), blank=True)
    tags = models.ManyToManyField("crm.Tag", verbose_name=_("tags"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("counterparty")
        verbose_name_plural = _("counterparties")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tax_id"], condition=~Q(tax_id=""), name="uniq_counterparty_tax_id"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.phone_normalized = normalize_phone(self.phone)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("crm:counterparty-detail", args=[self.pk])

    def history_children(self) -> list[tuple]:
        """Records whose changes show in this card's history (`{% object_history %}`)."""
        return [(Contact, {"counterparty_id": self.pk}), (Address, {"counterparty_id": self.pk})]

    @property
    def roles_display(self) -> str:
        parts = []
        if self.is_customer:
            parts.append(str(_("customer")))
        if self.is_supplier:
            parts.append(str(_("supplier")))
        return ", ".join(parts)


class Address(models.Model):
    access_area = "crm"
    owner_fields = ("counterparty__responsible",)

    class Kind(models.TextChoices):
        LEGAL = "legal", _("Legal")
        POSTAL = "postal", _("Postal")
        DELIVERY = "delivery", _("Delivery")
        OTHER = "other", _("Other")

    counterparty = models.ForeignKey(Counterparty, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.LEGAL)
    text = models.TextField(_("address"))

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text}"


class Contact(TimeStampedModel):
    """A person at a counterparty."""

    access_area = "crm"
    owner_fields = ("counterparty__responsible",)

    counterparty = models.ForeignKey(
        Counterparty, verbose_name=_("counterparty"), on_delete=models.CASCADE, related_name="contacts"
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    position = models.CharField(_("position"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    mobile = models.CharField(_("mobile"), max_length=50, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_primary = models.BooleanField(_("main contact"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "last_name", "first_name", "id"]

    def __str__(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)
