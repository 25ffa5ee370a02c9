"""Reservation pages: reserve (refused beyond what is available, with the numbers), list filters, release."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from fabrika.access.tests.factories import make_user, sign_in
from fabrika.inventory.models import Balance, Reservation
from fabrika.inventory.services import document_create, document_post, reserve, warehouse_create

from .stock_story import T, make_products

pytestmark = pytest.mark.django_db

LIST = reverse("inventory:reservation-list")
CREATE = reverse("inventory:reservation-create")


@pytest.fixture
def world(client):
    keeper = make_user("kate", "storekeeper")
    sign_in(client, keeper)
    _pcs, _h, _f, _p, bolt, _nut, _panel = make_products()
    main = warehouse_create(actor=None, data={"code": "MAIN", "name": "Main warehouse", "valuation": "fifo"})
    for number, qty in (("A", "60"), ("B", "35")):
        document_post(
            actor=None,
            document=document_create(
                actor=None,
                type=T.RECEIPT,
                data={"warehouse": main},
                lines=[{"product": bolt, "qty": D(qty), "price": D("1"), "lot_number": number}],
            ),
        )
    return {"keeper": keeper, "bolt": bolt, "main": main}


def reserved(world):
    return Balance.objects.get(product=world["bolt"], warehouse=world["main"]).reserved


def test_reserve_refuse_and_release(client, world):
    bolt, main = world["bolt"], world["main"]
    response = client.post(CREATE, {"product": bolt.pk, "warehouse": main.pk, "qty": "80", "reference": "ORD-1/1"})
    assert response.status_code == 302
    assert reserved(world) == D("80")
    refused = client.post(CREATE, {"product": bolt.pk, "warehouse": main.pk, "qty": "20", "reference": "ORD-2/1"})
    assert refused.status_code == 200
    assert refused.context["form"].non_field_errors() == [
        "Not enough M3 bolt in Main warehouse: wanted 20, available 15"
    ]
    assert refused.context["form"]["reference"].value() == "ORD-2/1"
    assert Reservation.objects.count() == 1 and reserved(world) == D("80")
    # A lot: B has 35.
    lot_b = bolt.lots.get(number="B")
    by_lot = client.post(
        CREATE, {"product": bolt.pk, "warehouse": main.pk, "qty": "10", "reference": "ORD-3/1", "lot": lot_b.pk}
    )
    assert by_lot.status_code == 302
    assert Reservation.objects.get(lot=lot_b).qty == D("10") and reserved(world) == D("90")

    page = client.get(LIST + "?state=active")
    assert [r.reference for r in page.context["object_list"]] == ["ORD-3/1", "ORD-1/1"]
    first = Reservation.objects.get(reference="ORD-1/1")
    assert "Release" in page.content.decode()
    client.post(reverse("inventory:reservation-release", args=[first.pk]))
    first.refresh_from_db()
    assert first.state == "released" and reserved(world) == D("10")
    assert [r.reference for r in client.get(LIST + "?state=active").context["object_list"]] == ["ORD-3/1"]
    assert [r.reference for r in client.get(LIST + "?state=released").context["object_list"]] == ["ORD-1/1"]


def test_a_shipment_consumes_its_reservation(client, world):
    bolt, main = world["bolt"], world["main"]
    held = reserve(actor=None, product=bolt, warehouse=main, qty=D("30"), reference="ORD-9/1")
    from .test_views_documents import form_data

    client.post(
        reverse("inventory:document-create") + "?type=shipment",
        form_data({"warehouse": main}, [{"product": bolt, "qty": "30", "reservation": held}], action="post"),
    )
    held.refresh_from_db()
    assert held.state == "consumed" and held.qty_consumed == D("30")
    assert reserved(world) == D("0")
    consumed = client.get(LIST + "?state=consumed")
    assert [r.reference for r in consumed.context["object_list"]] == ["ORD-9/1"]


def test_reservation_pages_rights(client, world):
    sign_in(client, make_user("sam", "sales_manager"))
    assert client.get(LIST).status_code == 200
    assert client.get(CREATE).status_code == 403
    held = reserve(actor=None, product=world["bolt"], warehouse=world["main"], qty=D("1"), reference="X")
    assert client.post(reverse("inventory:reservation-release", args=[held.pk])).status_code == 403


def test_a_lot_reservation_cannot_take_what_others_hold(world):
    from fabrika.inventory.checks import check_ledger
    from fabrika.inventory.errors import InsufficientStock

    bolt, main = world["bolt"], world["main"]
    reserve(actor=None, product=bolt, warehouse=main, qty=D("80"), reference="ORD-1/1")  # 15 of 95 left free
    try:
        reserve(
            actor=None, product=bolt, warehouse=main, qty=D("30"), reference="ORD-2/1", lot=bolt.lots.get(number="B")
        )
    except InsufficientStock:
        pass
    assert reserved(world) == D("80")
    assert check_ledger() == []
