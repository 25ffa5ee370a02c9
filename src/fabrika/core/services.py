"""The only code that changes the company settings and the document number formats."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event

from .errors import ValidationFailed
from .models import CompanySettings, NumberFormat
from .numbering import REGISTRY, UnknownDocumentType, format_for

LOGO_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


def validate_logo(file) -> None:
    """A logo must be a real image of an accepted format within the upload size limit."""
    limit = settings.MAX_UPLOAD_MB * 1024 * 1024
    if file.size > limit:
        raise ValidationFailed(
            {
                "logo": [
                    _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
                    % {"size": round(file.size / 1024 / 1024, 1), "limit": settings.MAX_UPLOAD_MB}
                ]
            }
        )
    from PIL import Image, UnidentifiedImageError

    position = file.tell() if hasattr(file, "tell") else None
    try:
        file.seek(0)
        with Image.open(file) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationFailed({"logo": [_("The file is not an image.")]})
    finally:
        if position is not None:
            file.seek(0)
    if image_format not in LOGO_FORMATS:
        raise ValidationFailed({"logo": [_("Use a PNG, JPEG, GIF or WebP image.")]})


COMPANY_FIELDS = (
    "name",
    "legal_name",
    "tax_id",
    "registration_number",
    "address",
    "phone",
    "email",
    "website",
    "bank_name",
    "bank_account",
    "bank_code",
    "currency",
    "vat_rate",
)


@transaction.atomic
def company_settings_update(*, logo=None, **changes) -> CompanySettings:
    """Change the company's details.

    `logo` is a new uploaded image, `False` to remove the logo, or None to keep it. A refused
    change leaves everything as it was (the old logo file is removed only after the commit).
    """
    unknown = set(changes) - set(COMPANY_FIELDS)
    if unknown:
        raise TypeError(f"company_settings_update() got unknown fields: {', '.join(sorted(unknown))}")
    company = CompanySettings.objects.select_for_update().get(pk=CompanySettings.load().pk)
    before = {field: getattr(company, field) for field in changes}
    for field, value in changes.items():
        setattr(company, field, value)
    if "currency" in changes:
        company.currency = (company.currency or "").strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", company.currency):
            raise ValidationFailed({"currency": [_("Enter a three-letter currency code.")]})
    old_logo = company.logo.name if company.logo else ""
    if logo is not None and logo is not False:
        validate_logo(logo)
    try:
        company.full_clean(exclude=["logo"])
    except ValidationError as exc:
        raise ValidationFailed(exc.message_dict)
    changed = {f: [before[f], getattr(company, f)] for f in changes if before[f] != getattr(company, f)}
    if logo is False and old_logo:
        company.logo = None
        changed["logo"] = [old_logo, ""]
    elif logo is not None and logo is not False:
        company.logo.save(logo.name, logo, save=False)
        changed["logo"] = [old_logo, company.logo.name]
    if not changed:
        return company
    company.save()
    if "logo" in changed and old_logo:
        storage = company.logo.storage
        transaction.on_commit(lambda: storage.delete(old_logo))
    record_event("company.settings_changed", company, changes=changed)
    return company


MIN_DIGITS, MAX_DIGITS = 1, 10
_PREFIX_RE = re.compile(r"[\w./-]{1,20}")


def prefix_problem(prefix: str) -> str:
    """Why `prefix` cannot be a number prefix ("" when it can)."""
    if not prefix:
        return _("Enter a prefix.")
    if not _PREFIX_RE.fullmatch(prefix):
        return _("Use up to 20 letters, digits, dashes, dots, slashes or underscores, without spaces.")
    return ""


@transaction.atomic
def number_format_set(*, doc_type: str, prefix: str, padding: int) -> NumberFormat | None:
    """Change how the numbers of a document type look; numbers already issued stay as they are.

    Returns the stored format, or None when nothing changed.
    """
    if doc_type not in REGISTRY:
        raise UnknownDocumentType(doc_type)
    prefix = (prefix or "").strip()
    errors = {}
    problem = prefix_problem(prefix)
    if problem:
        errors["prefix"] = [problem]
    if not isinstance(padding, int) or not MIN_DIGITS <= padding <= MAX_DIGITS:
        errors["padding"] = [
            _("Use from %(min)s to %(max)s digits.") % {"min": MIN_DIGITS, "max": MAX_DIGITS}
        ]
    if errors:
        raise ValidationFailed(errors)
    before = format_for(doc_type)
    if before == (prefix, padding):
        return None
    fmt, _created = NumberFormat.objects.update_or_create(
        doc_type=doc_type, defaults={"prefix": prefix, "padding": padding}
    )
    record_event(
        "numbering.format_changed",
        fmt,
        doc_type=doc_type,
        before={"prefix": before[0], "padding": before[1]},
        after={"prefix": prefix, "padding": padding},
    )
    return fmt


@transaction.atomic
def number_formats_set(*, formats: list[dict]) -> list[str]:
    """Change several formats at once: all are saved, or none. Returns the changed types.

    A refusal names the document type in its field keys: `{"deal.prefix": [...]}`.
    """
    changed = []
    for item in formats:
        try:
            if number_format_set(doc_type=item["doc_type"], prefix=item["prefix"], padding=item["padding"]):
                changed.append(item["doc_type"])
        except ValidationFailed as exc:
            raise ValidationFailed(
                {f"{item['doc_type']}.{field}": msgs for field, msgs in exc.errors.items()}
            )
    return changed
