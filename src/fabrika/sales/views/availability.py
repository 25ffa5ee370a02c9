"""The availability tab of the order card: the analysis as of now and as of the promised date side
by side (lines, and their BOM levels on demand), its export, and the three actions it leads to —
reserve what is in stock, create production orders, create supplier requests.

The actions are buttons posting to views that call `fabrika.sales.availability`; a refusal
(`AdvanceRequired`, `ValidationFailed`…) becomes a message and changes nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.views import View

from fabrika.access.policy import Policy, can, require
from fabrika.core.exports import export_response
from fabrika.core.views import PolicyMixin

from .. import availability
from ..models import SalesOrder, SalesOrderLine
from .common import order_or_404, run_service

ZERO = Decimal("0")

# One analysis's numbers of a row (a line or a part), in the order of the columns.
FIGURES = ("needed", "from_stock", "requested", "from_supply", "to_produce", "to_purchase")


@dataclass
class Figures:
    needed: Decimal = ZERO
    from_stock: Decimal = ZERO
    requested: Decimal = ZERO
    from_supply: Decimal = ZERO
    to_produce: Decimal = ZERO
    to_purchase: Decimal = ZERO
    ready: datetime.date | None = None

    @classmethod
    def of_part(cls, part: availability.Part) -> Figures:
        return cls(
            part.required,
            part.from_stock,
            part.requested,
            part.from_supply,
            part.to_produce,
            part.to_purchase,
            part.ready,
        )

    @property
    def values(self) -> list[Decimal]:
        return [getattr(self, name) for name in FIGURES]


@dataclass
class Row:
    """A line (`level` None) or one of its parts, with the figures of each analysis (None: the
    part does not appear in that analysis)."""

    line: SalesOrderLine
    product: object
    level: int | None
    now: Figures | None
    later: Figures | None
    ordered: Decimal | None = None
    reserved: Decimal | None = None
    in_production: Decimal | None = None
    free: Decimal | None = None
    parts: list[Row] = field(default_factory=list)
    phantom: bool = False  # a phantom node: made within its parent's order

    @property
    def is_line(self) -> bool:
        return self.level is None

    @property
    def indent(self) -> str:
        return f"{(self.level or 0) * 1.25:.2f}rem"

    def cells(self, which: str) -> list[tuple[str, object]]:
        """(column, value) of one analysis ("now" or "later"), the ready date last. Now is stock only:
        nothing comes from open supply, so the page leaves that column out."""
        figures = getattr(self, which)
        names = [*(n for n in FIGURES if which != "now" or n != "from_supply"), "ready"]
        if figures is None:
            return [(f"{which}-{name}", None) for name in names]
        return [(f"{which}-{name}", getattr(figures, name)) for name in names]

    @property
    def now_cells(self):
        return self.cells("now")

    @property
    def later_cells(self):
        return self.cells("later")


@dataclass
class Comparison:
    order: SalesOrder
    now: availability.Analysis
    later: availability.Analysis | None
    rows: list[Row]

    @property
    def as_of(self) -> datetime.date | None:
        return self.later.as_of if self.later else None

    @property
    def late(self) -> bool:
        """The earliest delivery counting open supply is after the promised date."""
        best = (self.later or self.now).earliest
        return bool(self.order.promised_date and best and best > self.order.promised_date)

    @property
    def to_make(self) -> list[tuple[object, Decimal]]:
        """What the lines must have made now, by product."""
        out: dict[int, list] = {}
        for la in self.now.lines:
            if la.to_produce > 0:
                out.setdefault(la.line.product_id, [la.line.product, ZERO])[1] += la.to_produce
        return [tuple(x) for x in out.values()]

    @property
    def has_parts(self) -> bool:
        return any(row.parts for row in self.rows)

    @property
    def has_stock_to_reserve(self) -> bool:
        return any(la.from_stock > 0 for la in self.now.lines)

    @property
    def has_to_produce(self) -> bool:
        return any(la.to_produce > 0 for la in self.now.lines)

    @property
    def has_to_purchase(self) -> bool:
        return bool(self.now.purchases)


def _paths(parts):
    """Each part with the path of products from the line's product down to it (its identity when the
    two analyses are compared)."""
    stack: list[int] = []
    for part in parts:
        del stack[part.level :]
        stack.append(part.product.pk)
        yield tuple(stack), part


def _merge_parts(line, now_parts, later_parts) -> list[Row]:
    """The parts of both analyses in one indented list: those of the first in their order, a part
    only the second has right after the part that precedes it there."""
    rows: dict[tuple, Row] = {}
    order: list[tuple] = []
    for key, part in _paths(now_parts):
        rows[key] = Row(line, part.product, part.level, Figures.of_part(part), None, phantom=part.phantom)
        order.append(key)
    previous = None
    for key, part in _paths(later_parts):
        if key in rows:
            rows[key].later = Figures.of_part(part)
        else:
            rows[key] = Row(line, part.product, part.level, None, Figures.of_part(part), phantom=part.phantom)
            order.insert(order.index(previous) + 1 if previous in order else len(order), key)
        previous = key
    return [rows[key] for key in order if rows[key].level > 0]


def _line_figures(la: availability.LineAnalysis) -> Figures:
    top = la.parts[0] if la.parts else None
    return Figures(
        top.required if top else ZERO,
        la.from_stock,
        top.requested if top else ZERO,
        la.from_supply,
        la.to_produce,
        la.to_purchase,
        la.ready,
    )


def compare(order: SalesOrder, as_of: datetime.date | None = None) -> Comparison:
    """The analysis now (stock only) and as of `as_of` (default: the promised date) with the open
    supply due by then, line by line."""
    now = availability.analyse(order)
    as_of = as_of or order.promised_date
    later = availability.analyse(order, as_of=as_of) if as_of else None
    rows = []
    for i, la in enumerate(now.lines):
        other = later.lines[i] if later else None
        row = Row(
            la.line,
            la.line.product,
            None,
            _line_figures(la),
            _line_figures(other) if other else None,
            ordered=la.ordered,
            reserved=la.reserved,
            in_production=la.in_production,
            free=la.free,
        )
        row.parts = _merge_parts(la.line, la.parts, other.parts if other else [])
        rows.append(row)
    return Comparison(order, now, later, rows)


def _parse_date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def tab_context(request, order: SalesOrder, rights: dict) -> dict:
    """What the availability tab shows (`OrderDetailView` adds it for `?tab=availability`)."""
    raw = request.GET.get("as_of", "").strip()
    as_of = _parse_date(raw)
    comparison = compare(order, as_of)
    user = request.user
    acting = order.is_open and rights["change"]
    return {
        "comparison": comparison,
        "as_of_error": bool(raw) and as_of is None,
        "can_reserve_available": acting and rights["post"] and comparison.has_stock_to_reserve,
        "can_create_production": acting and can(user, "production", "add") and comparison.has_to_produce,
        "can_create_requests": acting and can(user, "purchasing", "add") and comparison.has_to_purchase,
        "made": made_for(order, user),
    }


def made_for(order: SalesOrder, user) -> dict:
    """Open production orders and supplier requests made for the order (the links under the table)."""
    from fabrika.production.models import ProductionOrder

    made: dict = {"production": [], "requests": []}
    if can(user, "production", "view"):
        line_type = ContentType.objects.get_for_model(SalesOrderLine)
        level = list(
            ProductionOrder.objects.filter(
                source_type=line_type, source_id__in=list(order.lines.values_list("pk", flat=True))
            ).select_related("product")
        )
        while level:  # with their child orders, every stage down
            made["production"] += level
            level = list(ProductionOrder.objects.filter(parent__in=level).select_related("product"))
        made["production"].sort(key=lambda po: po.pk)
    if can(user, "purchasing", "view"):
        try:
            from fabrika.purchasing.models import SupplierRequest
        except ImportError:  # purchasing not installed
            return made
        made["requests"] = list(
            SupplierRequest.objects.filter(
                source_type=ContentType.objects.get_for_model(SalesOrder), source_id=str(order.pk)
            )
            .select_related("supplier")
            .order_by("pk")
        )
    return made


# --- export -----------------------------------------------------------------------------------


def export_rows(comparison: Comparison):
    from fabrika.inventory.templatetags.inventory_tags import plain_qty

    def figures(f: Figures | None):
        return [*map(plain_qty, f.values), f.ready] if f else [None] * (len(FIGURES) + 1)

    for row in comparison.rows:
        rows = [row, *row.parts]
        for item in rows:
            shared = [item.ordered, item.reserved, item.in_production, item.free] if item.is_line else [None] * 4
            yield [
                f"{comparison.order.number}/{row.line.position}",
                item.level or 0,
                item.product.code,
                item.product.name,
                item.product.unit.code,
                *map(plain_qty, shared),
                *figures(item.now),
                *figures(item.later),
            ]


def export_header(comparison: Comparison) -> list[str]:
    names = [
        _("Needed"),
        _("From stock"),
        _("Requested"),
        _("From open supply"),
        _("To produce"),
        _("To purchase"),
        _("Ready"),
    ]
    later = _("By %(date)s") % {"date": comparison.as_of.isoformat()} if comparison.as_of else _("By the promised date")
    return [
        _("Line"),
        _("Level"),
        _("Code"),
        _("Product"),
        _("Unit"),
        _("Ordered"),
        _("Reserved"),
        _("In production"),
        _("Free stock"),
        *[f"{_('Now')}: {name}" for name in names],
        *[f"{later}: {name}" for name in names],
    ]


class AvailabilityExportView(PolicyMixin, View):
    access_policy = Policy("sales", "view")

    def get(self, request, pk):
        order = order_or_404(request.user, pk)
        fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
        comparison = compare(order, _parse_date(request.GET.get("as_of", "").strip()))
        return export_response(fmt, f"availability-{order.number}", export_header(comparison), export_rows(comparison))


# --- actions ----------------------------------------------------------------------------------


def _links(objects) -> str:
    return format_html_join(", ", '<a href="{}">{}</a>', ((o.get_absolute_url(), o.number) for o in objects))


class AvailabilityActionView(PolicyMixin, View):
    """A button of the availability tab: one action of `fabrika.sales.availability` on the order."""

    access_policy = Policy("sales", "change")
    http_method_names = ["post"]
    also_needs: tuple[str, str] | None = None  # (area, action) the action needs besides sales/change

    def post(self, request, pk):
        if self.also_needs:
            require(request.user, *self.also_needs)
        order = order_or_404(request.user, pk, "change")
        back = reverse("sales:order-detail", args=[order.pk]) + "?tab=availability"
        response, made = run_service(request, lambda: self.act(order), "", back)
        if made is not None:
            self.tell(request, order, made)
        return response

    def act(self, order):
        raise NotImplementedError

    def tell(self, request, order, made):
        raise NotImplementedError


class ReserveAvailableView(AvailabilityActionView):
    also_needs = ("sales", "post")  # reserving is a stock operation, as the card's "Reserve" button

    def act(self, order):
        return availability.reserve_available(actor=self.request.user, order=order)

    def tell(self, request, order, made):
        if not made:
            messages.info(request, _("Nothing more could be reserved."))
            return
        lines = format_html_join(
            ", ",
            "{} × {}",
            ((r.product, _qty(r.qty)) for r in made),
        )
        messages.success(
            request,
            format_html(
                '{} {} <a href="{}">{}</a>',
                _("Reserved:"),
                lines,
                reverse("sales:order-detail", args=[order.pk]) + "?tab=lines",
                _("See the reservations"),
            ),
        )


class CreateProductionView(AvailabilityActionView):
    also_needs = ("production", "add")

    def act(self, order):
        return availability.create_production(actor=self.request.user, order=order)

    def tell(self, request, order, made):
        messages.success(request, format_html("{} {}", _("Production orders created:"), _links(made)))


class CreateRequestsView(AvailabilityActionView):
    also_needs = ("purchasing", "add")

    def act(self, order):
        return availability.create_requests(actor=self.request.user, order=order)

    def tell(self, request, order, made):
        messages.success(request, format_html("{} {}", _("Supplier requests created:"), _links(made)))


def _qty(value: Decimal) -> str:
    from fabrika.inventory.templatetags.inventory_tags import qty

    return qty(value)


urlpatterns = [
    path("orders/<int:pk>/availability/export/", AvailabilityExportView.as_view(), name="order-availability-export"),
    path("orders/<int:pk>/availability/reserve/", ReserveAvailableView.as_view(), name="order-availability-reserve"),
    path("orders/<int:pk>/availability/produce/", CreateProductionView.as_view(), name="order-availability-produce"),
    path("orders/<int:pk>/availability/request/", CreateRequestsView.as_view(), name="order-availability-request"),
]
