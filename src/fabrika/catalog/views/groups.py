"""Product groups: the indented tree, create/edit/move, delete, and each group's characteristics
template (its own characteristics beside the ones it inherits)."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views import View

from fabrika.core.errors import DomainError
from fabrika.core.views import PolicyMixin

from .. import services
from ..forms import CharacteristicForm, GroupForm, show_errors
from ..models import GroupCharacteristic, ProductGroup
from ..queries import characteristic_template, group_descendant_ids, group_tree
from .common import ADD, CHANGE, DELETE, VIEW, catalog_rights, flash_errors


class GroupTreeView(PolicyMixin, View):
    access_policy = VIEW

    def get(self, request):
        products = dict(ProductGroup.objects.values_list("id").annotate(n=Count("products")))
        chars = dict(ProductGroup.objects.values_list("id").annotate(n=Count("characteristics")))
        rows = [(g, depth, products.get(g.pk, 0), chars.get(g.pk, 0)) for g, depth in group_tree()]
        return render(
            request,
            "catalog/group_list.html",
            {"title": _("Product groups"), "rows": rows, "rights": catalog_rights(request.user)},
        )


class GroupDetailView(PolicyMixin, View):
    """A group with its characteristics template; the editor for those with catalog/change."""

    access_policy = VIEW

    def get(self, request, pk):
        group = get_object_or_404(ProductGroup.objects.select_related("parent"), pk=pk)
        return self.render_page(group, CharacteristicForm(initial={"order": self.next_order(group)}))

    @staticmethod
    def next_order(group) -> int:
        last = group.characteristics.order_by("-order").values_list("order", flat=True).first()
        return (last or 0) + 10

    def render_page(self, group, form):
        template = characteristic_template(group)
        subtree = group_descendant_ids(group)
        ctx = {
            "title": group.name,
            "group": group,
            "object": group,
            "path": group.ancestors(),
            "inherited": [c for c in template if c.inherited_from is not None],
            "own": list(group.characteristics.order_by("order", "name")),
            "children": list(group.children.order_by("name")),
            "product_count": group.products.count(),
            "subtree_product_count": ProductGroup.objects.filter(pk__in=subtree).aggregate(n=Count("products"))["n"],
            "form": form,
            "rights": catalog_rights(self.request.user),
        }
        return render(self.request, "catalog/group_detail.html", ctx)


class GroupFormView(PolicyMixin, View):
    group: ProductGroup | None = None

    def load(self, pk):
        self.group = get_object_or_404(ProductGroup, pk=pk) if pk else None

    def render_form(self, form):
        if self.group:
            title = _("Edit group %(name)s") % {"name": self.group.name}
            cancel = reverse("catalog:group-detail", args=[self.group.pk])
        else:
            title, cancel = _("New product group"), reverse("catalog:group-list")
        return render(
            self.request, "web/form.html", {"form": form, "object": self.group, "title": title, "cancel_url": cancel}
        )

    def get(self, request, pk=None):
        self.load(pk)
        initial = {}
        parent = request.GET.get("parent", "")
        if self.group is None and parent.isdigit():
            initial["parent"] = int(parent)
        return self.render_form(GroupForm(instance=self.group or ProductGroup(), initial=initial))

    def post(self, request, pk=None):
        self.load(pk)
        form = GroupForm(data=request.POST, instance=self.group or ProductGroup())
        if form.is_valid():
            try:
                if self.group is None:
                    group = services.group_create(actor=request.user, data=form.service_data())
                else:
                    group = services.group_update(actor=request.user, group=self.group, data=form.service_data())
            except DomainError as exc:
                show_errors(form, exc)
            else:
                messages.success(request, _("Group %(name)s was saved.") % {"name": group.name})
                return redirect("catalog:group-detail", pk=group.pk)
        return self.render_form(form)


class GroupCreateView(GroupFormView):
    access_policy = ADD


class GroupUpdateView(GroupFormView):
    access_policy = CHANGE


class GroupDeleteView(PolicyMixin, View):
    access_policy = DELETE
    http_method_names = ["post"]

    def post(self, request, pk):
        group = get_object_or_404(ProductGroup, pk=pk)
        name = group.name
        try:
            services.group_delete(actor=request.user, group=group)
        except DomainError as exc:
            flash_errors(request, exc)
            return redirect("catalog:group-detail", pk=group.pk)
        messages.success(request, _("Group %(name)s was deleted.") % {"name": name})
        return redirect("catalog:group-list")


class CharacteristicCreateView(PolicyMixin, View):
    access_policy = CHANGE
    http_method_names = ["post"]

    def post(self, request, pk):
        group = get_object_or_404(ProductGroup, pk=pk)
        form = CharacteristicForm(data=request.POST)
        if form.is_valid():
            try:
                char = services.characteristic_save(actor=request.user, group=group, data=form.service_data())
            except DomainError as exc:
                show_errors(form, exc)
            else:
                messages.success(request, _("%(name)s was added to %(group)s.") % {"name": char.name, "group": group})
                return redirect(reverse("catalog:group-detail", args=[group.pk]) + "#characteristics")
        return GroupDetailView(request=request).render_page(group, form)


class CharacteristicUpdateView(PolicyMixin, View):
    access_policy = CHANGE

    def load(self, pk):
        self.char = get_object_or_404(GroupCharacteristic.objects.select_related("group"), pk=pk)

    def render_form(self, form):
        group = self.char.group
        ctx = {
            "form": form,
            "object": self.char,
            "title": _("Characteristic %(name)s of %(group)s") % {"name": self.char.name, "group": group.name},
            "cancel_url": reverse("catalog:group-detail", args=[group.pk]),
        }
        return render(self.request, "web/form.html", ctx)

    def get(self, request, pk):
        self.load(pk)
        return self.render_form(CharacteristicForm(instance=self.char))

    def post(self, request, pk):
        self.load(pk)
        form = CharacteristicForm(data=request.POST, instance=self.char)
        if form.is_valid():
            try:
                char = services.characteristic_save(
                    actor=request.user, group=self.char.group, data=form.service_data(), characteristic=self.char
                )
            except DomainError as exc:
                show_errors(form, exc)
            else:
                messages.success(request, _("%(name)s was saved.") % {"name": char.name})
                return redirect(reverse("catalog:group-detail", args=[char.group_id]) + "#characteristics")
        return self.render_form(form)


class CharacteristicDeleteView(PolicyMixin, View):
    access_policy = CHANGE
    http_method_names = ["post"]

    def post(self, request, pk):
        char = get_object_or_404(GroupCharacteristic, pk=pk)
        group_id, name = char.group_id, char.name
        try:
            services.characteristic_delete(actor=request.user, characteristic=char)
        except DomainError as exc:
            flash_errors(request, exc)
        else:
            messages.success(request, _("%(name)s was removed from the template.") % {"name": name})
        return redirect(reverse("catalog:group-detail", args=[group_id]) + "#characteristics")


urlpatterns = [
    path("groups/", GroupTreeView.as_view(), name="group-list"),
    path("groups/new/", GroupCreateView.as_view(), name="group-create"),
    path("groups/<int:pk>/", GroupDetailView.as_view(), name="group-detail"),
    path("groups/<int:pk>/edit/", GroupUpdateView.as_view(), name="group-update"),
    path("groups/<int:pk>/delete/", GroupDeleteView.as_view(), name="group-delete"),
    path("groups/<int:pk>/characteristics/new/", CharacteristicCreateView.as_view(), name="characteristic-create"),
    path("characteristics/<int:pk>/edit/", CharacteristicUpdateView.as_view(), name="characteristic-update"),
    path("characteristics/<int:pk>/delete/", CharacteristicDeleteView.as_view(), name="characteristic-delete"),
]
