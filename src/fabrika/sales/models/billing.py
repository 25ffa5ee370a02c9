"""Billing: payment terms templates, an order's payment schedule, invoices, payments and what each
payment pays.

Amounts of invoices are gross (VAT included), as the customer pays them; the VAT in them is
`round(amount × rate / (100 + rate), 2)`, except the invoice that completes an order, which
takes the order's VAT less the VAT of the invoices before it (so the VAT of an order's invoices
adds up to the order's VAT exactly). A credit note is an invoice of kind "credit" with a
negative amount.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fabrika.catalog.fields import MoneyField

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class Trigger(models.TextChoices):
    """When a part of the order's price falls due."""

    ON_CONFIRMATION = "confirmation", _("On confirmation")
    BEFORE_PRODUCTION = "production", _("Before production")
    ON_SHIPMENT = "shipment", _("On shipment")
    AFTER_SHIPMENT = "after_shipment", _("Days after shipment")


ADVANCE_TRIGGERS = (Trigger.ON_CONFIRMATION, Trigger.BEFORE_PRODUCTION)


class PaymentTerms(models.Model):
    """A template of a payment schedule: "50 % advance, 50 % on delivery"."""

    access_area = "sales"

    name = models.CharField(_("name"), max_length=150, unique=True)
    active = models.BooleanField(_("active"), default=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("payment terms")
        verbose_name_plural = _("payment terms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PaymentTermsLine(models.Model):
    access_area = "sales"

    terms = models.ForeignKey(PaymentTerms, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("line"), default=0)
    percent = models.DecimalField(_("share, %"), max_digits=5, decimal_places=2, validators=PERCENT)
    trigger = models.CharField(_("due"), max_length=16, choices=Trigger.choices)
    days = models.PositiveSmallIntegerField(_("days"), default=0, validators=[MaxValueValidator(3650)])

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.CheckConstraint(condition=Q(percent__gt=0), name="termsline_percent_positive")]

    def __str__(self) -> str:
        return f"{self.percent} % {self.get_trigger_display()}"


class PaymentScheduleLine(models.Model):
    """One part of an order's price and when it falls due; the due date is known once its event happened."""

    access_area = "sales"
    owner_fields = ("order__manager",)

    order = models.ForeignKey("sales.SalesOrder", on_delete=models.CASCADE, related_name="schedule")
    position = models.PositiveSmallIntegerField(_("line"), default=0)
    percent = models.DecimalField(_("share, %"), max_digits=5, decimal_places=2, validators=PERCENT)
    trigger = models.CharField(_("due"), max_length=16, choices=Trigger.choices)
    days = models.PositiveSmallIntegerField(_("days"), default=0)
    amount = MoneyField(_("amount"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    invoice = models.ForeignKey(
        "sales.Invoice", verbose_name=_("invoice"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("payment schedule line")
        verbose_name_plural = _("payment schedule")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.percent} % {self.get_trigger_display()}"

    @property
    def is_advance(self) -> bool:
        return self.trigger in ADVANCE_TRIGGERS


class Invoice(models.Model):
    access_area = "sales"
    owner_fields = ("order__manager",)

    class Kind(models.TextChoices):
        ADVANCE = "advance", _("Advance invoice")
        FINAL = "final", _("Final invoice")
        REGULAR = "regular", _("Invoice")
        CREDIT = "credit", _("Credit note")

    class State(models.TextChoices):
        ISSUED = "issued", _("Issued")
        PARTLY_PAID = "partly_paid", _("Partly paid")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=40, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.REGULAR)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.ISSUED)
    order = models.ForeignKey(
        "sales.SalesOrder", verbose_name=_("order"), on_delete=models.PROTECT, related_name="invoices"
    )
    counterparty = models.ForeignKey(
        "crm.Counterparty", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="sales_invoices"
    )
    issue_date = models.DateField(_("date"))
    due_date = models.DateField(_("due date"))
    currency = models.CharField(_("currency"), max_length=3)
    amount = MoneyField(_("amount"))  # gross: what the customer pays (negative: a credit note)
    vat_rate = models.DecimalField(_("VAT rate, %"), max_digits=5, decimal_places=2, validators=PERCENT)
    vat_amount = MoneyField(_("VAT"))
    paid_amount = MoneyField(_("paid"), default=Decimal("0.00"))
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-id"]
        indexes = [
            models.Index(fields=["-issue_date", "-id"], name="invoice_date"),
            models.Index(fields=["state", "due_date"], name="invoice_state_due"),
            models.Index(fields=["counterparty", "state"], name="invoice_customer_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="credit", amount__lt=0) | (~Q(kind="credit") & Q(amount__gt=0)),
                name="invoice_amount_sign",
            ),
            models.CheckConstraint(condition=Q(paid_amount__gte=0), name="invoice_paid_not_negative"),
            models.CheckConstraint(
                condition=Q(kind="credit") | Q(paid_amount__lte=F("amount")), name="invoice_not_overpaid"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:invoice-detail", args=[self.pk])

    @property
    def open_amount(self) -> Decimal:
        """What is still to be paid (0 for a cancelled invoice; negative for a credit note)."""
        if self.state == self.State.CANCELLED:
            return Decimal("0.00")
        return self.amount - self.paid_amount

    @property
    def net_amount(self) -> Decimal:
        return self.amount - self.vat_amount

    @property
    def is_credit(self) -> bool:
        return self.kind == self.Kind.CREDIT


class Payment(models.Model):
    """Money received from a customer; `allocations` say which invoices it pays."""

    access_area = "sales"
    owner_fields = ("counterparty__responsible",)

    number = models.CharField(_("number"), max_length=40, unique=True, editable=False)
    counterparty = models.ForeignKey(
        "crm.Counterparty", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="sales_payments"
    )
    date = models.DateField(_("date"))
    amount = MoneyField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    reference = models.CharField(_("reference"), max_length=150, blank=True)
    note = models.TextField(_("note"), blank=True)
    allocated_amount = MoneyField(_("allocated"), default=Decimal("0.00"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["-date", "-id"], name="payment_date")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(allocated_amount__lte=F("amount")), name="payment_not_overallocated"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:payment-detail", args=[self.pk])

    @property
    def unallocated(self) -> Decimal:
        return self.amount - self.allocated_amount


class PaymentAllocation(models.Model):
    access_area = "sales"
    owner_fields = ("payment__counterparty__responsible",)

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = MoneyField(_("amount"))

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            models.UniqueConstraint(fields=["payment", "invoice"], name="uniq_allocation_payment_invoice"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.invoice_id}: {self.amount}"
