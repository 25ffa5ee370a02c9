"""Warehouse documents: the list (filters, search, export), create/edit a draft with its lines,
the card with its moves, post and cancel (with the list of what will be reversed).

Every change goes through `fabrika.inventory.services`. "Save and post" creates (or saves) the
draft and posts it in one transaction: when posting is refused (not enough stock, a closed
period) nothing is kept, and the form comes back with the user's input and the reason.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from fabrika.access.policy import Policy, can
from fabrika.catalog.models import Product
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.views import Column, ListPage, PolicyMixin

from ..filters import DocumentFilter
from ..forms import (
    LINE_FIELDS,
    DocumentForm,
    FillForm,
    apply_errors,
    apply_line_errors,
    document_line_initial,
    line_formset,
    stocked_products,
)
from ..models import Balance, Reservation, StockDocument, Warehouse
from ..queries import book_quantities, open_lots
from ..services import document_cancel, document_create, document_post, document_update
from ..templatetags.inventory_tags import plain_qty
from .common import HtmlColumn, HtmlRowsMixin, badge_column, inventory_rights, library_available, link

Type = StockDocument.Type
State = StockDocument.State


def document_or_404(user, pk, action: str = "view") -> StockDocument:
    from fabrika.access.policy import restrict

    qs = StockDocument.objects.select_related("warehouse", "to_warehouse", "counterparty", "created_by", "posted_by")
    return get_object_or_404(restrict(user, action, qs), pk=pk)


# --- list -----------------------------------------------------------------------------------------


class DocumentListView(HtmlRowsMixin, ListPage):
    model = StockDocument
    access_policy = Policy("inventory", "view")
    template_name = "inventory/document_list.html"
    title = gettext_lazy("Warehouse documents")
    export_name = "stock-documents"
    filterset_class = DocumentFilter
    search_fields = ("number", "counterparty__name")
    default_ordering = ("-date", "-id")
    columns = [
        HtmlColumn(
            "number", gettext_lazy("Number"), sort="number", html=lambda d: link(d.get_absolute_url(), d.number)
        ),
        Column("type", gettext_lazy("Type"), sort="type", value=lambda d: d.get_type_display()),
        badge_column("state", gettext_lazy("State"), sort="state"),
        Column("date", gettext_lazy("Date"), sort="date"),
        Column("warehouse", gettext_lazy("Warehouse"), sort="warehouse__name"),
        Column("to_warehouse", gettext_lazy("To warehouse")),
        Column("counterparty", gettext_lazy("Counterparty"), sort="counterparty__name"),
        Column("line_count", gettext_lazy("Lines")),
        Column("reason", gettext_lazy("Reason")),
        Column("created_by", gettext_lazy("Created by")),
    ]

    def base_queryset(self):
        return self.scoped(
            StockDocument.objects.select_related("warehouse", "to_warehouse", "counterparty", "created_by").annotate(
                line_count=Count("lines")
            )
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rights = inventory_rights(self.request.user)
        ctx.update(rights=rights, new_types=StockDocument.Type.choices if rights["add"] else [])
        return ctx


# --- create / edit --------------------------------------------------------------------------------


def _warehouse_from(data, default=None):
    value = data.get("warehouse") if data is not None else None
    if str(value or "").isdigit():
        return Warehouse.objects.filter(pk=value).first() or default
    return default


class DocumentFormView(PolicyMixin, View):
    template_name = "inventory/document_form.html"
    document: StockDocument | None = None
    doc_type: str = Type.RECEIPT

    def load(self, pk):
        raise NotImplementedError

    def cancel_url(self):
        return self.document.get_absolute_url() if self.document else reverse("inventory:document-list")

    def render_form(self, header, formset, fill_form=None):
        warehouse = None
        if header.is_bound:
            warehouse = _warehouse_from(header.data)
        else:
            initial = header.initial.get("warehouse")
            warehouse = Warehouse.objects.filter(pk=getattr(initial, "pk", initial)).first() if initial else None
        if self.doc_type == Type.STOCKTAKE and warehouse is not None:
            products = [f.product.pk for f in formset.forms if getattr(f, "product", None) is not None]
            book = book_quantities(warehouse, product_ids=products)
            for f in formset.forms:
                if getattr(f, "product", None) is not None:
                    f.book_qty = book.get(f.product.pk, 0)
        rights = inventory_rights(self.request.user)
        ctx = {
            "title": self.title(),
            "form": header,
            "formset": formset,
            "doc_type": self.doc_type,
            "type_label": Type(self.doc_type).label,
            "line_fields": LINE_FIELDS[self.doc_type],
            "object": self.document,
            "cancel_url": self.cancel_url(),
            "rights": rights,
            "fill_form": fill_form,
            "options_url": reverse("inventory:product-options"),
            "search_url": reverse("inventory:product-search"),
        }
        return TemplateResponse(self.request, self.template_name, ctx)

    def get(self, request, pk=None):
        self.load(pk)
        header = DocumentForm(doc_type=self.doc_type, user=request.user, document=self.document)
        initial = document_line_initial(self.document) if self.document else []
        fill_form = None
        if self.doc_type == Type.STOCKTAKE:
            fill_form = FillForm(request.GET if "fill" in request.GET else None)
            if fill_form.is_bound and fill_form.is_valid():
                warehouse = fill_form.cleaned_data["fill_warehouse"]
                book = book_quantities(warehouse, group=fill_form.cleaned_data["fill_group"])
                codes = dict(Product.objects.filter(pk__in=list(book)).values_list("pk", "code"))
                initial = [
                    {"product": pid, "counted_qty": qty}
                    for pid, qty in sorted(book.items(), key=lambda item: codes[item[0]])
                    if qty != 0
                ]
                header.initial["warehouse"] = warehouse.pk
                if not initial:
                    messages.info(request, _("Nothing is on the books of this warehouse and group."))
        warehouse_id = header.initial.get("warehouse")
        warehouse = Warehouse.objects.filter(pk=warehouse_id).first() if warehouse_id else None
        formset = line_formset(doc_type=self.doc_type, warehouse=warehouse, initial=initial)
        return self.render_form(header, formset, fill_form)

    def post(self, request, pk=None):
        self.load(pk)
        action = request.POST.get("action", "save")
        if action == "post" and not can(request.user, "inventory", "post"):
            raise PermissionDenied
        header = DocumentForm(data=request.POST, doc_type=self.doc_type, user=request.user, document=self.document)
        warehouse = _warehouse_from(request.POST)
        formset = line_formset(doc_type=self.doc_type, warehouse=warehouse, data=request.POST)
        if header.is_valid() and formset.is_valid():
            line_forms = formset.submitted_forms()
            lines = [f.line_data() for f in line_forms]
            try:
                with transaction.atomic():
                    document = self.save(header.service_data(), lines)
                    if action == "post":
                        document = document_post(actor=request.user, document=document)
            except ValidationFailed as exc:
                apply_errors(header, apply_line_errors(formset, line_forms, exc.errors))
            except DomainError as exc:
                header.add_error(None, exc.message)
            else:
                if action == "post":
                    message = _("%(number)s was posted.") % {"number": document.number}
                else:
                    message = _("Draft %(number)s was saved.") % {"number": document.number}
                messages.success(request, message)
                return redirect(document.get_absolute_url())
        return self.render_form(header, formset, FillForm() if self.doc_type == Type.STOCKTAKE else None)


class DocumentCreateView(DocumentFormView):
    access_policy = Policy("inventory", "add")

    def load(self, pk):
        doc_type = self.request.GET.get("type") or self.request.POST.get("type") or Type.RECEIPT
        if doc_type not in Type.values:
            raise Http404
        self.doc_type = doc_type

    def title(self):
        return _("New %(type)s") % {"type": str(Type(self.doc_type).label).lower()}

    def save(self, data, lines):
        return document_create(actor=self.request.user, type=self.doc_type, data=data, lines=lines)


class DocumentUpdateView(DocumentFormView):
    access_policy = Policy("inventory", "change")

    def load(self, pk):
        self.document = document_or_404(self.request.user, pk, "change")
        self.doc_type = self.document.type

    def get(self, request, pk=None):
        self.load(pk)
        if self.document.state != State.DRAFT:
            messages.error(request, _("Only a draft can be changed."))
            return redirect(self.document.get_absolute_url())
        return super().get(request, pk)

    def title(self):
        return _("Edit %(number)s") % {"number": self.document.number}

    def save(self, data, lines):
        return document_update(actor=self.request.user, document=self.document, data=data, lines=lines)


# --- card, post, cancel ---------------------------------------------------------------------------


def _moves(document):
    return list(
        document.moves.select_related("product", "product__unit", "from_location", "to_location", "lot").order_by("id")
    )


class DocumentDetailView(PolicyMixin, View):
    access_policy = Policy("inventory", "view")

    def get(self, request, pk):
        document = document_or_404(request.user, pk)
        rights = inventory_rights(request.user)
        lines = list(document.lines.select_related("product", "unit", "lot", "reservation"))
        draft = document.state == State.DRAFT
        ctx = {
            "title": f"{document.number} · {document.get_type_display()}",
            "object": document,
            "document": document,
            "lines": lines,
            "line_fields": LINE_FIELDS[document.type],
            "moves": _moves(document),
            "rights": rights,
            "can_edit": draft and rights["change"],
            "can_post": draft and rights["post"],
            "can_cancel": document.state != State.CANCELLED and rights["post"],
            "has_history": library_available("audit_tags"),
        }
        return TemplateResponse(request, "inventory/document_detail.html", ctx)


class DocumentPostView(PolicyMixin, View):
    access_policy = Policy("inventory", "post")
    http_method_names = ["post"]

    def post(self, request, pk):
        document = document_or_404(request.user, pk, "post")
        try:
            document = document_post(actor=request.user, document=document)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(number)s was posted.") % {"number": document.number})
        return redirect(document.get_absolute_url())


class DocumentCancelView(PolicyMixin, View):
    """GET: what cancelling will do (the moves it reverses); POST: cancel."""

    access_policy = Policy("inventory", "post")

    def get(self, request, pk):
        document = document_or_404(request.user, pk, "post")
        if document.state == State.CANCELLED:
            messages.info(request, _("%(number)s is cancelled already.") % {"number": document.number})
            return redirect(document.get_absolute_url())
        reversed_ids = set(document.moves.filter(reverses__isnull=False).values_list("reverses_id", flat=True))
        to_reverse = [m for m in _moves(document) if m.reverses_id is None and m.pk not in reversed_ids]
        ctx = {
            "title": _("Cancel %(number)s") % {"number": document.number},
            "document": document,
            "moves": to_reverse,
            "rights": inventory_rights(request.user),
        }
        return TemplateResponse(request, "inventory/document_cancel.html", ctx)

    def post(self, request, pk):
        document = document_or_404(request.user, pk, "post")
        try:
            document = document_cancel(actor=request.user, document=document)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(number)s was cancelled.") % {"number": document.number})
        return redirect(document.get_absolute_url())


# --- line helpers for the page's script -----------------------------------------------------------


class ProductSearchView(PolicyMixin, View):
    """Products matching `q` (code, name, barcode) for the line's product box."""

    access_policy = Policy("inventory", "view")

    def get(self, request):
        text = request.GET.get("q", "").strip()
        products = stocked_products().filter(active=True)
        for term in text.split():
            products = products.filter(Q(code__icontains=term) | Q(name__icontains=term) | Q(barcode=term))
        rows = products.order_by("code")[:30]
        return JsonResponse({"results": [{"value": p.pk, "text": f"{p.code} — {p.name}"} for p in rows]})


class ProductOptionsView(PolicyMixin, View):
    """The units, open lots, active reservations and book quantity of a product in a warehouse."""

    access_policy = Policy("inventory", "view")

    def get(self, request):
        answer = {"unit": None, "units": [], "lots": [], "reservations": [], "book_qty": None}
        product_id, warehouse_id = request.GET.get("product", ""), request.GET.get("warehouse", "")
        product = Product.objects.filter(pk=product_id).select_related("unit").first() if product_id.isdigit() else None
        if product is None:
            return JsonResponse(answer)
        answer["unit"] = product.unit_id
        answer["units"] = [{"value": product.unit_id, "text": product.unit.code}] + [
            {"value": c.unit_id, "text": f"{c.unit.code} (= {c.factor.normalize():f} {product.unit.code})"}
            for c in product.conversions.select_related("unit")
        ]
        warehouse = Warehouse.objects.filter(pk=warehouse_id).first() if warehouse_id.isdigit() else None
        if warehouse is not None:
            answer["lots"] = [
                {"value": lot.pk, "text": f"{lot.number} ({left.normalize():f})"}
                for lot, left in open_lots(product, warehouse)
            ]
            answer["reservations"] = [
                {"value": r.pk, "text": f"{r.reference} · {r.open_qty.normalize():f}"}
                for r in Reservation.objects.filter(
                    product=product, warehouse=warehouse, state=Reservation.State.ACTIVE
                ).order_by("created_at", "id")
            ]
            balance = Balance.objects.filter(product=product, warehouse=warehouse).first()
            answer["book_qty"] = f"{plain_qty(balance.qty if balance else 0):f}"
        return JsonResponse(answer)


urlpatterns = [
    path("documents/", DocumentListView.as_view(), name="document-list"),
    path("documents/new/", DocumentCreateView.as_view(), name="document-create"),
    path("documents/product-search/", ProductSearchView.as_view(), name="product-search"),
    path("documents/product-options/", ProductOptionsView.as_view(), name="product-options"),
    path("documents/<int:pk>/", DocumentDetailView.as_view(), name="document-detail"),
    path("documents/<int:pk>/edit/", DocumentUpdateView.as_view(), name="document-update"),
    path("documents/<int:pk>/post/", DocumentPostView.as_view(), name="document-post"),
    path("documents/<int:pk>/cancel/", DocumentCancelView.as_view(), name="document-cancel"),
]
