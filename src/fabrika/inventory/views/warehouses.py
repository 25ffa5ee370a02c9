"""Warehouses: list, card with locations, create (valuation chosen once) and edit."""

from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from fabrika.access.policy import Policy, can
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.views import Column, ListPage, PolicyMixin

from ..forms import WarehouseForm, apply_errors
from ..models import Balance, Warehouse
from ..services import warehouse_create, warehouse_update
from .common import inventory_rights, library_available


class WarehouseListView(ListPage):
    model = Warehouse
    access_policy = Policy("inventory", "view")
    title = gettext_lazy("Warehouses")
    export_name = "warehouses"
    search_fields = ("code", "name")
    default_ordering = ("code", "id")
    columns = [
        Column("code", gettext_lazy("Code"), sort="code", link=True),
        Column("name", gettext_lazy("Name"), sort="name", link=True),
        Column("valuation", gettext_lazy("Valuation"), sort="valuation", value=lambda w: w.get_valuation_display()),
        Column("location_count", gettext_lazy("Locations")),
        Column("active", gettext_lazy("Active"), sort="active"),
    ]

    def base_queryset(self):
        return self.scoped(Warehouse.objects.annotate(location_count=Count("locations")))

    @cached_property
    def create_url(self):
        return reverse("inventory:warehouse-create") if can(self.request.user, "inventory", "add") else None


class WarehouseDetailView(PolicyMixin, View):
    access_policy = Policy("inventory", "view")

    def get(self, request, pk):
        warehouse = get_object_or_404(self.scoped(Warehouse.objects.all()), pk=pk)
        rights = inventory_rights(request.user)
        totals = Balance.objects.filter(warehouse=warehouse).aggregate(
            products=Count("pk", filter=~Q(qty=0)), value=Sum("value")
        )
        ctx = {
            "title": warehouse.name,
            "object": warehouse,
            "warehouse": warehouse,
            "locations": warehouse.locations.order_by("kind", "name"),
            "rights": rights,
            "product_count": totals["products"],
            "stock_value": totals["value"] if rights["cost"] else None,
            "has_history": library_available("audit_tags"),
        }
        return TemplateResponse(request, "inventory/warehouse_detail.html", ctx)


class WarehouseFormView(PolicyMixin, View):
    warehouse: Warehouse | None = None

    def render_form(self, form):
        cancel = self.warehouse.get_absolute_url() if self.warehouse else reverse("inventory:warehouse-list")
        return TemplateResponse(
            self.request,
            "inventory/warehouse_form.html",
            {"form": form, "object": self.warehouse, "title": self.title(), "cancel_url": cancel},
        )

    def load(self, pk):
        return None

    def get(self, request, pk=None):
        self.warehouse = self.load(pk)
        return self.render_form(WarehouseForm(instance=self.warehouse))

    def post(self, request, pk=None):
        self.warehouse = self.load(pk)
        form = WarehouseForm(data=request.POST, instance=self.warehouse)
        if form.is_valid():
            try:
                warehouse = self.save(form.service_data())
            except ValidationFailed as exc:
                apply_errors(form, exc.errors)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Warehouse %(name)s was saved.") % {"name": warehouse.name})
                return redirect(warehouse.get_absolute_url())
        return self.render_form(form)


class WarehouseCreateView(WarehouseFormView):
    access_policy = Policy("inventory", "add")

    def title(self):
        return _("New warehouse")

    def save(self, data):
        return warehouse_create(actor=self.request.user, data=data)


class WarehouseUpdateView(WarehouseFormView):
    access_policy = Policy("inventory", "change")

    def load(self, pk):
        return get_object_or_404(self.scoped(Warehouse.objects.all(), "change"), pk=pk)

    def title(self):
        return _("Edit %(name)s") % {"name": self.warehouse.name}

    def save(self, data):
        return warehouse_update(actor=self.request.user, warehouse=self.warehouse, data=data)


urlpatterns = [
    path("warehouses/", WarehouseListView.as_view(), name="warehouse-list"),
    path("warehouses/new/", WarehouseCreateView.as_view(), name="warehouse-create"),
    path("warehouses/<int:pk>/", WarehouseDetailView.as_view(), name="warehouse-detail"),
    path("warehouses/<int:pk>/edit/", WarehouseUpdateView.as_view(), name="warehouse-update"),
]
