"""Units of measure: list, create, edit, delete (refused while products use a unit)."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views import View

from fabrika.core.errors import DomainError
from fabrika.core.views import PolicyMixin

from .. import services
from ..forms import UnitForm, show_errors
from ..models import Product, Unit, UnitConversion
from .common import ADD, CHANGE, DELETE, VIEW, catalog_rights, flash_errors


class UnitListView(PolicyMixin, View):
    access_policy = VIEW

    def get(self, request):
        products = dict(Product.objects.values_list("unit_id").annotate(n=Count("id")))
        conversions = dict(UnitConversion.objects.values_list("unit_id").annotate(n=Count("id")))
        units = [(u, products.get(u.pk, 0), conversions.get(u.pk, 0)) for u in Unit.objects.order_by("code")]
        return render(
            request,
            "catalog/unit_list.html",
            {"title": _("Units of measure"), "units": units, "rights": catalog_rights(request.user)},
        )


class UnitFormView(PolicyMixin, View):
    unit: Unit | None = None

    def load(self, pk):
        self.unit = get_object_or_404(Unit, pk=pk) if pk else None

    def render_form(self, form):
        title = _("Edit unit %(code)s") % {"code": self.unit.code} if self.unit else _("New unit of measure")
        ctx = {"form": form, "object": self.unit, "title": title, "cancel_url": reverse("catalog:unit-list")}
        return render(self.request, "web/form.html", ctx)

    def get(self, request, pk=None):
        self.load(pk)
        return self.render_form(UnitForm(instance=self.unit))

    def post(self, request, pk=None):
        self.load(pk)
        form = UnitForm(data=request.POST, instance=self.unit or Unit())
        if form.is_valid():
            try:
                unit = services.unit_save(actor=request.user, data=form.service_data(), unit=self.unit)
            except DomainError as exc:
                show_errors(form, exc)
            else:
                messages.success(request, _("Unit %(code)s was saved.") % {"code": unit.code})
                return redirect("catalog:unit-list")
        return self.render_form(form)


class UnitCreateView(UnitFormView):
    access_policy = ADD


class UnitUpdateView(UnitFormView):
    access_policy = CHANGE


class UnitDeleteView(PolicyMixin, View):
    access_policy = DELETE
    http_method_names = ["post"]

    def post(self, request, pk):
        unit = get_object_or_404(Unit, pk=pk)
        code = unit.code
        try:
            services.unit_delete(actor=request.user, unit=unit)
        except DomainError as exc:
            flash_errors(request, exc)
        else:
            messages.success(request, _("Unit %(code)s was deleted.") % {"code": code})
        return redirect("catalog:unit-list")


urlpatterns = [
    path("units/", UnitListView.as_view(), name="unit-list"),
    path("units/new/", UnitCreateView.as_view(), name="unit-create"),
    path("units/<int:pk>/edit/", UnitUpdateView.as_view(), name="unit-update"),
    path("units/<int:pk>/delete/", UnitDeleteView.as_view(), name="unit-delete"),
]
