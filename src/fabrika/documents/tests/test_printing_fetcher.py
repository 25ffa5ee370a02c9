"""The URL fetcher of printed documents serves the app's static files and the company logo, nothing else."""

import io
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fabrika.access.tests.factories import make_user, sign_in
from fabrika.core import services as core_services
from fabrika.documents.printing import services
from fabrika.documents.printing.fetcher import BASE_URL, FetchRefused, SafeFetcher
from fabrika.documents.printing.render import clear_cache, html_to_pdf
from fabrika.documents.tests.printing_helpers import T, pdf_text

REFUSED = [
    "http://example.com/x.png",
    "https://example.com/x.png",
    "file:///etc/passwd",
    "ftp://example.com/x.png",
    "https://fabrika.invalid/static/../../../../etc/passwd",
    "https://fabrika.invalid/static/%2e%2e/%2e%2e/etc/passwd",
    "https://fabrika.invalid/static/web/missing.png",
    "https://fabrika.invalid/media/attachments/secret.pdf",
    "https://fabrika.invalid/media/company/../attachments/secret.pdf",
    "https://user:pw@fabrika.invalid/static/web/favicon.svg",
    "http://fabrika.invalid/static/web/favicon.svg",
    "https://fabrika.invalid.example.com/static/web/favicon.svg",
    "http://127.0.0.1:8000/static/web/favicon.svg",
]


@pytest.mark.parametrize("url", REFUSED)
def test_refuses_everything_outside_the_app(url):
    fetcher = SafeFetcher()
    with pytest.raises(FetchRefused):
        fetcher.fetch(url)
    assert fetcher.refused == [url]
    assert fetcher.served == []


def test_serves_static_files():
    fetcher = SafeFetcher()
    response = fetcher.fetch(BASE_URL + "static/web/favicon.svg")
    assert response.read() == Path(finders.find("web/favicon.svg")).read_bytes()
    assert response.content_type == "image/svg+xml"
    assert fetcher.refused == []


def test_serves_data_urls():
    response = SafeFetcher().fetch("data:text/plain;base64,aGVsbG8=")
    assert response.read() == b"hello"
    assert response.content_type == "text/plain"


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.django_db
def test_serves_the_company_logo_and_no_other_media(settings):
    company = core_services.company_settings_update(logo=SimpleUploadedFile("logo.png", _png(), "image/png"))
    name = Path(company.logo.name).name
    fetcher = SafeFetcher()
    assert fetcher.fetch(f"{BASE_URL}media/company/{name}?v=1").read() == _png()
    secret = Path(settings.MEDIA_ROOT) / "attachments" / "secret.txt"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text("secret")
    with pytest.raises(FetchRefused):
        fetcher.fetch(f"{BASE_URL}media/attachments/secret.txt")


def test_a_document_that_links_outside_renders_without_it():
    """WeasyPrint asks the fetcher, the fetcher refuses, and the PDF is made without the resource."""
    html = (
        '<html><head><link rel="stylesheet" href="http://example.com/evil.css"></head><body>'
        '<p>Before</p><img src="http://example.com/x.png"><img src="file:///etc/passwd">'
        '<img src="/static/web/favicon.svg"><p>After</p></body></html>'
    )
    fetcher = SafeFetcher()
    pdf = html_to_pdf(html, "body { background: url(file:///etc/passwd) }", fetcher=fetcher)
    text = pdf_text(pdf)
    assert "Before" in text and "After" in text
    assert set(fetcher.refused) == {
        "http://example.com/evil.css",
        "http://example.com/x.png",
        "file:///etc/passwd",
    }
    assert fetcher.served == [BASE_URL + "static/web/favicon.svg"]


@pytest.mark.django_db
def test_an_override_linking_outside_still_prints(client, stock):
    """An administrator's template that links to the network prints, without the linked things."""
    clear_cache()
    body = (
        '{% extends "fabrika/layout.html" %}{% block lines %}'
        '<img src="http://example.com/x.png"><img src="file:///etc/passwd">'
        "<p>Lines: {{ lines|length }}</p>{% endblock %}"
    )
    services.print_template_save(actor=None, code="inventory.receipt", body=body)
    sign_in(client, make_user("dora", "director"))
    receipt = stock.docs[T.RECEIPT]
    response = client.get(reverse("documents:print-inventory.receipt", args=[receipt.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "Lines: 2" in pdf_text(response.content)
