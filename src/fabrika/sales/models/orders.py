"""Customer orders: the header, its lines and the tasks its confirmation gave people.

An order moves draft → confirmed → in work → partly shipped → shipped → closed, and may be
cancelled until anything has been shipped. The totals are stored (the list sorts and sums them
over 100,000 orders) and recomputed by the services whenever the lines change:

    line amount = round(qty × price × (1 − discount % / 100), 2)       (half up)
    subtotal    = Σ line amounts            VAT = round(subtotal × VAT rate / 100, 2)
    total       = subtotal + VAT
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fabrika.catalog.fields import MoneyField, QuantityField
from fabrika.core.models import TimeStampedModel
from fabrika.core.money import money

ZERO = Decimal("0")


def line_amount(qty, price, discount_pct) -> Decimal:
    """What a line costs the customer, before VAT: the one rounding of a line."""
    if qty is None or price is None:
        return Decimal("0.00")
    return money(Decimal(qty) * Decimal(price) * (Decimal(100) - Decimal(discount_pct or 0)) / Decimal(100))


class SalesOrder(TimeStampedModel):
    access_area = "sales"
    owner_fields = ("manager",)

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CONFIRMED = "confirmed", _("Confirmed")
        IN_WORK = "in_work", _("In work")
        PARTLY_SHIPPED = "partly_shipped", _("Partly shipped")
        SHIPPED = "shipped", _("Shipped")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    class AdvancePolicy(models.TextChoices):
        NONE = "none", _("No advance needed")
        WARN = "warn", _("Warn when the advance is unpaid")
        BLOCK = "block", _("Production waits for the advance")

    S = State
    # What people do with an order (one service per move).
    TRANSITIONS = {
        (S.DRAFT, S.CONFIRMED),
        (S.CONFIRMED, S.IN_WORK),
        (S.SHIPPED, S.CLOSED),
        (S.DRAFT, S.CANCELLED),
        (S.CONFIRMED, S.CANCELLED),
        (S.IN_WORK, S.CANCELLED),
    }
    # Where shipments take it: goods leave (partly, all), or a shipment is reversed and the order
    # goes back a step (to in work when work had started, else to confirmed).
    SHIPPING_TRANSITIONS = {
        (S.CONFIRMED, S.PARTLY_SHIPPED),
        (S.CONFIRMED, S.SHIPPED),
        (S.IN_WORK, S.PARTLY_SHIPPED),
        (S.IN_WORK, S.SHIPPED),
        (S.PARTLY_SHIPPED, S.SHIPPED),
        (S.SHIPPED, S.PARTLY_SHIPPED),
        (S.PARTLY_SHIPPED, S.CONFIRMED),
        (S.PARTLY_SHIPPED, S.IN_WORK),
        (S.SHIPPED, S.CONFIRMED),
        (S.SHIPPED, S.IN_WORK),
    }
    OPEN_STATES = (S.CONFIRMED, S.IN_WORK, S.PARTLY_SHIPPED)  # goods may be reserved and shipped
    del S

    number = models.CharField(_("number"), max_length=40, unique=True, editable=False)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    counterparty = models.ForeignKey(
        "crm.Counterparty", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="sales_orders"
    )
    contact = models.ForeignKey(
        "crm.Contact", verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("manager"), on_delete=models.PROTECT, related_name="sales_orders"
    )
    order_date = models.DateField(_("order date"))
    promised_date = models.DateField(_("promised delivery"), null=True, blank=True)
    warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="sales_orders"
    )
    currency = models.CharField(_("currency"), max_length=3)
    price_type = models.ForeignKey(
        "catalog.PriceType",
        verbose_name=_("prices"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The price list of this type valid on the order date gives the line prices."),
    )
    payment_terms = models.ForeignKey(
        "sales.PaymentTerms",
        verbose_name=_("payment terms"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    advance_policy = models.CharField(
        _("advance"), max_length=8, choices=AdvancePolicy.choices, default=AdvancePolicy.NONE
    )
    delivery_address = models.TextField(_("delivery address"), blank=True)
    note = models.TextField(_("note"), blank=True)
    vat_rate = models.DecimalField(
        _("VAT rate, %"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )
    subtotal = MoneyField(_("amount before VAT"), default=Decimal("0.00"))
    discount_amount = MoneyField(_("discount"), default=Decimal("0.00"))
    vat_amount = MoneyField(_("VAT"), default=Decimal("0.00"))
    total = MoneyField(_("total"), default=Decimal("0.00"))
    deal = models.ForeignKey(
        "crm.Deal", verbose_name=_("deal"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True, editable=False)
    work_started_at = models.DateTimeField(_("work started"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True, editable=False)
    cancel_reason = models.CharField(_("reason cancelled"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        ordering = ["-order_date", "-id"]
        indexes = [
            # The list: newest first, by state, by manager (own scope), by customer; the calendar.
            models.Index(fields=["-order_date", "-id"], name="salesorder_date"),
            models.Index(fields=["state", "-order_date", "-id"], name="salesorder_state_date"),
            models.Index(fields=["manager", "-order_date", "-id"], name="salesorder_manager_date"),
            models.Index(fields=["counterparty", "-order_date", "-id"], name="salesorder_customer_date"),
            models.Index(fields=["promised_date"], name="salesorder_promised"),
            models.Index(fields=["total"], name="salesorder_total"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(subtotal__gte=0), name="salesorder_subtotal_not_negative"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:order-detail", args=[self.pk])

    def history_children(self) -> list[tuple]:
        return [(SalesOrderLine, {"order_id": self.pk})]

    @property
    def is_draft(self) -> bool:
        return self.state == self.State.DRAFT

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class SalesOrderLine(models.Model):
    access_area = "sales"
    owner_fields = ("order__manager",)

    class Origin(models.TextChoices):
        MANUAL = "manual", _("Entered by hand")
        TKP = "tkp", _("Technical-commercial proposal")
        CALCULATOR = "calculator", _("Calculator")
        CONFIGURATOR = "configurator", _("Configurator")

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("line"), default=0)
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="sales_lines"
    )
    description = models.CharField(_("description"), max_length=255, blank=True)
    qty = QuantityField(_("quantity"))
    unit = models.ForeignKey("catalog.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    qty_base = QuantityField(_("quantity in base unit"))
    price = MoneyField(_("price"))
    discount_pct = models.DecimalField(
        _("discount, %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )
    amount = MoneyField(_("amount"), default=Decimal("0.00"))
    qty_shipped = QuantityField(_("shipped"), default=ZERO)  # in the line's unit
    qty_returned = QuantityField(_("returned"), default=ZERO)
    configuration = models.JSONField(_("configuration"), default=dict, blank=True)
    origin_kind = models.CharField(_("made from"), max_length=12, choices=Origin.choices, default=Origin.MANUAL)
    origin_id = models.PositiveBigIntegerField(_("source record"), null=True, blank=True)
    origin_inputs = models.JSONField(_("source inputs"), default=dict, blank=True)
    # A custom product for this customer (a robot with a bigger case): its own BOM, which the
    # production order made for the line uses; the product's own BOM stays as it is.
    custom_bom = models.ForeignKey(
        "production.Bom",
        verbose_name=_("own BOM"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sales_lines",
    )

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(qty__gt=0), name="salesline_qty_positive"),
            models.CheckConstraint(condition=Q(price__gte=0), name="salesline_price_not_negative"),
            models.CheckConstraint(condition=Q(qty_shipped__gte=0), name="salesline_shipped_not_negative"),
        ]
        indexes = [models.Index(fields=["product", "order"], name="salesline_product_order")]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.position}: {self.product_id} × {self.qty}"

    @property
    def reference(self) -> str:
        """How warehouse documents and reservations name this line: "SO-2026-00017/3"."""
        return f"{self.order.number}/{self.position}"

    @property
    def factor(self) -> Decimal:
        """Base units in one of the line's units."""
        return self.qty_base / self.qty if self.qty else Decimal("1")

    @property
    def is_stocked(self) -> bool:
        return self.product.is_stocked

    @property
    def qty_to_ship(self) -> Decimal:
        return max(self.qty - self.qty_shipped, ZERO)

    @property
    def gross_amount(self) -> Decimal:
        return money(self.qty * self.price)


class OrderTask(models.Model):
    """A task that confirming the order gave someone (a CRM activity on their day page)."""

    access_area = "sales"
    owner_fields = ("order__manager",)

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="tasks")
    activity = models.OneToOneField("crm.Activity", on_delete=models.CASCADE, related_name="sales_order_task")

    class Meta:
        verbose_name = _("order task")
        verbose_name_plural = _("order tasks")

    def __str__(self) -> str:
        return f"{self.order_id}: {self.activity_id}"
