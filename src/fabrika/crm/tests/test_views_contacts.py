"""Contact pages: the list (scope, search, filter, export) and create/edit/delete from the card."""

import csv
import io

import pytest
from django.urls import reverse

from fabrika.access.tests.factories import make_user
from fabrika.crm import services
from fabrika.crm.models import Contact

from .conftest import row_counts

pytestmark = pytest.mark.django_db

LIST = reverse("crm:contact-list")
CREATE = reverse("crm:contact-create")


@pytest.fixture
def dora(db):
    return make_user("dora", "director", first_name="Dora", last_name="Durand")


@pytest.fixture
def anna(db):
    return make_user("anna", "sales_manager", first_name="Anna", last_name="Petit")


@pytest.fixture
def world(dora, anna):
    boris = make_user("boris", "sales_manager", first_name="Boris", last_name="Moreau")
    acme = services.counterparty_create(actor=dora, data={"name": "Acme Robotics", "responsible": anna})
    bakery = services.counterparty_create(actor=dora, data={"name": "Boulanger SARL", "responsible": boris})
    claire = services.contact_create(
        actor=dora,
        counterparty=acme,
        data={
            "first_name": "Claire",
            "last_name": "Dubois",
            "email": "claire@acme.test",
            "phone": "+33 6 11 22 33 44",
            "is_primary": True,
        },
    )
    marc = services.contact_create(
        actor=dora, counterparty=acme, data={"first_name": "Marc", "last_name": "Aubert", "position": "Buyer"}
    )
    ivan = services.contact_create(actor=dora, counterparty=bakery, data={"first_name": "Ivan", "last_name": "Sokolov"})
    return {"acme": acme, "bakery": bakery, "claire": claire, "marc": marc, "ivan": ivan}


def listed(response) -> list[str]:
    return [str(c) for c in response.context["object_list"]]


def test_list_search_and_filter(client, dora, world):
    client.force_login(dora)
    assert listed(client.get(LIST)) == ["Marc Aubert", "Claire Dubois", "Ivan Sokolov"]
    assert listed(client.get(LIST, {"q": "claire@"})) == ["Claire Dubois"]
    assert listed(client.get(LIST, {"q": "11 22"})) == ["Claire Dubois"]
    assert listed(client.get(LIST, {"q": "sokolov"})) == ["Ivan Sokolov"]
    assert listed(client.get(LIST, {"counterparty": world["acme"].pk})) == ["Marc Aubert", "Claire Dubois"]
    html = client.get(LIST).content.decode()
    assert f'href="{reverse("crm:contact-update", args=[world["claire"].pk])}"' in html
    assert f'href="{reverse("crm:counterparty-detail", args=[world["acme"].pk])}?tab=contacts"' in html


def test_list_and_export_are_scoped(client, anna, world):
    client.force_login(anna)
    assert listed(client.get(LIST)) == ["Marc Aubert", "Claire Dubois"]
    # A foreign counterparty is not accepted as a filter, so the filter is ignored.
    response = client.get(LIST, {"counterparty": world["bakery"].pk})
    assert "counterparty" in response.context["filter"].errors
    response = client.get(LIST, {"export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["Name", "Counterparty", "Position", "Phone", "Mobile", "E-mail", "Main contact"]
    assert rows[1:] == [
        ["Marc Aubert", "Acme Robotics", "Buyer", "", "", "", "0"],
        ["Claire Dubois", "Acme Robotics", "", "+33 6 11 22 33 44", "", "claire@acme.test", "1"],
    ]


def test_create_from_the_card(client, anna, world):
    acme = world["acme"]
    client.force_login(anna)
    page = client.get(CREATE, {"counterparty": acme.pk})
    assert page.status_code == 200
    assert page.context["form"]["counterparty"].value() == acme.pk
    response = client.post(
        f"{CREATE}?counterparty={acme.pk}",
        {
            "counterparty": acme.pk,
            "first_name": "Lea",
            "last_name": "Roux",
            "email": "lea@acme.test",
            "is_primary": "on",
        },
    )
    assert response.status_code == 302
    assert response.url == f"{acme.get_absolute_url()}?tab=contacts"
    lea = Contact.objects.get(first_name="Lea")
    assert (lea.counterparty, lea.is_primary) == (acme, True)
    world["claire"].refresh_from_db()
    assert world["claire"].is_primary is False  # one main contact per counterparty


def test_create_refuses_bad_input_and_foreign_counterparties(client, anna, world):
    client.force_login(anna)
    before = row_counts()
    response = client.post(CREATE, {"counterparty": world["acme"].pk, "first_name": "", "email": "not-an-email"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "first_name": ["This field is required."],
        "email": ["Enter a valid email address."],
    }
    response = client.post(CREATE, {"counterparty": world["bakery"].pk, "first_name": "Spy"})
    assert list(response.context["form"].errors) == ["counterparty"]
    assert client.get(CREATE, {"counterparty": world["bakery"].pk}).status_code == 404
    assert row_counts() == before


def test_edit_keeps_the_counterparty(client, anna, world):
    marc = world["marc"]
    client.force_login(anna)
    url = reverse("crm:contact-update", args=[marc.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "counterparty": world["bakery"].pk,
            "first_name": "Marc",
            "last_name": "Aubert",
            "position": "Head of purchasing",
        },
    )
    assert response.status_code == 302
    marc.refresh_from_db()
    assert (marc.position, marc.counterparty) == ("Head of purchasing", world["acme"])


def test_delete_from_the_card_and_scope(client, anna, world):
    client.force_login(anna)
    assert client.post(reverse("crm:contact-delete", args=[world["ivan"].pk])).status_code == 404
    response = client.post(reverse("crm:contact-delete", args=[world["marc"].pk]))
    assert response.status_code == 302
    assert response.url == f"{world['acme'].get_absolute_url()}?tab=contacts"
    assert not Contact.objects.filter(pk=world["marc"].pk).exists()
    assert Contact.objects.filter(pk=world["ivan"].pk).exists()
