"""`check-ledger`: the ledger's invariants, checked with aggregate queries (never the whole ledger in memory)."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q, Sum

from .domain.money import money
from .models import Balance, CostLayer, Location, Reservation, StockMove, Warehouse

ZERO = Decimal("0")


def _money(value) -> Decimal:
    # SQLite sums decimals in floating point (7.94 comes back as 7.940000000000003): every stored
    # amount has 2 places and every quantity 6, so their exact sums do too.
    return money(value or ZERO)


def _qty(value) -> Decimal:
    return Decimal(value or ZERO).quantize(Decimal("0.000001"))


@dataclass(frozen=True)
class Violation:
    rule: str
    product_id: int
    warehouse_id: int
    detail: str

    def __str__(self) -> str:
        return f"[{self.rule}] product {self.product_id} in warehouse {self.warehouse_id}: {self.detail}"


def _ledger_sums() -> dict:
    """(product, warehouse) -> [qty, value] summed over the moves."""
    sums = defaultdict(lambda: [ZERO, ZERO])
    storage = {loc.pk: loc.warehouse_id for loc in Location.objects.filter(kind=Location.Kind.STORAGE)}
    for side, sign in (("to_location", 1), ("from_location", -1)):
        rows = (
            StockMove.objects.filter(**{f"{side}__kind": Location.Kind.STORAGE})
            .values("product_id", f"{side}_id")
            .annotate(qty=Sum("qty"), value=Sum("value"), settlement=Sum("settlement"))
        )
        for row in rows:
            key = (row["product_id"], storage[row[f"{side}_id"]])
            sums[key][0] += sign * _qty(row["qty"])
            sums[key][1] += sign * _money(row["value"])
            if sign > 0:  # a settlement belongs to the receiving (average-cost) side only
                sums[key][1] -= _money(row["settlement"])
    # Moves between two places of one warehouse were counted in and out: they cancel out.
    return sums


def check_ledger() -> list[Violation]:
    out: list[Violation] = []
    sums = _ledger_sums()
    balances = {(b.product_id, b.warehouse_id): b for b in Balance.objects.all().iterator(5000)}
    fifo = set(Warehouse.objects.filter(valuation=Warehouse.Valuation.FIFO).values_list("pk", flat=True))
    for key in set(sums) | set(balances):
        qty, value = sums.get(key, (ZERO, ZERO))
        b = balances.get(key)
        bq, bv = (b.qty, b.value) if b is not None else (ZERO, ZERO)
        if qty != bq:
            out.append(Violation("balance-qty", *key, f"balance {bq}, moves {qty}"))
        if value != bv:
            out.append(Violation("balance-value", *key, f"balance {bv}, moves {value}"))
        if bq == 0 and bv != 0:
            out.append(Violation("value-at-zero", *key, f"value {bv} at zero quantity"))
        if key[1] in fifo and bq < 0:
            out.append(Violation("fifo-negative", *key, f"quantity {bq}"))
    layers = CostLayer.objects.values("product_id", "warehouse_id").annotate(
        qty=Sum("remaining_qty"), value=Sum("remaining_value")
    )
    layer_sums = {(r["product_id"], r["warehouse_id"]): (_qty(r["qty"]), _money(r["value"])) for r in layers}
    for key, b in balances.items():
        if key[1] not in fifo:
            continue
        qty, value = layer_sums.get(key, (ZERO, ZERO))
        if (qty, value) != (b.qty, b.value):
            out.append(Violation("layers", *key, f"layers {qty} / {value}, balance {b.qty} / {b.value}"))
    for layer in CostLayer.objects.filter(Q(remaining_qty=0) & ~Q(remaining_value=0)).iterator():
        out.append(
            Violation(
                "layer-value-at-zero",
                layer.product_id,
                layer.warehouse_id,
                f"layer of move {layer.move_id} keeps {layer.remaining_value} at zero quantity",
            )
        )
    held = (
        Reservation.objects.filter(state=Reservation.State.ACTIVE)
        .values("product_id", "warehouse_id")
        .annotate(qty=Sum(F("qty") - F("qty_consumed")))
    )
    held = {(r["product_id"], r["warehouse_id"]): _qty(r["qty"]) for r in held}
    for key in set(held) | {k for k, b in balances.items() if b.reserved}:
        b = balances.get(key)
        reserved = b.reserved if b is not None else ZERO
        if held.get(key, ZERO) != reserved:
            out.append(Violation("reserved", *key, f"balance reserved {reserved}, reservations {held.get(key, ZERO)}"))
        if key[1] in fifo and b is not None and reserved > b.qty:
            out.append(Violation("over-reserved", *key, f"reserved {reserved} of {b.qty} on hand"))
    return sorted(out, key=lambda v: (v.rule, v.product_id, v.warehouse_id))
