"""Production endpoints: work centres, BOMs (with their lines; activate, copy), tech cards (with their
operations; activate), production orders (list, detail, create; release, report, finish, cancel),
the explosion and cost roll-up of a product for any quantity, and the shortage analysis.

Every write goes through `fabrika.production.services`. A refusal answers 400 (bad input, per
field) or 409 with its data (`components_short`: every short component; `children_open`; a
cycle with its path; a wrong state) and changes nothing.
"""

from contextlib import contextmanager
from decimal import Decimal

import django_filters
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from fabrika.access.api import ScopedViewSetMixin
from fabrika.access.policy import can
from fabrika.api.filters import StrictFilterBackend
from fabrika.api.router import router
from fabrika.api.serializers import ErrorSerializer
from fabrika.catalog.models import Product
from fabrika.inventory.domain.money import money
from fabrika.inventory.templatetags.inventory_tags import plain_qty

from . import services
from .domain import bom as dbom
from .domain import costing as dcost
from .errors import BomCycleRefused
from .models import Bom, ProductionOrder, TechCard, WorkCentre
from .queries import bom_lines, cost_rollup, explosion, load_boms, shortages
from .serializers import (
    AnalysisQuerySerializer,
    BomSerializer,
    ProductionOrderSerializer,
    ProductionReportSerializer,
    ReleaseSerializer,
    ReportInputSerializer,
    ShortageQuerySerializer,
    ShortageRowSerializer,
    TechCardSerializer,
    WorkCentreSerializer,
)

REFUSED = {
    400: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Invalid input (errors per field).")),
    409: OpenApiResponse(
        ErrorSerializer,
        description=gettext_lazy(
            "A business rule refused it: components short (data: every short component with the quantity "
            "wanted and available), child orders still open, a BOM cycle (its path), a wrong state."
        ),
    ),
}
OPEN = [ProductionOrder.State.DRAFT, ProductionOrder.State.RELEASED, ProductionOrder.State.IN_PROGRESS]


def refuse_unknown_params(request, allowed) -> None:
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        raise ValidationError(
            {
                "detail": _("Unknown filter: %(names)s. Allowed: %(allowed)s.")
                % {"names": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))}
            }
        )


class ProductionViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    access_area = "production"
    filter_backends = [StrictFilterBackend]


class EditableViewSet(
    ProductionViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """List, read, create and change (no delete: versions stay for the orders made with them)."""


def crud_schema(serializer):
    return extend_schema_view(
        create=extend_schema(responses={201: serializer, **REFUSED}),
        update=extend_schema(responses={200: serializer, **REFUSED}),
        partial_update=extend_schema(responses={200: serializer, **REFUSED}),
    )


# --- work centres ---------------------------------------------------------------------------------


@crud_schema(WorkCentreSerializer)
class WorkCentreViewSet(EditableViewSet):
    """Machines, lines and teams operations run on, with their hourly rate (shown with production/cost)."""

    queryset = WorkCentre.objects.order_by("code", "id")
    serializer_class = WorkCentreSerializer
    filterset_fields = ["active"]

    def perform_create(self, serializer):
        serializer.instance = services.workcentre_save(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer):
        serializer.instance = services.workcentre_save(
            actor=self.request.user, data=dict(serializer.validated_data), centre=serializer.instance
        )


# --- BOMs -----------------------------------------------------------------------------------------


class BomApiFilter(django_filters.FilterSet):
    class Meta:
        model = Bom
        fields = ["product", "is_active", "is_custom"]


@crud_schema(BomSerializer)
class BomViewSet(EditableViewSet):
    """Versions of a product's bill of materials with their lines. The first standard version becomes
    the active one; `activate/` makes another one active, `copy/` makes a new version from one. A line
    that would make a product contain itself is refused (409, `bom_cycle`, with the path)."""

    queryset = Bom.objects.select_related("product").prefetch_related("lines").order_by("product_id", "-version")
    serializer_class = BomSerializer
    filterset_class = BomApiFilter
    access_actions = {"activate": "change", "copy": "add"}

    def perform_create(self, serializer):
        data, lines = serializer.split()
        serializer.instance = services.bom_save(
            actor=self.request.user, product=serializer.validated_data["product"], data=data, lines=lines or []
        )

    def perform_update(self, serializer):
        bom = serializer.instance
        data, lines = serializer.split()
        if lines is None:
            lines = [
                {
                    "component": line.component,
                    "qty": line.qty,
                    "unit": line.unit,
                    "scrap_pct": line.scrap_pct,
                    "phantom": line.phantom,
                    "note": line.note,
                }
                for line in bom.lines.select_related("component", "unit")
            ]
        serializer.instance = services.bom_save(
            actor=self.request.user, product=bom.product, data=data, lines=lines, bom=bom
        )

    def _answer(self, bom, code=status.HTTP_200_OK):
        bom = Bom.objects.prefetch_related("lines").get(pk=bom.pk)
        return Response(BomSerializer(bom, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=None, responses={200: BomSerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        """Make this version the product's active BOM."""
        return self._answer(services.bom_activate(actor=request.user, bom=self.get_object()))

    @extend_schema(request=None, responses={201: BomSerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def copy(self, request, pk=None):
        """A new (inactive) version with the same lines."""
        return self._answer(services.bom_copy(actor=request.user, bom=self.get_object()), status.HTTP_201_CREATED)


# --- tech cards -----------------------------------------------------------------------------------


class TechCardApiFilter(django_filters.FilterSet):
    class Meta:
        model = TechCard
        fields = ["product", "is_active"]


@crud_schema(TechCardSerializer)
class TechCardViewSet(EditableViewSet):
    """The routing of a product: its operations with work centres, times and rates (rates shown with
    production/cost). The first version becomes the active one; `activate/` switches."""

    queryset = (
        TechCard.objects.select_related("product").prefetch_related("operations").order_by("product_id", "-version")
    )
    serializer_class = TechCardSerializer
    filterset_class = TechCardApiFilter
    access_actions = {"activate": "change"}

    def perform_create(self, serializer):
        data, operations = serializer.split()
        serializer.instance = services.techcard_save(
            actor=self.request.user,
            product=serializer.validated_data["product"],
            data=data,
            operations=operations or [],
        )

    def perform_update(self, serializer):
        card = serializer.instance
        data, operations = serializer.split()
        if operations is None:
            operations = [
                {f: getattr(op, f) for f in OPERATION_FIELDS} for op in card.operations.select_related("work_centre")
            ]
        serializer.instance = services.techcard_save(
            actor=self.request.user, product=card.product, data=data, operations=operations, card=card
        )

    @extend_schema(request=None, responses={200: TechCardSerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        card = services.techcard_activate(actor=request.user, card=self.get_object())
        return Response(TechCardSerializer(card, context=self.get_serializer_context()).data)


OPERATION_FIELDS = (
    "seq",
    "name",
    "work_centre",
    "setup_minutes",
    "run_minutes",
    "labour_rate",
    "overhead_rate",
    "instructions",
)


# --- production orders ----------------------------------------------------------------------------


class OrderApiFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=ProductionOrder.State.choices)
    kind = django_filters.ChoiceFilter(choices=ProductionOrder.Kind.choices)
    planned_from = django_filters.DateFilter(field_name="planned_start", lookup_expr="gte")
    planned_to = django_filters.DateFilter(field_name="planned_start", lookup_expr="lte")
    search = django_filters.CharFilter(method="filter_search", label=gettext_lazy("Number or what it is for"))

    class Meta:
        model = ProductionOrder
        fields = ["state", "kind", "product", "responsible", "parent", "planned_from", "planned_to", "search"]

    def filter_search(self, queryset, name, value):
        for term in value.split():
            queryset = queryset.filter(Q(number__icontains=term) | Q(source_label__icontains=term))
        return queryset


def _orders():
    return ProductionOrder.objects.select_related("product").prefetch_related("lines", "operations", "children")


@extend_schema_view(create=extend_schema(responses={201: ProductionOrderSerializer, **REFUSED}))
class ProductionOrderViewSet(
    ProductionViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin
):
    """Production orders: create a draft (materials from the BOM or `materials`, operations from the
    tech card), then `release/` (with released child orders for short nodes), `report/` (consume and
    receive through the ledger), `finish/`, `cancel/` (reverses what was posted)."""

    queryset = _orders().order_by("-id")
    serializer_class = ProductionOrderSerializer
    filterset_class = OrderApiFilter
    access_actions = {"release": "post", "report": "post", "finish": "post", "cancel": "post"}

    def perform_create(self, serializer):
        data, materials = serializer.split()
        serializer.instance = services.order_create(actor=self.request.user, data=data, lines=materials)

    def _answer(self, order, code=status.HTTP_200_OK):
        order = _orders().get(pk=order.pk)
        return Response(ProductionOrderSerializer(order, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=ReleaseSerializer, responses={200: ProductionOrderSerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """Release the draft; short nodes get released child orders (`children`, default true)."""
        body = ReleaseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = services.order_release(
            actor=request.user, order=self.get_object(), children=body.validated_data["children"]
        )
        return self._answer(order)

    @extend_schema(request=ReportInputSerializer, responses={201: ProductionReportSerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        """Report good and scrapped units: the inputs are consumed, the output received at their value
        plus the operations' labour and overhead. Refused with every short component (409)."""
        body = ReportInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        report = services.order_report(
            actor=request.user,
            order=self.get_object(),
            qty=data["qty"],
            scrap=data.get("scrap") or Decimal(0),
            minutes=dict(data["minutes"]) if data.get("minutes") else None,
            posted_at=data.get("posted_at"),
            finish=data.get("finish", False),
            note=data.get("note", ""),
        )
        return Response(
            ProductionReportSerializer(report, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses={200: ProductionOrderSerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        """Close the order as it is; its child orders must be done or cancelled."""
        return self._answer(services.order_finish(actor=request.user, order=self.get_object()))

    @extend_schema(request=None, responses={200: ProductionOrderSerializer, **REFUSED})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel the order and its open child orders; what was posted is reversed, dated now."""
        return self._answer(services.order_cancel(actor=request.user, order=self.get_object()))


# --- explosion, roll-up, shortages ----------------------------------------------------------------


def _query(request) -> dict:
    refuse_unknown_params(request, {"qty", "method", "bom", "format"})
    body = AnalysisQuerySerializer(data={k: v for k, v in request.query_params.items() if v != "" and k != "format"})
    body.is_valid(raise_exception=True)
    return body.validated_data


def _boms(product, bom):
    if bom is not None and bom.product_id != product.pk:
        raise ValidationError({"bom": [_("This BOM is not of %(product)s.") % {"product": product}]})
    if bom is None:
        return load_boms([product.pk])
    return load_boms([product.pk], override={product.pk: bom_lines(bom)})


@contextmanager
def _cycles_refused():
    """A cycle met in stored BOMs answers 409 with its path, like a refused save."""
    try:
        yield
    except dbom.BomCycle as exc:
        products = Product.objects.in_bulk(exc.path)
        raise BomCycleRefused([products[p] for p in exc.path]) from None


def _num(value):
    return None if value is None else str(value)


def _qty(value):
    """A quantity without trailing zeros ("5", "1.05")."""
    return None if value is None else f"{plain_qty(value):f}"


class ProductAnalysisViewSet(viewsets.GenericViewSet):
    """`products/<id>/explosion/` and `products/<id>/rollup/` for any quantity and cost method."""

    access_area = "production"
    access_actions = {"rollup": "cost"}
    queryset = Product.objects.all()
    filter_backends = []

    @extend_schema(parameters=[AnalysisQuerySerializer], responses={200: dict, 400: REFUSED[400]})
    @action(detail=True, methods=["get"])
    def explosion(self, request, pk=None):
        """The indented explosion (every level) and the summarized total per component; unit costs and
        costs by the chosen method with production/cost."""
        product = get_object_or_404(Product, pk=pk)
        query = _query(request)
        qty, method = query["qty"], query["method"]
        with _cycles_refused():
            lines, totals, products = explosion(product, qty, boms=_boms(product, query.get("bom")), method=method)
        cost = can(request.user, "production", "cost")
        prices = {line.component: line.unit_cost for line in lines if line.is_leaf}

        def priced(row: dict, unit_cost, value) -> dict:
            if cost:
                row.update(unit_cost=_num(unit_cost), cost=_num(value))
            return row

        return Response(
            {
                "product": product.pk,
                "qty": _qty(qty),
                "method": method,
                "lines": [
                    priced(
                        {
                            "level": line.level,
                            "component": line.component,
                            "code": products[line.component].code,
                            "qty_per": _qty(line.qty_per),
                            "qty": _qty(line.qty),
                            "phantom": line.phantom,
                            "is_leaf": line.is_leaf,
                        },
                        line.unit_cost,
                        line.cost,
                    )
                    for line in lines
                ],
                "summary": [
                    priced(
                        {"component": c, "code": products[c].code, "qty": _qty(q)},
                        prices.get(c),
                        None if prices.get(c) is None else money(q * prices[c]),
                    )
                    for c, q in totals.items()
                ],
            }
        )

    @extend_schema(parameters=[AnalysisQuerySerializer], responses={200: dict, 400: REFUSED[400]})
    @action(detail=True, methods=["get"])
    def rollup(self, request, pk=None):
        """The cost of the quantity through every level: material, labour and overhead per node and per
        level (needs production/cost)."""
        product = get_object_or_404(Product, pk=pk)
        query = _query(request)
        with _cycles_refused():
            node, products = cost_rollup(
                product, query["qty"], method=query["method"], boms=_boms(product, query.get("bom"))
            )
        levels = dcost.totals_by_level(node)
        return Response(
            {
                "product": product.pk,
                "qty": _qty(query["qty"]),
                "method": query["method"],
                "material": _num(sum((row["material"] for row in levels.values()), Decimal("0.00"))),
                "labour": _num(sum((row["labour"] for row in levels.values()), Decimal("0.00"))),
                "overhead": _num(sum((row["overhead"] for row in levels.values()), Decimal("0.00"))),
                "total": _num(node.total),
                "cost_per_unit": _num(node.cost_per_unit) if node.qty else None,
                "missing_cost": node.missing_cost,
                "levels": [{"level": level, **{k: _num(v) for k, v in row.items()}} for level, row in levels.items()],
                "nodes": [
                    {
                        "level": n.level,
                        "product": n.product,
                        "code": products[n.product].code,
                        "qty": _qty(n.qty),
                        "unit_cost": _num(n.unit_cost),
                        "material": _num(n.material),
                        "labour": _num(n.labour),
                        "overhead": _num(n.overhead),
                        "total": _num(n.total),
                        "missing_cost": n.missing_cost,
                    }
                    for n in dcost.flatten(node)
                ],
            }
        )


class ShortageViewSet(viewsets.ViewSet):
    """Every missing component of open orders (`orders=1,2`, or all of them) at every level."""

    access_area = "production"

    @extend_schema(parameters=[ShortageQuerySerializer], responses={200: ShortageRowSerializer(many=True)})
    def list(self, request):
        refuse_unknown_params(request, {"orders", "format"})
        orders = ProductionOrder.objects.filter(state__in=OPEN).select_related("input_warehouse")
        raw = request.query_params.get("orders", "").strip()
        if raw:
            ids = [part.strip() for part in raw.split(",") if part.strip()]
            if not all(part.isdigit() for part in ids):
                raise ValidationError({"orders": [_("Give order ids separated by commas.")]})
            orders = orders.filter(pk__in=[int(part) for part in ids])
        rows = shortages(list(orders))
        return Response(ShortageRowSerializer(rows, many=True).data)


router.register("production/work-centres", WorkCentreViewSet, basename="production-work-centre")
router.register("production/boms", BomViewSet, basename="production-bom")
router.register("production/tech-cards", TechCardViewSet, basename="production-tech-card")
router.register("production/orders", ProductionOrderViewSet, basename="production-order")
router.register("production/products", ProductAnalysisViewSet, basename="production-product")
router.register("production/shortages", ShortageViewSet, basename="production-shortage")
