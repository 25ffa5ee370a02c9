"""The supplier request journal: the list (filters, search, export), create and edit a draft with
its lines, the card (lines, state buttons, print, e-mail, XLSX, e-mail sent, files, history), the
e-mail form, and the product box helpers of the line form.

Every change goes through `fabrika.purchasing.services`; expected prices show only to users with
the purchasing cost right (pages, exports, PDFs).
"""

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View

from fabrika.access.policy import Policy, can
from fabrika.catalog.models import Product
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.models import CompanySettings
from fabrika.core.views import Column, ListPage, PolicyMixin

from . import services
from .filters import RequestFilter
from .forms import (
    RequestForm,
    SendForm,
    apply_errors,
    apply_line_errors,
    kept_lines,
    line_formset,
    line_initial,
)
from .models import SupplierRequest

State = SupplierRequest.State
STATE_COLORS = {
    State.DRAFT: "secondary",
    State.SENT: "info",
    State.ORDERED: "primary",
    State.RECEIVED: "success",
    State.CANCELLED: "danger",
}
ACTIONS = ("view", "add", "change", "delete", "cost")

# The buttons of the card: target state -> (label, icon, style, confirmation)
MOVES = {
    State.SENT: (gettext_lazy("Mark as sent"), "send-check", "outline-secondary", ""),
    State.ORDERED: (gettext_lazy("Mark as ordered"), "cart-check", "primary", ""),
    State.RECEIVED: (gettext_lazy("Mark as received"), "box-seam", "success", ""),
    State.CANCELLED: (
        gettext_lazy("Cancel the request"),
        "x-circle",
        "outline-danger",
        gettext_lazy("Cancel this request? It cannot be reopened."),
    ),
}


def purchasing_rights(user) -> dict[str, bool]:
    return {action: can(user, "purchasing", action) for action in ACTIONS}


def state_badge(request: SupplierRequest):
    return format_html(
        '<span class="badge text-bg-{} state-{}">{}</span>',
        STATE_COLORS.get(request.state, "secondary"),
        request.state,
        request.get_state_display(),
    )


def request_or_404(user, pk, action: str = "view") -> SupplierRequest:
    from fabrika.access.policy import restrict

    queryset = SupplierRequest.objects.select_related("supplier", "responsible", "created_by", "source_type")
    return get_object_or_404(restrict(user, action, queryset), pk=pk)


class HtmlColumn(Column):
    def __init__(self, key, label, *, html, **kwargs):
        super().__init__(key, label, **kwargs)
        self.html = html


# --- list -----------------------------------------------------------------------------------------


class RequestListView(ListPage):
    model = SupplierRequest
    access_policy = Policy("purchasing", "view")
    title = gettext_lazy("Supplier requests")
    export_name = "supplier-requests"
    filterset_class = RequestFilter
    search_fields = ("number", "supplier__name", "note", "source_label")
    default_ordering = ("-date", "-id")
    columns = [
        HtmlColumn(
            "number",
            gettext_lazy("Number"),
            sort="number",
            html=lambda r: format_html('<a href="{}">{}</a>', r.get_absolute_url(), r.number),
        ),
        Column("date", gettext_lazy("Date"), sort="date"),
        HtmlColumn(
            "state", gettext_lazy("State"), sort="state", value=lambda r: r.get_state_display(), html=state_badge
        ),
        Column("supplier", gettext_lazy("Supplier"), sort="supplier__name"),
        Column("needed_by", gettext_lazy("Needed by"), sort="needed_by"),
        Column("line_count", gettext_lazy("Lines")),
        Column("source_label", gettext_lazy("Source")),
        Column("responsible", gettext_lazy("Responsible")),
        Column("sent_at", pgettext_lazy("supplier request state", "Sent"), sort="sent_at"),
    ]

    def base_queryset(self):
        return self.scoped(
            SupplierRequest.objects.select_related("supplier", "responsible").annotate(line_count=Count("lines"))
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["rows"] = [
            (obj, [c.html(obj) if isinstance(c, HtmlColumn) else c.value(obj) for c in ctx["columns"]])
            for obj in ctx["object_list"]
        ]
        if can(self.request.user, "purchasing", "add"):
            ctx["create_url"] = reverse("purchasing:request-create")
        return ctx


# --- create / edit --------------------------------------------------------------------------------


class RequestFormView(PolicyMixin, View):
    template_name = "purchasing/request_form.html"
    obj: SupplierRequest | None = None

    def load(self, pk):
        pass

    def show_prices(self) -> bool:
        return can(self.request.user, "purchasing", "cost")

    def render_form(self, form, formset):
        ctx = {
            "title": self.title(),
            "form": form,
            "formset": formset,
            "object": self.obj,
            "show_prices": self.show_prices(),
            "cancel_url": self.obj.get_absolute_url() if self.obj else reverse("purchasing:request-list"),
            "options_url": reverse("purchasing:product-options"),
        }
        return TemplateResponse(self.request, self.template_name, ctx)

    def initial(self) -> dict:
        return {}

    def get(self, request, pk=None):
        self.load(pk)
        form = RequestForm(user=request.user, request_obj=self.obj, initial=self.initial() or None)
        formset = line_formset(initial=line_initial(self.obj) if self.obj else [], show_prices=self.show_prices())
        return self.render_form(form, formset)

    def post(self, request, pk=None):
        self.load(pk)
        form = RequestForm(data=request.POST, user=request.user, request_obj=self.obj)
        formset = line_formset(data=request.POST, show_prices=self.show_prices())
        if form.is_valid() and formset.is_valid():
            line_forms = formset.submitted_forms()
            lines = [f.line_data() for f in line_forms]
            try:
                obj = self.save(form.service_data(), lines)
            except ValidationFailed as exc:
                apply_errors(form, apply_line_errors(formset, line_forms, exc.errors))
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Request %(number)s was saved.") % {"number": obj.number})
                return redirect(obj.get_absolute_url())
        return self.render_form(form, formset)


class RequestCreateView(RequestFormView):
    access_policy = Policy("purchasing", "add")

    def title(self):
        return _("New supplier request")

    def initial(self) -> dict:
        return {
            "date": timezone.localdate(),
            "currency": CompanySettings.load().currency,
            "responsible": self.request.user.pk,
        }

    def save(self, data, lines):
        return services.request_create(actor=self.request.user, data=data, lines=lines)


class RequestUpdateView(RequestFormView):
    access_policy = Policy("purchasing", "change")

    def load(self, pk):
        self.obj = request_or_404(self.request.user, pk, "change")

    def get(self, request, pk=None):
        self.load(pk)
        if not self.obj.is_draft:
            messages.error(request, _("Only a draft can be changed."))
            return redirect(self.obj.get_absolute_url())
        return super().get(request, pk)

    def title(self):
        return _("Edit %(number)s") % {"number": self.obj.number}

    def save(self, data, lines):
        return services.request_update(
            actor=self.request.user, request=self.obj, data=data, lines=kept_lines(self.obj, lines)
        )


# --- card and actions -----------------------------------------------------------------------------


class RequestDetailView(PolicyMixin, View):
    access_policy = Policy("purchasing", "view")

    def get(self, request, pk):
        obj = request_or_404(request.user, pk)
        rights = purchasing_rights(request.user)
        lines = list(obj.lines.select_related("product", "unit", "source_type"))
        moves = []
        if rights["change"]:
            for state, (label, icon, style, confirm) in MOVES.items():
                if obj.can_move_to(state):
                    moves.append({"state": state, "label": label, "icon": icon, "style": style, "confirm": confirm})
        ctx = {
            "title": f"{obj.number} · {_('Supplier request')}",
            "object": obj,
            "req": obj,
            "badge": state_badge(obj),
            "lines": lines,
            "rights": rights,
            "total": _total(lines),
            "can_edit": obj.is_draft and rights["change"],
            "can_send": obj.state in (State.DRAFT, State.SENT) and rights["change"],
            "moves": moves,
            "source_url": _url_of(obj.source) if obj.source_id else "",
        }
        return TemplateResponse(request, "purchasing/request_detail.html", ctx)


def _total(lines) -> object:
    amounts = [line.amount for line in lines]
    return sum(amounts, start=0) if amounts and None not in amounts else None


def _url_of(obj) -> str:
    url = getattr(obj, "get_absolute_url", None)
    try:
        return url() if url is not None else ""
    except Exception:  # a source whose card does not exist yet
        return ""


class RequestTransitionView(PolicyMixin, View):
    access_policy = Policy("purchasing", "change")
    http_method_names = ["post"]

    def post(self, request, pk):
        obj = request_or_404(request.user, pk, "change")
        target = request.POST.get("to", "")
        try:
            obj = services.request_transition(actor=request.user, request=obj, to_state=target)
        except ValidationFailed as exc:
            messages.error(request, " ".join(m for msgs in exc.errors.values() for m in msgs))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(number)s is now %(state)s.") % {"number": obj.number, "state": obj.get_state_display().lower()},
            )
        return redirect(obj.get_absolute_url())


class RequestSendView(PolicyMixin, View):
    """GET: the e-mail with the supplier's address and a ready text; POST: queue it, draft → sent."""

    access_policy = Policy("purchasing", "change")
    template_name = "purchasing/request_send.html"

    def _form(self, obj, data=None):
        language = services._language(self.request.user, getattr(self.request, "LANGUAGE_CODE", None))
        initial = {
            "to": services.supplier_email(obj.supplier),
            "subject": services.default_subject(obj, language=language),
            "body": services.default_body(obj, actor=self.request.user, language=language),
            "language": language,
        }
        return SendForm(
            data=data,
            initial=initial,
            languages=settings.LANGUAGES,
            show_prices=can(self.request.user, "purchasing", "cost"),
        )

    def _render(self, obj, form):
        ctx = {"title": _("Send %(number)s by e-mail") % {"number": obj.number}, "req": obj, "form": form}
        return TemplateResponse(self.request, self.template_name, ctx)

    def _refuse(self, obj):
        if obj.state not in (State.DRAFT, State.SENT):
            messages.error(
                self.request,
                _("%(number)s is %(state)s and cannot be sent.")
                % {"number": obj.number, "state": obj.get_state_display().lower()},
            )
            return redirect(obj.get_absolute_url())
        return None

    def get(self, request, pk):
        obj = request_or_404(request.user, pk, "change")
        return self._refuse(obj) or self._render(obj, self._form(obj))

    def post(self, request, pk):
        obj = request_or_404(request.user, pk, "change")
        refused = self._refuse(obj)
        if refused:
            return refused
        form = self._form(obj, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.request_send(
                    actor=request.user,
                    request=obj,
                    to=SendForm.addresses(data["to"]),
                    cc=SendForm.addresses(data.get("cc", "")),
                    subject=data["subject"],
                    body=data["body"],
                    language=data["language"],
                    include_prices=data.get("include_prices", False),
                )
            except ValidationFailed as exc:
                apply_errors(form, exc.errors)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("%(number)s was e-mailed to %(to)s.") % {"number": obj.number, "to": data["to"]},
                )
                return redirect(obj.get_absolute_url())
        return self._render(obj, form)


class RequestExportView(PolicyMixin, View):
    """The request's lines as XLSX (expected prices with the cost right)."""

    access_policy = Policy("purchasing", "view")

    def get(self, request, pk):
        obj = request_or_404(request.user, pk)
        content = services.request_export_xlsx(actor=request.user, request=obj, include_prices=True)
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = content_disposition_header(True, f"{obj.number}.xlsx")
        response["Cache-Control"] = "private, no-store"
        return response


# --- line helpers for the page's script -----------------------------------------------------------


class ProductSearchView(PolicyMixin, View):
    """Active products matching `q` (code, name, barcode) for the line's product box."""

    access_policy = Policy("purchasing", "view")

    def get(self, request):
        products = Product.objects.filter(active=True)
        for term in request.GET.get("q", "").split():
            products = products.filter(Q(code__icontains=term) | Q(name__icontains=term) | Q(barcode=term))
        rows = products.order_by("code")[:30]
        return JsonResponse({"results": [{"value": p.pk, "text": f"{p.code} — {p.name}"} for p in rows]})


class ProductOptionsView(PolicyMixin, View):
    """The units a product may be requested in."""

    access_policy = Policy("purchasing", "view")

    def get(self, request):
        product_id = request.GET.get("product", "")
        product = Product.objects.select_related("unit").filter(pk=product_id).first() if product_id.isdigit() else None
        if product is None:
            return JsonResponse({"unit": None, "units": []})
        units = [{"value": product.unit_id, "text": product.unit.code}] + [
            {"value": c.unit_id, "text": f"{c.unit.code} (= {c.factor.normalize():f} {product.unit.code})"}
            for c in product.conversions.select_related("unit")
        ]
        return JsonResponse({"unit": product.unit_id, "units": units})


urlpatterns = [
    path("requests/", RequestListView.as_view(), name="request-list"),
    path("requests/new/", RequestCreateView.as_view(), name="request-create"),
    path("requests/product-search/", ProductSearchView.as_view(), name="product-search"),
    path("requests/product-options/", ProductOptionsView.as_view(), name="product-options"),
    path("requests/<int:pk>/", RequestDetailView.as_view(), name="request-detail"),
    path("requests/<int:pk>/edit/", RequestUpdateView.as_view(), name="request-update"),
    path("requests/<int:pk>/transition/", RequestTransitionView.as_view(), name="request-transition"),
    path("requests/<int:pk>/send/", RequestSendView.as_view(), name="request-send"),
    path("requests/<int:pk>/export/", RequestExportView.as_view(), name="request-export"),
]
