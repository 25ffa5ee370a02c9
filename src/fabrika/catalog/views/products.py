"""Product pages: the list (filters, search, export), the card with its tabs (details, stock,
moves, prices, history, and those other apps register in `catalog.tabs`), the create/edit form
(characteristics of the chosen group, unit conversions, photo), archiving and the photo itself."""

import mimetypes

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template import engines
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from fabrika.access.policy import can, restrict
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.views import Column, ListPage, PolicyMixin

from .. import services
from ..filters import ProductFilter, product_search
from ..forms import (
    CharacteristicsForm,
    ProductForm,
    conversion_formset,
    formset_conversions,
    show_conversion_errors,
    show_errors,
    tree_select,
    values_from_query,
)
from ..models import Product, ProductGroup
from ..queries import (
    characteristic_display,
    characteristic_template,
    move_direction,
    price_for,
    product_lots,
    product_moves_page,
    product_stock,
)
from ..tabs import product_tabs_for
from .common import ADD, CHANGE, DELETE, VIEW, catalog_rights, optional_url

# --- list ---------------------------------------------------------------------------------------


class ProductListView(ListPage):
    model = Product
    access_policy = VIEW
    title = gettext_lazy("Products")
    export_name = "products"
    filterset_class = ProductFilter
    search_fields = ("code", "name", "barcode")  # shows the search box; the search is `product_search`
    default_ordering = ("code", "id")
    columns = [
        Column("code", gettext_lazy("Code"), sort="code", link=True),
        Column("name", gettext_lazy("Name"), sort="name", link=True),
        Column("type", gettext_lazy("Type"), sort="type", value=lambda p: p.get_type_display()),
        Column("group", gettext_lazy("Group"), sort="group__name", value=lambda p: p.group.name if p.group else ""),
        Column("unit", gettext_lazy("Unit"), value=lambda p: p.unit.code),
        Column("barcode", gettext_lazy("Barcode"), sort="barcode"),
        Column("active", gettext_lazy("Active"), sort="active"),
    ]

    def base_queryset(self):
        return self.scoped(Product.objects.select_related("group", "unit"))

    def get_queryset(self):
        qs = self.base_queryset()
        params = self.request.GET
        self.filterset = ProductFilter(params or None, queryset=qs, request=self.request)
        if self.filterset.is_bound and self.filterset.is_valid():
            qs = self.filterset.qs
        self.search = params.get("q", "").strip()
        if self.search:
            qs = product_search(qs, self.search)
        return qs.order_by(*self.ordering_for(params.get("sort", "")))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if self.filterset is not None:
            tree_select(self.filterset.form.fields["group"], blank="---------")
            self.filterset.form.fields["group"].widget.attrs["data-tom"] = ""
        rights = catalog_rights(self.request.user)
        ctx["create_url"] = reverse("catalog:product-create") if rights["add"] else None
        return ctx


# --- card ---------------------------------------------------------------------------------------

TABS = [
    ("details", gettext_lazy("Details"), "info-circle"),
    ("stock", gettext_lazy("Stock"), "boxes"),
    ("moves", gettext_lazy("Moves"), "arrow-left-right"),
    ("prices", gettext_lazy("Prices"), "tags"),
    ("history", gettext_lazy("History"), "clock-history"),
]
STOCK_TABS = {"stock", "moves"}


def _int_param(request, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


class ProductDetailView(PolicyMixin, View):
    access_policy = VIEW

    def get(self, request, pk):
        product = get_object_or_404(
            restrict(request.user, "view", Product.objects.select_related("unit", "group", "default_warehouse")),
            pk=pk,
        )
        tabs = [t for t in TABS if product.is_stocked or t[0] not in STOCK_TABS]
        extra = {t.key: t for t in product_tabs_for(request.user, product)}
        if extra:  # other apps' tabs go after the catalog's own, before History
            at = len(tabs) - 1 if tabs[-1][0] == "history" else len(tabs)
            tabs[at:at] = [(t.key, t.label, t.icon) for t in extra.values()]
        if "audit_tags" not in engines["django"].engine.template_libraries:
            tabs = [t for t in tabs if t[0] != "history"]
        tab = request.GET.get("tab", "details")
        if tab not in {key for key, _label, _icon in tabs}:
            tab = "details"
        ctx = {
            "object": product,
            "product": product,
            "title": f"{product.code} · {product.name}",
            "tab": tab,
            "tabs": tabs,
            "rights": catalog_rights(request.user),
            "tab_template": f"catalog/product_tab_{tab}.html",
        }
        if tab in extra:
            ctx.update(extra[tab].context(request, product))
            ctx["tab_template"] = extra[tab].template
        else:
            getattr(self, f"tab_{tab}")(ctx, product)
        return render(request, "catalog/product_detail.html", ctx)

    def tab_details(self, ctx, product):
        values = product.characteristics or {}
        template = characteristic_template(product.group)
        known = {c.name for c in template}
        ctx.update(
            characteristics=[(c, characteristic_display(c, values.get(c.name))) for c in template],
            stray_characteristics=[(k, v) for k, v in values.items() if k not in known],
            conversions=list(product.conversions.select_related("unit").order_by("unit__code")),
            group_path=product.group.ancestors() if product.group else [],
        )

    def tab_stock(self, ctx, product):
        genealogy = can(self.request.user, "production", "view")
        ctx.update(
            stock=product_stock(product),
            lots=product_lots(product),
            genealogy_url=optional_url("production:genealogy") if genealogy else None,
        )

    def tab_moves(self, ctx, product):
        request = self.request
        page = product_moves_page(product, before=_int_param(request, "before"), after=_int_param(request, "after"))
        rows = []
        for move in page.rows:
            direction = move_direction(move)
            document_url = optional_url("inventory:document-detail", move.document_id) if move.document_id else None
            rows.append((move, direction, document_url))
        ctx.update(moves=rows, page=page)

    def tab_prices(self, ctx, product):
        items = list(
            product.prices.select_related("price_list", "price_list__price_type").order_by(
                "price_list__price_type__name", "-price_list__valid_from", "-price_list_id"
            )
        )
        current = set()  # the price each type gives today
        for price_type in {i.price_list.price_type_id: i.price_list.price_type for i in items}.values():
            found = price_for(product, price_type)
            if found is not None:
                current.add(found.item.pk)
        ctx["prices"] = [(item, item.pk in current) for item in items]

    def tab_history(self, ctx, product):
        pass


class ProductPhotoView(PolicyMixin, View):
    """The product's photo, for the card (an image checked on upload, served with its own type)."""

    access_policy = VIEW

    def get(self, request, pk):
        product = get_object_or_404(restrict(request.user, "view", Product.objects.all()), pk=pk)
        if not product.photo:
            raise Http404(_("The product has no photo."))
        try:
            handle = product.photo.open("rb")
        except (FileNotFoundError, ValueError):
            raise Http404(_("The file is missing from the storage.")) from None
        content_type = mimetypes.guess_type(product.photo.name)[0] or "application/octet-stream"
        if not content_type.startswith("image/") or content_type == "image/svg+xml":
            content_type = "application/octet-stream"
        response = FileResponse(handle, content_type=content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox"
        response["Cache-Control"] = "private, max-age=300"
        return response


# --- create / edit ------------------------------------------------------------------------------


def _group_from(value) -> ProductGroup | None:
    value = str(value or "")
    return ProductGroup.objects.filter(pk=int(value)).first() if value.isdigit() else None


class ProductCharacteristicsView(PolicyMixin, View):
    """The characteristics section of the product form for `?group=<id>` (htmx swaps it on a group change)."""

    access_policy = VIEW

    def get(self, request):
        group = _group_from(request.GET.get("group"))
        form = CharacteristicsForm(group=group, values=values_from_query(request.GET, group))
        return render(request, "catalog/product_characteristics.html", {"chars_form": form})


class ProductFormView(PolicyMixin, View):
    template_name = "catalog/product_form.html"
    product: Product | None = None

    def get_object(self):
        return None

    def make_form(self, data=None, files=None):
        initial = {}
        if self.product is None:
            group = _group_from(self.request.GET.get("group"))
            initial = {"group": group.pk if group else None, "type": self.request.GET.get("type") or None}
        return ProductForm(
            data=data,
            files=files,
            instance=self.product or Product(),
            initial=initial,
            characteristics_url=reverse("catalog:product-characteristics"),
        )

    def render_form(self, form, chars_form, formset):
        cancel = self.product.get_absolute_url() if self.product else reverse("catalog:product-list")
        ctx = {
            "form": form,
            "chars_form": chars_form,
            "formset": formset,
            "object": self.product,
            "title": self.title(),
            "cancel_url": cancel,
        }
        return render(self.request, self.template_name, ctx)

    def get(self, request, pk=None):
        self.product = self.get_object()
        form = self.make_form()
        group = _group_from(form["group"].value())
        values = self.product.characteristics if self.product else {}
        chars_form = CharacteristicsForm(group=group, values=values)
        return self.render_form(form, chars_form, conversion_formset(product=self.product))

    def post(self, request, pk=None):
        self.product = self.get_object()
        form = self.make_form(data=request.POST, files=request.FILES)
        group = _group_from(request.POST.get("group"))
        chars_form = CharacteristicsForm(data=request.POST, group=group)
        formset = conversion_formset(data=request.POST, product=self.product)
        if form.is_valid() & chars_form.is_valid() & formset.is_valid():
            try:
                product = self.save(form, chars_form, formset)
            except ValidationFailed as exc:
                rest = show_conversion_errors(formset, exc)
                chars_map = chars_form.field_map()
                char_errors = {k: v for k, v in rest.items() if k in chars_map}
                if char_errors:
                    show_errors(chars_form, ValidationFailed(char_errors), chars_map)
                other = {k: v for k, v in rest.items() if k not in chars_map}
                if other:
                    show_errors(form, ValidationFailed(other))
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, self.success_message(product))
                return redirect(product.get_absolute_url())
        return self.render_form(form, chars_form, formset)


class ProductCreateView(ProductFormView):
    access_policy = ADD

    def title(self):
        return _("New product")

    def save(self, form, chars_form, formset):
        return services.product_create(
            actor=self.request.user,
            data=form.service_data(),
            characteristics=chars_form.values(),
            conversions=formset_conversions(formset),
            photo=form.photo_change() or None,
        )

    def success_message(self, product):
        return _("Product %(code)s was created.") % {"code": product.code}


class ProductUpdateView(ProductFormView):
    access_policy = CHANGE

    def get_object(self):
        return get_object_or_404(restrict(self.request.user, "change", Product.objects.all()), pk=self.kwargs["pk"])

    def title(self):
        return _("Edit %(code)s · %(name)s") % {"code": self.product.code, "name": self.product.name}

    def save(self, form, chars_form, formset):
        return services.product_update(
            actor=self.request.user,
            product=self.product,
            data=form.service_data(),
            characteristics=chars_form.values(),
            conversions=formset_conversions(formset),
            photo=form.photo_change(),
        )

    def success_message(self, product):
        return _("Product %(code)s was saved.") % {"code": product.code}


class ProductArchiveView(PolicyMixin, View):
    access_policy = DELETE
    http_method_names = ["post"]

    def post(self, request, pk):
        product = get_object_or_404(restrict(request.user, "delete", Product.objects.all()), pk=pk)
        services.product_archive(actor=request.user, product=product)
        messages.success(request, _("Product %(code)s was archived.") % {"code": product.code})
        return redirect(product.get_absolute_url())


class ProductRestoreView(PolicyMixin, View):
    access_policy = CHANGE
    http_method_names = ["post"]

    def post(self, request, pk):
        product = get_object_or_404(restrict(request.user, "change", Product.objects.all()), pk=pk)
        services.product_restore(actor=request.user, product=product)
        messages.success(request, _("Product %(code)s is active again.") % {"code": product.code})
        return redirect(product.get_absolute_url())


urlpatterns = [
    path("products/", ProductListView.as_view(), name="product-list"),
    path("products/new/", ProductCreateView.as_view(), name="product-create"),
    path("products/characteristics/", ProductCharacteristicsView.as_view(), name="product-characteristics"),
    path("products/<int:pk>/", ProductDetailView.as_view(), name="product-detail"),
    path("products/<int:pk>/edit/", ProductUpdateView.as_view(), name="product-update"),
    path("products/<int:pk>/photo/", ProductPhotoView.as_view(), name="product-photo"),
    path("products/<int:pk>/archive/", ProductArchiveView.as_view(), name="product-archive"),
    path("products/<int:pk>/restore/", ProductRestoreView.as_view(), name="product-restore"),
]
