"""Supplier request services: create and change drafts, the state table (illegal moves change
nothing), requests from needs grouped by supplier, e-mail to a real SMTP server, XLSX export."""

import io
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from fabrika.audit.models import BusinessEvent
from fabrika.conftest import attachments_of
from fabrika.core.errors import IllegalTransition, ValidationFailed
from fabrika.documents.models import OutboxMessage
from fabrika.documents.outbox import messages_for
from fabrika.purchasing.models import SupplierRequest, SupplierRequestLine
from fabrika.purchasing.services import (
    request_add_lines,
    request_create,
    request_export_xlsx,
    request_send,
    request_transition,
    request_update,
    requests_for_needs,
)

from .conftest import NEEDED

pytestmark = pytest.mark.django_db

S = SupplierRequest.State
YEAR = timezone.localdate().year


def snapshot():
    return (
        list(SupplierRequest.objects.order_by("pk").values()),
        list(SupplierRequestLine.objects.order_by("pk").values()),
        OutboxMessage.objects.count(),
        BusinessEvent.objects.filter(event__startswith="purchasing.").count(),
    )


@pytest.fixture
def draft(purchaser, supplier, bolt, cable):
    return request_create(
        actor=purchaser,
        data={"supplier": supplier, "needed_by": NEEDED, "note": "Gate 2"},
        lines=[
            {"product": bolt, "qty": D("500"), "expected_price": D("0.12")},
            {"product": cable, "qty": D("150.5"), "needed_by": NEEDED + timedelta(days=7), "note": "reels of 50 m"},
        ],
    )


# --- create, update, lines ------------------------------------------------------------------------


def test_create_numbers_the_draft_and_fills_defaults(draft, purchaser, bolt, pcs):
    assert draft.number == f"SR-{YEAR}-00001"
    assert draft.state == S.DRAFT
    assert draft.responsible == purchaser and draft.created_by == purchaser
    assert draft.date == timezone.localdate()
    assert draft.currency == "EUR"
    lines = list(draft.lines.all())
    assert [(ln.position, ln.product.code, ln.qty, ln.unit.code) for ln in lines] == [
        (1, "M3", D("500"), "pcs"),
        (2, "CABLE-4", D("150.5"), "m"),
    ]
    assert lines[0].amount == D("60.00")
    assert BusinessEvent.objects.filter(event="purchasing.request_created", object_id=str(draft.pk)).exists()


def test_a_draft_may_wait_for_its_supplier_and_lines(purchaser):
    request = request_create(actor=purchaser, data={}, lines=[])
    assert request.supplier is None and request.lines.count() == 0


@pytest.mark.parametrize(
    "line, key",
    [
        ({"qty": D("0")}, "lines.1.qty"),
        ({"qty": D("-3")}, "lines.1.qty"),
        ({"qty": D("1.5")}, "lines.1.qty"),  # pieces have no decimals
        ({"expected_price": D("-1")}, "lines.1.expected_price"),
        ({"expected_price": D("0.125")}, "lines.1.expected_price"),
        ({"product": None}, "lines.1.product"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_saved(line, key, purchaser, supplier, bolt):
    before = snapshot()
    bad = {"product": bolt, "qty": D("1"), **line}
    with pytest.raises(ValidationFailed) as refused:
        request_create(actor=purchaser, data={"supplier": supplier}, lines=[{"product": bolt, "qty": D("2")}, bad])
    assert key in refused.value.errors
    assert snapshot() == before
    # the number was not used up either
    assert request_create(actor=purchaser, data={}, lines=[]).number == f"SR-{YEAR}-00001"


def test_a_unit_without_conversion_is_refused(purchaser, cable, bolt):
    box = bolt.conversions.get().unit
    with pytest.raises(ValidationFailed) as refused:
        request_create(actor=purchaser, data={}, lines=[{"product": cable, "qty": D("1"), "unit": box}])
    assert "has no conversion from box" in refused.value.errors["lines.0.unit"][0]
    request = request_create(actor=purchaser, data={}, lines=[{"product": bolt, "qty": D("3"), "unit": box}])
    assert request.lines.get().unit == box


def test_a_counterparty_that_is_not_a_supplier_is_refused(purchaser, customer):
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        request_create(actor=purchaser, data={"supplier": customer}, lines=[])
    assert "not marked as a supplier" in refused.value.errors["supplier"][0]
    assert snapshot() == before


def test_floats_are_refused(purchaser, bolt):
    with pytest.raises(TypeError):
        request_create(actor=purchaser, data={}, lines=[{"product": bolt, "qty": 1.5}])


def test_update_changes_a_draft_and_replaces_its_lines(draft, purchaser, other_supplier, cable):
    request_update(
        actor=purchaser,
        request=draft,
        data={"supplier": other_supplier, "note": "new"},
        lines=[{"product": cable, "qty": D("10")}],
    )
    draft.refresh_from_db()
    assert (draft.supplier, draft.note) == (other_supplier, "new")
    assert [(ln.product.code, ln.qty) for ln in draft.lines.all()] == [("CABLE-4", D("10"))]


def test_only_a_draft_can_be_changed(draft, purchaser, bolt):
    request_transition(actor=purchaser, request=draft, to_state=S.SENT)
    before = snapshot()
    with pytest.raises(IllegalTransition):
        request_update(actor=purchaser, request=draft, data={"note": "late"})
    with pytest.raises(IllegalTransition):
        request_add_lines(actor=purchaser, request=draft, lines=[{"product": bolt, "qty": D("1")}])
    assert snapshot() == before


def test_add_lines_appends_or_merges(draft, purchaser, bolt, cable):
    request_add_lines(actor=purchaser, request=draft, lines=[{"product": bolt, "qty": D("5"), "source_label": "X"}])
    assert [(ln.position, ln.qty) for ln in draft.lines.filter(product=bolt)] == [(1, D("500")), (3, D("5"))]
    request_add_lines(
        actor=purchaser,
        request=draft,
        lines=[
            {"product": cable, "qty": D("0.5"), "needed_by": NEEDED + timedelta(days=7), "source_label": "ORD-1"},
            {"product": cable, "qty": D("2")},
        ],
        merge=True,
    )
    cables = list(draft.lines.filter(product=cable))
    assert [(ln.position, ln.qty, ln.needed_by, ln.source_label) for ln in cables] == [
        (2, D("151"), NEEDED + timedelta(days=7), "ORD-1"),
        (4, D("2"), None, ""),
    ]


# --- states ---------------------------------------------------------------------------------------


def test_the_whole_way_draft_sent_ordered_received(draft, purchaser):
    for state, stamp in ((S.SENT, "sent_at"), (S.ORDERED, "ordered_at"), (S.RECEIVED, "received_at")):
        request_transition(actor=purchaser, request=draft, to_state=state)
        draft.refresh_from_db()
        assert draft.state == state and getattr(draft, stamp) is not None
    moves = BusinessEvent.objects.filter(event="purchasing.request_transition").order_by("id")
    assert [(e.data["from_state"], e.data["to_state"]) for e in moves] == [
        ("draft", "sent"),
        ("sent", "ordered"),
        ("ordered", "received"),
    ]


@pytest.mark.parametrize("path", [[], [S.SENT], [S.SENT, S.ORDERED]])
def test_cancel_from_draft_sent_or_ordered(path, draft, purchaser):
    for state in path:
        request_transition(actor=purchaser, request=draft, to_state=state)
    request_transition(actor=purchaser, request=draft, to_state=S.CANCELLED)
    draft.refresh_from_db()
    assert draft.state == S.CANCELLED and draft.cancelled_at is not None


@pytest.mark.parametrize(
    "path, target",
    [
        ([], S.ORDERED),
        ([], S.RECEIVED),
        ([], S.DRAFT),
        ([S.SENT], S.DRAFT),
        ([S.SENT], S.RECEIVED),
        ([S.SENT, S.ORDERED], S.SENT),
        ([S.SENT, S.ORDERED, S.RECEIVED], S.CANCELLED),
        ([S.CANCELLED], S.SENT),
        ([S.CANCELLED], S.DRAFT),
    ],
)
def test_illegal_moves_are_refused_and_change_nothing(path, target, draft, purchaser):
    for state in path:
        request_transition(actor=purchaser, request=draft, to_state=state)
    before = snapshot()
    with pytest.raises(IllegalTransition) as refused:
        request_transition(actor=purchaser, request=draft, to_state=target)
    assert (refused.value.current, refused.value.target) == (path[-1] if path else S.DRAFT, target)
    assert draft.number in refused.value.message
    assert snapshot() == before


def test_an_unknown_state_is_refused(draft, purchaser):
    with pytest.raises(ValidationFailed):
        request_transition(actor=purchaser, request=draft, to_state="lost")


def test_sending_needs_a_supplier_and_a_line(purchaser, supplier):
    empty = request_create(actor=purchaser, data={}, lines=[])
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        request_transition(actor=purchaser, request=empty, to_state=S.SENT)
    assert set(refused.value.errors) == {"supplier", "lines"}
    assert snapshot() == before


# --- from needs -----------------------------------------------------------------------------------


def test_needs_become_one_draft_per_supplier_with_merged_lines(
    purchaser, supplier, other_supplier, customer, bolt, cable
):
    later = NEEDED + timedelta(days=10)
    needs = [
        {"product": bolt, "qty": D("100"), "needed_by": NEEDED, "supplier": supplier, "source": customer,
         "source_label": "ORD-1"},
        {"product": cable, "qty": D("20.5"), "needed_by": later, "supplier": other_supplier, "source_label": "ORD-1"},
        {"product": bolt, "qty": D("50"), "needed_by": NEEDED, "supplier": supplier, "source_label": "ORD-2"},
        {"product": bolt, "qty": D("7"), "needed_by": later, "supplier": supplier, "source_label": "ORD-2"},
        {"product": cable, "qty": D("3"), "needed_by": later},
        {"product": bolt, "qty": D("1"), "needed_by": None},
    ]  # fmt: skip
    requests = requests_for_needs(actor=purchaser, needs=needs)
    assert [r.supplier for r in requests] == [other_supplier, supplier, None]
    assert all(r.state == S.DRAFT and r.responsible == purchaser for r in requests)
    kabel, schraub, nobody = requests
    assert [(ln.product.code, ln.qty, ln.needed_by, ln.source_label) for ln in schraub.lines.all()] == [
        ("M3", D("150"), NEEDED, "ORD-1, ORD-2"),
        ("M3", D("7"), later, "ORD-2"),
    ]
    first = schraub.lines.first()
    assert first.source == customer  # the merged line keeps the first source's link
    assert schraub.needed_by == NEEDED and schraub.source_label == "ORD-1, ORD-2"
    assert schraub.source is None  # its needs came from different places
    assert [(ln.product.code, ln.qty) for ln in kabel.lines.all()] == [("CABLE-4", D("20.5"))]
    assert kabel.source_label == "ORD-1"
    assert [(ln.product.code, ln.qty, ln.needed_by) for ln in nobody.lines.all()] == [
        ("CABLE-4", D("3"), later),
        ("M3", D("1"), None),
    ]
    assert nobody.needed_by == later


def test_needs_of_one_source_keep_the_link(purchaser, supplier, customer, bolt, cable):
    needs = [
        {"product": bolt, "qty": D("4"), "needed_by": NEEDED, "supplier": supplier, "source": customer},
        {"product": cable, "qty": D("1"), "needed_by": NEEDED, "supplier": supplier, "source": customer},
    ]
    (request,) = requests_for_needs(actor=purchaser, needs=needs)
    assert request.source == customer
    assert {ln.source for ln in request.lines.all()} == {customer}


def test_needs_in_one_request(purchaser, supplier, other_supplier, bolt, cable):
    needs = [
        {"product": bolt, "qty": D("4"), "needed_by": NEEDED, "supplier": supplier},
        {"product": cable, "qty": D("1"), "needed_by": NEEDED, "supplier": other_supplier},
        {"product": bolt, "qty": D("6"), "needed_by": NEEDED},
    ]
    (request,) = requests_for_needs(actor=purchaser, needs=needs, group_by_supplier=False)
    assert request.supplier is None  # the needs name different suppliers
    assert [(ln.product.code, ln.qty) for ln in request.lines.all()] == [("CABLE-4", D("1")), ("M3", D("10"))]
    (same,) = requests_for_needs(actor=purchaser, needs=needs[:1], group_by_supplier=False)
    assert same.supplier == supplier


def test_bad_needs_create_nothing(purchaser, supplier, customer, bolt):
    before = snapshot()
    needs = [
        {"product": bolt, "qty": D("4"), "needed_by": NEEDED, "supplier": supplier},
        {"product": bolt, "qty": D("0"), "needed_by": NEEDED, "supplier": supplier},
        {"product": bolt, "qty": D("1"), "needed_by": NEEDED, "supplier": customer},
    ]
    with pytest.raises(ValidationFailed) as refused:
        requests_for_needs(actor=purchaser, needs=needs)
    assert set(refused.value.errors) == {"needs.1.qty", "needs.2.supplier"}
    assert snapshot() == before
    with pytest.raises(ValidationFailed):
        requests_for_needs(actor=purchaser, needs=[])


# --- e-mail ---------------------------------------------------------------------------------------


def test_send_emails_the_pdf_to_the_suppliers_contact(
    draft, purchaser, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request_send(actor=purchaser, request=draft)
    draft.refresh_from_db()
    assert draft.state == S.SENT and draft.sent_at is not None
    (email,) = smtp_server.wait_for(1)
    assert smtp_server.envelopes[0].rcpt_tos == ["eva@schraub.example"]  # the main contact
    assert email["Subject"].startswith(f"Supplier request {draft.number} from ")
    assert email["Reply-To"] == "sophie@robo.example"
    assert draft.number in email.get_body(preferencelist=("plain",)).get_content()
    ((name, pdf, kind),) = attachments_of(email)
    assert (name, kind) == (f"{draft.number}.pdf", "application/pdf")
    assert pdf.startswith(b"%PDF-")
    (message,) = messages_for(draft)
    assert message.state == OutboxMessage.State.SENT
    assert bytes(message.attachments.get().content) == pdf
    assert BusinessEvent.objects.filter(event="purchasing.request_emailed", object_id=str(draft.pk)).exists()


def test_send_again_and_to_a_given_address(draft, purchaser, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request_send(actor=purchaser, request=draft, to=["boss@schraub.example"], cc=["me@robo.example"])
        request_send(actor=purchaser, request=draft, subject="Reminder", body="Any news?")
    received = smtp_server.wait_for(2)
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [
        ["boss@schraub.example", "me@robo.example"],
        ["eva@schraub.example"],
    ]
    assert received[1]["Subject"] == "Reminder"
    draft.refresh_from_db()
    assert draft.state == S.SENT


def test_send_without_an_address_or_with_a_bad_one_changes_nothing(draft, purchaser, other_supplier, smtp_server):
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        request_send(actor=purchaser, request=draft, to=["not-an-address"])
    assert "to" in refused.value.errors
    assert snapshot() == before
    other_supplier.email = ""
    other_supplier.save()
    request_update(actor=purchaser, request=draft, data={"supplier": other_supplier})
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        request_send(actor=purchaser, request=draft)
    assert "Kabel AG has no e-mail address" in refused.value.errors["to"][0]
    assert snapshot() == before
    assert smtp_server.envelopes == []


def test_an_ordered_request_is_not_sent(draft, purchaser):
    request_transition(actor=purchaser, request=draft, to_state=S.SENT)
    request_transition(actor=purchaser, request=draft, to_state=S.ORDERED)
    with pytest.raises(IllegalTransition):
        request_send(actor=purchaser, request=draft)


def test_printed_prices_need_the_cost_right_and_the_choice(draft, purchaser):
    from fabrika.access.tests.factories import make_user
    from fabrika.purchasing.services import render_pdf

    with_prices = render_pdf(draft, language="en", show_prices=True).html
    without = render_pdf(draft, language="en", show_prices=False).html
    assert "Expected price" in with_prices and "0.12" in with_prices and "60.00" in with_prices
    assert "Expected price" not in without and "0.12" not in without
    assert draft.number in without and "Schraub &amp; Co." in without and "eva@schraub.example" in without
    french = render_pdf(draft, language="fr", show_prices=False).html
    assert "Demande" in french or draft.number in french
    planner = make_user("planner", "production_manager")  # purchasing view and add, no cost right
    assert request_export_xlsx(actor=planner, request=draft, include_prices=True)
    sheet = load_workbook(io.BytesIO(request_export_xlsx(actor=planner, request=draft, include_prices=True))).active
    assert "Expected price, EUR" not in [c.value for c in sheet[6]]


def test_export_xlsx(draft, purchaser):
    sheet = load_workbook(io.BytesIO(request_export_xlsx(actor=purchaser, request=draft, include_prices=True))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Supplier request", draft.number] + [None] * (len(rows[0]) - 2)
    header = rows[5]
    assert header[:6] == ["#", "Code", "Product", "Quantity", "Unit", "Needed by"]
    assert "Expected price, EUR" in header
    assert rows[6][:5] == [1, "M3", "M3 bolt", 500, "pcs"]
    assert rows[6][5].date() == NEEDED  # the request's date when the line has none
    assert rows[7][3] == 150.5
    assert rows[6][6] == 0.12 and rows[6][7] == 60


def test_dates_in_the_past_are_allowed_for_needs(purchaser, supplier, bolt):
    (request,) = requests_for_needs(
        actor=purchaser, needs=[{"product": bolt, "qty": D("1"), "needed_by": date(2020, 1, 1), "supplier": supplier}]
    )
    assert request.needed_by == date(2020, 1, 1)


def test_needs_are_rounded_up_to_what_can_be_bought(purchaser, supplier, bolt, cable):
    needs = [
        {"product": bolt, "qty": D("1.25"), "needed_by": NEEDED, "supplier": supplier},
        {"product": bolt, "qty": D("1.5"), "needed_by": NEEDED, "supplier": supplier},
        {"product": cable, "qty": D("0.25"), "needed_by": NEEDED, "supplier": supplier},
    ]
    (request,) = requests_for_needs(actor=purchaser, needs=needs)
    assert [(ln.product.code, ln.qty) for ln in request.lines.all()] == [("CABLE-4", D("0.3")), ("M3", D("3"))]


def test_errors_and_the_printed_request_speak_the_users_language(draft, purchaser):
    from django.utils import translation

    from fabrika.purchasing.services import render_pdf

    with translation.override("ru"), pytest.raises(IllegalTransition) as refused:
        request_transition(actor=purchaser, request=draft, to_state=S.RECEIVED)
    assert refused.value.message == f"{draft.number} в состоянии «черновик» и не может перейти в «получена»."
    french = render_pdf(draft, language="fr", show_prices=False).html
    assert "Demande fournisseur" in french and "Nécessaire pour le" in french
