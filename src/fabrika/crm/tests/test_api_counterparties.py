"""/api/counterparties/ and /api/contacts/: CRUD through the services, filters, errors."""

import pytest

from fabrika.crm import services
from fabrika.crm.models import Address, Contact, Counterparty, Tag

from .conftest import row_counts, session_client, token_client

pytestmark = pytest.mark.django_db

LIST = "/api/counterparties/"


def detail(pk) -> str:
    return f"{LIST}{pk}/"


@pytest.fixture
def api(manager):
    return token_client(manager)


@pytest.fixture
def education(manager):
    kind = services.classifier_kind_save(actor=manager, data={"code": "industry", "name": "Industry"})
    return services.classifier_value_save(actor=manager, data={"kind": kind, "name": "Education"})


def names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


def test_crud_with_token_auth(api, manager, education):
    created = api.post(
        LIST,
        {
            "name": "Acme Robotics",
            "kind": "company",
            "tax_id": "FR123",
            "email": "info@acme.test",
            "classifiers": [education.pk],
            "tags": ["VIP", "Schools", "VIP"],
            "addresses": [{"kind": "legal", "text": "1 rue de la Paix, Paris"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    pk = body["id"]
    assert body["responsible"] == manager.pk
    assert body["created_by"] == manager.pk
    assert body["classifiers"] == [{"id": education.pk, "kind": "Industry", "name": "Education"}]
    assert sorted(body["tags"]) == ["Schools", "VIP"]
    assert [(a["kind"], a["text"]) for a in body["addresses"]] == [("legal", "1 rue de la Paix, Paris")]
    assert "confirm_duplicates" not in body

    got = api.get(detail(pk))
    assert got.status_code == 200
    assert got.json() == body

    # PATCH: addresses sent are the new list; fields not sent stay.
    patched = api.patch(
        detail(pk),
        {"name": "Acme SAS", "addresses": [{"kind": "delivery", "text": "Dock 4"}], "tags": ["VIP"]},
        format="json",
    )
    assert patched.status_code == 200, patched.json()
    assert patched.json()["name"] == "Acme SAS"
    assert patched.json()["tax_id"] == "FR123"
    assert patched.json()["tags"] == ["VIP"]
    assert list(Address.objects.values_list("kind", "text")) == [("delivery", "Dock 4")]

    # PUT with what GET returned (classifiers as objects) is accepted: a read record can be sent back.
    record = api.get(detail(pk)).json()
    record["notes"] = "Met at a fair"
    put = api.put(detail(pk), record, format="json")
    assert put.status_code == 200, put.json()
    assert put.json()["notes"] == "Met at a fair"
    assert put.json()["classifiers"] == [{"id": education.pk, "kind": "Industry", "name": "Education"}]

    listed = api.get(LIST)
    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    assert names(listed) == ["Acme SAS"]

    deleted = api.delete(detail(pk))
    assert deleted.status_code == 204
    assert not Counterparty.objects.exists()
    assert not Address.objects.exists()


def test_session_auth_works_and_needs_the_csrf_token_for_writes(manager):
    client = session_client(manager, enforce_csrf=True)
    assert client.get(LIST).status_code == 200

    refused = client.post(LIST, {"name": "Acme"}, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert not Counterparty.objects.exists()

    secret = "a" * 32
    client.cookies["csrftoken"] = secret
    created = client.post(LIST, {"name": "Acme"}, format="json", HTTP_X_CSRFTOKEN=secret)
    assert created.status_code == 201, created.json()
    assert Counterparty.objects.get().created_by == manager


def test_anonymous_requests_are_refused(db):
    from rest_framework.test import APIClient

    client = APIClient()
    assert client.get(LIST).status_code in (401, 403)
    assert client.post(LIST, {"name": "Acme"}, format="json").status_code in (401, 403)
    assert not Counterparty.objects.exists()


def test_missing_required_field_is_a_400_with_the_field_error(api):
    before = row_counts()
    response = api.post(LIST, {"kind": "company", "email": "not-an-email"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"]["name"] == ["This field is required."]
    assert body["errors"]["email"] == ["Enter a valid email address."]
    assert row_counts() == before


def test_nested_address_errors_name_the_item(api):
    before = row_counts()
    response = api.post(
        LIST,
        {"name": "Acme", "addresses": [{"kind": "legal", "text": "Paris"}, {"kind": "moon"}]},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"addresses.1.kind", "addresses.1.text"}
    assert row_counts() == before


def test_duplicate_tax_id_is_a_400_on_tax_id_and_nothing_is_created(api, manager):
    services.counterparty_create(actor=manager, data={"name": "Acme", "tax_id": "FR123"})
    before = row_counts()

    response = api.post(LIST, {"name": "Acme twin", "tax_id": "FR123", "tags": ["New tag"]}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["tax_id"]
    assert "FR123" in body["errors"]["tax_id"][0]
    assert row_counts() == before
    assert not Tag.objects.filter(name="New tag").exists()


def test_possible_duplicate_is_a_409_listing_them_until_confirmed(api, manager):
    acme = services.counterparty_create(actor=manager, data={"name": "Acme", "email": "sales@acme.test"})
    before = row_counts()

    warned = api.post(LIST, {"name": "ACME SAS", "email": "SALES@acme.test", "tags": ["Fresh"]}, format="json")

    assert warned.status_code == 409
    body = warned.json()
    assert body["code"] == "possible_duplicate"
    assert body["data"] == {"duplicates": [{"id": acme.pk, "name": "Acme"}]}
    assert "Acme" in body["detail"]
    assert row_counts() == before  # not even the new tag was kept

    confirmed = api.post(
        LIST, {"name": "ACME SAS", "email": "SALES@acme.test", "confirm_duplicates": True}, format="json"
    )
    assert confirmed.status_code == 201
    assert Counterparty.objects.count() == 2


def test_delete_with_deals_is_a_409_and_keeps_it(api, manager):
    acme = services.counterparty_create(actor=manager, data={"name": "Acme"})
    services.deal_create(actor=manager, data={"title": "Robots", "counterparty": acme})
    before = row_counts()

    response = api.delete(detail(acme.pk))

    assert response.status_code == 409
    assert response.json()["code"] == "in_use"
    assert response.json()["data"] == {"deals": 1}
    assert row_counts() == before


@pytest.fixture
def sample(manager, other_manager, education):
    def make(name, **data):
        return services.counterparty_create(actor=manager, data={"name": name, **data}, confirm_duplicates=True)

    vip = services.tag_get_or_create(actor=manager, name="VIP")
    return {
        "alpha": make("Alpha School", classifiers=[education], tags=[vip], email="office@alpha.test"),
        "bolt": make("Bolt Supply", is_customer=False, is_supplier=True, tax_id="DE777"),
        "cobalt": make("Cobalt", kind="person", is_supplier=True, phone="+33 6 11 22 33 44", tags=[vip]),
        "other": make("Delta", responsible=other_manager),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Alpha School", "Bolt Supply", "Cobalt", "Delta"]),
        ("role=supplier", ["Bolt Supply", "Cobalt"]),
        ("role=customer", ["Alpha School", "Cobalt", "Delta"]),
        ("kind=person", ["Cobalt"]),
        ("tag=VIP", ["Alpha School", "Cobalt"]),
        ("search=supply", ["Bolt Supply"]),
        ("search=DE777", ["Bolt Supply"]),
        ("search=0611223344", []),  # a different number
        ("search=611223344", ["Cobalt"]),  # phone digits, however written
        ("search=alpha.test", ["Alpha School"]),
        ("ordering=-name", ["Delta", "Cobalt", "Bolt Supply", "Alpha School"]),
        ("role=supplier&ordering=-name", ["Cobalt", "Bolt Supply"]),
    ],
)
def test_list_filters_search_and_ordering(director, sample, query, expected):
    response = token_client(director).get(f"{LIST}?{query}")
    assert response.status_code == 200, response.json()
    assert names(response) == expected


def test_filter_by_classifier_and_responsible(director, manager, other_manager, sample, education):
    api = token_client(director)
    assert names(api.get(f"{LIST}?classifier={education.pk}")) == ["Alpha School"]
    assert names(api.get(f"{LIST}?responsible={other_manager.pk}")) == ["Delta"]


def test_created_after_and_before(director, sample):
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    api = token_client(director)
    assert api.get(f"{LIST}?created_after={today}").json()["count"] == 4
    assert api.get(f"{LIST}?created_before=2000-01-01").json()["count"] == 0


def test_unknown_filter_is_a_400_naming_it_and_returns_nothing_else(api, sample):
    response = api.get(f"{LIST}?colour=red")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail"}
    assert body["detail"].startswith("Unknown filter: colour.")
    assert "role" in body["detail"]  # the allowed ones are listed


def test_unknown_ordering_and_bad_filter_values_are_400(api, sample):
    ordering = api.get(f"{LIST}?ordering=secret_field")
    assert ordering.status_code == 400
    assert "secret_field" in ordering.json()["ordering"][0]

    bad_role = api.get(f"{LIST}?role=alien")
    assert bad_role.status_code == 400
    assert "role" in bad_role.json()


# --- contacts --------------------------------------------------------------------------------

CONTACTS = "/api/contacts/"


def test_contacts_crud_and_one_primary(api, manager):
    acme = services.counterparty_create(actor=manager, data={"name": "Acme"})
    beta = services.counterparty_create(actor=manager, data={"name": "Beta"})

    jean = api.post(CONTACTS, {"counterparty": acme.pk, "first_name": "Jean", "is_primary": True}, format="json")
    assert jean.status_code == 201, jean.json()
    assert jean.json()["name"] == "Jean"
    marie = api.post(
        CONTACTS,
        {"counterparty": acme.pk, "first_name": "Marie", "last_name": "Curie", "is_primary": True},
        format="json",
    )
    assert marie.status_code == 201
    assert marie.json()["name"] == "Marie Curie"
    api.post(CONTACTS, {"counterparty": beta.pk, "first_name": "Boris"}, format="json")

    assert api.get(f"{CONTACTS}{jean.json()['id']}/").json()["is_primary"] is False
    of_acme = api.get(f"{CONTACTS}?counterparty={acme.pk}").json()
    assert [(c["first_name"], c["is_primary"]) for c in of_acme["results"]] == [
        ("Marie", True),
        ("Jean", False),
    ]

    moved = api.patch(f"{CONTACTS}{jean.json()['id']}/", {"counterparty": beta.pk}, format="json")
    assert moved.status_code == 400
    assert list(moved.json()["errors"]) == ["counterparty"]

    renamed = api.patch(f"{CONTACTS}{jean.json()['id']}/", {"position": "CEO"}, format="json")
    assert renamed.status_code == 200
    assert renamed.json()["position"] == "CEO"

    assert api.delete(f"{CONTACTS}{jean.json()['id']}/").status_code == 204
    assert Contact.objects.count() == 2


def test_contact_missing_counterparty_is_a_400(api):
    response = api.post(CONTACTS, {"first_name": "Jean"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"counterparty": ["This field is required."]}
