"""The editor of a product's versioned list: a BOM with its lines, a tech card with its operations."""

from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views import View

from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.views import PolicyMixin

from ..forms import apply_errors, apply_row_errors, row_formset
from .products import tab_url


class VersionFormView(PolicyMixin, View):
    """GET shows the header form and its rows; POST validates both and saves them through the
    service (`save()`): a refusal comes back onto the fields and rows it names, a domain error
    (a BOM cycle names its path) above the form.

    A subclass names its forms and the rows' prefix (also the key of their errors), and sets
    `product` (and `version` when it edits one) in `load()`."""

    template_name = ""
    header_form = None
    row_form = None
    prefix = ""
    version = None  # the version being edited; None: a new one of `product`
    product = None

    def load(self, pk):
        raise NotImplementedError

    def initial(self) -> tuple[dict, list[dict]]:
        return {}, []

    def title(self) -> str:
        raise NotImplementedError

    def save(self, data: dict, rows: list[dict]):
        """Save through the service; returns the saved version."""
        raise NotImplementedError

    def saved(self, version) -> str:
        raise NotImplementedError

    def context(self) -> dict:
        return {}

    def render_form(self, header, formset):
        ctx = {
            "title": self.title(),
            "form": header,
            "formset": formset,
            "product": self.product,
            "object": self.version,
            "cancel_url": self.version.get_absolute_url() if self.version else tab_url(self.product),
            **self.context(),
        }
        return TemplateResponse(self.request, self.template_name, ctx)

    def get(self, request, pk):
        self.load(pk)
        header_initial, rows = self.initial()
        formset = row_formset(self.row_form, prefix=self.prefix, initial=rows)
        return self.render_form(self.header_form(initial=header_initial), formset)

    def post(self, request, pk):
        self.load(pk)
        header = self.header_form(data=request.POST)
        formset = row_formset(self.row_form, prefix=self.prefix, data=request.POST)
        if header.is_valid() & formset.is_valid():
            rows = formset.submitted_forms()
            try:
                version = self.save(header.cleaned_data, [f.row_data() for f in rows])
            except ValidationFailed as exc:
                apply_errors(header, apply_row_errors(formset, rows, exc.errors, self.prefix))
            except DomainError as exc:
                header.add_error(None, exc.message)
            else:
                messages.success(request, self.saved(version))
                return redirect(version.get_absolute_url())
        return self.render_form(header, formset)
