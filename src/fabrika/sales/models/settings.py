"""Sales settings of the company: the discount a manager may give, who is told about new orders."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]

# Who is told when an order is confirmed, unless an administrator changes it.
DEFAULT_NOTIFY_ROLES = ("production_manager", "engineer", "economist")


class SalesSettings(models.Model):
    """One row (pk=1): the rules of selling for the whole company."""

    access_area = "sales"
    audit_m2m = {"notify_roles"}

    max_discount_pct = models.DecimalField(
        _("largest discount a manager may give, %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.00"),
        validators=PERCENT,
        help_text=_("A larger discount needs the sales approve right. A user may have a limit of their own."),
    )
    notify_roles = models.ManyToManyField(
        "access.Role",
        verbose_name=_("roles told about confirmed orders"),
        blank=True,
        related_name="+",
        help_text=_("Everyone with one of these roles gets a task on their day page when an order is confirmed."),
    )
    task_due_days = models.PositiveSmallIntegerField(
        _("days to look at a confirmed order"), default=1, validators=[MaxValueValidator(60)]
    )
    default_payment_terms = models.ForeignKey(
        "sales.PaymentTerms",
        verbose_name=_("default payment terms"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    default_warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("default warehouse"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    default_price_type = models.ForeignKey(
        "catalog.PriceType",
        verbose_name=_("default price type"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    invoice_due_days = models.PositiveSmallIntegerField(
        _("days to pay an invoice"), default=14, validators=[MaxValueValidator(365)]
    )

    class Meta:
        verbose_name = _("sales settings")
        verbose_name_plural = _("sales settings")

    def __str__(self) -> str:
        return str(_("Sales settings"))

    @classmethod
    def load(cls) -> "SalesSettings":
        obj = cls.objects.filter(pk=1).first()
        if obj is None:
            from fabrika.access.models import Role

            obj, created = cls.objects.get_or_create(pk=1)
            if created:
                obj.notify_roles.set(Role.objects.filter(code__in=DEFAULT_NOTIFY_ROLES))
        return obj


class DiscountLimit(models.Model):
    """A user's own discount limit, instead of the company's (a head of sales may give more)."""

    access_area = "sales"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="discount_limit"
    )
    max_discount_pct = models.DecimalField(_("largest discount, %"), max_digits=5, decimal_places=2, validators=PERCENT)

    class Meta:
        verbose_name = _("discount limit")
        verbose_name_plural = _("discount limits")
        ordering = ["user__last_name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user}: {self.max_discount_pct} %"
