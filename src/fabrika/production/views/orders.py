"""Production order pages: the list (filters, search, export), create, a draft's own materials and
operations, the card (tree of orders, materials and operations planned vs done, reports with their
ledger moves, costing planned vs actual), release, report progress, finish and cancel.

Every change goes through `fabrika.production.services`; a refusal (components short, child orders
open, a wrong state, bad input) is shown with its reason and changes nothing.
"""

from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from fabrika.access.policy import restrict
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.views import Column, ListPage, PolicyMixin
from fabrika.inventory.models import StockMove
from fabrika.inventory.templatetags.inventory_tags import qty
from fabrika.inventory.views.common import HtmlColumn, HtmlRowsMixin, link

from .. import services
from ..domain import bom as dbom
from ..errors import ComponentsShort
from ..filters import OrderFilter
from ..forms import (
    OperationForm,
    OrderForm,
    OrderLineForm,
    ReleaseForm,
    ReportForm,
    apply_errors,
    apply_row_errors,
    operations_initial,
    order_lines_initial,
    order_operations,
    row_formset,
)
from ..models import OrderLine, ProductionOrder
from ..queries import order_costing, order_tree
from ..services.orders import cancel_preview
from ..templatetags.production_tags import order_state
from .common import ADD, CHANGE, POST, VIEW, flash_error, library_available, production_rights

State = ProductionOrder.State
Kind = ProductionOrder.Kind
Role = OrderLine.Role
OPEN = (State.DRAFT, State.RELEASED, State.IN_PROGRESS)


def order_or_404(user, pk, action: str = "view") -> ProductionOrder:
    qs = ProductionOrder.objects.select_related(
        "product",
        "product__unit",
        "bom",
        "tech_card",
        "input_warehouse",
        "output_warehouse",
        "responsible",
        "parent",
        "created_by",
    )
    return get_object_or_404(restrict(user, action, qs), pk=pk)


# --- list -----------------------------------------------------------------------------------------


class OrderListView(HtmlRowsMixin, ListPage):
    model = ProductionOrder
    access_policy = VIEW
    template_name = "production/order_list.html"
    title = gettext_lazy("Production orders")
    export_name = "production-orders"
    filterset_class = OrderFilter
    search_fields = ("number", "source_label")
    default_ordering = ("-id",)
    columns = [
        HtmlColumn(
            "number", gettext_lazy("Number"), sort="number", html=lambda o: link(o.get_absolute_url(), o.number)
        ),
        Column("kind", gettext_lazy("Kind"), sort="kind", value=lambda o: o.get_kind_display()),
        HtmlColumn(
            "state",
            gettext_lazy("State"),
            sort="state",
            value=lambda o: o.get_state_display(),
            html=lambda o: order_state(o),
        ),
        Column("product__code", gettext_lazy("Code"), sort="product__code"),
        Column("product__name", gettext_lazy("Product"), sort="product__name"),
        HtmlColumn(
            "qty", gettext_lazy("Quantity"), sort="qty", value=lambda o: _plain(o.qty), html=lambda o: qty(o.qty)
        ),
        HtmlColumn(
            "qty_done",
            gettext_lazy("Made"),
            sort="qty_done",
            value=lambda o: _plain(o.qty_done),
            html=lambda o: qty(o.qty_done),
        ),
        Column("planned_start", gettext_lazy("Planned start"), sort="planned_start"),
        Column("planned_finish", gettext_lazy("Planned finish"), sort="planned_finish"),
        Column("responsible", gettext_lazy("Responsible"), sort="responsible__last_name"),
        HtmlColumn(
            "parent",
            gettext_lazy("Parent order"),
            value=lambda o: o.parent.number if o.parent_id else "",
            html=lambda o: link(o.parent.get_absolute_url(), o.parent.number) if o.parent_id else "",
        ),
        Column("source_label", gettext_lazy("For")),
    ]

    def base_queryset(self):
        return self.scoped(ProductionOrder.objects.select_related("product", "responsible", "parent"))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["create_url"] = reverse("production:order-create") if production_rights(self.request.user)["add"] else None
        return ctx


def _plain(value):
    from fabrika.inventory.templatetags.inventory_tags import plain_qty

    return plain_qty(value)


# --- create / edit --------------------------------------------------------------------------------


class OrderCreateView(PolicyMixin, View):
    """A draft order: materials from the BOM (or the chosen version), operations from the tech card.
    `?product=<id>` starts with that product."""

    access_policy = ADD

    def render_form(self, form):
        ctx = {
            "title": _("New production order"),
            "form": form,
            "cancel_url": reverse("production:order-list"),
            "options_url": reverse("production:product-options"),
        }
        return TemplateResponse(self.request, "production/order_form.html", ctx)

    def get(self, request):
        initial = {"kind": Kind.PRODUCTION, "responsible": request.user.pk}
        product = request.GET.get("product", "")
        if product.isdigit():
            initial["product"] = int(product)
        return self.render_form(OrderForm(initial=initial))

    def post(self, request):
        form = OrderForm(data=request.POST)
        if form.is_valid():
            try:
                order = services.order_create(actor=request.user, data=form.service_data())
            except ValidationFailed as exc:
                apply_errors(form, exc.errors)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Draft %(number)s was created.") % {"number": order.number})
                return redirect(order.get_absolute_url())
        return self.render_form(form)


class OrderUpdateView(PolicyMixin, View):
    """A draft's header, its own material list (the order's custom BOM) and its operations."""

    access_policy = CHANGE

    def load(self, pk):
        self.order = order_or_404(self.request.user, pk, "change")
        # Production consumes its lines; disassembly and conversion name what they give.
        self.role = Role.INPUT if self.order.kind == Kind.PRODUCTION else Role.OUTPUT

    def formsets(self, data=None):
        order = self.order
        lines = row_formset(
            OrderLineForm,
            prefix="lines",
            data=data,
            initial=None if data is not None else order_lines_initial(order, self.role),
            extra=1 if order.kind != Kind.CONVERSION else 0,
            form_kwargs={"with_share": order.kind == Kind.DISASSEMBLY},
        )
        operations = row_formset(
            OperationForm,
            prefix="operations",
            data=data,
            initial=None if data is not None else operations_initial(order.operations.select_related("work_centre")),
            extra=1,
        )
        return lines, operations

    def render_form(self, form, lines, operations):
        order = self.order
        labels = {
            Kind.PRODUCTION: _("Materials to consume (per unit)"),
            Kind.DISASSEMBLY: _("Parts it is taken apart into (per unit)"),
            Kind.CONVERSION: _("What it becomes (per unit)"),
        }
        ctx = {
            "title": _("Edit %(number)s") % {"number": order.number},
            "order": order,
            "object": order,
            "form": form,
            "lines": lines,
            "operations": operations,
            "lines_label": labels[order.kind],
            "cancel_url": order.get_absolute_url(),
            "options_url": reverse("production:product-options"),
        }
        return TemplateResponse(self.request, "production/order_edit.html", ctx)

    def get(self, request, pk):
        self.load(pk)
        if self.order.state != State.DRAFT:
            messages.error(request, _("Only a draft order can be changed."))
            return redirect(self.order.get_absolute_url())
        return self.render_form(OrderForm(order=self.order), *self.formsets())

    def post(self, request, pk):
        self.load(pk)
        order = self.order
        form = OrderForm(data=request.POST, order=order)
        lines, operations = self.formsets(request.POST)
        if form.is_valid() & lines.is_valid() & operations.is_valid():
            data = form.service_data()
            line_forms, op_forms = lines.submitted_forms(), operations.submitted_forms()
            rows = [f.row_data() for f in line_forms]
            ops = order_operations([f.row_data() for f in op_forms])
            reload_bom = "bom" in data and data["bom"] != order.bom
            reload_card = "tech_card" in data and data["tech_card"] != order.tech_card
            if reload_card:
                ops = _card_operations(data["tech_card"])
            try:
                order = services.order_update(
                    actor=request.user,
                    order=order,
                    data=data,
                    lines=None if reload_bom else rows,
                    operations=ops,
                )
            except ValidationFailed as exc:
                rest = apply_row_errors(lines, line_forms, exc.errors, "lines")
                apply_errors(form, apply_row_errors(operations, op_forms, rest, "operations"))
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                if reload_bom:
                    messages.info(request, _("The materials were taken from the chosen BOM version."))
                if reload_card:
                    messages.info(request, _("The operations were taken from the chosen tech card."))
                messages.success(request, _("%(number)s was saved.") % {"number": order.number})
                return redirect(order.get_absolute_url())
        return self.render_form(form, lines, operations)


def _card_operations(card) -> list[dict]:
    return [
        {
            "seq": op.seq,
            "name": op.name,
            "work_centre": op.work_centre,
            "setup_minutes": op.setup_minutes,
            "run_minutes": op.run_minutes,
            "labour_rate": op.labour_rate,
            "overhead_rate": op.overhead_rate,
            "instructions": op.instructions,
        }
        for op in card.operations.select_related("work_centre")
    ]


# --- card -----------------------------------------------------------------------------------------


def _planned(line: OrderLine, order: ProductionOrder) -> Decimal:
    if line.role == Role.OUTPUT:
        return line.qty_per_unit * order.qty
    return dbom.gross(dbom.BomLine(line.product_id, line.qty_per_unit, line.scrap_pct), order.qty)


def report_moves(reports) -> dict[int, list]:
    """The ledger moves of each report: what it posted, and what its cancellation posted back."""
    groups = {r.value_group_id: r.pk for r in reports}
    moves = defaultdict(list)
    rows = (
        StockMove.objects.filter(Q(value_group_id__in=list(groups)) | Q(reverses__value_group_id__in=list(groups)))
        .select_related("product", "product__unit", "lot", "from_location", "to_location", "reverses")
        .order_by("id")
    )
    for move in rows:
        group = move.value_group_id or (move.reverses.value_group_id if move.reverses_id else None)
        if group in groups:
            moves[groups[group]].append(move)
    return moves


def _outputs_first(move) -> tuple:
    return (move.value_share is None, move.pk)


class OrderDetailView(PolicyMixin, View):
    access_policy = VIEW

    def get(self, request, pk):
        order = order_or_404(request.user, pk)
        rights = production_rights(request.user)
        lines = list(order.lines.select_related("product", "product__unit"))
        materials = [{"line": line, "planned": _planned(line, order)} for line in lines]
        operations = [
            {"op": op, "planned": op.setup_minutes + op.run_minutes * order.qty}
            for op in order.operations.select_related("work_centre")
        ]
        reports = list(
            order.reports.select_related("created_by")
            .prefetch_related("operations__operation")
            .order_by("posted_at", "id")
        )
        moves = report_moves(reports)
        tree = order_tree(order)
        ctx = {
            "title": f"{order.number} · {order.product.name}",
            "object": order,
            "order": order,
            "rights": rights,
            "inputs": [m for m in materials if m["line"].role == Role.INPUT],
            "outputs": [m for m in materials if m["line"].role == Role.OUTPUT],
            "operations": operations,
            "reports": [(r, moves.get(r.pk, [])) for r in reports],
            "tree": tree if len(tree) > 1 else [],
            "costing": order_costing(order) if rights["cost"] else None,
            "release_form": ReleaseForm(),
            "can_edit": order.state == State.DRAFT and rights["change"],
            "can_release": order.state == State.DRAFT and rights["post"],
            "can_report": order.state in (State.RELEASED, State.IN_PROGRESS) and rights["post"],
            "can_finish": order.state in (State.RELEASED, State.IN_PROGRESS) and rights["post"],
            "can_cancel": order.state in OPEN and rights["post"],
            "has_history": library_available("audit_tags"),
            "has_files": library_available("documents_tags"),
            "has_print": library_available("print_tags"),
        }
        return TemplateResponse(request, "production/order_detail.html", ctx)


# --- state changes --------------------------------------------------------------------------------


class OrderReleaseView(PolicyMixin, View):
    """Release a draft; short nodes get released child orders (unless unchecked)."""

    access_policy = POST
    http_method_names = ["post"]

    def post(self, request, pk):
        order = order_or_404(request.user, pk, "post")
        form = ReleaseForm(request.POST)
        children = form.is_valid() and form.cleaned_data["children"]
        try:
            released = services.orders_release(actor=request.user, orders=[order], children=children)
        except DomainError as exc:
            flash_error(request, exc)
        else:
            made = [o.number for o in released if o.pk != order.pk]
            message = _("%(number)s was released.") % {"number": order.number}
            if made:
                message += " " + _("Child orders: %(numbers)s.") % {"numbers": ", ".join(made)}
            messages.success(request, message)
        return redirect(order.get_absolute_url())


class OrderReportView(PolicyMixin, View):
    """Report progress: good and scrapped quantities, the minutes of each operation, finish."""

    access_policy = POST

    def render_form(self, order, form, short=()):
        ctx = {
            "title": _("Report %(number)s") % {"number": order.number},
            "short": [
                {"product": p, "warehouse": w, "wanted": want, "available": have, "missing": want - have}
                for p, w, want, have in short
            ],
            "order": order,
            "object": order,
            "form": form,
            "rights": production_rights(self.request.user),
            "inputs": [
                {"line": line, "remaining": max(_planned(line, order) - line.qty_posted, Decimal(0))}
                for line in order.lines.filter(role=Role.INPUT).select_related("product", "product__unit")
            ],
        }
        return TemplateResponse(self.request, "production/order_report.html", ctx)

    def get(self, request, pk):
        order = order_or_404(request.user, pk, "post")
        if order.state not in (State.RELEASED, State.IN_PROGRESS):
            refused = _("%(order)s is %(state)s: release it first.")
            messages.error(request, refused % {"order": order.number, "state": order.get_state_display()})
            return redirect(order.get_absolute_url())
        return self.render_form(order, ReportForm(order=order))

    def post(self, request, pk):
        order = order_or_404(request.user, pk, "post")
        form = ReportForm(data=request.POST, order=order)
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = services.order_report(
                    actor=request.user,
                    order=order,
                    qty=data["qty"],
                    scrap=data.get("scrap") or Decimal(0),
                    minutes=form.minutes(),
                    posted_at=data.get("posted_at"),
                    finish=data.get("finish", False),
                    note=data.get("note") or "",
                )
            except ValidationFailed as exc:
                apply_errors(form, exc.errors, {f"minutes.{op.pk}": name for op, name in form.operation_fields})
            except ComponentsShort as exc:
                form.add_error(None, _("Not enough components: nothing was posted."))
                return self.render_form(order, form, short=exc.shortages)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                order.refresh_from_db()
                message = _("%(qty)s made, %(scrap)s scrapped: posted.") % {
                    "qty": f"{_plain(report.qty):f}",
                    "scrap": f"{_plain(report.qty_scrap):f}",
                }
                if order.state == State.DONE:
                    message += " " + _("%(number)s is done.") % {"number": order.number}
                messages.success(request, message)
                return redirect(order.get_absolute_url())
        return self.render_form(order, form)


class OrderFinishView(PolicyMixin, View):
    """Close the order as it is (possibly short of its quantity); its child orders must be done."""

    access_policy = POST
    http_method_names = ["post"]

    def post(self, request, pk):
        order = order_or_404(request.user, pk, "post")
        try:
            services.order_finish(actor=request.user, order=order)
        except DomainError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("%(number)s is done.") % {"number": order.number})
        return redirect(order.get_absolute_url())


class OrderCancelView(PolicyMixin, View):
    """GET: what cancelling undoes (reports reversed, open child orders cancelled); POST: cancel."""

    access_policy = POST

    def get(self, request, pk):
        order = order_or_404(request.user, pk, "post")
        if not order.is_open:
            messages.info(
                request,
                _("%(order)s is %(state)s and cannot be cancelled.")
                % {"order": order.number, "state": order.get_state_display()},
            )
            return redirect(order.get_absolute_url())
        preview = cancel_preview(order)
        moves = report_moves(preview["reports"])
        ctx = {
            "title": _("Cancel %(number)s") % {"number": order.number},
            "order": order,
            "object": order,
            # In the order cancelling posts them: what was made goes out first, then the components come back.
            "reports": [
                (r, sorted((m for m in moves.get(r.pk, []) if m.reverses_id is None), key=_outputs_first))
                for r in preview["reports"]
            ],
            "children": preview["children"],
            "rights": production_rights(request.user),
        }
        return TemplateResponse(request, "production/order_cancel.html", ctx)

    def post(self, request, pk):
        order = order_or_404(request.user, pk, "post")
        try:
            services.order_cancel(actor=request.user, order=order)
        except DomainError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("%(number)s was cancelled.") % {"number": order.number})
        return redirect(order.get_absolute_url())


urlpatterns = [
    path("orders/", OrderListView.as_view(), name="order-list"),
    path("orders/new/", OrderCreateView.as_view(), name="order-create"),
    path("orders/<int:pk>/", OrderDetailView.as_view(), name="order-detail"),
    path("orders/<int:pk>/edit/", OrderUpdateView.as_view(), name="order-update"),
    path("orders/<int:pk>/release/", OrderReleaseView.as_view(), name="order-release"),
    path("orders/<int:pk>/report/", OrderReportView.as_view(), name="order-report"),
    path("orders/<int:pk>/finish/", OrderFinishView.as_view(), name="order-finish"),
    path("orders/<int:pk>/cancel/", OrderCancelView.as_view(), name="order-cancel"),
]
