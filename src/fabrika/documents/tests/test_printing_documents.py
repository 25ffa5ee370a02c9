"""Printed stock documents: real posted documents → the print page → a PDF whose text is read back."""

import re
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from fabrika.access.tests.factories import make_user, sign_in
from fabrika.documents.printing import registry
from fabrika.documents.printing.render import build_context, clear_cache, render_document
from fabrika.documents.printing.stock import FORMS
from fabrika.documents.tests.printing_helpers import T, pdf_text, screenshot
from fabrika.inventory.services import document_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()


@pytest.fixture
def director(client):
    user = make_user("dora", "director", first_name="Dora", last_name="Director")
    sign_in(client, user)
    return user


def get_pdf(client, code: str, document, **params):
    response = client.get(reverse(f"documents:print-{code}", args=[document.pk]), params)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    return response


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def row(text: str, name: str) -> list[str]:
    """The cells of the table row that names `name` (pdftotext -layout keeps a row on one line)."""
    line = next(line for line in text.splitlines() if name in line)
    return re.split(r"\s{2,}", line.strip())


def test_receipt_note(client, director, stock):
    receipt = stock.docs[T.RECEIPT]
    response = get_pdf(client, "inventory.receipt", receipt)
    assert response["Content-Disposition"] == f'inline; filename="{receipt.number}.pdf"'
    assert response["Content-Language"] == "en"
    screenshot(response.content, "print-receipt-en")
    text = pdf_text(response.content)
    flat = squash(text)
    assert receipt.number.startswith("REC-2025-")
    assert f"Goods receipt note No. {receipt.number} dated March 14, 2025" in flat
    assert "Acme Supplies" in text and "5 Supply street, Lyon" in text and "FR123" in text
    assert "Main warehouse" in text and "1 Factory road" in text
    assert row(text, "M3 bolt")[:2] == ["1", "M3"]
    assert row(text, "M3 bolt")[-4:] == ["pcs", "10", "0.25", "2.50"]
    assert row(text, "Controller board")[-4:] == ["pcs", "4", "85.50", "342.00"]
    assert row(text, "Total") == ["Total", "14", "344.50"]
    assert "Total: 344.50 EUR" in flat
    assert "Received by" in text and "Delivered by" in text and "Kim Keeper" in text
    assert row(text, "M3 bolt")[3] == f"{receipt.number}/1"  # the lot the FIFO receipt created
    # The company header: legal name, address, ids, bank; the footer.
    for detail in ("Robotix SAS", "14 rue des Machines", "69007 Lyon, France", "Tax ID: FR55123456789"):
        assert detail in text, detail
    assert "Reg. No.: 123 456 789 RCS Lyon" in flat and "BIC: AGRIFRPP" in flat
    assert f"Robotix · Goods receipt note No. {receipt.number}" in flat
    assert "Page 1 of 1" in flat


def test_delivery_note(client, director, stock):
    shipment = stock.docs[T.SHIPMENT]
    response = get_pdf(client, "inventory.shipment", shipment)
    screenshot(response.content, "print-delivery-note-en")
    text = pdf_text(response.content)
    flat = squash(text)
    assert f"Delivery note No. {shipment.number}" in flat
    assert "Bolt & Co" in text  # escaped in the HTML, printed as written
    assert "Gate 3, Dock road" in text  # the delivery address, besides the legal one
    assert row(text, "Controller board")[-4:] == ["pcs", "3", "85.50", "256.50"]
    assert "Cost: 256.50 EUR" in flat
    assert "Issued by" in text and "Received by" in text and "Kim Keeper" in text


def test_transfer_note(client, director, stock):
    transfer = stock.docs[T.TRANSFER]
    text = pdf_text(get_pdf(client, "inventory.transfer", transfer).content)
    assert f"Transfer note No. {transfer.number}" in squash(text)
    assert "From warehouse".upper() in text and "To warehouse".upper() in text
    assert "Main warehouse" in text and "Assembly shop" in text
    assert row(text, "M3 bolt")[-4:] == ["pcs", "5", "0.25", "1.25"]


def test_writeoff_act(client, director, stock):
    writeoff = stock.docs[T.WRITEOFF]
    text = pdf_text(get_pdf(client, "inventory.writeoff", writeoff).content)
    assert f"Write-off act No. {writeoff.number}" in squash(text)
    assert "Dropped on the floor" in text
    assert row(text, "Controller board")[-4:] == ["pcs", "1", "85.50", "85.50"]
    assert "Approved by" in text


def test_stocktake_sheet_posted(client, director, stock):
    count = stock.docs[T.STOCKTAKE]
    response = get_pdf(client, "inventory.stocktake", count)
    screenshot(response.content, "print-stocktake-en")
    text = pdf_text(response.content)
    assert f"Stocktake sheet No. {count.number}" in squash(text)
    # product, unit, book, counted, difference, difference value
    assert row(text, "M3 bolt")[-5:] == ["pcs", "5", "7", "+2", "0.50"]
    assert row(text, "Controller board")[-5:] == ["pcs", "0", "0", "0", "0.00"]
    assert "Surplus: 0.50 EUR; Shortage: 0.00 EUR" in squash(text)


def test_stocktake_draft_is_a_sheet_to_fill_in(client, director, stock):
    draft = document_create(
        actor=None,
        type=T.STOCKTAKE,
        data={"warehouse": stock.main},
        lines=[{"product": stock.bolt, "counted_qty": D("99")}],
    )
    text = pdf_text(get_pdf(client, "inventory.stocktake", draft).content)
    assert "DRAFT — NOT POSTED" in text  # the stamp (upper case by the stylesheet)
    # The book quantity is today's balance (7 counted − 2 returned); counted and difference are blank.
    assert row(text, "M3 bolt")[-2:] == ["pcs", "5"]
    assert "99" not in text


def test_returns_reuse_the_receipt_and_delivery_layouts(client, director, stock):
    back = stock.docs[T.CUSTOMER_RETURN]
    text = pdf_text(get_pdf(client, "inventory.customer_return", back).content)
    assert f"Customer return note No. {back.number}" in squash(text)
    assert "Bolt & Co" in text and "Returned by" in text
    assert row(text, "Controller board")[-4:] == ["pcs", "1", "85.50", "85.50"]
    out = stock.docs[T.SUPPLIER_RETURN]
    text = pdf_text(get_pdf(client, "inventory.supplier_return", out).content)
    assert f"Return to supplier note No. {out.number}" in squash(text)
    assert "Acme Supplies" in text
    assert row(text, "M3 bolt")[-4:] == ["pcs", "2", "0.25", "0.50"]


def test_storekeeper_sees_quantities_but_no_values(client, stock):
    keeper = make_user("sam", "storekeeper", first_name="Sam", last_name="Keeper")
    sign_in(client, keeper)
    receipt = stock.docs[T.RECEIPT]
    text = pdf_text(get_pdf(client, "inventory.receipt", receipt).content)
    assert row(text, "M3 bolt")[-2:] == ["pcs", "10"]
    assert row(text, "Total") == ["Total", "14"]
    for value in ("Price", "Amount", "0.25", "2.50", "85.50", "342.00", "344.50", "EUR"):
        assert value not in text, value
    # Not only hidden by the template: the values are not in the context at all.
    entry = registry.get("inventory.receipt")
    context = build_context(entry, receipt, registry.PrintOptions(language="en", show_costs=False))
    assert [(line["price"], line["amount"]) for line in context["lines"]] == [(None, None), (None, None)]
    assert context["totals"]["amount"] is None
    count = pdf_text(get_pdf(client, "inventory.stocktake", stock.docs[T.STOCKTAKE]).content)
    assert row(count, "M3 bolt")[-4:] == ["pcs", "5", "7", "+2"]
    assert "0.50" not in count and "Difference value" not in count


@pytest.mark.parametrize(
    ("lang", "title", "date"),
    [("fr", "Bon de réception", "14 mars 2025"), ("ru", "Приходная накладная", "14 марта 2025")],
)
def test_language_switch_reaches_the_document(client, director, stock, lang, title, date):
    receipt = stock.docs[T.RECEIPT]
    response = get_pdf(client, "inventory.receipt", receipt, lang=lang)
    screenshot(response.content, f"print-receipt-{lang}")
    assert response["Content-Language"] == lang
    text = squash(pdf_text(response.content))
    assert title in text and "Goods receipt note" not in text
    assert date in text  # month names from Django's own catalogues
    assert "344,50" in text  # the decimal comma of both languages
    with translation.override(lang):
        assert gettext("Goods receipt note") == title  # the catalogue, not the template, translates
    printed = render_document(registry.get("inventory.receipt"), receipt, language=lang, show_costs=True)
    assert f'<html lang="{lang}">' in printed.html


def test_cyrillic_names_print(client, director, stock):
    sensor_receipt = stock.sensor.moves.get().document
    response = get_pdf(client, "inventory.receipt", sensor_receipt, lang="ru")
    screenshot(response.content, "print-receipt-sensor-ru")
    text = pdf_text(response.content)
    assert row(text, "Датчик температуры")[-4:] == ["pcs", "6", "12,00", "72,00"]


def test_user_language_is_the_default(client, stock):
    user = make_user("fanny", "director", language="fr")
    sign_in(client, user)
    response = get_pdf(client, "inventory.shipment", stock.docs[T.SHIPMENT])
    assert response["Content-Language"] == "fr"
    assert "14 mars 2025" in squash(pdf_text(response.content))


def test_access(client, stock):
    receipt = stock.docs[T.RECEIPT]
    url = reverse("documents:print-inventory.receipt", args=[receipt.pk])
    assert client.get(url)["Location"].startswith(reverse("access:login"))
    sign_in(client, make_user("sue", "support_agent"))  # no inventory right
    assert client.get(url).status_code == 403
    sign_in(client, make_user("sam", "storekeeper"))
    assert client.get(url).status_code == 200
    # A receipt is not printed as a delivery note, and a missing record is 404.
    assert client.get(reverse("documents:print-inventory.shipment", args=[receipt.pk])).status_code == 404
    assert client.get(reverse("documents:print-inventory.receipt", args=[999999])).status_code == 404


def test_download(client, director, stock):
    shipment = stock.docs[T.SHIPMENT]
    response = get_pdf(client, "inventory.shipment", shipment, download="1")
    assert response["Content-Disposition"] == f'attachment; filename="{shipment.number}.pdf"'


def _shape(value):
    """The keys of a context, recursively (lists by their first item)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return None


@pytest.mark.parametrize("doc_type", list(FORMS))
def test_sample_has_the_shape_of_a_real_document(stock, doc_type):
    """Templates are checked against the sample: it must offer exactly what a real document does."""
    code = FORMS[doc_type][0]
    entry = registry.get(code)
    options = registry.PrintOptions(language="en", show_costs=True)
    real = build_context(entry, stock.docs[doc_type], options)
    sample = build_context(entry, None, options)
    real_shape, sample_shape = _shape(real), _shape(sample)
    if real["doc"]["counterparty"] is None:  # no counterparty on this kind: the sample has one
        real_shape["doc"]["counterparty"] = sample_shape["doc"]["counterparty"]
    if real["doc"]["to_warehouse"] is None:
        real_shape["doc"]["to_warehouse"] = sample_shape["doc"]["to_warehouse"]
    assert real_shape == sample_shape


PLAIN = (str, int, D, bool, type(None))


def _plain(value, path="context"):
    import datetime

    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str), path
            _plain(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _plain(item, f"{path}[{index}]")
    else:
        assert isinstance(value, (*PLAIN, datetime.date)), f"{path} is a {type(value).__name__}"


@pytest.mark.parametrize("doc_type", list(FORMS))
def test_context_is_plain_data(stock, doc_type):
    """No model instance, queryset or lazy object reaches a template: nothing leads to the ORM."""
    entry = registry.get(FORMS[doc_type][0])
    _plain(build_context(entry, stock.docs[doc_type], registry.PrintOptions(language="ru", show_costs=True)))


def test_print_buttons_tag(rf, stock):
    from django.template import Context, Template

    receipt = stock.docs[T.RECEIPT]
    template = Template("{% load print_tags %}{% print_buttons doc %}|{% print_url 'inventory.receipt' doc %}")
    request = rf.get("/")
    request.user = make_user("sam", "storekeeper")
    html = template.render(Context({"request": request, "doc": receipt}))
    url = reverse("documents:print-inventory.receipt", args=[receipt.pk])
    assert f'href="{url}?lang=ru"' in html and f'href="{url}?download=1"' in html
    assert "inventory.shipment" not in html  # only the forms that print this document
    assert html.endswith(f"|{url}")
    request.user = make_user("sue", "support_agent")  # no inventory right: no menu at all
    assert "Print" not in template.render(Context({"request": request, "doc": receipt})).split("|")[0]
