"""The access services: rules they keep and what they record."""

import pytest
from auditlog.models import LogEntry
from rest_framework.authtoken.models import Token

from fabrika.access import services
from fabrika.access.errors import BuiltinRole, LastAdministrator, StillInUse
from fabrika.access.models import Role, User
from fabrika.access.policy import can
from fabrika.audit.context import audit_context
from fabrika.audit.models import BusinessEvent
from fabrika.core.errors import ValidationFailed

from .factories import make_role, make_user

pytestmark = pytest.mark.django_db


def test_clean_permissions_orders_actions_and_implies_view():
    permissions, scopes = services.clean_permissions(
        {"production": ["cost", "approve"], "crm": [], "audit": ["view"]}, {"crm": "team"}
    )

    assert permissions == {"production": ["view", "approve", "cost"], "audit": ["view"]}
    assert scopes == {"crm": "team"}


@pytest.mark.parametrize(
    ("permissions", "scopes", "errors"),
    [
        ({"nowhere": ["view"]}, {}, {"permissions": ["Unknown area nowhere."]}),
        ({"audit": ["delete"]}, {}, {"permissions": ["Audit log has no action delete."]}),
        ({}, {"catalog": "all"}, {"scopes": ["catalog has no record scope."]}),
        ({}, {"crm": "everyone"}, {"scopes": ["Unknown record scope everyone."]}),
    ],
)
def test_clean_permissions_refuses_what_does_not_exist(permissions, scopes, errors):
    with pytest.raises(ValidationFailed) as refused:
        services.clean_permissions(permissions, scopes)

    assert refused.value.errors == errors


def test_user_without_password_cannot_sign_in():
    user = services.user_create(username="  later  ")

    assert user.username == "later"
    assert not user.has_usable_password()


def test_user_create_checks_the_password_against_the_user():
    with pytest.raises(ValidationFailed) as refused:
        services.user_create(username="margaret", first_name="Margaret", password="margaret1")

    assert "password" in refused.value.errors
    assert not User.objects.filter(username="margaret").exists()


def test_user_update_refuses_unknown_fields():
    user = make_user("anna", "sales_manager")

    with pytest.raises(TypeError):
        services.user_update(user=user, is_superuser=True)


def test_deactivation_revokes_the_api_token():
    make_user("root", "administrator")
    anna = make_user("anna", "sales_manager")
    services.api_token_regenerate(user=anna)

    services.user_update(user=anna, is_active=False)

    assert not Token.objects.filter(user=anna).exists()
    assert list(BusinessEvent.objects.filter(object_id=str(anna.pk)).values_list("event", flat=True)) == [
        "user.deactivated",
        "user.api_token_created",
        "user.created",
    ]


def test_role_change_is_seen_after_forget():
    role = make_role("clerk", {"crm": ["view"]})
    user = make_user("carl", "clerk")
    assert not can(user, "crm", "add")

    services.role_update(role=role, permissions={"crm": ["view", "add"]})
    assert not can(user, "crm", "add")  # rights cached on this object for the request

    services.user_update(user=user, first_name="Carl")  # the service forgets the cache
    assert can(user, "crm", "add")


def test_removing_access_change_from_the_only_admin_role_is_refused():
    make_user("root", "administrator")
    administrator = Role.objects.get(code="administrator")
    before = dict(administrator.permissions)

    with pytest.raises(LastAdministrator):
        services.role_update(role=administrator, permissions={**before, "access": ["view"]})

    assert Role.objects.get(code="administrator").permissions == before


def test_the_guard_does_not_block_a_fresh_install_without_administrators():
    make_user("dora", "director")  # nobody may manage users yet

    services.role_update(role=Role.objects.get(code="director"), name="Boss")

    assert Role.objects.get(code="director").name == "Boss"


def test_builtin_roles_keep_their_code_and_cannot_be_deleted():
    role = Role.objects.get(code="engineer")

    with pytest.raises(ValidationFailed) as refused:
        services.role_update(role=role, code="eng")
    assert "code" in refused.value.errors
    with pytest.raises(BuiltinRole):
        services.role_delete(role=role)


def test_role_in_use_cannot_be_deleted():
    role = make_role("clerk", {"crm": ["view"]})
    make_user("carl", "clerk")
    make_user("cleo", "clerk")

    with pytest.raises(StillInUse) as refused:
        services.role_delete(role=role)

    assert refused.value.usages == {"users": 2}


def test_user_references_lists_what_points_to_the_user():
    anna = make_user("anna", "sales_manager")
    assert services.user_references(anna) == {}

    with audit_context(actor=anna, kind="test"):
        services.department_create(name="Sales", head=anna)

    assert services.user_references(anna) == {"business events": 1, "departments": 1, "log entries": 1}


def test_department_changes_are_in_the_field_audit():
    department = services.department_create(name="Sales")

    services.department_update(department=department, name="Sales team")

    changes = [
        e.changes_dict for e in LogEntry.objects.get_for_object(department).order_by("timestamp", "pk")
    ]
    assert changes[-1] == {"name": ["Sales", "Sales team"]}


def test_otp_device_confirm_refuses_a_wrong_code_and_keeps_the_old_device():
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .factories import give_device

    user = make_user("dora", "director")
    old = give_device(user)
    key = services.otp_new_key()
    right = TOTP(bytes.fromhex(key)).token()

    with pytest.raises(ValidationFailed):
        services.otp_device_confirm(user=user, key=key, code=f"{(right + 1) % 1000000:06d}")
    assert list(TOTPDevice.objects.filter(user=user)) == [old]

    new = services.otp_device_confirm(user=user, key=key, code=f"{right:06d}")
    assert list(TOTPDevice.objects.filter(user=user)) == [new]
    assert new.key == key


def test_otp_uri_carries_the_secret_in_base32():
    user = make_user("dora", "director")
    key = "3132333435363738393031323334353637383930"  # "12345678901234567890", RFC 6238's key

    uri = services.otp_uri(user=user, key=key)

    assert uri == (
        "otpauth://totp/Fabrika%3Adora?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Fabrika&algorithm=SHA1"
        "&digits=6&period=30"
    )
