"""Record scope and area rights through the API.

Sales managers A (Sales department) and B (Export department) have scope "own"; the support
agent S (Sales department) has scope "team"; the director sees everything; a storekeeper has no
CRM rights at all.
"""

import pytest

from fabrika.access import services as access_services
from fabrika.crm import services
from fabrika.crm.models import Counterparty, Deal

from .conftest import make_user, row_counts, session_client, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    sales = access_services.department_create(name="Sales")
    export = access_services.department_create(name="Export")
    a = make_user("anna", "sales_manager", department=sales)
    b = make_user("boris", "sales_manager", department=export)
    s = make_user("sonia", "support_agent", department=sales)
    director = make_user("dora", "director")
    keeper = make_user("karl", "storekeeper")

    def counterparty(owner, name):
        return services.counterparty_create(actor=owner, data={"name": name})

    a_cp = counterparty(a, "Alpha (A)")
    b_cp = counterparty(b, "Bravo (B)")
    a_deal = services.deal_create(actor=a, data={"title": "A's deal", "counterparty": a_cp})
    b_deal = services.deal_create(actor=b, data={"title": "B's deal", "counterparty": b_cp})
    a_contact = services.contact_create(actor=a, counterparty=a_cp, data={"first_name": "Alice"})
    b_contact = services.contact_create(actor=b, counterparty=b_cp, data={"first_name": "Bob"})
    return dict(
        a=a,
        b=b,
        s=s,
        director=director,
        keeper=keeper,
        a_cp=a_cp,
        b_cp=b_cp,
        a_deal=a_deal,
        b_deal=b_deal,
        a_contact=a_contact,
        b_contact=b_contact,
    )


def listed(client, url) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return sorted(row["id"] for row in response.json()["results"])


def test_sales_manager_lists_only_own_records(world):
    api = token_client(world["a"])
    assert listed(api, "/api/counterparties/") == [world["a_cp"].pk]
    assert listed(api, "/api/deals/") == [world["a_deal"].pk]
    assert listed(api, "/api/contacts/") == [world["a_contact"].pk]


@pytest.mark.parametrize("auth", [token_client, session_client])
def test_sales_manager_gets_404_on_anothers_records_and_cannot_change_them(world, auth):
    api = auth(world["a"])
    b_cp, b_deal = world["b_cp"], world["b_deal"]
    before = row_counts()

    assert api.get(f"/api/counterparties/{b_cp.pk}/").status_code == 404
    assert api.patch(f"/api/counterparties/{b_cp.pk}/", {"name": "Mine now"}, format="json").status_code == 404
    assert api.delete(f"/api/counterparties/{b_cp.pk}/").status_code == 404
    assert api.get(f"/api/deals/{b_deal.pk}/").status_code == 404
    assert api.patch(f"/api/deals/{b_deal.pk}/", {"title": "Mine"}, format="json").status_code == 404
    assert api.delete(f"/api/deals/{b_deal.pk}/").status_code == 404
    assert api.post(f"/api/deals/{b_deal.pk}/win/").status_code == 404
    assert api.get(f"/api/contacts/{world['b_contact'].pk}/").status_code == 404

    assert row_counts() == before
    assert Counterparty.objects.get(pk=b_cp.pk).name == "Bravo (B)"
    assert Deal.objects.get(pk=b_deal.pk).title == "B's deal"


def test_sales_manager_cannot_attach_records_to_anothers_counterparty(world):
    api = token_client(world["a"])
    before = row_counts()
    contact = api.post("/api/contacts/", {"counterparty": world["b_cp"].pk, "first_name": "Eve"}, format="json")
    deal = api.post("/api/deals/", {"counterparty": world["b_cp"].pk, "title": "Steal"}, format="json")
    assert contact.status_code == 400 and list(contact.json()["errors"]) == ["counterparty"]
    assert deal.status_code == 400 and list(deal.json()["errors"]) == ["counterparty"]
    assert row_counts() == before


def test_own_records_can_be_changed(world):
    api = token_client(world["a"])
    response = api.patch(f"/api/counterparties/{world['a_cp'].pk}/", {"notes": "Good customer"}, format="json")
    assert response.status_code == 200
    assert response.json()["notes"] == "Good customer"


def test_support_agent_sees_the_teams_records(world):
    api = token_client(world["s"])
    assert listed(api, "/api/counterparties/") == [world["a_cp"].pk]  # A is in S's department, B is not
    assert listed(api, "/api/deals/") == [world["a_deal"].pk]
    assert api.get(f"/api/counterparties/{world['a_cp'].pk}/").status_code == 200
    assert api.get(f"/api/counterparties/{world['b_cp'].pk}/").status_code == 404
    # The support agent has no delete right in the CRM.
    assert api.delete(f"/api/counterparties/{world['a_cp'].pk}/").status_code == 403


def test_director_sees_everything(world):
    api = token_client(world["director"])
    assert listed(api, "/api/counterparties/") == sorted([world["a_cp"].pk, world["b_cp"].pk])
    assert listed(api, "/api/deals/") == sorted([world["a_deal"].pk, world["b_deal"].pk])
    assert api.get(f"/api/deals/{world['b_deal'].pk}/").status_code == 200


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/counterparties/"),
        ("post", "/api/counterparties/"),
        ("get", "/api/deals/"),
        ("get", "/api/activities/"),
        ("get", "/api/contacts/"),
        ("get", "/api/segments/"),
        ("get", "/api/funnel-stages/"),
        ("get", "/api/funnel-report/"),
    ],
)
def test_a_role_without_crm_rights_gets_403(world, method, url):
    api = token_client(world["keeper"])
    before = row_counts()
    response = getattr(api, method)(url, {"name": "X"} if method == "post" else None, format="json")
    assert response.status_code == 403
    assert row_counts() == before


def test_a_role_without_crm_rights_gets_403_on_a_record(world):
    api = token_client(world["keeper"])
    assert api.get(f"/api/counterparties/{world['a_cp'].pk}/").status_code == 403


def test_funnel_report_counts_only_the_deals_in_scope(world):
    def total(user):
        rows = token_client(user).get("/api/funnel-report/").json()
        return sum(row["count"] for row in rows)

    assert (total(world["a"]), total(world["b"]), total(world["s"]), total(world["director"])) == (1, 1, 1, 2)
