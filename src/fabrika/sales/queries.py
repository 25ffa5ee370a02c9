"""Read-side helpers of sales for pages, the API and reports.

- popular items while entering an order: `customer_favourites`, `bought_together`, `best_sellers`
  (cancelled orders and drafts do not count: what customers really ordered);
- the order card: `order_reservations`, `order_lines_with_stock`;
- receivables and the overdue list (`receivables`), the shipments calendar (`shipment_calendar`);
- a fast order list: `LimitedCountPaginator` counts at most 10,000 rows.
"""

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.functional import cached_property

from fabrika.catalog.models import Product
from fabrika.inventory.models import Balance, Reservation

from .models import Invoice, SalesOrder, SalesOrderLine, Shipment

ZERO = Decimal("0")
COUNTED = (
    SalesOrder.State.CONFIRMED,
    SalesOrder.State.IN_WORK,
    SalesOrder.State.PARTLY_SHIPPED,
    SalesOrder.State.SHIPPED,
    SalesOrder.State.CLOSED,
)


# --- popular items ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    product: Product
    orders: int  # how many orders had it
    qty: Decimal  # how much of it they ordered (base units)
    reason: str  # "customer", "together", "best"


def _counted_lines():
    return SalesOrderLine.objects.filter(order__state__in=COUNTED, product__active=True)


def _suggestions(rows, reason: str) -> list[Suggestion]:
    products = Product.objects.in_bulk([row["product"] for row in rows])
    return [
        Suggestion(products[row["product"]], row["orders"], row["qty"], reason)
        for row in rows
        if row["product"] in products
    ]


def customer_favourites(counterparty, *, exclude=(), limit: int = 6) -> list[Suggestion]:
    """The products this customer ordered most often (then most of), latest first on a tie."""
    rows = (
        _counted_lines()
        .filter(order__counterparty=counterparty)
        .exclude(product_id__in=list(exclude))
        .values("product")
        .annotate(orders=Count("order", distinct=True), qty=Sum("qty_base"))
        .order_by("-orders", "-qty", "product")[:limit]
    )
    return _suggestions(list(rows), "customer")


def bought_together(product_ids, *, exclude=(), limit: int = 6) -> list[Suggestion]:
    """Products found in the same orders as any of `product_ids`, by the number of such orders."""
    product_ids = list(product_ids)
    if not product_ids:
        return []
    orders = _counted_lines().filter(product_id__in=product_ids).values("order_id")
    rows = (
        _counted_lines()
        .filter(order_id__in=orders)
        .exclude(product_id__in=product_ids + list(exclude))
        .values("product")
        .annotate(orders=Count("order", distinct=True), qty=Sum("qty_base"))
        .order_by("-orders", "-qty", "product")[:limit]
    )
    return _suggestions(list(rows), "together")


def best_sellers(*, days: int = 90, today: datetime.date | None = None, exclude=(), limit: int = 6) -> list[Suggestion]:
    """What sold most (in quantity, then in number of orders) in the last `days` days."""
    today = today or timezone.localdate()
    rows = (
        _counted_lines()
        .filter(order__order_date__gt=today - datetime.timedelta(days=days), order__order_date__lte=today)
        .exclude(product_id__in=list(exclude))
        .values("product")
        .annotate(orders=Count("order", distinct=True), qty=Sum("qty_base"))
        .order_by("-qty", "-orders", "product")[:limit]
    )
    return _suggestions(list(rows), "best")


def suggestions_for(*, counterparty=None, product_ids=(), limit: int = 6) -> dict[str, list[Suggestion]]:
    """The three lists of the order form; a product shows in one list only, and never when on the order."""
    shown = set(product_ids)
    result = {}
    result["customer"] = customer_favourites(counterparty, exclude=shown, limit=limit) if counterparty else []
    shown |= {s.product.pk for s in result["customer"]}
    result["together"] = bought_together(product_ids, exclude=shown, limit=limit)
    shown |= {s.product.pk for s in result["together"]}
    result["best"] = best_sellers(exclude=shown, limit=limit)
    return result


# --- the order card ---------------------------------------------------------------------------


def order_reservations(order: SalesOrder) -> list[Reservation]:
    line_ids = list(order.lines.values_list("pk", flat=True))
    return list(
        Reservation.objects.filter(
            source_type=ContentType.objects.get_for_model(SalesOrderLine), source_id__in=line_ids
        )
        .select_related("product", "lot", "warehouse")
        .order_by("created_at", "pk")
    )


@dataclass
class LineState:
    line: SalesOrderLine
    reserved: Decimal = ZERO  # open reservation, base units
    free: Decimal | None = None  # free stock in the order's warehouse, base units
    planned: Decimal = ZERO  # in planned shipments, line units

    @property
    def to_ship(self) -> Decimal:
        return max(self.line.qty - self.line.qty_shipped, ZERO)

    @property
    def to_reserve(self) -> Decimal:
        """Base units still to hold."""
        return max(self.to_ship * self.line.factor - self.reserved, ZERO)

    @property
    def shippable(self) -> Decimal:
        """Line units that may leave now: reserved and not in a planned shipment."""
        if not self.line.qty:
            return ZERO
        return max(min(self.reserved / self.line.factor - self.planned, self.to_ship - self.planned), ZERO)

    @property
    def returnable(self) -> Decimal:
        return self.line.qty_shipped - self.line.qty_returned


def order_lines_with_stock(order: SalesOrder) -> list[LineState]:
    """The order's lines with what is reserved for them, free in the warehouse and planned to ship."""
    lines = list(order.lines.select_related("product", "unit", "product__unit").order_by("position", "id"))
    reserved = defaultdict(lambda: ZERO)
    for row in (
        Reservation.objects.filter(
            source_type=ContentType.objects.get_for_model(SalesOrderLine),
            source_id__in=[ln.pk for ln in lines],
            state=Reservation.State.ACTIVE,
        )
        .values("source_id")
        .annotate(q=Sum(F("qty") - F("qty_consumed")))
    ):
        reserved[row["source_id"]] = row["q"]
    planned = defaultdict(lambda: ZERO)
    for row in (
        Shipment.objects.filter(order=order, state=Shipment.State.PLANNED)
        .values("lines__order_line")
        .annotate(q=Sum("lines__qty"))
    ):
        planned[row["lines__order_line"]] = row["q"] or ZERO
    free = {
        b.product_id: b.qty - b.reserved
        for b in Balance.objects.filter(warehouse=order.warehouse_id, product_id__in=[ln.product_id for ln in lines])
    }
    return [
        LineState(
            line,
            reserved[line.pk],
            free.get(line.product_id, ZERO) if line.product.is_stocked else None,
            planned[line.pk],
        )
        for line in lines
    ]


# --- receivables ------------------------------------------------------------------------------


def receivables(queryset=None, *, overdue_on: datetime.date | None = None):
    """Invoices with money still to come (issued or partly paid, not credit notes), due first first;
    with `overdue_on`, only those due before that day."""
    qs = (
        (queryset if queryset is not None else Invoice.objects.all())
        .filter(state__in=[Invoice.State.ISSUED, Invoice.State.PARTLY_PAID])
        .exclude(kind=Invoice.Kind.CREDIT)
    )
    if overdue_on is not None:
        qs = qs.filter(due_date__lt=overdue_on)
    return qs.annotate(open=F("amount") - F("paid_amount"))


def receivable_totals(queryset) -> dict:
    """Per currency: invoices, amount, paid, open."""
    rows = (
        queryset.values("currency")
        .annotate(n=Count("id"), amount=Sum("amount"), paid=Sum("paid_amount"))
        .order_by("currency")
    )
    return [
        {
            "currency": r["currency"],
            "count": r["n"],
            "amount": r["amount"],
            "paid": r["paid"],
            "open": r["amount"] - r["paid"],
        }
        for r in rows
    ]


# --- shipments calendar -----------------------------------------------------------------------


@dataclass
class Day:
    date: datetime.date
    in_month: bool
    shipments: list = field(default_factory=list)
    orders: list = field(default_factory=list)  # promised for the day, nothing planned yet

    @property
    def is_today(self) -> bool:
        return self.date == timezone.localdate()


def shipment_calendar(orders, *, year: int, month: int) -> list[list[Day]]:
    """Weeks (Monday first) of the month: planned deliveries of shipments, and open orders
    promised for a day that have no shipment planned yet. `orders`: the orders the user may see."""
    weeks_dates = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return _fill(orders, weeks_dates, lambda d: d.month == month)


def shipment_week(orders, *, day: datetime.date) -> list[list[Day]]:
    """The week (Monday to Sunday) of `day`, as one row of the calendar."""
    monday = day - datetime.timedelta(days=day.weekday())
    return _fill(orders, [[monday + datetime.timedelta(days=i) for i in range(7)]], lambda d: True)


def _fill(orders, weeks_dates, in_month) -> list[list[Day]]:
    first, last = weeks_dates[0][0], weeks_dates[-1][-1]
    days = {d: Day(d, in_month(d)) for week in weeks_dates for d in week}
    shipments = (
        Shipment.objects.filter(order__in=orders, planned_delivery__range=(first, last))
        .exclude(state=Shipment.State.CANCELLED)
        .select_related("order", "order__counterparty", "document")
        .prefetch_related("lines__order_line__product")
        .order_by("planned_delivery", "pk")
    )
    planned_orders = set()
    for shipment in shipments:
        days[shipment.planned_delivery].shipments.append(shipment)
        planned_orders.add(shipment.order_id)
    promised = (
        orders.filter(promised_date__range=(first, last), state__in=SalesOrder.OPEN_STATES)
        .exclude(pk__in=planned_orders)
        .select_related("counterparty")
        .order_by("promised_date", "pk")
    )
    for order in promised:
        days[order.promised_date].orders.append(order)
    return [[days[d] for d in week] for week in weeks_dates]


# --- a list that stays fast -------------------------------------------------------------------


class LimitedCountPaginator(Paginator):
    """Counts at most `limit` + 1 rows: "10,000+" instead of a full count of a big table."""

    limit = 10_000

    @cached_property
    def count(self):
        counted = self.object_list.order_by()[: self.limit + 1].count()
        self.capped = counted > self.limit
        return min(counted, self.limit)


def open_amounts_by_order(order_ids) -> dict[int, Decimal]:
    rows = (
        Invoice.objects.filter(order_id__in=order_ids)
        .exclude(state=Invoice.State.CANCELLED)
        .values("order_id")
        .annotate(open=Sum(F("amount") - F("paid_amount")))
    )
    return {r["order_id"]: r["open"] for r in rows}


def order_search(queryset, text: str):
    """Orders where every word of `text` is in the customer's name or in the number: "robokids",
    "00017", "robokids 2026". The customers are found first (a small table) and their orders
    through the customer index; the numbers are looked at (a scan of the orders) only for words
    with a digit in them, as every number has."""
    from fabrika.crm.models import Counterparty

    words = text.split()
    if not words:
        return queryset
    for word in words:
        found = Q(counterparty_id__in=Counterparty.objects.filter(name__icontains=word).values("pk"))
        if any(ch.isdigit() for ch in word):
            found |= Q(number__icontains=word)
        queryset = queryset.filter(found)
    return queryset
