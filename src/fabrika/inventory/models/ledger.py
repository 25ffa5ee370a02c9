"""The stock ledger: moves (facts, append-only), balances, FIFO layers and their consumption."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fabrika.catalog.fields import MoneyField, QuantityField, UnitCostField


class Lot(models.Model):
    """A received quantity with its own cost (FIFO warehouses)."""

    access_area = "inventory"

    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="lots"
    )
    number = models.CharField(_("lot"), max_length=64)
    received_at = models.DateTimeField(_("received"))
    supplier = models.ForeignKey(
        "crm.Counterparty",
        verbose_name=_("supplier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    expiry = models.DateField(_("expiry"), null=True, blank=True)

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["received_at", "id"]
        constraints = [models.UniqueConstraint(fields=["product", "number"], name="uniq_lot_product_number")]

    def __str__(self) -> str:
        return self.number


class ValueGroup(models.Model):
    """Moves whose values depend on each other: the outputs of a production step take the value of its inputs.

    The issues of the group (from storage) are its inputs; its incoming moves with a `value_share`
    are its outputs and split the inputs' total value by their shares, plus their own `input_value`
    (labour and overhead). When a backdated posting changes an input's cost, the engine replays the
    outputs' timelines too (DESIGN.md §7).
    """

    access_area = "inventory"

    reference = models.CharField(_("reference"), max_length=100)
    source_type = models.ForeignKey(
        "contenttypes.ContentType", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("production step")
        verbose_name_plural = _("production steps")
        indexes = [models.Index(fields=["source_type", "source_id"], name="valuegroup_source")]

    def __str__(self) -> str:
        return self.reference


class StockMoveQuerySet(models.QuerySet):
    """The ledger is append-only: no deletes, and updates only of the derived valuation fields."""

    DERIVED = {"value", "unit_cost", "settlement"}

    def delete(self):
        from ..errors import ImmutableLedger

        raise ImmutableLedger("Posted stock moves cannot be deleted; post a reversal instead.")

    def update(self, **kwargs):
        from ..errors import ImmutableLedger

        if set(kwargs) - self.DERIVED:
            raise ImmutableLedger("The facts of a posted stock move cannot change.")
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        from ..errors import ImmutableLedger

        if set(fields) - self.DERIVED:
            raise ImmutableLedger("The facts of a posted stock move cannot change.")
        return super().bulk_update(objs, fields, batch_size=batch_size)


class StockMove(models.Model):
    """A posted move of one product from one location to another. Immutable once written.

    Facts: product, qty (base unit, > 0), locations, lot, posted_at, document line, kind,
    `input_value` (the cost an incoming move brings by itself, e.g. a receipt's purchase value).
    Derived (written only by the valuation engine): `value`, `unit_cost`.
    The timeline of a (product, warehouse) is ordered by (posted_at, id).
    """

    access_area = "inventory"
    FACT_FIELDS = (
        "product_id",
        "qty",
        "from_location_id",
        "to_location_id",
        "lot_id",
        "posted_at",
        "document_id",
        "line_id",
        "kind",
        "input_value",
        "reverses_id",
        "value_group_id",
        "value_share",
    )

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        SHIPMENT = "shipment", _("Shipment")
        TRANSFER = "transfer", _("Transfer")
        WRITEOFF = "writeoff", _("Write-off")
        ADJUSTMENT = "adjustment", _("Count adjustment")
        CUSTOMER_RETURN = "customer_return", _("Return from customer")
        SUPPLIER_RETURN = "supplier_return", _("Return to supplier")
        CONSUMPTION = "consumption", _("Production consumption")
        OUTPUT = "output", _("Production output")
        REVERSAL = "reversal", _("Reversal")

    # product, from_location, to_location: no index of their own, each is the first column of a
    # composite index below (an index less to write with every move).
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="moves", db_index=False)
    qty = QuantityField(_("quantity"))
    from_location = models.ForeignKey("inventory.Location", on_delete=models.PROTECT, related_name="+", db_index=False)
    to_location = models.ForeignKey("inventory.Location", on_delete=models.PROTECT, related_name="+", db_index=False)
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="moves")
    posted_at = models.DateTimeField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    document = models.ForeignKey(
        "inventory.StockDocument", null=True, blank=True, on_delete=models.PROTECT, related_name="moves"
    )
    line = models.ForeignKey(
        "inventory.StockDocumentLine", null=True, blank=True, on_delete=models.PROTECT, related_name="moves"
    )
    reverses = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals")
    input_value = MoneyField(_("incoming value"), null=True, blank=True)
    value_group = models.ForeignKey(ValueGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="moves")
    # An output of its value group: its weight in the split of the inputs' value.
    value_share = models.DecimalField(_("value share"), max_digits=24, decimal_places=6, null=True, blank=True)
    # Derived by the valuation engine.
    value = MoneyField(_("value"), null=True, blank=True)
    unit_cost = UnitCostField(_("unit cost"), null=True, blank=True)
    # Average cost, receipt into negative stock: the cost the earlier short issues should have carried.
    settlement = MoneyField(_("settlement"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = StockMoveQuerySet.as_manager()

    class Meta:
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        ordering = ["posted_at", "id"]
        indexes = [
            models.Index(fields=["product", "posted_at", "id"], name="move_product_time"),
            models.Index(fields=["from_location", "product", "posted_at"], name="move_from_time"),
            models.Index(fields=["to_location", "product", "posted_at"], name="move_to_time"),
            models.Index(fields=["posted_at"], name="move_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(qty__gt=0), name="move_qty_positive"),
            models.CheckConstraint(condition=~Q(from_location=models.F("to_location")), name="move_two_places"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.product_id} × {self.qty}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            from ..errors import ImmutableLedger

            raise ImmutableLedger("A posted stock move cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        from ..errors import ImmutableLedger

        raise ImmutableLedger("Posted stock moves cannot be deleted; post a reversal instead.")


class Balance(models.Model):
    """On hand, reserved and value of one product in one warehouse: the row posting locks."""

    access_area = "inventory"

    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="balances")
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="balances")
    qty = QuantityField(_("on hand"), default=0)
    reserved = QuantityField(_("reserved"), default=0)
    value = MoneyField(_("value"), default=0)
    average_cost = UnitCostField(_("average cost"), default=0)
    last_posted_at = models.DateTimeField(null=True, blank=True)
    last_move_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("balance")
        verbose_name_plural = _("balances")
        constraints = [models.UniqueConstraint(fields=["product", "warehouse"], name="uniq_balance")]
        indexes = [models.Index(fields=["warehouse", "product"], name="balance_wh_product")]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}: {self.qty}"

    @property
    def available(self):
        return self.qty - self.reserved


class CostLayer(models.Model):
    """A FIFO layer: what one incoming move (or one piece of a transfer) brought, and what is left."""

    access_area = "inventory"

    # product and move: first columns of layer_timeline and uniq_layer_piece, no index of their own.
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+", db_index=False)
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="+")
    move = models.ForeignKey(StockMove, on_delete=models.PROTECT, related_name="layers", db_index=False)
    piece = models.PositiveSmallIntegerField(default=0)
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="layers")
    posted_at = models.DateTimeField()
    qty_in = QuantityField()
    value_in = MoneyField()
    remaining_qty = QuantityField()
    remaining_value = MoneyField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["move", "warehouse", "piece"], name="uniq_layer_piece"),
            models.CheckConstraint(condition=Q(remaining_qty__gte=0), name="layer_not_negative"),
        ]
        indexes = [
            models.Index(fields=["product", "warehouse", "posted_at", "move", "piece"], name="layer_timeline"),
            models.Index(fields=["product", "warehouse"], condition=Q(remaining_qty__gt=0), name="layer_open"),
        ]

    def __str__(self) -> str:
        return f"layer {self.move_id}/{self.piece}: {self.remaining_qty} of {self.qty_in}"


class LayerConsumption(models.Model):
    """How much of a layer an issue move took, and at what value."""

    move = models.ForeignKey(StockMove, on_delete=models.PROTECT, related_name="consumptions")
    layer = models.ForeignKey(CostLayer, on_delete=models.PROTECT, related_name="consumptions", db_index=False)
    qty = QuantityField()
    value = MoneyField()

    class Meta:
        indexes = [models.Index(fields=["layer"], name="consumption_layer")]

    def __str__(self) -> str:
        return f"{self.move_id} took {self.qty} of layer {self.layer_id}"
