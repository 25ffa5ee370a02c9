"""The administration pages: users, departments, roles; who may open them."""

import pytest
from auditlog.models import LogEntry
from django.test import Client

from fabrika.access.models import Department, Role, User
from fabrika.audit.models import BusinessEvent

from .factories import PASSWORD, make_role, make_user, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = make_user("root", "administrator", first_name="Root")
    return sign_in(client, admin)  # passes the second factor the role requires


# --- who may open the pages -----------------------------------------------------------------


ADMIN_PAGES = [
    "/access/users/",
    "/access/users/new/",
    "/access/roles/",
    "/access/roles/new/",
    "/access/departments/",
    "/access/departments/new/",
]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_without_the_access_area_the_admin_pages_are_forbidden(client, url):
    sign_in(client, make_user("anna", "sales_manager"))

    assert client.get(url).status_code == 403


def test_view_right_opens_lists_but_not_forms(client):
    director = make_user("dora", "director")  # access: view only
    sign_in(client, director)
    other = make_user("eric", "storekeeper")

    assert client.get("/access/users/").status_code == 200
    assert client.get("/access/roles/").status_code == 200
    assert client.get("/access/departments/").status_code == 200
    assert client.get("/access/users/new/").status_code == 403
    assert client.get(f"/access/users/{other.pk}/").status_code == 403
    assert client.post(f"/access/users/{other.pk}/deactivate/").status_code == 403
    # No "New" button without the add right.
    assert 'href="/access/users/new/"' not in client.get("/access/users/").content.decode()


def test_editing_a_role_changes_what_its_holders_may_open(admin_client):
    clerk_role = make_role("clerk", {"crm": ["view"]}, {"crm": "own"})
    clerk = make_user("carl", "clerk")
    clerk_client = Client()
    sign_in(clerk_client, clerk)
    assert clerk_client.get("/access/users/").status_code == 403

    form = {
        "name": "Clerk",
        "code": "clerk",
        "description": "",
        "perm__crm__view": "on",
        "scope__crm": "own",
        "scope__sales": "own",
        "scope__service": "own",
        "perm__access__view": "on",
    }
    response = admin_client.post(f"/access/roles/{clerk_role.pk}/", form)

    assert response.status_code == 302
    assert Role.objects.get(pk=clerk_role.pk).permissions == {"crm": ["view"], "access": ["view"]}
    assert clerk_client.get("/access/users/").status_code == 200
    assert clerk_client.get("/access/users/new/").status_code == 403

    form.pop("perm__access__view")
    admin_client.post(f"/access/roles/{clerk_role.pk}/", form)
    assert clerk_client.get("/access/users/").status_code == 403


# --- users ----------------------------------------------------------------------------------


def test_user_list_filters_searches_and_exports(admin_client):
    sales = Department.objects.create(name="Sales")
    make_user("anna", "sales_manager", department=sales, first_name="Anna", last_name="Petit")
    make_user("boris", "storekeeper", first_name="Boris", last_name="Moreau")

    html = admin_client.get("/access/users/?q=petit").content.decode()
    assert "anna" in html and "boris" not in html

    html = admin_client.get(f"/access/users/?department={sales.pk}").content.decode()
    assert "anna" in html and "boris" not in html

    role = Role.objects.get(code="storekeeper")
    html = admin_client.get(f"/access/users/?role={role.pk}").content.decode()
    assert "boris" in html and "anna" not in html

    export = admin_client.get("/access/users/?export=csv&q=petit")
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("User name,Name,E-mail")
    assert lines[1].startswith("anna,Anna Petit,")
    assert "Sales manager" in lines[1]
    assert len(lines) == 2


def test_create_user_with_roles_and_password(admin_client):
    sales = Department.objects.create(name="Sales")
    role = Role.objects.get(code="sales_manager")

    response = admin_client.post(
        "/access/users/new/",
        {
            "username": "anna",
            "first_name": "Anna",
            "last_name": "Petit",
            "email": "anna@example.com",
            "phone": "",
            "position": "Manager",
            "department": sales.pk,
            "roles": [role.pk],
            "language": "fr",
            "password1": "Strong-Pass-2026",
            "password2": "Strong-Pass-2026",
        },
    )

    anna = User.objects.get(username="anna")
    assert response.status_code == 302
    assert response["Location"] == f"/access/users/{anna.pk}/"
    assert anna.check_password("Strong-Pass-2026")
    assert list(anna.roles.values_list("code", flat=True)) == ["sales_manager"]
    assert (anna.department, anna.language, anna.position) == (sales, "fr", "Manager")
    event = BusinessEvent.objects.get(event="user.created", object_id=str(anna.pk))
    assert event.actor.username == "root"
    assert event.data == {"username": "anna", "roles": ["sales_manager"]}
    # Field-level audit, without the password.
    entry = LogEntry.objects.get_for_object(anna).get(action=LogEntry.Action.CREATE)
    assert "password" not in entry.changes_dict
    assert "username" in entry.changes_dict


def test_create_user_refusals_keep_the_input(admin_client):
    make_user("anna", "sales_manager")

    response = admin_client.post(
        "/access/users/new/",
        {
            "username": "anna",
            "first_name": "Second",
            "email": "x@example.com",
            "password1": "short",
            "password2": "different",
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_username_errors"' in html
    assert 'id="id_password2_errors"' in html
    assert 'value="Second"' in html
    assert User.objects.filter(username="anna").count() == 1

    weak = admin_client.post(
        "/access/users/new/", {"username": "newbie", "password1": "12345678", "password2": "12345678"}
    )
    assert weak.status_code == 200
    assert "This password is entirely numeric." in weak.content.decode().split('id="id_password1_errors"')[1]
    assert not User.objects.filter(username="newbie").exists()


def test_edit_user_changes_roles_and_details(admin_client):
    anna = make_user("anna", "sales_manager")
    director = Role.objects.get(code="director")

    response = admin_client.post(
        f"/access/users/{anna.pk}/",
        {
            "username": "anna",
            "first_name": "Anna",
            "last_name": "",
            "email": "",
            "phone": "",
            "position": "",
            "department": "",
            "roles": [director.pk],
            "language": "",
        },
    )

    assert response.status_code == 302
    anna.refresh_from_db()
    assert anna.first_name == "Anna"
    assert list(anna.roles.values_list("code", flat=True)) == ["director"]
    event = BusinessEvent.objects.get(event="user.changed", object_id=str(anna.pk))
    assert event.data["changes"] == {"first_name": ["", "Anna"], "roles": [["sales_manager"], ["director"]]}


def test_deactivate_and_activate_a_user(admin_client):
    anna = make_user("anna", "sales_manager")
    client = Client()

    admin_client.post(f"/access/users/{anna.pk}/deactivate/")
    anna.refresh_from_db()
    assert not anna.is_active
    response = client.post("/access/login/", {"username": "anna", "password": PASSWORD})
    assert response.status_code == 200  # refused

    admin_client.post(f"/access/users/{anna.pk}/activate/")
    anna.refresh_from_db()
    assert anna.is_active


def test_the_last_administrator_cannot_be_deactivated_or_lose_the_role(client):
    root = make_user("root", "administrator")
    helper = make_user("helper", "administrator")
    sign_in(client, helper)

    client.post(f"/access/users/{root.pk}/deactivate/")
    root.refresh_from_db()
    assert not root.is_active  # another administrator is left: allowed

    # helper is now the last one; remove the administrator role from helper via another admin?
    # Nobody else can: and helper may not deactivate themselves.
    response = client.post(f"/access/users/{helper.pk}/deactivate/", follow=True)
    assert "You cannot deactivate yourself." in response.content.decode()
    response = client.post(
        f"/access/users/{helper.pk}/",
        {
            "username": "helper",
            "roles": [Role.objects.get(code="director").pk],
        },
        follow=True,
    )
    assert "This change would leave no active user who may manage users and roles." in response.content.decode()
    assert list(helper.roles.values_list("code", flat=True)) == ["administrator"]


def test_set_password_by_administrator(admin_client):
    anna = make_user("anna", "sales_manager")
    client = Client()

    bad = admin_client.post(f"/access/users/{anna.pk}/password/", {"new_password1": "abc", "new_password2": "abc"})
    assert bad.status_code == 200
    assert 'id="id_new_password2_errors"' in bad.content.decode()

    good = admin_client.post(
        f"/access/users/{anna.pk}/password/",
        {"new_password1": "New-Secret-99", "new_password2": "New-Secret-99"},
    )
    assert good.status_code == 302
    assert client.post("/access/login/", {"username": "anna", "password": "New-Secret-99"}).status_code == 302


def test_delete_only_users_without_records(admin_client):
    fresh = make_user("fresh", None)
    active = make_user("active", "sales_manager")
    BusinessEvent.objects.create(actor=active, event="something.done")

    html = admin_client.get(f"/access/users/{active.pk}/").content.decode()
    assert f'action="/access/users/{active.pk}/delete/"' not in html
    response = admin_client.post(f"/access/users/{active.pk}/delete/", follow=True)
    assert "deactivate the user instead" in response.content.decode()
    assert User.objects.filter(pk=active.pk).exists()

    response = admin_client.post(f"/access/users/{fresh.pk}/delete/")
    assert response["Location"] == "/access/users/"
    assert not User.objects.filter(pk=fresh.pk).exists()


def test_reset_second_factor_of_a_user(admin_client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .factories import give_device

    anna = make_user("anna", "sales_manager")
    give_device(anna)

    admin_client.post(f"/access/users/{anna.pk}/reset-second-factor/")

    assert not TOTPDevice.objects.filter(user=anna).exists()


# --- departments ----------------------------------------------------------------------------


def test_department_create_edit_and_delete_when_empty(admin_client):
    response = admin_client.post("/access/departments/new/", {"name": "Sales", "head": ""})
    assert response.status_code == 302
    sales = Department.objects.get(name="Sales")

    duplicate = admin_client.post("/access/departments/new/", {"name": "Sales", "head": ""})
    assert 'id="id_name_errors"' in duplicate.content.decode()

    anna = make_user("anna", "sales_manager", department=sales)
    admin_client.post(f"/access/departments/{sales.pk}/", {"name": "Sales team", "head": anna.pk})
    sales.refresh_from_db()
    assert (sales.name, sales.head) == ("Sales team", anna)

    refused = admin_client.post(f"/access/departments/{sales.pk}/delete/", follow=True)
    assert "is still in use" in refused.content.decode()
    assert Department.objects.filter(pk=sales.pk).exists()

    User.objects.filter(pk=anna.pk).update(department=None)
    admin_client.post(f"/access/departments/{sales.pk}/delete/")
    assert not Department.objects.filter(pk=sales.pk).exists()


def test_department_list_counts_people(admin_client):
    sales = Department.objects.create(name="Sales")
    make_user("anna", "sales_manager", department=sales)
    make_user("boris", "sales_manager", department=sales)

    response = admin_client.get("/access/departments/?export=csv")

    body = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert body == ["Name,Head,People", "Sales,,2"]


# --- roles ----------------------------------------------------------------------------------


def test_role_form_shows_the_matrix_with_the_supported_actions(admin_client):
    role = Role.objects.get(code="sales_manager")

    html = admin_client.get(f"/access/roles/{role.pk}/").content.decode()

    assert 'name="perm__crm__approve" id="id_perm__crm__approve"' in html
    assert 'name="perm__audit__add"' not in html  # the audit log has only "view"
    assert 'name="perm__crm__view" id="id_perm__crm__view" checked' in html
    assert 'name="scope__crm"' in html and 'name="scope__catalog"' not in html
    assert 'name="code"' in html and "disabled" in html.split('name="code"')[1].split(">")[0]


def test_role_create_builds_the_code_and_implies_view(admin_client):
    response = admin_client.post(
        "/access/roles/new/",
        {
            "name": "Quality control",
            "code": "",
            "description": "QC",
            "perm__production__approve": "on",
            "perm__inventory__view": "on",
            "scope__crm": "team",
            "scope__sales": "own",
            "scope__service": "all",
            "requires_second_factor": "on",
        },
    )

    assert response.status_code == 302
    role = Role.objects.get(name="Quality control")
    assert role.code == "quality-control"
    assert role.permissions == {"inventory": ["view"], "production": ["view", "approve"]}
    assert role.scopes == {"crm": "team", "sales": "own", "service": "all"}
    assert role.requires_second_factor and not role.builtin


def test_role_form_error_keeps_the_ticks(admin_client):
    make_role("clerk", {"crm": ["view"]})

    response = admin_client.post(
        "/access/roles/new/",
        {
            "name": "Other",
            "code": "clerk",
            "perm__crm__add": "on",
            "scope__crm": "all",
            "scope__sales": "own",
            "scope__service": "own",
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_code_errors"' in html
    assert 'name="perm__crm__add" id="id_perm__crm__add" checked' in html
    assert '<option value="all" selected>' in html


def test_role_delete_rules(admin_client):
    builtin = Role.objects.get(code="storekeeper")
    used = make_role("clerk", {"crm": ["view"]})
    make_user("carl", "clerk")
    unused = make_role("temp", {"crm": ["view"]})

    response = admin_client.post(f"/access/roles/{builtin.pk}/delete/", follow=True)
    assert "cannot be deleted" in response.content.decode()
    response = admin_client.post(f"/access/roles/{used.pk}/delete/", follow=True)
    assert "is still in use" in response.content.decode()
    response = admin_client.post(f"/access/roles/{unused.pk}/delete/")
    assert response["Location"] == "/access/roles/"

    assert set(Role.objects.filter(pk__in=[builtin.pk, used.pk, unused.pk]).values_list("code", flat=True)) == {
        "storekeeper",
        "clerk",
    }


def test_role_list_counts_users(admin_client):
    make_user("anna", "sales_manager")
    make_user("boris", "sales_manager")

    response = admin_client.get("/access/roles/?export=csv&q=sales")

    body = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert body[0] == "Name,Code,Users,Areas,Second factor,Built-in"
    assert body[1].startswith("Sales manager,sales_manager,2,")
