"""Sale prices: price types (retail, wholesale, dealer…) and price lists with their items."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from fabrika.core.errors import DomainError
from fabrika.core.views import Column, ListPage, PolicyMixin

from .. import services
from ..filters import PriceListFilter
from ..forms import PriceItemForm, PriceListForm, PriceTypeForm, show_errors
from ..models import PriceList, PriceListItem, PriceType
from .common import ADD, CHANGE, DELETE, VIEW, catalog_rights, flash_errors

# --- price types --------------------------------------------------------------------------------


class PriceTypeListView(PolicyMixin, View):
    access_policy = VIEW

    def get(self, request):
        types = PriceType.objects.annotate(list_count=Count("price_lists")).order_by("name", "id")
        return render(
            request,
            "catalog/price_type_list.html",
            {"title": _("Price types"), "types": types, "rights": catalog_rights(request.user)},
        )


class PriceTypeFormView(PolicyMixin, View):
    price_type: PriceType | None = None

    def load(self, pk):
        self.price_type = get_object_or_404(PriceType, pk=pk) if pk else None

    def render_form(self, form):
        title = (
            _("Edit price type %(name)s") % {"name": self.price_type.name} if self.price_type else _("New price type")
        )
        ctx = {
            "form": form,
            "object": self.price_type,
            "title": title,
            "cancel_url": reverse("catalog:price-type-list"),
        }
        return render(self.request, "web/form.html", ctx)

    def get(self, request, pk=None):
        self.load(pk)
        return self.render_form(PriceTypeForm(instance=self.price_type or PriceType()))

    def post(self, request, pk=None):
        self.load(pk)
        form = PriceTypeForm(data=request.POST, instance=self.price_type or PriceType())
        if form.is_valid():
            try:
                saved = services.price_type_save(
                    actor=request.user, data=form.service_data(), price_type=self.price_type
                )
            except DomainError as exc:
                show_errors(form, exc)
            else:
                messages.success(request, _("Price type %(name)s was saved.") % {"name": saved.name})
                return redirect("catalog:price-type-list")
        return self.render_form(form)


class PriceTypeCreateView(PriceTypeFormView):
    access_policy = ADD


class PriceTypeUpdateView(PriceTypeFormView):
    access_policy = CHANGE


class PriceTypeDeleteView(PolicyMixin, View):
    access_policy = DELETE
    http_method_names = ["post"]

    def post(self, request, pk):
        price_type = get_object_or_404(PriceType, pk=pk)
        name = price_type.name
        try:
            services.price_type_delete(actor=request.user, price_type=price_type)
        except DomainError as exc:
            flash_errors(request, exc)
        else:
            messages.success(request, _("Price type %(name)s was deleted.") % {"name": name})
        return redirect("catalog:price-type-list")


# --- price lists --------------------------------------------------------------------------------


def _validity(pl: PriceList) -> str:
    today = timezone.localdate()
    if pl.valid_from > today:
        return _("upcoming")
    if pl.valid_to is not None and pl.valid_to < today:
        return _("expired")
    return _("valid")


class PriceListListView(ListPage):
    model = PriceList
    access_policy = VIEW
    title = gettext_lazy("Price lists")
    export_name = "price-lists"
    filterset_class = PriceListFilter
    search_fields = ("name",)
    default_ordering = ("price_type__name", "-valid_from", "-id")
    columns = [
        Column("name", gettext_lazy("Name"), sort="name", link=True),
        Column("price_type", gettext_lazy("Price type"), sort="price_type__name"),
        Column("currency", gettext_lazy("Currency"), sort="currency"),
        Column("valid_from", gettext_lazy("Valid from"), sort="valid_from"),
        Column("valid_to", gettext_lazy("Valid to"), sort="valid_to"),
        Column("includes_vat", gettext_lazy("Prices include VAT")),
        Column("item_count", gettext_lazy("Prices"), sort="item_count"),
        Column("state", gettext_lazy("State"), value=_validity),
    ]

    def base_queryset(self):
        return self.scoped(PriceList.objects.select_related("price_type").annotate(item_count=Count("items")))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if self.filterset is not None:
            self.filterset.form.fields["valid_on"].widget.input_type = "date"
        ctx["create_url"] = reverse("catalog:price-list-create") if catalog_rights(self.request.user)["add"] else None
        return ctx


class PriceListDetailView(PolicyMixin, View):
    access_policy = VIEW

    def get(self, request, pk):
        price_list = get_object_or_404(PriceList.objects.select_related("price_type"), pk=pk)
        return self.render_page(price_list, PriceItemForm(instance=PriceListItem(price_list=price_list)))

    def render_page(self, price_list, form):
        items = price_list.items.select_related("product", "product__unit").order_by("product__code")
        ctx = {
            "title": price_list.name,
            "price_list": price_list,
            "object": price_list,
            "state": _validity(price_list),
            "items": items,
            "form": form,
            "rights": catalog_rights(self.request.user),
        }
        return render(self.request, "catalog/price_list_detail.html", ctx)


class PriceListFormView(PolicyMixin, View):
    price_list: PriceList | None = None

    def load(self, pk):
        self.price_list = get_object_or_404(PriceList, pk=pk) if pk else None

    def render_form(self, form):
        if self.price_list:
            title = _("Edit price list %(name)s") % {"name": self.price_list.name}
            cancel = reverse("catalog:price-list-detail", args=[self.price_list.pk])
        else:
            title, cancel = _("New price list"), reverse("catalog:price-list-list")
        ctx = {"form": form, "object": self.price_list, "title": title, "cancel_url": cancel}
        return render(self.request, "web/form.html", ctx)

    def get(self, request, pk=None):
        self.load(pk)
        initial = {} if self.price_list else {"valid_from": timezone.localdate()}
        return self.render_form(PriceListForm(instance=self.price_list or PriceList(currency=""), initial=initial))

    def post(self, request, pk=None):
        self.load(pk)
        form = PriceListForm(data=request.POST, instance=self.price_list or PriceList())
        if form.is_valid():
            try:
                if self.price_list is None:
                    saved = services.price_list_create(actor=request.user, data=form.service_data())
                else:
                    saved = services.price_list_update(
                        actor=request.user, price_list=self.price_list, data=form.service_data()
                    )
            except DomainError as exc:
                show_errors(form, exc)
            else:
                messages.success(request, _("Price list %(name)s was saved.") % {"name": saved.name})
                return redirect("catalog:price-list-detail", pk=saved.pk)
        return self.render_form(form)


class PriceListCreateView(PriceListFormView):
    access_policy = ADD


class PriceListUpdateView(PriceListFormView):
    access_policy = CHANGE


class PriceListDeleteView(PolicyMixin, View):
    access_policy = DELETE
    http_method_names = ["post"]

    def post(self, request, pk):
        price_list = get_object_or_404(PriceList, pk=pk)
        name = price_list.name
        try:
            services.price_list_delete(actor=request.user, price_list=price_list)
        except DomainError as exc:
            flash_errors(request, exc)
            return redirect("catalog:price-list-detail", pk=pk)
        messages.success(request, _("Price list %(name)s was deleted.") % {"name": name})
        return redirect("catalog:price-list-list")


# --- items --------------------------------------------------------------------------------------


class PriceItemCreateView(PolicyMixin, View):
    access_policy = CHANGE
    http_method_names = ["post"]

    def post(self, request, pk):
        price_list = get_object_or_404(PriceList.objects.select_related("price_type"), pk=pk)
        form = PriceItemForm(data=request.POST, instance=PriceListItem(price_list=price_list))
        if form.is_valid():
            data = form.cleaned_data
            try:
                item = services.price_item_save(
                    actor=request.user, price_list=price_list, product=data["product"], price=data["price"]
                )
            except DomainError as exc:
                show_errors(form, exc)
            else:
                messages.success(
                    request, _("%(product)s: %(price)s.") % {"product": item.product.code, "price": item.price}
                )
                return redirect(reverse("catalog:price-list-detail", args=[pk]) + "#items")
        return PriceListDetailView(request=request).render_page(price_list, form)


class PriceItemUpdateView(PolicyMixin, View):
    access_policy = CHANGE

    def load(self, pk):
        self.item = get_object_or_404(PriceListItem.objects.select_related("price_list", "product"), pk=pk)

    def render_form(self, form):
        ctx = {
            "form": form,
            "object": self.item,
            "title": _("Price of %(product)s in %(list)s")
            % {"product": self.item.product.code, "list": self.item.price_list.name},
            "cancel_url": reverse("catalog:price-list-detail", args=[self.item.price_list_id]),
        }
        return render(self.request, "web/form.html", ctx)

    def get(self, request, pk):
        self.load(pk)
        return self.render_form(PriceItemForm(instance=self.item))

    def post(self, request, pk):
        self.load(pk)
        form = PriceItemForm(data=request.POST, instance=self.item)
        if form.is_valid():
            try:
                services.price_item_save(
                    actor=request.user,
                    price_list=self.item.price_list,
                    product=form.cleaned_data["product"],
                    price=form.cleaned_data["price"],
                    item=self.item,
                )
            except DomainError as exc:
                show_errors(form, exc)
            else:
                messages.success(request, _("The price was saved."))
                return redirect(reverse("catalog:price-list-detail", args=[self.item.price_list_id]) + "#items")
        return self.render_form(form)


class PriceItemDeleteView(PolicyMixin, View):
    access_policy = CHANGE
    http_method_names = ["post"]

    def post(self, request, pk):
        item = get_object_or_404(PriceListItem.objects.select_related("product"), pk=pk)
        list_id = item.price_list_id
        services.price_item_delete(actor=request.user, item=item)
        messages.success(request, _("The price of %(product)s was removed.") % {"product": item.product.code})
        return redirect(reverse("catalog:price-list-detail", args=[list_id]) + "#items")


urlpatterns = [
    path("price-types/", PriceTypeListView.as_view(), name="price-type-list"),
    path("price-types/new/", PriceTypeCreateView.as_view(), name="price-type-create"),
    path("price-types/<int:pk>/edit/", PriceTypeUpdateView.as_view(), name="price-type-update"),
    path("price-types/<int:pk>/delete/", PriceTypeDeleteView.as_view(), name="price-type-delete"),
    path("price-lists/", PriceListListView.as_view(), name="price-list-list"),
    path("price-lists/new/", PriceListCreateView.as_view(), name="price-list-create"),
    path("price-lists/<int:pk>/", PriceListDetailView.as_view(), name="price-list-detail"),
    path("price-lists/<int:pk>/edit/", PriceListUpdateView.as_view(), name="price-list-update"),
    path("price-lists/<int:pk>/delete/", PriceListDeleteView.as_view(), name="price-list-delete"),
    path("price-lists/<int:pk>/items/new/", PriceItemCreateView.as_view(), name="price-item-create"),
    path("price-items/<int:pk>/edit/", PriceItemUpdateView.as_view(), name="price-item-update"),
    path("price-items/<int:pk>/delete/", PriceItemDeleteView.as_view(), name="price-item-delete"),
]
