import hashlib

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from fabrika.documents.models import Attachment
from fabrika.documents.services import attachment_add


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_upload_list_retrieve_download_delete(manager, counterparty, make_user, archivist_role):
    content = b"PK\x03\x04 spreadsheet bytes" * 10
    client = api(manager)
    response = client.post(
        "/api/attachments/",
        {
            "content_type": "crm.counterparty",
            "object_id": str(counterparty.pk),
            "file": SimpleUploadedFile("Prices 2026.xlsx", content),
            "description": "prices",
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    attachment = Attachment.objects.get()
    assert created["id"] == attachment.pk
    assert created["content_type"] == "crm.counterparty"
    assert created["object_id"] == str(counterparty.pk)
    assert (created["filename"], created["size"], created["description"]) == (
        "Prices 2026.xlsx",
        220,
        "prices",
    )  # 22 bytes x 10
    assert created["sha256"] == hashlib.sha256(content).hexdigest()
    assert created["uploaded_by"] == manager.pk
    assert created["download_url"] == f"http://testserver/api/attachments/{attachment.pk}/download/"

    listed = client.get("/api/attachments/", {"content_type": "crm.counterparty", "object_id": counterparty.pk})
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()["results"]] == [attachment.pk]
    assert [a["id"] for a in client.get("/api/attachments/").json()["results"]] == [attachment.pk]

    detail = client.get(f"/api/attachments/{attachment.pk}/")
    assert detail.status_code == 200
    assert detail.json()["filename"] == "Prices 2026.xlsx"

    download = client.get(f"/api/attachments/{attachment.pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["Content-Disposition"] == 'attachment; filename="Prices 2026.xlsx"'
    assert download["Content-Type"] == "application/octet-stream"
    assert download["X-Content-Type-Options"] == "nosniff"
    asked_binary = client.get(f"/api/attachments/{attachment.pk}/download/", HTTP_ACCEPT="application/octet-stream")
    assert asked_binary.status_code == 200

    assert client.delete(f"/api/attachments/{attachment.pk}/").status_code == 403  # sales manager: no delete
    own = make_user("olga", "sales_manager", archivist_role)
    olga_card = api(own).post(
        "/api/attachments/",
        {
            "content_type": "crm.counterparty",
            "object_id": str(counterparty.pk),
            "file": SimpleUploadedFile("x", b"x"),
        },
        format="multipart",
    )
    assert olga_card.status_code == 404  # Acme is not hers
    director_like = make_user("dima", "director", archivist_role)
    assert api(director_like).delete(f"/api/attachments/{attachment.pk}/").status_code == 204
    assert Attachment.objects.count() == 0


def test_files_of_cards_one_cannot_see_are_hidden(manager, counterparty, make_user):
    from fabrika.crm.services import counterparty_create

    mine = attachment_add(actor=manager, target=counterparty, uploaded_file=SimpleUploadedFile("a.txt", b"a"))
    colleague = make_user("boris", "sales_manager")
    theirs_card = counterparty_create(actor=colleague, data={"name": "Boris Ltd"})
    theirs = attachment_add(actor=colleague, target=theirs_card, uploaded_file=SimpleUploadedFile("b.txt", b"b"))

    client = api(colleague)
    assert [a["id"] for a in client.get("/api/attachments/").json()["results"]] == [theirs.pk]
    listed = client.get("/api/attachments/", {"content_type": "crm.counterparty", "object_id": counterparty.pk})
    assert listed.json()["results"] == []
    assert client.get(f"/api/attachments/{mine.pk}/").status_code == 404
    assert client.get(f"/api/attachments/{mine.pk}/download/").status_code == 404

    director = api(make_user("dora", "director"))
    assert sorted(a["id"] for a in director.get("/api/attachments/").json()["results"]) == [
        mine.pk,
        theirs.pk,
    ]
    assert api(make_user("ivan")).get("/api/attachments/").status_code == 403  # no documents right


def test_bad_parameters_are_refused(manager, counterparty):
    client = api(manager)
    assert client.get("/api/attachments/", {"object_id": counterparty.pk}).status_code == 400
    unknown = client.get("/api/attachments/", {"content_type": "crm.nothing"})
    assert unknown.status_code == 400
    assert "crm.nothing" in unknown.content.decode()
    assert client.get("/api/attachments/", {"target": 1}).status_code == 400
    missing = client.post(
        "/api/attachments/",
        {
            "content_type": "crm.counterparty",
            "object_id": "999999",
            "file": SimpleUploadedFile("a.txt", b"a"),
        },
        format="multipart",
    )
    assert missing.status_code == 404


def test_oversize_upload_is_a_400_with_the_message(manager, counterparty, settings):
    settings.MAX_UPLOAD_MB = 1
    response = api(manager).post(
        "/api/attachments/",
        {
            "content_type": "crm.counterparty",
            "object_id": str(counterparty.pk),
            "file": SimpleUploadedFile("big.bin", b"0" * (1024 * 1024 + 1)),
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"file": ["File is too large: 1.0 MB; the limit is 1 MB."]}
    assert Attachment.objects.count() == 0
