"""Administrators change print templates in the browser: list, edit, preview, save, reset."""

import pytest
from django.urls import reverse
from django.utils.http import urlencode

from fabrika.access.tests.factories import make_role, make_user, sign_in
from fabrika.audit.models import BusinessEvent
from fabrika.documents.models import PrintTemplate
from fabrika.documents.printing import services
from fabrika.documents.printing.render import clear_cache
from fabrika.documents.tests.printing_helpers import T, pdf_text

pytestmark = pytest.mark.django_db

BODY = (
    '{% extends "fabrika/layout.html" %}\n'
    "{% block lines %}<p>Custom layout: {{ lines|length }} lines, first {{ lines[0].name }}</p>{% endblock %}\n"
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()


@pytest.fixture
def editor(client):
    """Documents rights and the warehouse with costs, without an administrator's second factor."""
    role = make_role("templater", {"documents": ["view", "add", "change", "delete"], "inventory": ["view", "cost"]})
    user = make_user("tess", role.code, first_name="Tess")
    sign_in(client, user)
    return user


def edit_url(code="inventory.receipt", language=""):
    return reverse("documents:print-template-edit") + "?" + urlencode({"code": code, "language": language})


def form_data(body=BODY, *, code="inventory.receipt", language="", css="", name="Our receipt", active=True):
    data = {"code": code, "language": language, "name": name, "body": body, "css": css}
    if active:
        data["is_active"] = "on"
    return data


def test_list_shows_every_form_and_its_changes(client, editor):
    services.print_template_save(actor=editor, code="inventory.shipment", language="fr", name="Bon", body=BODY)
    response = client.get(reverse("documents:print-template-list"))
    assert response.status_code == 200
    html = response.content.decode()
    for code in (
        "inventory.receipt",
        "inventory.shipment",
        "inventory.transfer",
        "inventory.writeoff",
        "inventory.stocktake",
        "inventory.customer_return",
        "inventory.supplier_return",
    ):
        assert f"<code>{code}</code>" in html
    assert "Bon" in html and edit_url("inventory.shipment", "fr").replace("&", "&amp;") in html


def test_menu_entry(client, editor):
    assert reverse("documents:print-template-list") in client.get(reverse("web:home")).content.decode()


def test_edit_starts_from_the_built_in_template(client, editor):
    response = client.get(edit_url())
    assert response.status_code == 200
    assert response.context["form"].initial["body"].startswith("{#- Goods receipt note")
    assert ("doc.number", "REC-2026-00042") in response.context["variables"]
    assert client.get(reverse("documents:print-template-edit")).status_code == 302  # no form: back to the list


def test_save_then_print_uses_the_change(client, editor, stock):
    response = client.post(edit_url(), form_data())
    assert response.status_code == 302
    template = PrintTemplate.objects.get()
    assert (template.code, template.language, template.name, template.updated_by) == (
        "inventory.receipt",
        "",
        "Our receipt",
        editor,
    )
    assert BusinessEvent.objects.filter(event="documents.print_template_saved", object_id=str(template.pk)).exists()
    receipt = stock.docs[T.RECEIPT]
    text = pdf_text(client.get(reverse("documents:print-inventory.receipt", args=[receipt.pk])).content)
    assert "Custom layout: 2 lines, first M3 bolt" in text
    assert receipt.number in text  # the layout's header is still there


def test_language_override_wins_for_its_language(client, editor, stock):
    services.print_template_save(actor=editor, code="inventory.receipt", body=BODY)
    services.print_template_save(
        actor=editor, code="inventory.receipt", language="fr", body=BODY.replace("Custom", "Modèle")
    )
    url = reverse("documents:print-inventory.receipt", args=[stock.docs[T.RECEIPT].pk])
    assert "Modèle layout" in pdf_text(client.get(url, {"lang": "fr"}).content)
    assert "Custom layout" in pdf_text(client.get(url, {"lang": "ru"}).content)
    PrintTemplate.objects.filter(language="fr").update(is_active=False)
    assert "Custom layout" in pdf_text(client.get(url, {"lang": "fr"}).content)


def test_a_bad_template_shows_the_error_beside_the_body_and_saves_nothing(client, editor):
    response = client.post(edit_url(), form_data("<p>ok</p>\n{{ ''.__class__.__mro__ }}"))
    assert response.status_code == 200
    errors = response.context["form"].errors["body"]
    assert errors[0].startswith("Line 2:") and "underscore" in errors[0]
    assert 'id="id_body_errors"' in response.content.decode()
    assert not PrintTemplate.objects.exists()
    response = client.post(edit_url(), form_data("{% for x in lines %}"))
    assert "Line 1:" in response.context["form"].errors["body"][0]
    assert not PrintTemplate.objects.exists()


def test_preview_renders_the_latest_document_with_the_unsaved_text(client, editor, stock):
    response = client.post(reverse("documents:print-template-preview"), form_data(code="inventory.shipment"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert stock.docs[T.SHIPMENT].number in text
    assert "Custom layout: 1 lines, first Controller board" in text
    assert not PrintTemplate.objects.exists()
    bad = client.post(reverse("documents:print-template-preview"), form_data("{{ nope.x }}", code="inventory.shipment"))
    assert bad.status_code == 200 and "'nope' is undefined" in bad.context["form"].errors["body"][0]


def test_preview_without_any_document_prints_the_sample(client, editor):
    response = client.get(reverse("documents:print-template-preview"), {"code": "inventory.writeoff", "language": "ru"})
    assert response["Content-Type"] == "application/pdf" and response["Content-Language"] == "ru"
    assert "WRI-2026-00042" in pdf_text(response.content)


def test_reset_to_default(client, editor, stock):
    services.print_template_save(actor=editor, code="inventory.receipt", body=BODY)
    response = client.post(reverse("documents:print-template-reset"), {"code": "inventory.receipt", "language": ""})
    assert response.status_code == 302
    assert not PrintTemplate.objects.exists()
    assert BusinessEvent.objects.filter(event="documents.print_template_reset").exists()
    url = reverse("documents:print-inventory.receipt", args=[stock.docs[T.RECEIPT].pk])
    assert "Custom layout" not in pdf_text(client.get(url).content)


def test_a_stored_template_that_fails_on_a_document_falls_back_to_the_built_in(client, editor, stock):
    # Passes the sample (two lines) but fails on a document with one line.
    body = '{% extends "fabrika/layout.html" %}{% block lines %}{{ lines[1].name.upper() }}{% endblock %}'
    services.print_template_save(actor=editor, code="inventory.shipment", body=body)
    response = client.get(reverse("documents:print-inventory.shipment", args=[stock.docs[T.SHIPMENT].pk]))
    assert response.status_code == 200
    assert "Controller board" in pdf_text(response.content)  # the built-in lines table


@pytest.mark.parametrize("role", ["storekeeper", "sales_manager", "director"])
def test_only_documents_change_may_edit(client, role):
    sign_in(client, make_user("x", role))
    assert client.get(reverse("documents:print-template-list")).status_code == 403
    assert client.get(edit_url()).status_code == 403
    assert client.post(reverse("documents:print-template-reset"), {"code": "inventory.receipt"}).status_code == 403
