"""Users for tests, made through the same services as in production.

from fabrika.access.tests.factories import PASSWORD, make_user, sign_in

anna = make_user("anna", "sales_manager", department="Sales", first_name="Anna")
sign_in(client, anna)                    # a signed-in test client
boss = make_user("root", "administrator")
sign_in(client, boss)                    # also passes the second factor its role requires
"""

from django.utils.crypto import get_random_string
from django_otp import DEVICE_ID_SESSION_KEY

from fabrika.access import services
from fabrika.access.models import Department, Role, User

PASSWORD = "Correct-Horse-42"


def make_user(username: str, role_code: str | list[str] | None = None, department=None, **fields) -> User:
    """A user with the given role(s) (codes of `Role`), in `department` (a Department or a name).

    `fields` go to `access.services.user_create` (first_name, email, language, password …); the
    password defaults to `PASSWORD`.
    """
    codes = [role_code] if isinstance(role_code, str) else list(role_code or [])
    roles = [Role.objects.get(code=code) for code in codes]
    if isinstance(department, str):
        department = Department.objects.filter(name=department).first() or services.department_create(
            name=department
        )
    fields.setdefault("password", PASSWORD)
    return services.user_create(username=username, roles=roles, department=department, **fields)


def make_role(code: str, permissions: dict, scopes: dict | None = None, **fields) -> Role:
    """A custom role: `make_role("clerk", {"crm": ["view"]}, {"crm": "own"})`."""
    fields.setdefault("name", code.replace("_", " ").capitalize())
    return services.role_create(code=code, permissions=permissions, scopes=scopes or {}, **fields)


def give_device(user: User):
    """A confirmed TOTP device for `user`, as if they had set up their app some time ago.

    Made directly (test arrangement): the current code is still unused, so a test can sign in
    with `django_otp.oath.totp(device.bin_key)`.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="Test phone", confirmed=True)


def sign_in(client, user: User, *, verified: bool | None = None):
    """Sign `client` in as `user`.

    `verified`: the session has passed the second factor (a device is made when missing). By
    default only when one of the user's roles requires it.
    """
    client.force_login(user)
    if verified is None:
        verified = user.roles.filter(requires_second_factor=True).exists()
    if verified:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or give_device(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def unique_username(prefix: str = "user") -> str:
    return f"{prefix}-{get_random_string(6).lower()}"
