"""Company settings and document number formats."""

import io
import os
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image

from fabrika.access.tests.factories import make_role, make_user, sign_in
from fabrika.audit.models import BusinessEvent
from fabrika.core.models import CompanySettings, NumberFormat
from fabrika.core.numbering import REGISTRY, next_number, register

pytestmark = pytest.mark.django_db

COMPANY = {
    "name": "Robots SARL",
    "legal_name": "Robots pour écoles SARL",
    "tax_id": "FR12345678901",
    "registration_number": "123 456 789",
    "address": "1 rue des Robots\n69000 Lyon",
    "phone": "+33 4 00 00 00 00",
    "email": "contact@robots.example",
    "website": "https://robots.example",
    "bank_name": "Banque Lyon",
    "bank_account": "FR76 3000 6000 0112 3456 7890 189",
    "bank_code": "AGRIFRPP",
    "currency": "eur",
    "vat_rate": "20.00",
}


def png(size=(40, 20), noise=False) -> bytes:
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def director_client(client):
    return sign_in(client, make_user("dora", "director"))  # settings: view + change


# --- company settings -----------------------------------------------------------------------


def test_company_settings_save(director_client):
    response = director_client.post("/settings/company/", COMPANY)

    assert response.status_code == 302
    company = CompanySettings.load()
    assert (company.name, company.currency, company.vat_rate) == ("Robots SARL", "EUR", Decimal("20.00"))
    assert company.address == "1 rue des Robots\n69000 Lyon"
    event = BusinessEvent.objects.get(event="company.settings_changed")
    assert event.data["changes"]["name"] == ["My factory", "Robots SARL"]
    assert event.actor.username == "dora"


def test_bad_vat_rate_shows_the_error_beside_the_field_and_changes_nothing(director_client):
    before = CompanySettings.load()

    response = director_client.post("/settings/company/", {**COMPANY, "vat_rate": "150"})

    html = response.content.decode()
    assert response.status_code == 200
    errors = html.split('id="id_vat_rate_errors"')[1].split("</ul>")[0]
    assert "Ensure this value is less than or equal to 100." in errors
    # The field and its error are together; the other input is kept.
    assert 'name="vat_rate" value="150"' in html
    assert 'value="Robots SARL"' in html
    after = CompanySettings.objects.get(pk=before.pk)
    assert (after.name, after.vat_rate) == (before.name, before.vat_rate) == ("My factory", Decimal("20.00"))
    assert not BusinessEvent.objects.filter(event="company.settings_changed").exists()


def test_bad_currency_is_refused(director_client):
    response = director_client.post("/settings/company/", {**COMPANY, "currency": "E1"})

    assert 'id="id_currency_errors"' in response.content.decode()
    assert CompanySettings.load().currency == "EUR"  # the default, untouched


def test_logo_upload_is_validated_and_stored(director_client, settings):
    not_image = SimpleUploadedFile("logo.png", b"not an image at all", content_type="image/png")
    response = director_client.post("/settings/company/", {**COMPANY, "logo": not_image})
    assert "Upload a valid image." in response.content.decode().split('id="id_logo_errors"')[1]
    assert not CompanySettings.load().logo

    settings.MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("big.png", png((700, 700), noise=True), content_type="image/png")
    assert big.size > 1024 * 1024
    response = director_client.post("/settings/company/", {**COMPANY, "logo": big})
    assert "the limit is 1 MB" in response.content.decode()
    assert not CompanySettings.load().logo

    good = SimpleUploadedFile("logo.png", png(), content_type="image/png")
    response = director_client.post("/settings/company/", {**COMPANY, "logo": good})
    assert response.status_code == 302
    company = CompanySettings.load()
    assert company.logo.name.startswith("company/logo")
    with company.logo.open("rb") as stored:
        assert Image.open(stored).size == (40, 20)
    page = director_client.get("/settings/company/").content.decode()
    assert f'src="/{company.logo.name}"' in page or company.logo.url in page


def test_the_service_checks_the_logo_too():
    from fabrika.core.errors import ValidationFailed
    from fabrika.core.services import company_settings_update

    with pytest.raises(ValidationFailed) as refused:
        company_settings_update(
            name="X", logo=SimpleUploadedFile("x.png", b"GIF89a-no", content_type="image/png")
        )
    assert refused.value.errors == {"logo": ["The file is not an image."]}

    image = Image.new("RGB", (4, 4))
    buffer = io.BytesIO()
    image.save(buffer, "BMP")
    bmp = SimpleUploadedFile("x.bmp", buffer.getvalue(), content_type="image/bmp")
    with pytest.raises(ValidationFailed) as refused:
        company_settings_update(logo=bmp)
    assert refused.value.errors == {"logo": ["Use a PNG, JPEG, GIF or WebP image."]}
    assert CompanySettings.load().name == "My factory"


def test_settings_view_right_shows_a_read_only_page():
    from django.test import Client

    make_role("viewer", {"settings": ["view"]})
    client = sign_in(Client(), make_user("vic", "viewer"))

    page = client.get("/settings/company/")
    assert page.status_code == 200
    html = page.content.decode()
    assert (
        'name="name" value="My factory"' in html and "disabled" in html.split('name="name"')[1].split(">")[0]
    )
    assert 'type="submit"' not in html.split('id="company-settings"')[1]

    assert client.post("/settings/company/", COMPANY).status_code == 403
    assert CompanySettings.load().name == "My factory"


def test_settings_pages_need_the_settings_area(client):
    sign_in(client, make_user("anna", "sales_manager"))

    assert client.get("/settings/company/").status_code == 403
    assert client.get("/settings/numbering/").status_code == 403


# --- document numbers -----------------------------------------------------------------------


@pytest.fixture
def widget_type():
    register("test-widget", prefix="WID", label="Widget", padding=3)
    yield "test-widget"
    REGISTRY.pop("test-widget")


def formset_data(rows: list[tuple[str, str, object]]) -> dict:
    data = {"fmt-TOTAL_FORMS": str(len(rows)), "fmt-INITIAL_FORMS": str(len(rows))}
    for i, (code, prefix, padding) in enumerate(rows):
        data.update({f"fmt-{i}-doc_type": code, f"fmt-{i}-prefix": prefix, f"fmt-{i}-padding": str(padding)})
    return data


def current_rows() -> list[tuple[str, str, int]]:
    from fabrika.web.views import number_overview

    return [(r["code"], r["prefix"], r["padding"]) for r in number_overview()]


def test_numbering_page_lists_types_with_last_numbers(director_client, widget_type):
    with transaction.atomic():
        for _ in range(3):
            next_number(widget_type, on_date=date(2025, 5, 1))
        next_number(widget_type, on_date=date(2026, 2, 1))

    html = director_client.get("/settings/numbering/").content.decode()

    row = html.split("<code>test-widget</code>")[1].split("</tr>")[0]
    assert 'name="fmt-' in row and 'value="WID"' in row and 'value="3"' in row
    assert '<span class="text-muted">2026:</span> 1' in row
    assert '<span class="text-muted">2025:</span> 3' in row
    assert "WID-" in row and "-001</code>" in row


def test_numbering_change_applies_to_new_numbers(director_client, widget_type):
    rows = [
        (code, "W/S" if code == widget_type else prefix, 4 if code == widget_type else padding)
        for code, prefix, padding in current_rows()
    ]

    response = director_client.post("/settings/numbering/", formset_data(rows))

    assert response.status_code == 302
    fmt = NumberFormat.objects.get(doc_type=widget_type)
    assert (fmt.prefix, fmt.padding) == ("W/S", 4)
    assert NumberFormat.objects.count() == 1  # unchanged types are not stored
    with transaction.atomic():
        assert next_number(widget_type, on_date=date(2026, 3, 1)) == "W/S-2026-0001"
    event = BusinessEvent.objects.get(event="numbering.format_changed")
    assert (event.data["before"], event.data["after"]) == (
        {"prefix": "WID", "padding": 3},
        {"prefix": "W/S", "padding": 4},
    )


def test_numbering_refusal_saves_nothing_and_shows_the_error_beside_the_field(director_client, widget_type):
    rows = current_rows()
    assert len(rows) >= 2
    index = [code for code, _p, _d in rows].index(widget_type)
    other = 0 if index else 1
    rows[other] = (rows[other][0], "NEW", 6)
    rows[index] = (widget_type, "W S", 30)

    response = director_client.post("/settings/numbering/", formset_data(rows))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_fmt-{index}-prefix_errors"' in html
    assert f'id="id_fmt-{index}-padding_errors"' in html
    assert 'value="W S"' in html  # the input is kept
    assert not NumberFormat.objects.exists()


def test_numbering_view_only_user_cannot_save(widget_type):
    from django.test import Client

    make_role("viewer", {"settings": ["view"]})
    client = sign_in(Client(), make_user("vic", "viewer"))

    assert client.get("/settings/numbering/").status_code == 200
    assert client.post("/settings/numbering/", formset_data(current_rows())).status_code == 403
