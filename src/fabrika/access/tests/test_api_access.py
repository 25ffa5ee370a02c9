"""/api/users/, /api/roles/, /api/departments/, /api/me/."""

import pytest
from django.test import Client

from fabrika.access import services
from fabrika.access.models import Department, Role, User
from fabrika.audit.models import BusinessEvent

from .factories import PASSWORD, make_role, make_user

pytestmark = pytest.mark.django_db


class Api:
    """A client that calls the API with a user's token, as a program would."""

    def __init__(self, user):
        self.client = Client()
        self.auth = f"Token {services.api_token_regenerate(user=user).key}"

    def get(self, url):
        return self.client.get(url, HTTP_AUTHORIZATION=self.auth)

    def post(self, url, data=None):
        return self.client.post(
            url, data or {}, content_type="application/json", HTTP_AUTHORIZATION=self.auth
        )

    def patch(self, url, data):
        return self.client.patch(url, data, content_type="application/json", HTTP_AUTHORIZATION=self.auth)

    def delete(self, url):
        return self.client.delete(url, HTTP_AUTHORIZATION=self.auth)


@pytest.fixture
def admin_api():
    return Api(make_user("root", "administrator"))


# --- users ----------------------------------------------------------------------------------


def test_users_list_and_retrieve(admin_api):
    sales = Department.objects.create(name="Sales")
    anna = make_user("anna", "sales_manager", department=sales, first_name="Anna", last_name="Petit")

    listing = admin_api.get("/api/users/?role=sales_manager")
    assert listing.status_code == 200
    assert listing.json()["count"] == 1
    row = listing.json()["results"][0]
    assert {k: row[k] for k in ("id", "username", "full_name", "department", "roles", "is_active")} == {
        "id": anna.pk,
        "username": "anna",
        "full_name": "Anna Petit",
        "department": sales.pk,
        "roles": ["sales_manager"],
        "is_active": True,
    }
    assert "password" not in row

    detail = admin_api.get(f"/api/users/{anna.pk}/")
    assert detail.json()["username"] == "anna"


def test_users_unknown_filter_is_refused(admin_api):
    response = admin_api.get("/api/users/?colour=red")

    assert response.status_code == 400
    assert "Unknown filter: colour" in response.json()["detail"]


def test_users_create_update_and_deactivate(admin_api):
    created = admin_api.post(
        "/api/users/",
        {
            "username": "boris",
            "password": "Strong-Pass-2026",
            "first_name": "Boris",
            "roles": ["storekeeper"],
            "language": "ru",
        },
    )
    assert created.status_code == 201, created.content
    boris = User.objects.get(username="boris")
    assert created.json()["id"] == boris.pk
    assert boris.check_password("Strong-Pass-2026")
    assert BusinessEvent.objects.get(event="user.created", object_id=str(boris.pk)).actor.username == "root"

    changed = admin_api.patch(
        f"/api/users/{boris.pk}/", {"roles": ["storekeeper", "purchaser"], "position": "Buyer"}
    )
    assert changed.status_code == 200
    assert sorted(changed.json()["roles"]) == ["purchaser", "storekeeper"]
    assert changed.json()["position"] == "Buyer"

    deactivated = admin_api.patch(f"/api/users/{boris.pk}/", {"is_active": False})
    assert deactivated.json()["is_active"] is False
    assert BusinessEvent.objects.filter(event="user.deactivated", object_id=str(boris.pk)).count() == 1

    assert admin_api.delete(f"/api/users/{boris.pk}/").status_code == 405


def test_users_create_refusals(admin_api):
    make_user("anna", "sales_manager")

    duplicate = admin_api.post("/api/users/", {"username": "anna"})
    assert duplicate.status_code == 400
    assert "username" in duplicate.json()

    weak = admin_api.post("/api/users/", {"username": "weak", "password": "12345678"})
    assert weak.status_code == 400
    assert weak.json()["errors"]["password"] == [
        "This password is too common.",
        "This password is entirely numeric.",
    ]
    assert not User.objects.filter(username="weak").exists()

    unknown_role = admin_api.post("/api/users/", {"username": "x", "roles": ["pope"]})
    assert unknown_role.status_code == 400


def test_set_password_action(admin_api):
    anna = make_user("anna", "sales_manager")

    response = admin_api.post(f"/api/users/{anna.pk}/set_password/", {"password": "Fresh-Secret-11"})

    assert response.status_code == 204
    anna.refresh_from_db()
    assert anna.check_password("Fresh-Secret-11")


# --- roles and departments ------------------------------------------------------------------


def test_roles_crud(admin_api):
    created = admin_api.post(
        "/api/roles/", {"name": "Clerk", "permissions": {"crm": ["add"]}, "scopes": {"crm": "team"}}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert {k: body[k] for k in ("code", "name", "permissions", "scopes", "builtin", "users_count")} == {
        "code": "clerk",
        "name": "Clerk",
        "permissions": {"crm": ["view", "add"]},
        "scopes": {"crm": "team"},
        "builtin": False,
        "users_count": 0,
    }
    role_id = body["id"]

    updated = admin_api.patch(f"/api/roles/{role_id}/", {"permissions": {"crm": ["view"], "audit": ["view"]}})
    assert updated.status_code == 200
    assert updated.json()["permissions"] == {"crm": ["view"], "audit": ["view"]}

    bad = admin_api.patch(f"/api/roles/{role_id}/", {"permissions": {"crm": ["fly"]}})
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"permissions": ["Customers and deals has no action fly."]}

    assert admin_api.delete(f"/api/roles/{role_id}/").status_code == 204
    assert not Role.objects.filter(pk=role_id).exists()


def test_roles_delete_refusals_are_conflicts(admin_api):
    builtin = Role.objects.get(code="engineer")
    used = make_role("clerk", {"crm": ["view"]})
    make_user("carl", "clerk")

    refused = admin_api.delete(f"/api/roles/{builtin.pk}/")
    assert (refused.status_code, refused.json()["code"]) == (409, "builtin_role")
    refused = admin_api.delete(f"/api/roles/{used.pk}/")
    assert (refused.status_code, refused.json()["code"]) == (409, "in_use")
    assert refused.json()["data"] == {"usages": {"users": 1}}


def test_departments_crud(admin_api):
    created = admin_api.post("/api/departments/", {"name": "Sales"})
    assert created.status_code == 201
    dept_id = created.json()["id"]
    anna = make_user("anna", "sales_manager", department=Department.objects.get(pk=dept_id))

    updated = admin_api.patch(f"/api/departments/{dept_id}/", {"head": anna.pk})
    assert updated.json() == {"id": dept_id, "name": "Sales", "head": anna.pk, "members_count": 1}

    assert admin_api.delete(f"/api/departments/{dept_id}/").status_code == 409
    services.user_update(user=anna, department=None)
    assert admin_api.delete(f"/api/departments/{dept_id}/").status_code == 204


# --- rights ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/users/", "/api/roles/", "/api/departments/"])
def test_a_role_without_access_rights_gets_403(url):
    api = Api(make_user("anna", "sales_manager"))

    assert api.get(url).status_code == 403
    assert api.post(url, {"name": "x", "username": "x"}).status_code == 403


def test_view_right_does_not_allow_changes():
    api = Api(make_user("dora", "director"))  # access: view
    anna = make_user("anna", "sales_manager")

    assert api.get("/api/users/").status_code == 200
    assert api.patch(f"/api/users/{anna.pk}/", {"first_name": "X"}).status_code == 403
    assert api.post("/api/roles/", {"name": "X"}).status_code == 403


def test_me_for_any_signed_in_user():
    anna = make_user("anna", "sales_manager", first_name="Anna", department="Sales")
    api = Api(anna)

    me = api.get("/api/me/").json()

    assert me["username"] == "anna"
    assert me["department"] == "Sales"
    assert me["roles"] == ["sales_manager"]
    assert me["rights"]["crm"] == ["view", "add", "change", "delete"]
    assert "access" not in me["rights"]
    assert me["scopes"] == {"crm": "own", "sales": "own", "service": "own"}
    assert me["second_factor_required"] is False


def test_me_needs_a_signed_in_user(client):
    assert client.get("/api/me/").status_code == 403


def test_me_with_a_session(client):
    make_user("anna", "sales_manager")
    client.post("/access/login/", {"username": "anna", "password": PASSWORD})

    assert client.get("/api/me/").json()["username"] == "anna"


def test_schema_includes_the_access_endpoints(client):
    make_user("anna", "sales_manager")
    client.post("/access/login/", {"username": "anna", "password": PASSWORD})

    schema = client.get("/api/schema/?format=json").json()

    for path in (
        "/api/users/",
        "/api/users/{id}/set_password/",
        "/api/roles/",
        "/api/departments/",
        "/api/me/",
    ):
        assert path in schema["paths"]
