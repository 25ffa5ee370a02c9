"""The product card's Production tab, the production profile form, the cost roll-up of a product, and
the product box helpers of the production forms (search, units and versions of a product)."""

from decimal import Decimal

from django.contrib import messages
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views import View

from fabrika.access.policy import can, restrict
from fabrika.catalog.models import Product
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.views import PolicyMixin
from fabrika.inventory.forms import stocked_products

from .. import services
from ..domain import bom as dbom
from ..domain import costing as dcost
from ..forms import ExplosionForm, ProfileForm, apply_errors, product_units
from ..models import Bom, ProductionOrder, ProductionProfile, TechCard
from ..queries import bom_lines, cost_rollup, load_boms, where_used
from .common import CHANGE, COST, VIEW, export_query, export_table, production_rights, q


def product_or_404(user, pk) -> Product:
    return get_object_or_404(restrict(user, "view", Product.objects.select_related("unit")), pk=pk)


# --- the product card's tab -----------------------------------------------------------------------


def product_tab_context(request, product) -> dict:
    """What the Production tab of the product card shows (registered in `apps.py`)."""
    profile = (
        ProductionProfile.objects.filter(product=product).select_related("input_warehouse", "output_warehouse").first()
    )
    boms = list(Bom.objects.filter(product=product, is_custom=False).order_by("-version"))
    active = next((b for b in boms if b.is_active), None)
    cards = list(TechCard.objects.filter(product=product).order_by("-version"))
    card = next((c for c in cards if c.is_active), None)
    orders = restrict(request.user, "view", ProductionOrder.objects.filter(product=product))
    return {
        "prod": production_rights(request.user),
        "profile": profile,
        "boms": boms,
        "active_bom": active,
        "bom_lines": list(active.lines.select_related("component", "component__unit", "unit")) if active else [],
        "cards": cards,
        "active_card": card,
        "operations": list(card.operations.select_related("work_centre")) if card else [],
        "where_used": where_used(product),
        "orders": list(orders.select_related("responsible").order_by("-id")[:10]),
        "orders_open": orders.filter(
            state__in=[ProductionOrder.State.DRAFT, ProductionOrder.State.RELEASED, ProductionOrder.State.IN_PROGRESS]
        ).count(),
        "can_order": can(request.user, "production", "add"),
    }


def tab_visible(user, product) -> bool:
    return product.is_stocked and can(user, "production", "view")


def tab_url(product) -> str:
    return f"{product.get_absolute_url()}?tab=production"


# --- profile --------------------------------------------------------------------------------------


class ProfileUpdateView(PolicyMixin, View):
    """The product's production section: warehouses, lead time, description."""

    access_policy = CHANGE

    def render_form(self, product, form):
        ctx = {
            "title": _("Production of %(product)s") % {"product": f"{product.code} · {product.name}"},
            "form": form,
            "object": product,
            "cancel_url": tab_url(product),
        }
        return TemplateResponse(self.request, "web/form.html", ctx)

    def get(self, request, pk):
        product = product_or_404(request.user, pk)
        profile = ProductionProfile.objects.filter(product=product).first() or ProductionProfile(product=product)
        return self.render_form(product, ProfileForm(instance=profile))

    def post(self, request, pk):
        product = product_or_404(request.user, pk)
        profile = ProductionProfile.objects.filter(product=product).first() or ProductionProfile(product=product)
        form = ProfileForm(data=request.POST, instance=profile)
        if form.is_valid():
            try:
                services.profile_save(actor=request.user, product=product, data=form.service_data())
            except ValidationFailed as exc:
                apply_errors(form, exc.errors)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The production profile was saved."))
                return redirect(tab_url(product))
        return self.render_form(product, form)


# --- cost roll-up ---------------------------------------------------------------------------------


def chosen_bom(product, value) -> Bom | None:
    """The BOM version `?bom=` names (of this product), else the active one."""
    value = str(value or "")
    if value.isdigit():
        bom = Bom.objects.filter(product=product, pk=int(value)).first()
        if bom is not None:
            return bom
    return Bom.objects.filter(product=product, is_active=True).first()


class ProductCostingView(PolicyMixin, View):
    """The cost of any quantity of a product through every level: material, labour and overhead,
    per node and per level; exportable."""

    access_policy = COST

    def get(self, request, pk):
        product = product_or_404(request.user, pk)
        form, qty, method = ExplosionForm.read(request.GET)
        bom = chosen_bom(product, request.GET.get("bom"))
        override = {product.pk: bom_lines(bom)} if bom is not None else None
        error = None
        nodes, levels, root = [], {}, None
        try:
            root, _products = cost_rollup(product, qty, method=method, boms=load_boms([product.pk], override=override))
        except dbom.BomCycle as exc:
            error = _("The BOM contains a cycle: %(path)s") % {"path": _path(exc.path)}
        if root is not None:
            nodes = dcost.flatten(root)
            levels = dcost.totals_by_level(root)
        products = Product.objects.select_related("unit").in_bulk({n.product for n in nodes})
        header = [
            _("Level"),
            _("Code"),
            _("Product"),
            _("Unit"),
            _("Quantity"),
            _("Unit cost"),
            _("Material"),
            _("Labour"),
            _("Overhead"),
            _("Total"),
            _("Cost missing"),
        ]
        exported = export_table(
            request,
            f"costing-{product.code}",
            header,
            (
                [
                    n.level,
                    products[n.product].code,
                    products[n.product].name,
                    products[n.product].unit.code,
                    q(n.qty),
                    n.unit_cost,
                    n.material,
                    n.labour,
                    n.overhead,
                    n.total,
                    n.missing_cost,
                ]
                for n in nodes
            ),
        )
        if exported is not None:
            return exported
        ctx = {
            "title": _("Cost roll-up of %(product)s") % {"product": f"{product.code} · {product.name}"},
            "product": product,
            "bom": bom,
            "boms": Bom.objects.filter(product=product, is_custom=False).order_by("-version"),
            "form": form,
            "qty": qty,
            "method": method,
            "root": root,
            "rows": [(n, products[n.product]) for n in nodes],
            "levels": levels,
            "sums": {
                key: sum((row[key] for row in levels.values()), Decimal("0.00"))
                for key in ("material", "labour", "overhead")
            },
            "error": error,
            "querystring": export_query(request),
            "per_unit": root.cost_per_unit if root is not None and qty else None,
        }
        return TemplateResponse(request, "production/costing.html", ctx)


def _path(ids) -> str:
    codes = dict(Product.objects.filter(pk__in=list(ids)).values_list("pk", "code"))
    return " → ".join(codes.get(i, str(i)) for i in ids)


# --- product boxes of the forms -------------------------------------------------------------------


class ProductSearchView(PolicyMixin, View):
    """Products matching `q` (code, name, barcode) for the product boxes of the production forms."""

    access_policy = VIEW

    def get(self, request):
        text = request.GET.get("q", "").strip()
        products = stocked_products().filter(active=True)
        for term in text.split():
            products = products.filter(Q(code__icontains=term) | Q(name__icontains=term) | Q(barcode=term))
        rows = products.order_by("code")[:30]
        return JsonResponse({"results": [{"value": p.pk, "text": f"{p.code} — {p.name}"} for p in rows]})


class ProductOptionsView(PolicyMixin, View):
    """The units, BOM versions and tech cards of a product, for the forms' dependent boxes."""

    access_policy = VIEW

    def get(self, request):
        from ..forms import _version_label

        answer = {"unit": None, "units": [], "boms": [], "tech_cards": []}
        value = request.GET.get("product", "")
        product = Product.objects.select_related("unit").filter(pk=value).first() if value.isdigit() else None
        if product is None:
            return JsonResponse(answer)
        answer["unit"] = product.unit_id
        answer["units"] = [{"value": pk, "text": text} for pk, text in product_units(product)]
        answer["boms"] = [
            {"value": b.pk, "text": _version_label(b)} for b in Bom.objects.filter(product=product).order_by("-version")
        ]
        answer["tech_cards"] = [
            {"value": c.pk, "text": _version_label(c)}
            for c in TechCard.objects.filter(product=product).order_by("-version")
        ]
        return JsonResponse(answer)


urlpatterns = [
    path("products/<int:pk>/profile/", ProfileUpdateView.as_view(), name="profile-update"),
    path("products/<int:pk>/costing/", ProductCostingView.as_view(), name="product-costing"),
    path("product-search/", ProductSearchView.as_view(), name="product-search"),
    path("product-options/", ProductOptionsView.as_view(), name="product-options"),
]
