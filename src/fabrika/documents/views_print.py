"""Printed documents as PDF, and the administrators' pages for their templates.

`print/<code>/<pk>/` (URL name `documents:print-<code>`, one route per registered form, each
declaring the form's policy): the record as a PDF in the user's language or `?lang=`, cost
values only with the form's cost right; `?download=1` saves instead of opening. A record the
user may not see is 404.

`print-templates/…` (documents/change): the list of forms and their overrides, editing an
override with a preview and a reset to the built-in template.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import translation
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from fabrika.access.policy import Policy
from fabrika.core.errors import ValidationFailed
from fabrika.core.views import PolicyMixin

from .models_print import ANY_LANGUAGE, PrintTemplate, language_choices
from .printing import registry, services
from .printing.forms import PrintTemplateForm
from .printing.render import (
    PrintedDocument,
    TemplateSource,
    build_context,
    builtin_source,
    document_language,
    render_document,
)
from .printing.sandbox import MAX_SOURCE_BYTES, PrintTemplateError, partial_names

TEMPLATES_POLICY = Policy("documents", "change")


def request_language(request) -> str:
    """`?lang=` when it is one of ours, else the user's language (set by the middleware)."""
    asked = request.GET.get("lang", "").strip()
    if asked in dict(settings.LANGUAGES):
        return asked
    return document_language(getattr(request, "LANGUAGE_CODE", "") or translation.get_language())


def pdf_response(printed: PrintedDocument, *, download: bool = False) -> HttpResponse:
    response = HttpResponse(printed.pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(download, printed.filename)
    response["Content-Language"] = printed.language
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class PrintView(PolicyMixin, View):
    """One registered form; subclassed per code by `print_urlpatterns()` with its policy."""

    entry: registry.PrintEntry | None = None
    http_method_names = ["get", "head"]

    def get(self, request, pk: int):
        entry = self.entry
        obj = get_object_or_404(entry.visible(request.user), pk=pk)
        printed = render_document(
            entry,
            obj,
            language=request_language(request),
            show_costs=entry.show_costs_for(request.user),
            user=request.user,
        )
        return pdf_response(printed, download=request.GET.get("download") == "1")


def print_view_for(entry: registry.PrintEntry) -> type[PrintView]:
    name = "Print" + "".join(part.title() for part in entry.code.replace(".", "_").split("_")) + "View"
    return type(name, (PrintView,), {"entry": entry, "access_policy": entry.policy, "__module__": __name__})


def print_urlpatterns() -> list:
    return [
        path(f"print/{entry.code}/<int:pk>/", print_view_for(entry).as_view(), name=f"print-{entry.code}")
        for entry in registry.entries()
    ]


# --- administrators' pages -----------------------------------------------------------------------


def _language_label(code: str) -> str:
    return str(dict(language_choices()).get(code, code))


def edit_url(code: str, language: str = ANY_LANGUAGE) -> str:
    return reverse("documents:print-template-edit") + "?" + urlencode({"code": code, "language": language})


class PrintTemplateListView(PolicyMixin, TemplateView):
    access_policy = TEMPLATES_POLICY
    template_name = "documents/print_template_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        overrides: dict[str, list] = {}
        for template in PrintTemplate.objects.select_related("updated_by"):
            overrides.setdefault(template.code, []).append(
                {
                    "template": template,
                    "language": _language_label(template.language),
                    "edit_url": edit_url(template.code, template.language),
                }
            )
        rows = []
        for entry in registry.entries():
            existing = {o["template"].language for o in overrides.get(entry.code, [])}
            rows.append(
                {
                    "entry": entry,
                    "builtin": entry.template,
                    "overrides": overrides.get(entry.code, []),
                    "add": [
                        {"label": str(label), "url": edit_url(entry.code, code)}
                        for code, label in language_choices()
                        if code not in existing
                    ],
                    "preview_url": reverse("documents:print-template-preview") + "?" + urlencode({"code": entry.code}),
                }
            )
        ctx.update(title=_("Print templates"), rows=rows)
        return ctx


def _flatten(value, prefix: str, out: list, depth: int = 0) -> None:
    if depth > 4 or len(out) > 200:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else key, out, depth + 1)
    elif isinstance(value, list):
        if value:
            _flatten(value[0], f"{prefix}[]", out, depth + 1)
        else:
            out.append((f"{prefix}[]", ""))
    else:
        example = "" if value is None else format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)
        out.append((prefix, example[:60]))


def variables_of(entry: registry.PrintEntry, language: str) -> list[tuple[str, str]]:
    """The names a template of `entry` can use, with the value they have in the sample."""
    context = build_context(entry, None, registry.PrintOptions(language=document_language(language), show_costs=True))
    first = ["doc", "lines", "totals", "signatures", "show_costs", "currency", "lang", "print_code", "company"]
    ordered = {key: context[key] for key in first if key in context}
    ordered.update({key: value for key, value in context.items() if key not in ordered})
    out: list[tuple[str, str]] = []
    _flatten(ordered, "", out)
    return out


class _TemplateFormMixin(PolicyMixin):
    access_policy = TEMPLATES_POLICY

    def entry_or_none(self, code: str):
        try:
            return registry.get(code)
        except registry.UnknownPrintCode:
            return None

    def render_form(self, request, form, entry, language: str, status: int = 200):
        override = PrintTemplate.objects.filter(code=entry.code, language=language).select_related("updated_by").first()
        ctx = {
            "title": _("Print template: %(form)s") % {"form": entry.label},
            "form": form,
            "entry": entry,
            "language": language,
            "language_label": _language_label(language),
            "override": override,
            "variables": variables_of(entry, language),
            "partials": partial_names(),
            "filters": ["money", "money(false)", "qty", "number(places)", "date", 'date("short")', "datetime"],
            "max_kb": MAX_SOURCE_BYTES // 1024,
            "preview_url": reverse("documents:print-template-preview"),
            "reset_url": reverse("documents:print-template-reset"),
            "list_url": reverse("documents:print-template-list"),
        }
        return render(request, "documents/print_template_form.html", ctx, status=status)


class PrintTemplateEditView(_TemplateFormMixin, View):
    http_method_names = ["get", "post"]

    def get(self, request):
        entry = self.entry_or_none(request.GET.get("code", ""))
        language = request.GET.get("language", ANY_LANGUAGE)
        if entry is None or language not in dict(language_choices()):
            return HttpResponseRedirect(reverse("documents:print-template-list"))
        override = PrintTemplate.objects.filter(code=entry.code, language=language).first()
        source = (
            TemplateSource(override.body, override.css, "override", override.pk)
            if override is not None
            else builtin_source(entry)
        )
        initial = {
            "code": entry.code,
            "language": language,
            "name": override.name if override is not None else str(entry.label),
            "is_active": override.is_active if override is not None else True,
            "body": source.body,
            "css": source.css,
        }
        return self.render_form(request, PrintTemplateForm(initial=initial), entry, language)

    def post(self, request):
        form = PrintTemplateForm(request.POST)
        entry = self.entry_or_none(request.POST.get("code", ""))
        if entry is None:
            return HttpResponseRedirect(reverse("documents:print-template-list"))
        language = request.POST.get("language", ANY_LANGUAGE)
        if not form.is_valid():
            return self.render_form(request, form, entry, language if language in dict(language_choices()) else "")
        data = form.cleaned_data
        try:
            services.print_template_save(
                actor=request.user,
                code=data["code"],
                language=data["language"],
                name=data["name"],
                body=data["body"],
                css=data["css"],
                is_active=data["is_active"],
            )
        except ValidationFailed as exc:
            _form_errors(form, exc)
            return self.render_form(request, form, entry, data["language"])
        messages.success(request, _("The print template was saved."))
        return HttpResponseRedirect(edit_url(data["code"], data["language"]))


def _form_errors(form, exc: ValidationFailed) -> None:
    for field, errors in exc.errors.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


class PrintTemplatePreviewView(_TemplateFormMixin, View):
    """The newest record of the form the user may see (else the sample), as a PDF.

    GET ?code=&language=: with the template that prints today; POST: with the text being edited
    (checked first: a failing template shows the edit page with the error).
    """

    http_method_names = ["get", "post"]

    def _pdf(self, request, entry, language: str, source: TemplateSource | None) -> HttpResponse:
        printed = render_document(
            entry,
            entry.latest(request.user),
            language=document_language(language or request_language(request)),
            show_costs=entry.show_costs_for(request.user),
            user=request.user,
            source=source,
        )
        return pdf_response(printed)

    def get(self, request):
        entry = self.entry_or_none(request.GET.get("code", ""))
        if entry is None:
            return HttpResponseRedirect(reverse("documents:print-template-list"))
        return self._pdf(request, entry, request.GET.get("language", ""), None)

    def post(self, request):
        form = PrintTemplateForm(request.POST)
        entry = self.entry_or_none(request.POST.get("code", ""))
        if entry is None:
            return HttpResponseRedirect(reverse("documents:print-template-list"))
        if not form.is_valid():
            return self.render_form(request, form, entry, request.POST.get("language", ""))
        data = form.cleaned_data
        try:
            services.print_template_check(
                code=entry.code, language=data["language"], body=data["body"], css=data["css"]
            )
            return self._pdf(request, entry, data["language"], TemplateSource(data["body"], data["css"], "preview"))
        except ValidationFailed as exc:
            _form_errors(form, exc)
        except PrintTemplateError as exc:  # fails on the real record although the sample passed
            form.add_error("body", exc.message)
        return self.render_form(request, form, entry, data["language"])


class PrintTemplateResetView(_TemplateFormMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        code = request.POST.get("code", "")
        language = request.POST.get("language", ANY_LANGUAGE)
        if self.entry_or_none(code) is None:
            return HttpResponseRedirect(reverse("documents:print-template-list"))
        if services.print_template_reset(actor=request.user, code=code, language=language):
            messages.success(request, _("The built-in template prints again."))
        return HttpResponseRedirect(edit_url(code, language))


urlpatterns = [
    *print_urlpatterns(),
    path("print-templates/", PrintTemplateListView.as_view(), name="print-template-list"),
    path("print-templates/edit/", PrintTemplateEditView.as_view(), name="print-template-edit"),
    path("print-templates/preview/", PrintTemplatePreviewView.as_view(), name="print-template-preview"),
    path("print-templates/reset/", PrintTemplateResetView.as_view(), name="print-template-reset"),
]
