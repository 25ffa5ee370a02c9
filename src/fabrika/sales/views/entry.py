"""Helpers of the order form: product search, the popular-items panel and the htmx partial that
adds a line (with the product chosen and its price from the order's price list)."""

import datetime

from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from django.views import View

from fabrika.access.policy import Policy, restrict
from fabrika.catalog.models import PriceType, Product
from fabrika.core.models import CompanySettings
from fabrika.core.views import PolicyMixin
from fabrika.crm.models import Counterparty

from ..forms import line_formset
from ..queries import suggestions_for
from ..services.orders import list_price

MAX_LINES = 500


class ProductSearchView(PolicyMixin, View):
    """Active products (services too) matching `q` by code, name or barcode."""

    access_policy = Policy("sales", "view")

    def get(self, request):
        products = Product.objects.filter(active=True)
        for term in request.GET.get("q", "").split():
            products = products.filter(Q(code__icontains=term) | Q(name__icontains=term) | Q(barcode=term))
        rows = products.order_by("code")[:30]
        return JsonResponse({"results": [{"value": p.pk, "text": f"{p.code} — {p.name}"} for p in rows]})


class CustomerSearchView(PolicyMixin, View):
    """Customers the user may see matching `q` (name, tax id, e-mail, phone, contacts), for the boxes
    that load their choices as one types."""

    access_policy = Policy("sales", "view")

    def get(self, request):
        from fabrika.crm.filters import counterparty_search

        from ..forms import customer_choices

        customers = customer_choices(request.user)
        text = request.GET.get("q", "").strip()
        if text:
            customers = counterparty_search(customers, text).order_by("name")
        rows = customers.only("pk", "name")[:30]
        return JsonResponse({"results": [{"value": c.pk, "text": c.name} for c in rows]})


class CustomerContactsView(PolicyMixin, View):
    """The options of the order form's contact box for the customer just chosen (htmx): the
    customer's contacts, or none for a customer the user may not see."""

    access_policy = Policy("sales", "view")

    def get(self, request):
        from ..forms import contacts_of, customer_choices

        customer_id = _int(request.GET.get("counterparty"))
        visible = customer_id is not None and customer_choices(request.user).filter(pk=customer_id).exists()
        contacts = contacts_of(customer_id) if visible else []
        options = [format_html('<option value="" selected>{}</option>', "---------")]
        options += [format_html('<option value="{}">{}</option>', c.pk, c) for c in contacts]
        return HttpResponse("".join(options))


def _int(value):
    return int(value) if str(value or "").isdigit() else None


def _order_products(data) -> list[int]:
    """The products already on the form being filled in (from its submitted line fields)."""
    ids = []
    for key, value in data.items():
        if key.startswith("lines-") and key.endswith("-product") and str(value).isdigit():
            if data.get(key.replace("-product", "-DELETE")) not in ("on", "true", "1"):
                ids.append(int(value))
    return ids


class SuggestionsView(PolicyMixin, View):
    """The panel of one-click suggestions (htmx, re-fetched when the customer or the lines change)."""

    access_policy = Policy("sales", "view")

    def get(self, request):
        customer_id = _int(request.GET.get("counterparty"))
        customer = None
        if customer_id:
            customer = restrict(request.user, "view", Counterparty.objects.all()).filter(pk=customer_id).first() or (
                Counterparty.objects.filter(pk=customer_id).first()
            )
        groups = suggestions_for(counterparty=customer, product_ids=_order_products(request.GET))
        return TemplateResponse(request, "sales/suggestions.html", {"groups": groups, "customer": customer})


class LineRowView(PolicyMixin, View):
    """A new line row for the form (htmx `beforeend`), the product chosen, with the price of the
    order's price list, and the formset's TOTAL_FORMS raised by an out-of-band swap."""

    access_policy = Policy("sales", "view")

    def get(self, request):
        index = _int(request.GET.get("lines-TOTAL_FORMS")) or 0
        index = min(index, MAX_LINES)
        product = (
            Product.objects.filter(pk=_int(request.GET.get("product")), active=True).select_related("unit").first()
        )
        initial = {"qty": 1}
        if product is not None:
            initial["product"] = product.pk
            price_type = PriceType.objects.filter(pk=_int(request.GET.get("price_type"))).first()
            try:
                on_date = datetime.date.fromisoformat(request.GET.get("order_date", ""))
            except ValueError:
                on_date = None
            company = CompanySettings.load()
            price = list_price(
                product,
                price_type=price_type,
                on_date=on_date,
                currency=(request.GET.get("currency") or company.currency),
                vat_rate=company.vat_rate,
            )
            if price is not None:
                initial["price"] = price
        formset = line_formset(initial=[initial] * (index + 1), extra=0)
        form = formset.forms[index]
        total = format_html(
            '<input type="hidden" name="lines-TOTAL_FORMS" value="{}" id="id_lines-TOTAL_FORMS" hx-swap-oob="true">',
            index + 1,
        )
        return TemplateResponse(request, "sales/order_line_row.html", {"lf": form, "oob_total": total})


urlpatterns = [
    path("orders/product-search/", ProductSearchView.as_view(), name="product-search"),
    path("orders/customer-search/", CustomerSearchView.as_view(), name="customer-search"),
    path("orders/customer-contacts/", CustomerContactsView.as_view(), name="customer-contacts"),
    path("orders/suggestions/", SuggestionsView.as_view(), name="order-suggestions"),
    path("orders/line-row/", LineRowView.as_view(), name="order-line-row"),
]
