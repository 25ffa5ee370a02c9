"""From a record to a PDF: context → sandboxed template → HTML → WeasyPrint → bytes.

    printed = render_document(registry.get("inventory.receipt"), receipt, language="fr", show_costs=True)
    printed.pdf, printed.html, printed.filename

The template is the administrator's active override for (code, language), else for (code, any
language), else the built-in `print_templates/<code>.html`. A broken override never stops
printing: the built-in template is used instead and the failure is logged.
"""

import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import translation
from weasyprint import CSS, HTML

from fabrika.core.models import CompanySettings

from .fetcher import BASE_URL, SafeFetcher, company_media_url
from .labels import common_labels
from .registry import TEMPLATE_DIR, PrintEntry, PrintOptions
from .sandbox import PrintTemplateError, render

logger = logging.getLogger(__name__)

BASE_CSS = TEMPLATE_DIR / "partials" / "base.css"


def document_language(language: str | None) -> str:
    """A language of settings.LANGUAGES for `language` ("fr-CA" → "fr"), else the default one."""
    if language:
        try:
            return translation.get_supported_language_variant(language)
        except LookupError:
            pass
    return translation.get_supported_language_variant(settings.LANGUAGE_CODE)


@dataclass(frozen=True)
class TemplateSource:
    body: str
    css: str
    origin: str  # "built-in" or "override"
    override_id: int | None = None


def builtin_source(entry: PrintEntry) -> TemplateSource:
    return TemplateSource(entry.default_source(), entry.default_css(), "built-in")


def effective_source(entry: PrintEntry, language: str) -> TemplateSource:
    from ..models_print import PrintTemplate

    overrides = {
        t.language: t
        for t in PrintTemplate.objects.filter(code=entry.code, language__in=[language, ""], is_active=True)
    }
    chosen = overrides.get(language) or overrides.get("")
    if chosen is not None:
        return TemplateSource(chosen.body, chosen.css, "override", chosen.pk)
    return builtin_source(entry)


def company_context() -> dict:
    company = CompanySettings.load()
    logo_url = ""
    if company.logo:
        path = Path(settings.MEDIA_ROOT) / company.logo.name
        if path.is_file():
            logo_url = f"{company_media_url(company.logo.name)}?v={int(path.stat().st_mtime)}"
    return {
        "name": company.name,
        "legal_name": company.legal_name,
        "tax_id": company.tax_id,
        "registration_number": company.registration_number,
        "address": company.address,
        "phone": company.phone,
        "email": company.email,
        "website": company.website,
        "bank_name": company.bank_name,
        "bank_account": company.bank_account,
        "bank_code": company.bank_code,
        "currency": company.currency,
        "vat_rate": company.vat_rate,
        "logo_url": logo_url,
    }


def full_context(entry: PrintEntry, data: dict, options: PrintOptions) -> dict:
    """The form's own context plus what every document has: language, company, common labels."""
    company = company_context()
    context = {
        "lang": options.language,
        "company": company,
        "currency": company["currency"],
        "show_costs": options.show_costs,
        "print_code": entry.code,
    }
    labels = {**common_labels(), **data.get("labels", {})}
    context.update({k: v for k, v in data.items() if k != "labels"})
    context["labels"] = labels
    return context


def build_context(entry: PrintEntry, obj, options: PrintOptions) -> dict:
    """The context of a real record (`obj`), or of the entry's sample when `obj` is None."""
    with translation.override(options.language):
        data = entry.sample(options) if obj is None else entry.context(obj, options)
        return full_context(entry, data, options)


def render_html(source: TemplateSource, context: dict, *, strict: bool = False) -> str:
    with translation.override(context["lang"]):
        return render(source.body, context, strict=strict)


# Identical HTML and CSS give the same PDF: the last few are kept (people print, preview and
# print again). The key covers everything the PDF is made of; the logo URL carries its mtime.
_CACHE: OrderedDict[str, bytes] = OrderedDict()
_CACHE_LOCK = threading.Lock()
CACHE_ITEMS = 32
CACHE_MAX_PDF = 2 * 1024 * 1024


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


def html_to_pdf(html: str, css: str = "", *, fetcher: SafeFetcher | None = None, cache: bool = True) -> bytes:
    """WeasyPrint with the safe fetcher: the built-in base stylesheet, then the template's CSS."""
    base_css = BASE_CSS.read_text(encoding="utf-8")
    key = hashlib.sha256("\x00".join((base_css, css, html)).encode("utf-8")).hexdigest()
    if cache and fetcher is None:
        with _CACHE_LOCK:
            if key in _CACHE:
                _CACHE.move_to_end(key)
                return _CACHE[key]
    fetcher = fetcher or SafeFetcher()
    stylesheets = [CSS(string=base_css, base_url=BASE_URL, url_fetcher=fetcher)]
    if css.strip():
        stylesheets.append(CSS(string=css, base_url=BASE_URL, url_fetcher=fetcher))
    pdf = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf(stylesheets=stylesheets)
    if cache and len(pdf) <= CACHE_MAX_PDF:
        with _CACHE_LOCK:
            _CACHE[key] = pdf
            while len(_CACHE) > CACHE_ITEMS:
                _CACHE.popitem(last=False)
    return pdf


@dataclass(frozen=True)
class PrintedDocument:
    pdf: bytes
    html: str
    language: str
    filename: str
    source: TemplateSource


def render_document(
    entry: PrintEntry, obj, *, language: str, show_costs: bool, user=None, source: TemplateSource | None = None
) -> PrintedDocument:
    """Print `obj` (None: the entry's sample) with its effective template, or with `source`.

    A given `source` (a preview of unsaved text) raises PrintTemplateError when it fails; the
    stored override falls back to the built-in template instead.
    """
    language = document_language(language)
    options = PrintOptions(language=language, show_costs=show_costs, user=user)
    context = build_context(entry, obj, options)
    chosen = source or effective_source(entry, language)
    try:
        html = render_html(chosen, context)
    except PrintTemplateError as exc:
        if source is not None or chosen.origin == "built-in":
            raise
        logger.warning("print template %s (%s) failed, printing the built-in one: %s", entry.code, language, exc)
        chosen = builtin_source(entry)
        html = render_html(chosen, context)
    pdf = html_to_pdf(html, chosen.css)
    filename = entry.file_name(obj) if obj is not None else f"{entry.code}-sample.pdf"
    return PrintedDocument(pdf=pdf, html=html, language=language, filename=filename, source=chosen)
