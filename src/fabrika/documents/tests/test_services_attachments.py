import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from fabrika.audit.models import BusinessEvent
from fabrika.core.errors import ValidationFailed
from fabrika.documents.models import Attachment
from fabrika.documents.services import (
    attachment_add,
    attachment_delete,
    attachments_delete_for,
    sanitize_filename,
)

MB = 1024 * 1024


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("Offer 2026 (v2).pdf", "Offer 2026 (v2).pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\anna\\report<1>.xlsx", "report_1_.xlsx"),
        ("Договор №5.docx", "Договор №5.docx"),
        (".htaccess", "htaccess"),
        ("a\x00b\nc.txt", "a_b_c.txt"),
        ("   ", "file"),
        ("", "file"),
        ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
    ],
)
def test_sanitize_filename(given, kept):
    assert sanitize_filename(given) == kept


def test_add_stores_file_with_random_name_size_and_sha256(manager, counterparty):
    content = b"%PDF-1.4 quote for Acme\n" * 100
    attachment = attachment_add(
        actor=manager,
        target=counterparty,
        uploaded_file=SimpleUploadedFile("../Quote.pdf", content),
        description="  signed quote ",
    )
    attachment.refresh_from_db()
    assert attachment.filename == "Quote.pdf"
    assert attachment.size == 2400  # 24 bytes x 100
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.description == "signed quote"
    assert attachment.uploaded_by == manager
    assert attachment.target == counterparty
    assert attachment.file.name.startswith("attachments/") and "Quote" not in attachment.file.name
    path = Path(settings.MEDIA_ROOT) / attachment.file.name
    assert path.read_bytes() == content
    event = BusinessEvent.objects.get(event="documents.attachment_added")
    assert (event.actor, event.object_id, event.data["filename"], event.data["size"]) == (
        manager,
        str(counterparty.pk),
        "Quote.pdf",
        2400,
    )


def test_oversize_file_is_refused_before_anything_is_written(manager, counterparty, settings):
    settings.MAX_UPLOAD_MB = 20
    big = SimpleUploadedFile("scan.tiff", b"\0" * 26_528_973)  # 25.3 MB
    with pytest.raises(ValidationFailed) as exc:
        attachment_add(actor=manager, target=counterparty, uploaded_file=big)
    assert exc.value.errors == {"file": ["File is too large: 25.3 MB; the limit is 20 MB."]}
    assert Attachment.objects.count() == 0
    assert stored_files() == []


def test_oversize_message_uses_the_users_number_format(manager, counterparty, settings):
    settings.MAX_UPLOAD_MB = 1
    with translation.override("fr"), pytest.raises(ValidationFailed) as exc:
        attachment_add(
            actor=manager,
            target=counterparty,
            uploaded_file=SimpleUploadedFile("a.bin", b"1" * (MB + MB // 2)),
        )
    assert "1,5" in exc.value.errors["file"][0]


def test_empty_file_is_refused(manager, counterparty):
    with pytest.raises(ValidationFailed) as exc:
        attachment_add(actor=manager, target=counterparty, uploaded_file=SimpleUploadedFile("empty.txt", b""))
    assert exc.value.errors == {"file": ["The file is empty."]}
    assert Attachment.objects.count() == 0
    assert stored_files() == []


def test_delete_removes_row_now_and_file_after_commit(manager, counterparty, django_capture_on_commit_callbacks):
    attachment = attachment_add(actor=manager, target=counterparty, uploaded_file=SimpleUploadedFile("a.txt", b"abc"))
    path = Path(settings.MEDIA_ROOT) / attachment.file.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        attachment_delete(actor=manager, attachment=attachment)
        assert not Attachment.objects.filter(pk=attachment.pk).exists()
        assert path.exists()  # not before the commit
    for callback in callbacks:
        callback()
    assert not path.exists()
    event = BusinessEvent.objects.get(event="documents.attachment_deleted")
    assert (event.actor, event.object_id, event.data["filename"]) == (manager, str(counterparty.pk), "a.txt")


def test_delete_for_a_record_removes_only_its_files(manager, counterparty, django_capture_on_commit_callbacks):
    from fabrika.crm.services import counterparty_create

    other = counterparty_create(actor=manager, data={"name": "Other"})
    mine = [attachment_add(actor=manager, target=counterparty, uploaded_file=SimpleUploadedFile(n, b"x")) for n in "ab"]
    kept = attachment_add(actor=manager, target=other, uploaded_file=SimpleUploadedFile("c", b"x"))
    with django_capture_on_commit_callbacks(execute=True):
        assert attachments_delete_for(actor=manager, target=counterparty) == 2
    assert list(Attachment.objects.all()) == [kept]
    assert [p.name for p in stored_files()] == [Path(kept.file.name).name]
    assert not any((Path(settings.MEDIA_ROOT) / a.file.name).exists() for a in mine)
