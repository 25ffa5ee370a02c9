"""Warehouse document pages: create and post through the forms, refusals that change nothing, the
card with its moves (values only with the cost right), cancel, stocktake from the books, the list."""

import csv
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from fabrika.access.tests.factories import make_user, sign_in
from fabrika.crm import services as crm
from fabrika.inventory.models import Balance, StockDocument, StockMove
from fabrika.inventory.services import document_create, document_post, warehouse_create

from .stock_story import T, make_products

pytestmark = pytest.mark.django_db

CREATE = reverse("inventory:document-create")
LIST = reverse("inventory:document-list")


@pytest.fixture
def world():
    pcs, hardware, fasteners, panels, bolt, nut, panel = make_products()
    main = warehouse_create(actor=None, data={"code": "MAIN", "name": "Main warehouse", "valuation": "fifo"})
    workshop = warehouse_create(actor=None, data={"code": "WS", "name": "Workshop", "valuation": "average"})
    return {"bolt": bolt, "nut": nut, "main": main, "workshop": workshop, "pcs": pcs}


@pytest.fixture
def keeper(client):
    user = make_user("kate", "storekeeper", first_name="Kate")
    sign_in(client, user)
    return user


def form_data(header: dict, lines: list[dict], action: str = "save", initial: int = 0) -> dict:
    data = {
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(initial),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "action": action,
        "date": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    data.update({k: (v.pk if hasattr(v, "pk") else v) for k, v in header.items()})
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{i}-{key}"] = value.pk if hasattr(value, "pk") else value
    return data


def balance(product, wh):
    b = Balance.objects.filter(product=product, warehouse=wh).first()
    return (b.qty, b.value) if b else (D("0"), D("0"))


def state():
    return (
        StockMove.objects.count(),
        StockDocument.objects.count(),
        list(Balance.objects.order_by("pk").values_list("qty", "value", "reserved")),
    )


def test_receipt_and_shipment_posted_through_the_forms(client, keeper, world):
    bolt, main = world["bolt"], world["main"]
    supplier = crm.counterparty_create(actor=None, data={"name": "Bolt & Co", "is_supplier": True})
    page = client.get(CREATE + "?type=receipt")
    assert page.status_code == 200
    assert list(page.context["formset"].forms[0].fields) == ["product", "qty", "unit", "price", "lot_number", "DELETE"]
    response = client.post(
        CREATE + "?type=receipt",
        form_data(
            {"warehouse": main, "counterparty": supplier},
            [
                {"product": bolt, "qty": "95", "price": "1.20", "lot_number": "L-1"},
                {"product": "", "qty": "", "price": ""},  # a blank row is left out
            ],
            action="post",
        ),
    )
    receipt = StockDocument.objects.get(type=T.RECEIPT)
    assert response.status_code == 302 and response["Location"] == receipt.get_absolute_url()
    assert receipt.state == "posted" and receipt.counterparty == supplier and receipt.created_by == keeper
    assert balance(bolt, main) == (D("95"), D("114.00"))
    assert receipt.moves.get().lot.number == "L-1"

    response = client.post(
        CREATE + "?type=shipment",
        form_data({"warehouse": main}, [{"product": bolt, "qty": "40"}], action="post"),
    )
    shipment = StockDocument.objects.get(type=T.SHIPMENT)
    assert response.status_code == 302
    assert shipment.state == "posted" and shipment.moves.get().value == D("48.00")
    assert balance(bolt, main) == (D("55"), D("66.00"))


def test_a_refused_shipment_says_why_keeps_the_input_and_changes_nothing(client, keeper, world):
    bolt, main = world["bolt"], world["main"]
    document_post(
        actor=None,
        document=document_create(
            actor=None,
            type=T.RECEIPT,
            data={"warehouse": main},
            lines=[{"product": bolt, "qty": D("95"), "price": D("1")}],
        ),
    )
    before = state()
    response = client.post(
        CREATE + "?type=shipment",
        form_data({"warehouse": main, "comment": "urgent"}, [{"product": bolt, "qty": "120"}], action="post"),
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Not enough M3 bolt in Main warehouse: wanted 120, available 95"
    ]
    assert "Not enough M3 bolt in Main warehouse: wanted 120, available 95" in response.content.decode()
    formset = response.context["formset"]
    assert formset.forms[0]["qty"].value() == "120" and response.context["form"]["comment"].value() == "urgent"
    assert state() == before  # not even the draft is kept


def test_line_errors_are_shown_next_to_the_line_fields(client, keeper, world):
    before = state()
    response = client.post(
        CREATE + "?type=receipt",
        form_data(
            {"warehouse": world["main"]},
            [{"product": world["bolt"], "qty": "1.5", "price": "2"}, {"product": world["nut"], "qty": "3"}],
        ),
    )
    assert response.status_code == 200
    forms = response.context["formset"].forms
    assert forms[0].errors == {"qty": ["pcs allows 0 decimal places."]}
    assert forms[1].errors == {"price": ["Enter the purchase price."]}
    assert state() == before


def test_draft_then_post_and_cancel_from_the_card(client, keeper, world):
    bolt, main = world["bolt"], world["main"]
    client.post(
        CREATE + "?type=receipt", form_data({"warehouse": main}, [{"product": bolt, "qty": "10", "price": "3"}])
    )
    draft = StockDocument.objects.get()
    assert draft.state == "draft" and not draft.moves.exists()
    card = client.get(draft.get_absolute_url())
    assert card.context["can_post"] and card.context["can_edit"]
    # Edit the draft: 12 instead of 10.
    edit = client.get(reverse("inventory:document-update", args=[draft.pk]))
    assert edit.context["formset"].forms[0]["qty"].value() == D("10.000000")
    response = client.post(
        reverse("inventory:document-update", args=[draft.pk]),
        form_data({"warehouse": main}, [{"product": bolt, "qty": "12", "price": "3"}], initial=1),
    )
    assert response.status_code == 302
    assert draft.lines.get().qty == D("12")
    response = client.post(reverse("inventory:document-post", args=[draft.pk]))
    assert response.status_code == 302
    assert balance(bolt, main) == (D("12"), D("36.00"))
    card = client.get(draft.get_absolute_url())
    html = card.content.decode()
    assert card.context["moves"][0].qty == D("12")
    assert "Unit cost" not in html and "Unit price" not in html  # the storekeeper has no cost right
    assert "block print_buttons" not in html
    # Cancel: the confirmation lists what is reversed, then the stock is back to zero.
    confirm = client.get(reverse("inventory:document-cancel", args=[draft.pk]))
    assert [m.qty for m in confirm.context["moves"]] == [D("12")]
    client.post(reverse("inventory:document-cancel", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.state == "cancelled" and balance(bolt, main) == (D("0"), D("0.00"))
    assert StockMove.objects.count() == 2


def test_director_sees_the_values_of_the_moves(client, world):
    director = make_user("dora", "director")
    doc = document_post(
        actor=None,
        document=document_create(
            actor=None,
            type=T.RECEIPT,
            data={"warehouse": world["main"]},
            lines=[{"product": world["bolt"], "qty": D("4"), "price": D("2.50")}],
        ),
    )
    sign_in(client, director)
    html = client.get(doc.get_absolute_url()).content.decode()
    assert "Unit cost" in html and "Unit price" in html and "10.00" in html
    # The director has no post right: no buttons.
    assert 'id="cancel-document"' not in html


def test_posting_a_refused_draft_from_the_card_shows_the_message(client, keeper, world):
    draft = document_create(
        actor=None,
        type=T.SHIPMENT,
        data={"warehouse": world["main"]},
        lines=[{"product": world["bolt"], "qty": D("5")}],
    )
    before = state()
    response = client.post(reverse("inventory:document-post", args=[draft.pk]), follow=True)
    assert "Not enough M3 bolt in Main warehouse: wanted 5, available 0" in response.content.decode()
    assert state() == before
    draft.refresh_from_db()
    assert draft.state == "draft"


def test_transfer_and_write_off_forms(client, keeper, world):
    bolt, main, workshop = world["bolt"], world["main"], world["workshop"]
    document_post(
        actor=None,
        document=document_create(
            actor=None,
            type=T.RECEIPT,
            data={"warehouse": main},
            lines=[{"product": bolt, "qty": D("10"), "price": D("2")}],
        ),
    )
    same = client.post(
        CREATE + "?type=transfer",
        form_data({"warehouse": main, "to_warehouse": main}, [{"product": bolt, "qty": "3"}], action="post"),
    )
    assert same.context["form"].errors == {"to_warehouse": ["A transfer needs two different warehouses."]}
    client.post(
        CREATE + "?type=transfer",
        form_data({"warehouse": main, "to_warehouse": workshop}, [{"product": bolt, "qty": "3"}], action="post"),
    )
    assert balance(bolt, workshop) == (D("3"), D("6.00"))
    missing = client.post(CREATE + "?type=writeoff", form_data({"warehouse": main}, [{"product": bolt, "qty": "1"}]))
    assert "reason" in missing.context["form"].errors
    client.post(
        CREATE + "?type=writeoff",
        form_data({"warehouse": main, "reason": "Rusty"}, [{"product": bolt, "qty": "1"}], action="post"),
    )
    assert balance(bolt, main) == (D("6"), D("12.00"))


def test_stocktake_fills_the_count_sheet_from_the_books(client, keeper, world):
    bolt, nut, main = world["bolt"], world["nut"], world["main"]
    document_post(
        actor=None,
        document=document_create(
            actor=None,
            type=T.RECEIPT,
            data={"warehouse": main},
            lines=[
                {"product": bolt, "qty": D("10"), "price": D("2")},
                {"product": nut, "qty": D("4"), "price": D("1")},
            ],
        ),
    )
    page = client.get(CREATE + f"?type=stocktake&fill=1&fill_warehouse={main.pk}")
    forms = page.context["formset"].forms
    assert [(f.initial["product"], f.initial["counted_qty"], f.book_qty) for f in forms[:2]] == [
        (bolt.pk, D("10.000000"), D("10.000000")),
        (nut.pk, D("4.000000"), D("4.000000")),
    ]
    assert page.context["form"].initial["warehouse"] == main.pk
    # Count 8 bolts and 4 nuts: one adjustment of -2 bolts.
    client.post(
        CREATE + "?type=stocktake",
        form_data(
            {"warehouse": main},
            [{"product": bolt, "counted_qty": "8"}, {"product": nut, "counted_qty": "4"}],
            action="post",
            initial=2,
        ),
    )
    count = StockDocument.objects.get(type=T.STOCKTAKE)
    assert [(m.kind, m.qty) for m in count.moves.all()] == [("adjustment", D("2"))]
    assert balance(bolt, main) == (D("8"), D("16.00"))


def test_list_filters_search_and_export(client, keeper, world):
    acme = crm.counterparty_create(actor=None, data={"name": "Acme Robotics", "is_customer": True})
    receipt = document_create(
        actor=None,
        type=T.RECEIPT,
        data={"warehouse": world["main"]},
        lines=[{"product": world["bolt"], "qty": D("1"), "price": D("1")}],
    )
    shipment = document_create(
        actor=None,
        type=T.SHIPMENT,
        data={"warehouse": world["workshop"], "counterparty": acme},
        lines=[{"product": world["bolt"], "qty": D("1")}],
    )
    numbers = lambda r: [obj.number for obj in r.context["object_list"]]  # noqa: E731
    assert set(numbers(client.get(LIST))) == {receipt.number, shipment.number}
    assert numbers(client.get(LIST + "?type=shipment")) == [shipment.number]
    assert numbers(client.get(LIST + f"?warehouse={world['main'].pk}")) == [receipt.number]
    assert numbers(client.get(LIST + "?q=acme")) == [shipment.number]
    assert numbers(client.get(LIST + "?state=posted")) == []
    export = client.get(LIST + "?type=shipment&export=csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["Number", "Type", "State", "Date"]
    assert rows[1][0] == shipment.number and rows[1][1:3] == ["Shipment to customer", "Draft"]
    assert rows[1][6] == "Acme Robotics"


def test_product_options_and_search(client, keeper, world):
    bolt, main = world["bolt"], world["main"]
    document_post(
        actor=None,
        document=document_create(
            actor=None,
            type=T.RECEIPT,
            data={"warehouse": main},
            lines=[{"product": bolt, "qty": D("7"), "price": D("2"), "lot_number": "A-7"}],
        ),
    )
    options = client.get(reverse("inventory:product-options") + f"?product={bolt.pk}&warehouse={main.pk}").json()
    assert [u["text"] for u in options["units"]] == ["pcs", "box (= 100 pcs)"]
    assert [lot["text"] for lot in options["lots"]] == ["A-7 (7)"]
    assert options["book_qty"] == "7"
    assert client.get(reverse("inventory:product-options")).json()["units"] == []
    found = client.get(reverse("inventory:product-search") + "?q=bolt").json()["results"]
    assert found == [{"value": bolt.pk, "text": "M3 — M3 bolt"}]


def test_a_role_without_inventory_rights_is_refused(client, world):
    sign_in(client, make_user("sam", "support_agent"))
    assert client.get(LIST).status_code == 403
    assert client.get(CREATE).status_code == 403
