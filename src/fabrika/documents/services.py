"""The only code that changes attachments. Pages and the API call these functions."""

import hashlib
import mimetypes
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event
from fabrika.core.errors import ValidationFailed

from .models import Attachment
from .queries import resolve_target

MB = 1024 * 1024
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def sanitize_filename(name: str, *, limit: int = 255) -> str:
    """The user's file name, safe to store and to give back in Content-Disposition.

    Keeps letters of any script, digits, spaces and ordinary punctuation; drops directory parts,
    control characters and the characters Windows refuses; never starts with a dot.
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = _FORBIDDEN.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        return "file"
    if len(name) > limit:
        suffix = PurePosixPath(name).suffix
        suffix = suffix if len(suffix) <= 16 else ""
        name = name[: limit - len(suffix)].rstrip(" .") + suffix
    return name


def _megabytes(size: int) -> str:
    value = (Decimal(size) / Decimal(MB)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return formats.number_format(value, decimal_pos=1, use_l10n=True)


def _check_size(uploaded_file) -> None:
    size = uploaded_file.size or 0
    if size == 0:
        raise ValidationFailed({"file": [_("The file is empty.")]})
    limit = settings.MAX_UPLOAD_MB
    if size > limit * MB:
        raise ValidationFailed(
            {
                "file": [
                    _("File is too large: %(size)s MB; the limit is %(limit)s MB.")
                    % {"size": _megabytes(size), "limit": limit}
                ]
            }
        )


def _sha256(uploaded_file) -> str:
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    return digest.hexdigest()


@transaction.atomic
def attachment_add(*, actor, target, uploaded_file, description: str = "") -> Attachment:
    """Attach an uploaded file to any saved record.

    Refuses empty files and files over `settings.MAX_UPLOAD_MB` (ValidationFailed on "file"),
    before anything is written. The file is stored under MEDIA_ROOT with a random name; the
    sanitized original name, size and SHA-256 are kept on the row.
    """
    if target is None or target.pk is None:
        raise ValidationFailed({"object_id": [_("Save the record before attaching files to it.")]})
    _check_size(uploaded_file)
    description = (description or "").strip()
    if len(description) > 255:
        raise ValidationFailed({"description": [_("The description is longer than 255 characters.")]})
    filename = sanitize_filename(getattr(uploaded_file, "name", "") or "")
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(target),
        object_id=str(target.pk),
        filename=filename,
        content_type_header=(mimetypes.guess_type(filename)[0] or "application/octet-stream")[:120],
        size=uploaded_file.size,
        sha256=_sha256(uploaded_file),
        description=description,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    attachment.file.save(filename, uploaded_file, save=False)
    stored = attachment.file.name
    try:
        attachment.save()
        record_event(
            "documents.attachment_added",
            target,
            actor=actor,
            attachment=attachment.pk,
            filename=filename,
            size=attachment.size,
            sha256=attachment.sha256,
        )
    except BaseException:
        attachment.file.storage.delete(stored)  # nothing is left behind when the row is not written
        raise
    return attachment


@transaction.atomic
def attachment_delete(*, actor, attachment: Attachment) -> None:
    """Delete the row now and the file once the transaction has committed."""
    attachment = Attachment.objects.select_for_update().select_related("content_type").get(pk=attachment.pk)
    storage, stored = attachment.file.storage, attachment.file.name
    target = resolve_target(attachment.content_type, attachment.object_id)
    record_event(
        "documents.attachment_deleted",
        target if target is not None else attachment,
        actor=actor,
        attachment=attachment.pk,
        filename=attachment.filename,
        size=attachment.size,
        sha256=attachment.sha256,
    )
    attachment.delete()
    if stored:
        transaction.on_commit(lambda: storage.delete(stored))


@transaction.atomic
def attachments_delete_for(*, actor, target) -> int:
    """Delete every file attached to `target`: for the service that deletes the record itself.

    Attachments point to their record generically, so deleting the record does not cascade to
    them; a delete service calls this in its own transaction. Returns how many were deleted.
    """
    attachments = list(
        Attachment.objects.filter(content_type=ContentType.objects.get_for_model(target), object_id=str(target.pk))
    )
    for attachment in attachments:
        attachment_delete(actor=actor, attachment=attachment)
    return len(attachments)
