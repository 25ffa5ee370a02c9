"""CRM reference data: classifiers (kinds and their values) and tags. Changing them needs crm/change."""

from django.contrib import messages
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views import View

from fabrika.access.policy import Policy
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.views import PolicyMixin

from .. import services
from ..forms import ClassifierKindForm, ClassifierValueForm, TagForm, apply_errors
from ..models import ClassifierKind, ClassifierValue, Tag

CHANGE = Policy("crm", "change")


def _flash_errors(request, exc: DomainError) -> None:
    if isinstance(exc, ValidationFailed):
        for errors in exc.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.error(request, exc.message)


class ClassifierListView(PolicyMixin, View):
    access_policy = CHANGE

    def get(self, request):
        values = ClassifierValue.objects.annotate(used=Count("counterparty")).order_by("name")
        kinds = ClassifierKind.objects.prefetch_related(Prefetch("values", queryset=values))
        return render(
            request,
            "crm/classifier_list.html",
            {
                "title": _("Classifiers"),
                "kinds": kinds,
                "value_form": ClassifierValueForm(),
            },
        )


class ClassifierKindFormView(PolicyMixin, View):
    access_policy = CHANGE

    def get_object(self, pk):
        return get_object_or_404(ClassifierKind, pk=pk) if pk else None

    def render_form(self, form, kind):
        title = _("Edit classifier %(name)s") % {"name": kind.name} if kind else _("New classifier")
        return render(
            self.request,
            "crm/classifier_form.html",
            {
                "form": form,
                "object": kind,
                "title": title,
                "cancel_url": reverse("crm:classifier-list"),
            },
        )

    def get(self, request, pk=None):
        kind = self.get_object(pk)
        return self.render_form(ClassifierKindForm(instance=kind), kind)

    def post(self, request, pk=None):
        kind = self.get_object(pk)
        form = ClassifierKindForm(data=request.POST, instance=kind)
        if form.is_valid():
            try:
                saved = services.classifier_kind_save(actor=request.user, data=form.service_data(), kind=kind)
            except ValidationFailed as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Classifier %(name)s was saved.") % {"name": saved.name})
                return redirect(f"{reverse('crm:classifier-list')}#kind-{saved.pk}")
        return self.render_form(form, kind)


class ClassifierValueCreateView(PolicyMixin, View):
    access_policy = CHANGE
    http_method_names = ["post"]

    def post(self, request):
        form = ClassifierValueForm(data=request.POST)
        kind_id = request.POST.get("kind", "")
        back = f"{reverse('crm:classifier-list')}#kind-{kind_id}"
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(back)
        try:
            value = services.classifier_value_save(actor=request.user, data=form.service_data())
        except DomainError as exc:
            _flash_errors(request, exc)
        else:
            messages.success(
                request,
                _("%(value)s was added to %(kind)s.") % {"value": value.name, "kind": value.kind.name},
            )
        return redirect(back)


class ClassifierValueDeleteView(PolicyMixin, View):
    """Refused while counterparties use the value (the service says how many)."""

    access_policy = CHANGE
    http_method_names = ["post"]

    def post(self, request, pk):
        value = get_object_or_404(ClassifierValue.objects.select_related("kind"), pk=pk)
        back = f"{reverse('crm:classifier-list')}#kind-{value.kind_id}"
        try:
            services.classifier_value_delete(actor=request.user, value=value)
        except DomainError as exc:
            _flash_errors(request, exc)
        else:
            messages.success(request, _("%(value)s was deleted.") % {"value": value.name})
        return redirect(back)


class TagListView(PolicyMixin, View):
    access_policy = CHANGE

    def render_page(self, form):
        tags = Tag.objects.annotate(used=Count("counterparty")).order_by("name")
        return render(self.request, "crm/tag_list.html", {"title": _("Tags"), "tags": tags, "form": form})

    def get(self, request):
        return self.render_page(TagForm())

    def post(self, request):
        form = TagForm(data=request.POST)
        if form.is_valid():
            name = " ".join(form.cleaned_data["name"].split())
            try:
                tag = services.tag_get_or_create(actor=request.user, name=name)
            except DomainError as exc:
                form.add_error("name", exc.message)
            else:
                messages.success(request, _("Tag %(name)s is ready.") % {"name": tag.name})
                return redirect("crm:tag-list")
        return self.render_page(form)


urlpatterns = [
    path("settings/classifiers/", ClassifierListView.as_view(), name="classifier-list"),
    path("settings/classifiers/new/", ClassifierKindFormView.as_view(), name="classifier-create"),
    path("settings/classifiers/<int:pk>/edit/", ClassifierKindFormView.as_view(), name="classifier-update"),
    path(
        "settings/classifiers/values/new/",
        ClassifierValueCreateView.as_view(),
        name="classifier-value-create",
    ),
    path(
        "settings/classifiers/values/<int:pk>/delete/",
        ClassifierValueDeleteView.as_view(),
        name="classifier-value-delete",
    ),
    path("settings/tags/", TagListView.as_view(), name="tag-list"),
]
