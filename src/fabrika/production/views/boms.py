"""BOM pages: the editor of a version (lines with product boxes; a cycle is refused with its path),
the version's page with its indented and summarized explosion for any quantity, priced by the
chosen cost method and exportable; activate a version, copy it to a new one."""

from decimal import Decimal

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views import View

from fabrika.access.policy import can
from fabrika.catalog.models import Product
from fabrika.core.errors import DomainError
from fabrika.core.views import PolicyMixin
from fabrika.inventory.domain.money import money

from .. import services
from ..domain import bom as dbom
from ..forms import BomForm, BomLineForm, ExplosionForm, bom_initial
from ..models import Bom
from ..queries import bom_lines, explosion, load_boms
from .common import ADD, CHANGE, VIEW, export_query, export_table, flash_error, library_available, production_rights, q
from .products import _path, product_or_404
from .versions import VersionFormView


def bom_or_404(pk) -> Bom:
    return get_object_or_404(Bom.objects.select_related("product", "product__unit"), pk=pk)


# --- editor ---------------------------------------------------------------------------------------


class BomFormView(VersionFormView):
    template_name = "production/bom_form.html"
    header_form = BomForm
    row_form = BomLineForm
    prefix = "lines"

    def context(self):
        return {"options_url": reverse("production:product-options")}

    def save(self, data, rows):
        return services.bom_save(actor=self.request.user, product=self.product, data=data, lines=rows, bom=self.version)

    def saved(self, version):
        return _("%(product)s v%(version)s was saved.") % {"product": version.product.code, "version": version.version}


class BomCreateView(BomFormView):
    """A new version of the product's BOM; `?from=<bom>` starts from another version's lines."""

    access_policy = ADD

    def load(self, pk):
        self.product = product_or_404(self.request.user, pk)

    def initial(self):
        source = self.request.GET.get("from", "")
        bom = Bom.objects.filter(pk=source, product=self.product).first() if source.isdigit() else None
        if bom is None:
            return {}, []
        return {"name": bom.name, "note": bom.note}, bom_initial(bom)

    def title(self):
        return _("New BOM of %(product)s") % {"product": f"{self.product.code} · {self.product.name}"}


class BomUpdateView(BomFormView):
    access_policy = CHANGE

    def load(self, pk):
        self.version = bom_or_404(pk)
        self.product = self.version.product

    def initial(self):
        bom = self.version
        header = {"name": bom.name, "valid_from": bom.valid_from, "valid_to": bom.valid_to, "note": bom.note}
        return header, bom_initial(bom)

    def title(self):
        return _("Edit %(bom)s") % {"bom": self.version}


# --- the version's page with its explosion ----------------------------------------------------------


def explode(bom: Bom, qty: Decimal, method: str):
    """The indented rows (with each node's material below it) and the summarized totals of `qty`."""
    product = bom.product
    boms = load_boms([product.pk], override={product.pk: bom_lines(bom)})
    lines, totals, _products = explosion(product, qty, boms=boms, method=method)
    products = Product.objects.select_related("unit").in_bulk({line.component for line in lines})
    subtotal: list = [None] * len(lines)
    missing = [False] * len(lines)
    open_nodes: list[int] = []
    for i, line in enumerate(lines):
        del open_nodes[line.level - 1 :]
        if line.is_leaf:
            for a in open_nodes:
                subtotal[a] += line.cost or Decimal("0.00")
                missing[a] = missing[a] or line.cost is None
        else:
            subtotal[i] = Decimal("0.00")
            open_nodes.append(i)
    indented = [
        {
            "line": line,
            "product": products[line.component],
            "cost": line.cost if line.is_leaf else subtotal[i],
            "missing": (line.is_leaf and line.unit_cost is None) or missing[i],
            "indent": line.level - 1,
        }
        for i, line in enumerate(lines)
    ]
    prices = {line.component: line.unit_cost for line in lines if line.is_leaf}
    summary = []
    for component, total in totals.items():
        price = prices.get(component)
        summary.append(
            {
                "product": products[component],
                "qty": total,
                "unit_cost": price,
                "cost": money(total * price) if price is not None else None,
            }
        )
    return indented, summary


class BomDetailView(PolicyMixin, View):
    access_policy = VIEW

    def get(self, request, pk):
        bom = bom_or_404(pk)
        form, qty, method = ExplosionForm.read(request.GET)
        rights = production_rights(request.user)
        cost = rights["cost"]
        error = None
        indented, summary = [], []
        try:
            indented, summary = explode(bom, qty, method)
        except dbom.BomCycle as exc:
            error = _("The BOM contains a cycle: %(path)s") % {"path": _path(exc.path)}
        table = request.GET.get("table", "indented")
        if table == "summary":
            header = [_("Code"), _("Component"), _("Quantity"), _("Unit")]
            header += [_("Unit cost"), _("Cost")] if cost else []
            rows = (
                [r["product"].code, r["product"].name, q(r["qty"]), r["product"].unit.code]
                + ([r["unit_cost"], r["cost"]] if cost else [])
                for r in summary
            )
        else:
            header = [_("Level"), _("Code"), _("Component"), _("Per unit"), _("Quantity"), _("Unit"), _("Phantom")]
            header += [_("Unit cost"), _("Cost")] if cost else []
            rows = (
                [
                    r["line"].level,
                    r["product"].code,
                    r["product"].name,
                    q(r["line"].qty_per),
                    q(r["line"].qty),
                    r["product"].unit.code,
                    r["line"].phantom,
                ]
                + ([r["line"].unit_cost, r["cost"]] if cost else [])
                for r in indented
            )
        exported = export_table(request, f"bom-{bom.product.code}-v{bom.version}-{table}", header, rows)
        if exported is not None:
            return exported
        ctx = {
            "title": str(bom),
            "object": bom,
            "bom": bom,
            "product": bom.product,
            "lines": list(bom.lines.select_related("component", "component__unit", "unit")),
            "versions": list(Bom.objects.filter(product=bom.product, is_custom=False).order_by("-version")),
            "form": form,
            "qty": qty,
            "method": method,
            "indented": indented,
            "summary": summary,
            "summary_total": sum((r["cost"] or 0 for r in summary), Decimal("0.00")),
            "summary_missing": any(r["cost"] is None for r in summary),
            "error": error,
            "rights": rights,
            "querystring": export_query(request),
            "has_history": library_available("audit_tags"),
            "can_order": can(request.user, "production", "add"),
        }
        return TemplateResponse(request, "production/bom_detail.html", ctx)


class BomActivateView(PolicyMixin, View):
    access_policy = CHANGE
    http_method_names = ["post"]

    def post(self, request, pk):
        bom = bom_or_404(pk)
        try:
            services.bom_activate(actor=request.user, bom=bom)
        except DomainError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("%(bom)s is the active BOM now.") % {"bom": bom})
        return redirect(bom.get_absolute_url())


class BomCopyView(PolicyMixin, View):
    """A new (inactive) version with the same lines, opened in the editor."""

    access_policy = ADD
    http_method_names = ["post"]

    def post(self, request, pk):
        bom = bom_or_404(pk)
        try:
            copy = services.bom_copy(actor=request.user, bom=bom)
        except DomainError as exc:
            flash_error(request, exc)
            return redirect(bom.get_absolute_url())
        made = _("Version %(version)s was made from version %(source)s.")
        messages.success(request, made % {"version": copy.version, "source": bom.version})
        if can(request.user, "production", "change"):
            return redirect(reverse("production:bom-update", args=[copy.pk]))
        return redirect(copy.get_absolute_url())


urlpatterns = [
    path("products/<int:pk>/boms/new/", BomCreateView.as_view(), name="bom-create"),
    path("boms/<int:pk>/", BomDetailView.as_view(), name="bom-detail"),
    path("boms/<int:pk>/edit/", BomUpdateView.as_view(), name="bom-update"),
    path("boms/<int:pk>/activate/", BomActivateView.as_view(), name="bom-activate"),
    path("boms/<int:pk>/copy/", BomCopyView.as_view(), name="bom-copy"),
]
