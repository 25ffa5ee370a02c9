"""Funnel stage settings: list, create, edit, delete (refused while a stage is used)."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views import View

from fabrika.access.policy import Policy
from fabrika.core.errors import DomainError
from fabrika.core.views import PolicyMixin

from .. import services
from ..forms_deals import StageForm, add_service_errors
from ..models import FunnelStage

# The funnel is company configuration: directors and administrators set it up.
SETTINGS = Policy("settings", "change")


class StageListView(PolicyMixin, View):
    access_policy = SETTINGS

    def get(self, request):
        stages = self.scoped(FunnelStage.objects.annotate(deal_count=Count("deals")), "change").order_by("order", "id")
        return TemplateResponse(request, "crm/stage_list.html", {"title": _("Funnel stages"), "stages": stages})


class StageEditBase(PolicyMixin, View):
    access_policy = SETTINGS
    stage = None

    def load(self, **kwargs):
        pass

    def render(self, form):
        title = _("Edit stage %(name)s") % {"name": self.stage.name} if self.stage else _("New funnel stage")
        ctx = {"form": form, "object": self.stage, "title": title, "cancel_url": reverse("crm:stage-list")}
        return TemplateResponse(self.request, "crm/stage_form.html", ctx)

    def get(self, request, **kwargs):
        self.load(**kwargs)
        initial = None
        if self.stage is None:
            last = FunnelStage.objects.filter(kind=FunnelStage.Kind.OPEN).order_by("-order").first()
            initial = {"order": (last.order + 1) if last else 1}
        return self.render(StageForm(instance=self.stage, initial=initial))

    def post(self, request, **kwargs):
        self.load(**kwargs)
        form = StageForm(request.POST, instance=self.stage)
        if form.is_valid():
            try:
                stage = services.stage_save(actor=request.user, data=form.cleaned_data, stage=self.stage)
            except DomainError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Stage %(name)s was saved.") % {"name": stage.name})
                return redirect("crm:stage-list")
        return self.render(form)


class StageCreateView(StageEditBase):
    pass


class StageUpdateView(StageEditBase):
    def load(self, *, pk):
        self.stage = get_object_or_404(self.scoped(FunnelStage.objects.all(), "change"), pk=pk)


class StageDeleteView(PolicyMixin, View):
    access_policy = SETTINGS
    http_method_names = ["post"]

    def post(self, request, pk):
        stage = get_object_or_404(self.scoped(FunnelStage.objects.all(), "change"), pk=pk)
        name = stage.name
        try:
            services.stage_delete(actor=request.user, stage=stage)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Stage %(name)s was deleted.") % {"name": name})
        return redirect("crm:stage-list")


urlpatterns = [
    path("settings/stages/", StageListView.as_view(), name="stage-list"),
    path("settings/stages/new/", StageCreateView.as_view(), name="stage-create"),
    path("settings/stages/<int:pk>/edit/", StageUpdateView.as_view(), name="stage-update"),
    path("settings/stages/<int:pk>/delete/", StageDeleteView.as_view(), name="stage-delete"),
]
