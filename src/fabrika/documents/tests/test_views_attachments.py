import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from fabrika.crm.models import Counterparty
from fabrika.documents.models import Attachment
from fabrika.documents.services import attachment_add

CARD = "/crm/counterparties/1/"


def add_url(obj, nxt=CARD) -> str:
    ct = ContentType.objects.get_for_model(obj)
    return reverse("documents:attachment-add", args=[ct.pk, obj.pk]) + f"?next={nxt}"


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_upload_then_download_gives_back_the_same_bytes(client, manager, counterparty):
    content = bytes(range(256)) * 40 + b"<script>alert(1)</script>"
    client.force_login(manager)
    response = client.post(
        add_url(counterparty),
        {
            "file": SimpleUploadedFile("Offer 2026 (v2).html", content, content_type="text/html"),
            "description": "price list",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == CARD
    attachment = Attachment.objects.get()
    assert (attachment.filename, attachment.size, attachment.description) == (
        "Offer 2026 (v2).html",
        10265,
        "price list",
    )
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()

    download = client.get(reverse("documents:attachment-download", args=[attachment.pk]))
    assert download.status_code == 200
    data = body(download)
    assert data == content
    assert hashlib.sha256(data).hexdigest() == attachment.sha256
    assert download["Content-Disposition"] == 'attachment; filename="Offer 2026 (v2).html"'
    assert download["Content-Type"] == "application/octet-stream"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "sandbox"
    assert download["Content-Length"] == "10265"


def test_non_ascii_name_is_given_back_encoded(client, manager, counterparty):
    client.force_login(manager)
    client.post(add_url(counterparty), {"file": SimpleUploadedFile("Договор.pdf", b"%PDF")})
    attachment = Attachment.objects.get()
    download = client.get(reverse("documents:attachment-download", args=[attachment.pk]))
    assert (
        download["Content-Disposition"] == "attachment; filename*=utf-8''%D0%94%D0%BE%D0%B3%D0%BE%D0%B2%D0%BE%D1%80.pdf"
    )


def test_oversize_upload_is_refused_with_a_message_and_nothing_stored(client, manager, counterparty, settings):
    settings.MAX_UPLOAD_MB = 20
    client.force_login(manager)
    response = client.post(add_url(counterparty), {"file": SimpleUploadedFile("scan.tiff", b"\0" * 26_528_973)})
    assert response.status_code == 302
    assert response["Location"] == CARD
    messages = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    assert messages == [("error", "File is too large: 25.3 MB; the limit is 20 MB.")]
    assert Attachment.objects.count() == 0
    assert stored_files() == []


def test_upload_without_a_file_is_refused_with_a_message(client, manager, counterparty):
    client.force_login(manager)
    response = client.post(add_url(counterparty), {"description": "nothing"})
    assert response.status_code == 302
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    assert Attachment.objects.count() == 0


def test_next_pointing_elsewhere_is_not_followed(client, manager, counterparty):
    client.force_login(manager)
    response = client.post(
        add_url(counterparty, nxt="https://evil.example/"), {"file": SimpleUploadedFile("a.txt", b"a")}
    )
    assert response.status_code == 302
    assert not response["Location"].startswith("https://evil.example")


def test_user_who_cannot_see_the_card_gets_404_for_its_files(client, make_user, manager, counterparty):
    attachment = attachment_add(
        actor=manager, target=counterparty, uploaded_file=SimpleUploadedFile("a.txt", b"secret")
    )
    colleague = make_user("boris", "sales_manager")  # own records only: Acme is Anna's
    client.force_login(colleague)
    assert client.get(reverse("documents:attachment-download", args=[attachment.pk])).status_code == 404
    response = client.post(add_url(counterparty), {"file": SimpleUploadedFile("b.txt", b"b")})
    assert response.status_code == 404
    assert Attachment.objects.count() == 1


def test_rights_in_documents_are_required(client, make_user, manager, counterparty):
    attachment = attachment_add(actor=manager, target=counterparty, uploaded_file=SimpleUploadedFile("a.txt", b"a"))
    director = make_user("dora", "director")  # sees every counterparty and documents, may not upload
    client.force_login(director)
    assert client.get(reverse("documents:attachment-download", args=[attachment.pk])).status_code == 200
    assert client.post(add_url(counterparty), {"file": SimpleUploadedFile("b.txt", b"b")}).status_code == 403
    assert client.post(reverse("documents:attachment-delete", args=[attachment.pk])).status_code == 403
    client.force_login(manager)  # sales manager: view and add, no delete
    assert client.post(reverse("documents:attachment-delete", args=[attachment.pk])).status_code == 403
    assert Attachment.objects.count() == 1


def test_anonymous_is_sent_to_login(client, manager, counterparty):
    attachment = attachment_add(actor=manager, target=counterparty, uploaded_file=SimpleUploadedFile("a.txt", b"a"))
    response = client.get(reverse("documents:attachment-download", args=[attachment.pk]))
    assert response.status_code == 302
    assert "/access/login/" in response["Location"]


def test_delete_removes_row_and_file(client, make_user, archivist_role, django_capture_on_commit_callbacks):
    from fabrika.crm.services import counterparty_create

    archivist = make_user("olga", archivist_role)
    own = counterparty_create(actor=archivist, data={"name": "Olga's client"})
    attachment = attachment_add(actor=archivist, target=own, uploaded_file=SimpleUploadedFile("a.txt", b"abc"))
    path = Path(settings.MEDIA_ROOT) / attachment.file.name
    assert path.exists()
    client.force_login(archivist)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("documents:attachment-delete", args=[attachment.pk]) + f"?next={CARD}")
    assert response.status_code == 302
    assert response["Location"] == CARD
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not path.exists()


def test_delete_of_a_file_on_a_card_one_cannot_see_is_404(client, make_user, archivist_role, manager, counterparty):
    attachment = attachment_add(actor=manager, target=counterparty, uploaded_file=SimpleUploadedFile("a.txt", b"a"))
    client.force_login(make_user("olga", archivist_role))  # may delete files, but Acme is not hers
    assert client.post(reverse("documents:attachment-delete", args=[attachment.pk])).status_code == 404
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_download_of_a_file_missing_on_disk_is_404(client, manager, counterparty):
    attachment = attachment_add(actor=manager, target=counterparty, uploaded_file=SimpleUploadedFile("a.txt", b"a"))
    (Path(settings.MEDIA_ROOT) / attachment.file.name).unlink()
    client.force_login(manager)
    assert client.get(reverse("documents:attachment-download", args=[attachment.pk])).status_code == 404


def render_panel(user, obj) -> str:
    request = RequestFactory().get("/crm/counterparties/1/?tab=files")
    request.user = user
    template = Template("{% load documents_tags %}{% attachments_panel obj %}")
    return template.render(Context({"request": request, "obj": obj, "csrf_token": "tok"}))


@pytest.mark.django_db
def test_panel_lists_files_with_links_and_an_upload_form(manager, counterparty, make_user, archivist_role):
    attachment = attachment_add(
        actor=manager,
        target=counterparty,
        uploaded_file=SimpleUploadedFile("Plan.pdf", b"x" * 2048),
        description="floor plan",
    )
    html = render_panel(manager, counterparty)
    assert "Plan.pdf" in html and "floor plan" in html and "2.0\xa0KB" in html
    assert reverse("documents:attachment-download", args=[attachment.pk]) in html
    ct = ContentType.objects.get_for_model(Counterparty)
    upload = reverse("documents:attachment-add", args=[ct.pk, counterparty.pk])
    assert f'action="{upload}?next=%2Fcrm%2Fcounterparties%2F1%2F%3Ftab%3Dfiles"' in html
    assert 'enctype="multipart/form-data"' in html
    assert reverse("documents:attachment-delete", args=[attachment.pk]) not in html  # no delete right

    manager_with_delete = make_user("olga", "sales_manager", archivist_role)
    html = render_panel(manager_with_delete, counterparty)
    assert reverse("documents:attachment-delete", args=[attachment.pk]) in html
    assert "data-confirm=" in html

    nobody = make_user("ivan")  # no documents right: no panel at all
    assert render_panel(nobody, counterparty).strip() == ""
