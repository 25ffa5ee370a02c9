"""Helpers shared by the warehouse pages: rights, list columns with HTML, reports with export."""

from datetime import date

from django.core.paginator import Paginator
from django.http import QueryDict
from django.template import engines
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.views import View

from fabrika.access.policy import can
from fabrika.core.exports import export_response
from fabrika.core.views import Column, PolicyMixin

from ..templatetags.inventory_tags import plain_qty, state_badge

ACTIONS = ("view", "add", "change", "post", "cost")


def inventory_rights(user) -> dict[str, bool]:
    """What the user may do in the warehouse: `rights.cost` shows values and costs."""
    return {action: can(user, "inventory", action) for action in ACTIONS}


def can_see_cost(user) -> bool:
    return can(user, "inventory", "cost")


def library_available(name: str) -> bool:
    """Whether `{% load name %}` works (tags of other parts may not exist yet)."""
    return name in engines["django"].engine.template_libraries


class HtmlColumn(Column):
    """A list column shown as HTML on the page (links, badges) and as its plain `value` in exports."""

    def __init__(self, key, label, *, html, **kwargs):
        super().__init__(key, label, **kwargs)
        self.html = html


class HtmlRowsMixin:
    """ListPage rows with `HtmlColumn.html` for the page; the export keeps the plain values."""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["rows"] = [
            (obj, [c.html(obj) if isinstance(c, HtmlColumn) else c.value(obj) for c in ctx["columns"]])
            for obj in ctx["object_list"]
        ]
        return ctx


def badge_column(key, label, *, sort=None):
    def html(obj):
        return state_badge(getattr(obj, key), getattr(obj, f"get_{key}_display")())

    return HtmlColumn(key, label, sort=sort, value=lambda o: getattr(o, f"get_{key}_display")(), html=html)


def link(url, text):
    return format_html('<a href="{}">{}</a>', url, text)


# --- reports --------------------------------------------------------------------------------------


class ReportColumn:
    """A report column. `kind`: text, qty, money, cost (unit cost), date, datetime, int.
    `cost`: shown only to users with the inventory cost right (pages, API and exports)."""

    def __init__(self, key, label, kind: str = "text", *, cost: bool = False, value=None, href=None):
        self.key, self.label, self.kind, self.cost, self._value, self._href = key, label, kind, cost, value, href

    def href(self, row) -> str | None:
        return self._href(row) if self._href is not None else None

    def value(self, row):
        value = self._value(row) if self._value is not None else getattr(row, self.key, None)
        if self.kind == "qty" and value is not None and value != "":
            return plain_qty(value)
        return value

    @property
    def numeric(self) -> bool:
        return self.kind in ("qty", "money", "cost", "int")


class ReportView(PolicyMixin, View):
    """A report page: a GET filter form, a table of rows, paging, CSV/XLSX export of every row.

    Subclasses set `form_class`, `title`, `export_name`, `template_name` and implement
    `get_columns(form)` and `get_rows(form)`; `extra_context(form, rows)` adds totals etc.
    """

    form_class = None
    title = ""
    export_name = "report"
    template_name = "inventory/report.html"
    paginate_by = 100

    def get_columns(self, form) -> list[ReportColumn]:
        raise NotImplementedError

    def get_rows(self, form):
        raise NotImplementedError

    def extra_context(self, form, rows) -> dict:
        return {}

    def visible_columns(self, form):
        cost = can_see_cost(self.request.user)
        return [c for c in self.get_columns(form) if cost or not c.cost]

    def initial_data(self) -> dict:
        """The filters of a first visit (no query string)."""
        return {}

    def get(self, request, *args, **kwargs):
        submitted = bool(request.GET)
        form = self.form_class(request.GET if submitted else self.initial_data(), user=request.user)
        ready = form.is_valid()
        rows = self.get_rows(form) if ready else []
        columns = self.visible_columns(form) if ready else []
        export = request.GET.get("export")
        if ready and export in ("csv", "xlsx"):
            return export_response(
                export,
                self.export_name,
                [str(c.label) for c in columns],
                ([c.value(row) for c in columns] for row in rows),
            )
        paginator = Paginator(rows, self.paginate_by)
        page = paginator.get_page(request.GET.get("page"))
        params = QueryDict(mutable=True)
        for key, values in request.GET.lists():
            if key not in ("page", "export"):
                params.setlist(key, values)
        ctx = {
            "title": self.title,
            "form": form,
            "show_errors": submitted,
            "ready": ready,
            "columns": columns,
            "page_obj": page,
            "is_paginated": page.has_other_pages(),
            "table": [(row, [(c, c.value(row), c.href(row)) for c in columns]) for row in page.object_list],
            "row_count": paginator.count,
            "querystring": params.urlencode(),
            "rights": inventory_rights(request.user),
            **(self.extra_context(form, rows) if ready else {}),
        }
        return TemplateResponse(request, self.template_name, ctx)


def parse_date(value) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
