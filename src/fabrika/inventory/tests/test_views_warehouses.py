"""Warehouse pages: create with the valuation chosen once, edit (valuation read-only), the card."""

import pytest
from django.urls import reverse

from fabrika.access.tests.factories import make_user, sign_in
from fabrika.inventory.models import Location, Warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def keeper(client):
    user = make_user("kate", "storekeeper")
    sign_in(client, user)
    return user


def test_create_edit_and_card(client, keeper):
    response = client.post(
        reverse("inventory:warehouse-create"),
        {"code": "WS", "name": "Workshop", "valuation": "average", "address": "Hall 2", "active": "on"},
    )
    workshop = Warehouse.objects.get(code="WS")
    assert response.status_code == 302 and response["Location"] == workshop.get_absolute_url()
    assert workshop.valuation == "average"
    assert list(workshop.locations.values_list("kind", "name")) == [("storage", "Workshop: stock")]

    edit = client.get(reverse("inventory:warehouse-update", args=[workshop.pk]))
    assert edit.context["form"].fields["valuation"].disabled
    # A changed valuation in the post is ignored: it was chosen at creation.
    client.post(
        reverse("inventory:warehouse-update", args=[workshop.pk]),
        {"code": "WS", "name": "Assembly workshop", "valuation": "fifo", "address": "", "active": "on"},
    )
    workshop.refresh_from_db()
    assert (workshop.name, workshop.valuation) == ("Assembly workshop", "average")

    card = client.get(workshop.get_absolute_url())
    assert card.status_code == 200
    assert [loc.kind for loc in card.context["locations"]] == [Location.Kind.STORAGE]
    assert card.context["stock_value"] is None  # no cost right


def test_duplicate_code_is_refused_next_to_the_field(client, keeper):
    client.post(reverse("inventory:warehouse-create"), {"code": "MAIN", "name": "Main", "valuation": "fifo"})
    response = client.post(
        reverse("inventory:warehouse-create"), {"code": "MAIN", "name": "Other", "valuation": "fifo"}
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["code"]
    assert Warehouse.objects.count() == 1


def test_list_and_rights(client):
    sign_in(client, make_user("sam", "sales_manager"))
    assert client.get(reverse("inventory:warehouse-list")).status_code == 200
    assert client.get(reverse("inventory:warehouse-create")).status_code == 403
