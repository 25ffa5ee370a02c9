"""The request journal's pages: list and filters, the form with its lines, the card's buttons by
right, state changes, the e-mail form, XLSX; prices only with the purchasing cost right."""

import io
from decimal import Decimal as D

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from fabrika.access.tests.factories import make_user
from fabrika.documents.models import OutboxMessage
from fabrika.documents.outbox import messages_for
from fabrika.purchasing.models import SupplierRequest
from fabrika.purchasing.services import request_create, request_transition

from .conftest import NEEDED

pytestmark = pytest.mark.django_db

S = SupplierRequest.State


@pytest.fixture
def draft(purchaser, supplier, bolt, customer):
    return request_create(
        actor=purchaser,
        data={"supplier": supplier, "needed_by": NEEDED, "source": customer, "source_label": "ORD-7"},
        lines=[
            {"product": bolt, "qty": D("500"), "expected_price": D("0.12"), "source": customer, "source_label": "ORD-7"}
        ],
    )


@pytest.fixture
def planner(db):
    return make_user("planner", "production_manager")  # purchasing view + add, no cost


def content(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_list_filters_and_export(client, purchaser, draft, other_supplier, cable):
    other = request_create(
        actor=purchaser, data={"supplier": other_supplier}, lines=[{"product": cable, "qty": D("3")}]
    )
    request_transition(actor=purchaser, request=other, to_state=S.SENT)
    client.force_login(purchaser)
    url = reverse("purchasing:request-list")
    page = content(client.get(url))
    assert draft.number in page and other.number in page and "ORD-7" in page
    assert reverse("purchasing:request-create") in page
    assert draft.number not in content(client.get(url, {"state": "sent"}))
    assert other.number not in content(client.get(url, {"supplier": draft.supplier_id}))
    by_product = content(client.get(url, {"product": "cable"}))
    assert other.number in by_product and draft.number not in by_product
    assert draft.number in content(client.get(url, {"q": "schraub"}))
    assert other.number not in content(client.get(url, {"date_to": "2000-01-01"}))
    csv = content(client.get(url, {"export": "csv"}))
    assert draft.number in csv and "Schraub" in csv


def test_create_with_two_lines_through_the_form(client, purchaser, supplier, bolt, cable):
    client.force_login(purchaser)
    form = content(client.get(reverse("purchasing:request-create")))
    assert 'name="lines-0-expected_price"' in form
    response = client.post(
        reverse("purchasing:request-create"),
        {
            "supplier": supplier.pk,
            "date": "2026-11-20",
            "needed_by": "2026-12-15",
            "responsible": purchaser.pk,
            "currency": "EUR",
            "note": "Gate 2",
            "lines-TOTAL_FORMS": "3",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000",
            "lines-0-product": bolt.pk,
            "lines-0-qty": "200",
            "lines-0-expected_price": "0.10",
            "lines-1-product": cable.pk,
            "lines-1-qty": "12.5",
            "lines-1-needed_by": "2026-12-01",
        },
    )
    request = SupplierRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == request.get_absolute_url()
    assert (request.supplier, request.note, str(request.date)) == (supplier, "Gate 2", "2026-11-20")
    assert [(ln.product.code, ln.qty, ln.expected_price) for ln in request.lines.all()] == [
        ("M3", D("200"), D("0.10")),
        ("CABLE-4", D("12.5"), None),
    ]


def test_service_errors_come_back_on_the_line_and_nothing_is_saved(client, purchaser, bolt, customer):
    client.force_login(purchaser)
    response = client.post(
        reverse("purchasing:request-create"),
        {
            "supplier": "",
            "date": "2026-11-20",
            "currency": "EUR",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": bolt.pk,
            "lines-0-qty": "1.5",
        },
    )
    assert response.status_code == 200
    assert "pcs allows 0 decimal places." in content(response)
    assert SupplierRequest.objects.count() == 0


def test_editing_keeps_the_links_back_to_the_sources(client, purchaser, draft, bolt, cable, customer):
    client.force_login(purchaser)
    line = draft.lines.get()
    response = client.post(
        reverse("purchasing:request-update", args=[draft.pk]),
        {
            "supplier": draft.supplier_id,
            "date": str(draft.date),
            "needed_by": str(NEEDED),
            "currency": "EUR",
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "1",
            "lines-0-product": bolt.pk,
            "lines-0-qty": "600",
            "lines-0-expected_price": "0.12",
            "lines-1-product": cable.pk,
            "lines-1-qty": "5",
        },
    )
    assert response.status_code == 302, content(response)
    lines = list(draft.lines.all())
    assert [(ln.product.code, ln.qty, ln.source_label) for ln in lines] == [
        ("M3", D("600"), "ORD-7"),
        ("CABLE-4", D("5"), ""),
    ]
    assert lines[0].source == customer and line.pk != lines[0].pk


def test_the_card_offers_what_the_user_may_do(client, purchaser, planner, draft):
    client.force_login(purchaser)
    page = content(client.get(draft.get_absolute_url()))
    for marker in ('id="edit-request"', 'id="send-request"', 'id="move-sent"', 'id="move-cancelled"', "0.12", "60.00"):
        assert marker in page
    assert 'id="move-ordered"' not in page
    assert reverse("documents:print-purchasing.request", args=[draft.pk]) in page
    assert 'id="outbox"' in page and 'id="attachments"' in page and "ORD-7" in page
    client.force_login(planner)
    page = content(client.get(draft.get_absolute_url()))
    assert 'id="edit-request"' not in page and 'id="send-request"' not in page and 'id="move-sent"' not in page
    assert "0.12" not in page and "Expected price" not in page
    assert client.get(reverse("purchasing:request-update", args=[draft.pk])).status_code == 403
    assert client.post(reverse("purchasing:request-transition", args=[draft.pk]), {"to": "sent"}).status_code == 403


def test_transitions_from_the_card(client, purchaser, draft):
    client.force_login(purchaser)
    url = reverse("purchasing:request-transition", args=[draft.pk])
    response = client.post(url, {"to": "ordered"}, follow=True)
    assert "cannot become ordered" in content(response)
    draft.refresh_from_db()
    assert draft.state == S.DRAFT
    for state in ("sent", "ordered", "received"):
        client.post(url, {"to": state})
    draft.refresh_from_db()
    assert draft.state == S.RECEIVED
    page = content(client.get(draft.get_absolute_url()))
    assert 'id="move-cancelled"' not in page and 'id="send-request"' not in page
    redirect = client.get(reverse("purchasing:request-update", args=[draft.pk]))
    assert redirect.status_code == 302


def test_the_email_form_is_filled_in_and_sends(
    client, purchaser, draft, django_capture_on_commit_callbacks, smtp_server
):
    client.force_login(purchaser)
    url = reverse("purchasing:request-send", args=[draft.pk])
    form = content(client.get(url))
    assert 'value="eva@schraub.example"' in form and f"Supplier request {draft.number}" in form
    assert 'name="include_prices"' in form
    response = client.post(url, {"to": "bad address", "subject": "S", "body": "B", "language": "en"})
    assert response.status_code == 200 and "bad address is not a valid e-mail address." in content(response)
    draft.refresh_from_db()
    assert draft.state == S.DRAFT and OutboxMessage.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "to": "eva@schraub.example; boss@schraub.example",
                "subject": "Our request",
                "body": "Hello",
                "language": "fr",
            },
        )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == S.SENT
    (message,) = messages_for(draft)
    assert message.to == ["eva@schraub.example", "boss@schraub.example"]
    assert message.state == OutboxMessage.State.SENT
    assert len(smtp_server.wait_for(1)) == 1


def test_export_xlsx_hides_prices_without_the_cost_right(client, purchaser, planner, draft):
    client.force_login(purchaser)
    response = client.get(reverse("purchasing:request-export", args=[draft.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="{draft.number}.xlsx"'
    header = [c.value for c in load_workbook(io.BytesIO(response.content)).active[6]]
    assert "Expected price, EUR" in header
    client.force_login(planner)
    response = client.get(reverse("purchasing:request-export", args=[draft.pk]))
    header = [c.value for c in load_workbook(io.BytesIO(response.content)).active[6]]
    assert "Expected price, EUR" not in header


def test_product_helpers(client, purchaser, bolt):
    client.force_login(purchaser)
    found = client.get(reverse("purchasing:product-search"), {"q": "bolt"}).json()
    assert found["results"] == [{"value": bolt.pk, "text": "M3 — M3 bolt"}]
    options = client.get(reverse("purchasing:product-options"), {"product": bolt.pk}).json()
    assert [u["text"] for u in options["units"]] == ["pcs", "box (= 100 pcs)"]


def test_the_menu_shows_the_journal(client, purchaser, make_user_without_purchasing):
    client.force_login(purchaser)
    assert reverse("purchasing:request-list") in content(client.get("/"))
    client.force_login(make_user_without_purchasing)
    assert reverse("purchasing:request-list") not in content(client.get("/"))


@pytest.fixture
def make_user_without_purchasing(db):
    return make_user("kate", "storekeeper")
