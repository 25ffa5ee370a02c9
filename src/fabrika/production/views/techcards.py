"""Tech cards (the operations that make a product: work centre, setup and run times, rates,
instructions) and the work centres they run on."""

from decimal import Decimal

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.views import Column, ListPage, PolicyMixin

from .. import services
from ..domain import costing as dcost
from ..forms import (
    OperationForm,
    TechCardForm,
    WorkCentreForm,
    apply_errors,
    operations_initial,
)
from ..models import TechCard, WorkCentre
from ..queries import domain_operation
from .common import ADD, CHANGE, VIEW, flash_error, library_available, production_rights
from .products import product_or_404
from .versions import VersionFormView


def card_or_404(pk) -> TechCard:
    return get_object_or_404(TechCard.objects.select_related("product", "product__unit"), pk=pk)


class TechCardFormView(VersionFormView):
    template_name = "production/techcard_form.html"
    header_form = TechCardForm
    row_form = OperationForm
    prefix = "operations"

    def save(self, data, rows):
        return services.techcard_save(
            actor=self.request.user, product=self.product, data=data, operations=rows, card=self.version
        )

    def saved(self, version):
        return _("Tech card %(product)s v%(version)s was saved.") % {
            "product": version.product.code,
            "version": version.version,
        }


class TechCardCreateView(TechCardFormView):
    """A new tech card version; `?from=<card>` starts from another version's operations."""

    access_policy = ADD

    def load(self, pk):
        self.product = product_or_404(self.request.user, pk)

    def initial(self):
        source = self.request.GET.get("from", "")
        card = TechCard.objects.filter(pk=source, product=self.product).first() if source.isdigit() else None
        if card is None:
            return {}, []
        return {"name": card.name, "note": card.note}, operations_initial(card.operations.all())

    def title(self):
        return _("New tech card of %(product)s") % {"product": f"{self.product.code} · {self.product.name}"}


class TechCardUpdateView(TechCardFormView):
    access_policy = CHANGE

    def load(self, pk):
        self.version = card_or_404(pk)
        self.product = self.version.product

    def initial(self):
        card = self.version
        return {"name": card.name, "note": card.note}, operations_initial(card.operations.all())

    def title(self):
        return _("Edit tech card %(card)s") % {"card": self.version}


class TechCardDetailView(PolicyMixin, View):
    access_policy = VIEW

    def get(self, request, pk):
        card = card_or_404(pk)
        operations = list(card.operations.select_related("work_centre"))
        rows = []
        total = {"minutes": Decimal(0), "labour": Decimal("0.00"), "overhead": Decimal("0.00")}
        for op in operations:
            _hours, labour, overhead = dcost.operation_cost(domain_operation(op), Decimal(1))
            minutes = op.setup_minutes + op.run_minutes
            rows.append({"op": op, "minutes": minutes, "labour": labour, "overhead": overhead})
            total["minutes"] += minutes
            total["labour"] += labour
            total["overhead"] += overhead
        ctx = {
            "title": _("Tech card %(card)s") % {"card": card},
            "object": card,
            "card": card,
            "product": card.product,
            "rows": rows,
            "total": total,
            "versions": list(TechCard.objects.filter(product=card.product).order_by("-version")),
            "rights": production_rights(request.user),
            "has_history": library_available("audit_tags"),
        }
        return TemplateResponse(request, "production/techcard_detail.html", ctx)


class TechCardActivateView(PolicyMixin, View):
    access_policy = CHANGE
    http_method_names = ["post"]

    def post(self, request, pk):
        card = card_or_404(pk)
        try:
            services.techcard_activate(actor=request.user, card=card)
        except DomainError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("Tech card %(card)s is the active one now.") % {"card": card})
        return redirect(card.get_absolute_url())


# --- work centres ---------------------------------------------------------------------------------


class WorkCentreListView(ListPage):
    model = WorkCentre
    access_policy = VIEW
    title = gettext_lazy("Work centres")
    export_name = "work-centres"
    search_fields = ("code", "name")
    default_ordering = ("code", "id")

    def dispatch(self, request, *args, **kwargs):
        columns = [
            Column("code", gettext_lazy("Code"), sort="code", link=True),
            Column("name", gettext_lazy("Name"), sort="name", link=True),
            Column("hours_per_day", gettext_lazy("Hours per day"), sort="hours_per_day"),
            Column("active", gettext_lazy("Active"), sort="active"),
        ]
        if request.user.is_authenticated and production_rights(request.user)["cost"]:
            columns.insert(2, Column("hourly_rate", gettext_lazy("Hourly rate"), sort="hourly_rate"))
        self.columns = columns
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rights = production_rights(self.request.user)
        ctx["create_url"] = reverse("production:workcentre-create") if rights["add"] else None
        ctx["rows"] = [(_EditLink(obj, rights["change"]), values) for obj, values in ctx["rows"]]
        return ctx


class _EditLink:
    """A row of the list whose name links to the edit form (for those who may change it)."""

    def __init__(self, obj, can_change):
        self.obj = obj
        self.can_change = can_change

    def get_absolute_url(self):
        return reverse("production:workcentre-update", args=[self.obj.pk]) if self.can_change else ""


class WorkCentreFormView(PolicyMixin, View):
    centre: WorkCentre | None = None

    def render_form(self, form):
        ctx = {
            "title": self.title(),
            "form": form,
            "object": self.centre,
            "cancel_url": reverse("production:workcentre-list"),
        }
        return TemplateResponse(self.request, "web/form.html", ctx)

    def get(self, request, pk=None):
        self.load(pk)
        return self.render_form(WorkCentreForm(instance=self.centre or WorkCentre()))

    def post(self, request, pk=None):
        self.load(pk)
        form = WorkCentreForm(data=request.POST, instance=self.centre or WorkCentre())
        if form.is_valid():
            try:
                centre = services.workcentre_save(actor=request.user, data=form.service_data(), centre=self.centre)
            except ValidationFailed as exc:
                apply_errors(form, exc.errors)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Work centre %(code)s was saved.") % {"code": centre.code})
                return redirect(reverse("production:workcentre-list"))
        return self.render_form(form)


class WorkCentreCreateView(WorkCentreFormView):
    access_policy = ADD

    def load(self, pk):
        self.centre = None

    def title(self):
        return _("New work centre")


class WorkCentreUpdateView(WorkCentreFormView):
    access_policy = CHANGE

    def load(self, pk):
        self.centre = get_object_or_404(WorkCentre, pk=pk)

    def title(self):
        return _("Edit work centre %(centre)s") % {"centre": self.centre}


urlpatterns = [
    path("products/<int:pk>/techcards/new/", TechCardCreateView.as_view(), name="techcard-create"),
    path("techcards/<int:pk>/", TechCardDetailView.as_view(), name="techcard-detail"),
    path("techcards/<int:pk>/edit/", TechCardUpdateView.as_view(), name="techcard-update"),
    path("techcards/<int:pk>/activate/", TechCardActivateView.as_view(), name="techcard-activate"),
    path("workcentres/", WorkCentreListView.as_view(), name="workcentre-list"),
    path("workcentres/new/", WorkCentreCreateView.as_view(), name="workcentre-create"),
    path("workcentres/<int:pk>/edit/", WorkCentreUpdateView.as_view(), name="workcentre-update"),
]
