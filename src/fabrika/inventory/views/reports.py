"""Stock reports: on hand (as of any date, by lot), inventory value, movement history of a product,
turnover of a period, slow movers. Each one exports to CSV and XLSX with the same columns.

All need the inventory view right; values and costs are shown (and exported) only with the
inventory cost right, and the value report needs it to open at all.
"""

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fabrika.access.policy import Policy

from .. import queries
from ..forms import HistoryForm, SlowMoversForm, StockReportForm, TurnoverForm, ValueReportForm
from .common import ReportColumn, ReportView, can_see_cost


def _history_url(row, warehouse_id=None):
    today = timezone.localdate()
    params = {"product": row.product_id, "date_from": today.replace(day=1).isoformat(), "date_to": today.isoformat()}
    if warehouse_id:
        params["warehouse"] = warehouse_id
    return f"{reverse('inventory:product-history')}?{urlencode(params)}"


class StockOnHandView(ReportView):
    access_policy = Policy("inventory", "view")
    form_class = StockReportForm
    title = gettext_lazy("Stock on hand")
    export_name = "stock-on-hand"
    template_name = "inventory/report_stock.html"

    def get_columns(self, form):
        data = form.cleaned_data
        now = queries.is_now(data.get("as_of"))
        columns = [
            ReportColumn("code", _("Code"), href=lambda r: _history_url(r, r.warehouse_id)),
            ReportColumn("name", _("Product")),
            ReportColumn("group", _("Group")),
            ReportColumn("unit", _("Unit")),
            ReportColumn("warehouse", _("Warehouse")),
        ]
        if data.get("by_lot"):
            columns += [ReportColumn("lot", _("Lot")), ReportColumn("lot_received", _("Received"), "datetime")]
        columns.append(ReportColumn("qty", _("On hand"), "qty"))
        if now:
            columns += [
                ReportColumn("reserved", _("Reserved"), "qty"),
                ReportColumn("available", _("Available"), "qty"),
            ]
        columns += [
            ReportColumn("value", _("Value"), "money", cost=True),
            ReportColumn("average_cost", _("Average cost"), "cost", cost=True),
        ]
        return columns

    def get_rows(self, form):
        data = form.cleaned_data
        return queries.stock_on_hand(
            as_of=data.get("as_of"),
            warehouse=data.get("warehouse"),
            group=data.get("group"),
            product=data.get("product"),
            by_lot=data.get("by_lot", False),
        )

    def extra_context(self, form, rows):
        as_of = form.cleaned_data.get("as_of")
        ctx = {"as_of": None if queries.is_now(as_of) else as_of}
        if can_see_cost(self.request.user):
            ctx["total_value"] = sum((r.value for r in rows), Decimal("0.00"))
        return ctx


@dataclass
class ValueLine:
    section: str
    name: str
    value: Decimal


class StockValueView(ReportView):
    access_policy = Policy("inventory", "cost")
    form_class = ValueReportForm
    title = gettext_lazy("Inventory value")
    export_name = "inventory-value"
    template_name = "inventory/report_value.html"
    paginate_by = 1000

    def get_columns(self, form):
        return [
            ReportColumn("section", _("By")),
            ReportColumn("name", _("Name")),
            ReportColumn("value", _("Value"), "money", cost=True),
        ]

    def get_rows(self, form):
        data = form.cleaned_data
        self.report = queries.inventory_value(
            as_of=data.get("as_of"), warehouse=data.get("warehouse"), group=data.get("group")
        )
        warehouse, group = str(_("Warehouse")), str(_("Group"))
        rows = [ValueLine(warehouse, name, value) for _pk, name, value in self.report.by_warehouse]
        rows += [ValueLine(group, name or str(_("No group")), value) for _pk, name, value in self.report.by_group]
        rows.append(ValueLine(str(_("Total")), "", self.report.total))
        return rows

    def extra_context(self, form, rows):
        as_of = form.cleaned_data.get("as_of")
        return {"report": self.report, "as_of": None if queries.is_now(as_of) else as_of, "hide_count": True}


@dataclass
class EdgeRow:
    """The opening or closing balance line of a movement history."""

    kind_label: str
    qty_after: Decimal
    value_after: Decimal
    edge: bool = True
    posted_at: object = None
    document: str = ""
    document_id: None = None
    warehouse: str = ""
    source: str = ""
    target: str = ""
    lot: str = ""
    qty_in: object = None
    qty_out: object = None
    value_change: object = None


class ProductHistoryView(ReportView):
    access_policy = Policy("inventory", "view")
    form_class = HistoryForm
    title = gettext_lazy("Movement history")
    export_name = "movement-history"
    template_name = "inventory/report_history.html"
    paginate_by = 500

    def initial_data(self):
        start, end = queries.month_start(timezone.localdate()), timezone.localdate()
        return {"date_from": start.isoformat(), "date_to": end.isoformat()}

    def get_columns(self, form):
        return [
            ReportColumn("posted_at", _("Date"), "datetime"),
            ReportColumn(
                "document",
                _("Document"),
                href=lambda r: reverse("inventory:document-detail", args=[r.document_id]) if r.document_id else None,
            ),
            ReportColumn("kind_label", _("Operation")),
            ReportColumn("warehouse", _("Warehouse")),
            ReportColumn("source", _("From")),
            ReportColumn("target", _("To")),
            ReportColumn("lot", _("Lot")),
            ReportColumn("qty_in", _("In"), "qty"),
            ReportColumn("qty_out", _("Out"), "qty"),
            ReportColumn("value_change", _("Value change"), "money", cost=True),
            ReportColumn("qty_after", _("Balance"), "qty"),
            ReportColumn("value_after", _("Balance value"), "money", cost=True),
        ]

    def get_rows(self, form):
        data = form.cleaned_data
        history = queries.product_history(
            product=data["product"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            warehouse=data.get("warehouse"),
        )
        self.history = history
        return [
            EdgeRow(str(_("Opening balance")), history.opening_qty, history.opening_value),
            *history.rows(),
            EdgeRow(str(_("Closing balance")), history.closing_qty, history.closing_value),
        ]

    def extra_context(self, form, rows):
        return {"history": self.history, "product": form.cleaned_data["product"]}


class TurnoverView(ReportView):
    access_policy = Policy("inventory", "view")
    form_class = TurnoverForm
    title = gettext_lazy("Turnover")
    export_name = "turnover"

    def initial_data(self):
        today = timezone.localdate()
        return {"date_from": today.replace(day=1).isoformat(), "date_to": today.isoformat()}

    def get_columns(self, form):
        columns = [
            ReportColumn("code", _("Code")),
            ReportColumn("name", _("Product")),
            ReportColumn("group", _("Group")),
            ReportColumn("unit", _("Unit")),
        ]
        for key, label in (
            ("opening", _("Opening")),
            ("in", _("In")),
            ("out", _("Out")),
            ("closing", _("Closing")),
        ):
            columns += [
                ReportColumn(f"{key}_qty", label, "qty"),
                ReportColumn(f"{key}_value", _("%(what)s value") % {"what": label}, "money", cost=True),
            ]
        return columns

    def get_rows(self, form):
        data = form.cleaned_data
        return queries.turnover(
            date_from=data["date_from"],
            date_to=data["date_to"],
            warehouse=data.get("warehouse"),
            group=data.get("group"),
        )

    def extra_context(self, form, rows):
        if not can_see_cost(self.request.user):
            return {}
        zero = Decimal("0.00")
        return {
            "totals": {
                key: sum((getattr(r, f"{key}_value") for r in rows), zero)
                for key in ("opening", "in", "out", "closing")
            }
        }


class SlowMoversView(ReportView):
    access_policy = Policy("inventory", "view")
    form_class = SlowMoversForm
    title = gettext_lazy("Slow movers")
    export_name = "slow-movers"

    def initial_data(self):
        return {"days": 90}

    def get_columns(self, form):
        return [
            ReportColumn("code", _("Code"), href=lambda r: _history_url(r, r.warehouse_id)),
            ReportColumn("name", _("Product")),
            ReportColumn("group", _("Group")),
            ReportColumn("unit", _("Unit")),
            ReportColumn("warehouse", _("Warehouse")),
            ReportColumn("qty", _("On hand"), "qty"),
            ReportColumn("value", _("Value"), "money", cost=True),
            ReportColumn("last_issue", _("Last issue"), "datetime"),
            ReportColumn("idle_days", _("Days without issue"), "int"),
        ]

    def get_rows(self, form):
        data = form.cleaned_data
        return queries.slow_movers(days=data["days"], warehouse=data.get("warehouse"), group=data.get("group"))

    def extra_context(self, form, rows):
        if not can_see_cost(self.request.user):
            return {}
        return {"total_value": sum((r.value for r in rows), Decimal("0.00"))}


urlpatterns = [
    path("stock/", StockOnHandView.as_view(), name="stock-on-hand"),
    path("stock/value/", StockValueView.as_view(), name="stock-value"),
    path("stock/history/", ProductHistoryView.as_view(), name="product-history"),
    path("stock/turnover/", TurnoverView.as_view(), name="turnover"),
    path("stock/slow-movers/", SlowMoversView.as_view(), name="slow-movers"),
]
