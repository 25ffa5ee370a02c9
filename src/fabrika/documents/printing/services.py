"""The only code that changes print templates. Pages call these functions."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event
from fabrika.core.errors import ValidationFailed

from ..models_print import ANY_LANGUAGE, PrintTemplate
from . import registry
from .render import TemplateSource, build_context, document_language, render_html
from .sandbox import MAX_SOURCE_BYTES, PrintTemplateError, check

MAX_NAME = 150


def _languages() -> set[str]:
    return {ANY_LANGUAGE} | {code for code, _name in settings.LANGUAGES}


def _entry(code: str) -> registry.PrintEntry:
    try:
        return registry.get(code)
    except registry.UnknownPrintCode:
        raise ValidationFailed({"code": [_("There is no printed form %(code)s.") % {"code": code}]}) from None


def print_template_check(*, code: str, language: str = ANY_LANGUAGE, body: str, css: str = "") -> None:
    """Refuse a template that does not compile in the sandbox or fails on the sample document.

    The sample is rendered with every undefined name an error, with and without cost values,
    in the template's language (the default language for "any language"). Raises
    ValidationFailed with the message (and line) on "body" or "css".
    """
    entry = _entry(code)
    errors: dict[str, list[str]] = {}
    if not (body or "").strip():
        errors["body"] = [_("Write the template.")]
    if len((css or "").encode("utf-8")) > MAX_SOURCE_BYTES:
        errors["css"] = [_("The stylesheet is larger than %(n)d KB.") % {"n": MAX_SOURCE_BYTES // 1024}]
    if errors:
        raise ValidationFailed(errors)
    try:
        check(body)
        source = TemplateSource(body, css or "", "override")
        for show_costs in (True, False):
            options = registry.PrintOptions(language=document_language(language), show_costs=show_costs)
            render_html(source, build_context(entry, None, options), strict=True)
    except PrintTemplateError as exc:
        raise ValidationFailed({"body": [exc.message]}) from None


def _validate(code: str, language: str, name: str) -> None:
    errors = {}
    if language not in _languages():
        errors["language"] = [_("Unknown language %(language)s.") % {"language": language}]
    if len(name) > MAX_NAME:
        errors["name"] = [_("The name is longer than %(n)d characters.") % {"n": MAX_NAME}]
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def print_template_save(
    *, actor, code: str, language: str = ANY_LANGUAGE, name: str = "", body: str, css: str = "", is_active: bool = True
) -> PrintTemplate:
    """Create or replace the override of form `code` for `language` ("" = any language).

    Nothing is saved unless the template compiles in the sandbox and renders the form's sample
    document (`print_template_check`).
    """
    language = (language or ANY_LANGUAGE).strip()
    name = (name or "").strip()
    body = (body or "").replace("\r\n", "\n")
    css = (css or "").replace("\r\n", "\n")
    _entry(code)
    _validate(code, language, name)
    print_template_check(code=code, language=language, body=body, css=css)
    template = PrintTemplate.objects.select_for_update().filter(code=code, language=language).first()
    created = template is None
    if created:
        template = PrintTemplate(code=code, language=language)
    template.name = name
    template.body = body
    template.css = css
    template.is_active = bool(is_active)
    template.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    template.save()
    record_event(
        "documents.print_template_saved",
        template,
        actor=actor,
        code=code,
        language=language,
        created=created,
        active=template.is_active,
    )
    return template


@transaction.atomic
def print_template_reset(*, actor, code: str, language: str = ANY_LANGUAGE) -> bool:
    """Delete the override of `code` for `language`: the built-in template prints again.

    Returns whether there was an override to delete.
    """
    _entry(code)
    template = PrintTemplate.objects.select_for_update().filter(code=code, language=language or ANY_LANGUAGE).first()
    if template is None:
        return False
    record_event("documents.print_template_reset", template, actor=actor, code=code, language=template.language)
    template.delete()
    return True
