"""Warehouse documents posted through the ledger: the story of the issue, step by step."""

from decimal import Decimal as D

import pytest

from fabrika.core.errors import IllegalTransition, ValidationFailed
from fabrika.inventory.errors import InsufficientStock
from fabrika.inventory.models import Balance, StockDocument, StockMove
from fabrika.inventory.services import document_cancel, document_create, document_post, release, reserve

pytestmark = pytest.mark.django_db
T = StockDocument.Type


def post(type_, wh, lines, **data):
    doc = document_create(actor=None, type=type_, data={"warehouse": wh, **data}, lines=lines)
    return document_post(actor=None, document=doc)


def bal(product, wh):
    b = Balance.objects.get(product=product, warehouse=wh)
    return b.qty, b.value, b.reserved


def test_fifo_story(bolt, fifo_wh):
    post(T.RECEIPT, fifo_wh, [{"product": bolt, "qty": D("10"), "price": D("100")}])
    post(T.RECEIPT, fifo_wh, [{"product": bolt, "qty": D("10"), "price": D("120")}])
    shipment = post(T.SHIPMENT, fifo_wh, [{"product": bolt, "qty": D("15")}])
    assert shipment.number.startswith("SHP-") and shipment.state == StockDocument.State.POSTED
    assert shipment.moves.get().value == D("1600.00")
    before = StockMove.objects.count()
    with pytest.raises(InsufficientStock, match="wanted 6, available 5"):
        post(T.SHIPMENT, fifo_wh, [{"product": bolt, "qty": D("6")}])
    assert StockMove.objects.count() == before
    refused = StockDocument.objects.filter(type=T.SHIPMENT).exclude(pk=shipment.pk).get()
    assert refused.state == StockDocument.State.DRAFT  # the draft stays as it was, with no moves
    assert not refused.moves.exists()
    assert bal(bolt, fifo_wh) == (D("5"), D("600.00"), D("0"))


def test_posting_is_in_the_audit_log_with_its_actor_and_request(bolt, fifo_wh):
    """Posting writes the document's field changes itself (save_changes), not through auditlog's
    receiver: the same entry — who, which request, before and after."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    from fabrika.access.models import User
    from fabrika.audit.context import audit_context

    keeper = User.objects.create_user(username="sam", password="pw-Secret-123", email="sam@example.com")
    doc = document_create(
        actor=keeper,
        type=T.RECEIPT,
        data={"warehouse": fifo_wh},
        lines=[{"product": bolt, "qty": D("2"), "price": D("5")}],
    )
    with audit_context(actor=keeper, request_id="req-post"):
        document_post(actor=keeper, document=doc)
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(StockDocument), object_pk=str(doc.pk)
    ).order_by("id")
    assert [e.action for e in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    update = entries[1]
    assert (update.actor, update.actor_email, update.cid) == (keeper, "sam@example.com", "req-post")
    assert update.changes["state"] == ["draft", "posted"]
    assert update.changes["posted_by"] == ["None", str(keeper.pk)]
    assert set(update.changes) == {"state", "posted_at", "posted_by"}


def test_reservation_makes_stock_unavailable_to_others(bolt, fifo_wh):
    post(T.RECEIPT, fifo_wh, [{"product": bolt, "qty": D("10"), "price": D("100")}])
    held = reserve(actor=None, product=bolt, warehouse=fifo_wh, qty=D("5"), reference="ORD-1/1")
    with pytest.raises(InsufficientStock, match="wanted 6, available 5"):
        reserve(actor=None, product=bolt, warehouse=fifo_wh, qty=D("6"), reference="ORD-2/1")
    with pytest.raises(InsufficientStock, match="wanted 6, available 5"):
        post(T.SHIPMENT, fifo_wh, [{"product": bolt, "qty": D("6")}])
    # The customer it was reserved for ships it.
    post(T.SHIPMENT, fifo_wh, [{"product": bolt, "qty": D("5"), "reservation": held}])
    held.refresh_from_db()
    assert held.state == "consumed"
    assert bal(bolt, fifo_wh) == (D("5"), D("500.00"), D("0"))
    other = reserve(actor=None, product=bolt, warehouse=fifo_wh, qty=D("2"), reference="ORD-2/1")
    release(actor=None, reservation=other)
    assert bal(bolt, fifo_wh)[2] == D("0")


def test_average_story(bolt, avg_wh):
    post(T.RECEIPT, avg_wh, [{"product": bolt, "qty": D("10"), "price": D("100")}])
    post(T.RECEIPT, avg_wh, [{"product": bolt, "qty": D("10"), "price": D("120")}])
    assert Balance.objects.get(product=bolt, warehouse=avg_wh).average_cost == D("110.000000")
    post(T.SHIPMENT, avg_wh, [{"product": bolt, "qty": D("25")}])
    assert bal(bolt, avg_wh)[:2] == (D("-5"), D("-550.00"))


def test_units_convert_to_the_base_unit(bolt, fifo_wh):
    box = bolt.conversions.get().unit
    post(T.RECEIPT, fifo_wh, [{"product": bolt, "qty": D("2"), "unit": box, "price": D("5.00")}])
    assert bal(bolt, fifo_wh)[:2] == (D("200"), D("10.00"))


def test_cancel_reverses_and_keeps_the_ledger(bolt, fifo_wh):
    receipt = post(T.RECEIPT, fifo_wh, [{"product": bolt, "qty": D("10"), "price": D("100")}])
    shipment = post(T.SHIPMENT, fifo_wh, [{"product": bolt, "qty": D("4")}])
    document_cancel(actor=None, document=shipment)
    assert bal(bolt, fifo_wh)[:2] == (D("10"), D("1000.00"))
    document_cancel(actor=None, document=receipt)
    assert bal(bolt, fifo_wh)[:2] == (D("0"), D("0.00"))
    assert StockMove.objects.count() == 4  # nothing deleted: two moves, two reversals
    with pytest.raises(IllegalTransition):
        document_cancel(actor=None, document=receipt)


def test_cancelling_a_receipt_whose_goods_left_is_refused(bolt, fifo_wh):
    receipt = post(T.RECEIPT, fifo_wh, [{"product": bolt, "qty": D("10"), "price": D("100")}])
    post(T.SHIPMENT, fifo_wh, [{"product": bolt, "qty": D("4")}])
    with pytest.raises(InsufficientStock, match="wanted 10, available 6"):
        document_cancel(actor=None, document=receipt)
    receipt.refresh_from_db()
    assert receipt.state == StockDocument.State.POSTED


def test_stocktake_posts_differences(bolt, fifo_wh, avg_wh):
    post(T.RECEIPT, fifo_wh, [{"product": bolt, "qty": D("10"), "price": D("100")}])
    post(T.STOCKTAKE, fifo_wh, [{"product": bolt, "counted_qty": D("7")}])
    assert bal(bolt, fifo_wh)[:2] == (D("7"), D("700.00"))
    post(T.STOCKTAKE, fifo_wh, [{"product": bolt, "counted_qty": D("9")}])
    assert bal(bolt, fifo_wh)[:2] == (D("9"), D("900.00"))


def test_bad_lines_are_refused_with_field_errors(bolt, fifo_wh):
    with pytest.raises(ValidationFailed) as err:
        document_create(
            actor=None,
            type=T.RECEIPT,
            data={"warehouse": fifo_wh},
            lines=[
                {"product": bolt, "qty": D("-1"), "price": D("1")},
                {"product": bolt, "qty": D("1.5"), "price": D("1")},
                {"product": bolt, "qty": D("1")},
            ],
        )
    assert err.value.errors == {
        "lines.0.qty": ["The quantity must be greater than zero."],
        "lines.1.qty": ["pcs allows 0 decimal places."],
        "lines.2.price": ["Enter the purchase price."],
    }
    assert StockDocument.objects.count() == 0


def test_transfer_between_modes(bolt, fifo_wh, avg_wh):
    post(T.RECEIPT, fifo_wh, [{"product": bolt, "qty": D("10"), "price": D("100")}])
    post(T.RECEIPT, fifo_wh, [{"product": bolt, "qty": D("10"), "price": D("120")}])
    post(T.TRANSFER, fifo_wh, [{"product": bolt, "qty": D("12")}], to_warehouse=avg_wh)
    assert bal(bolt, avg_wh)[:2] == (D("12"), D("1240.00"))
    assert bal(bolt, fifo_wh)[:2] == (D("8"), D("960.00"))


def test_check_ledger_is_clean_after_the_story_and_finds_tampering(bolt, fifo_wh, avg_wh):
    from django.core.management import call_command

    from fabrika.inventory.checks import check_ledger

    test_fifo_story(bolt, fifo_wh)
    test_average_story(bolt, avg_wh)
    assert check_ledger() == []
    call_command("check-ledger")
    Balance.objects.filter(product=bolt, warehouse=fifo_wh).update(value=D("601.00"))
    assert [v.rule for v in check_ledger()] == ["balance-value", "layers"]
    with pytest.raises(SystemExit):
        call_command("check-ledger")


def test_settlement_of_negative_average_stock_keeps_the_ledger_balanced(bolt, avg_wh):
    from fabrika.inventory.checks import check_ledger

    test_average_story(bolt, avg_wh)  # -5 at 110.00
    receipt = post(T.RECEIPT, avg_wh, [{"product": bolt, "qty": D("10"), "price": D("120")}])
    assert bal(bolt, avg_wh)[:2] == (D("5"), D("600.00"))
    assert receipt.moves.get().settlement == D("50.00")
    assert check_ledger() == []
