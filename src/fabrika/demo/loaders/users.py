"""Step "users": one user per built-in role, the department heads, the administrator's TOTP.

Every demo user signs in with the password `fabrika-demo`. The administrator's role requires a
second factor: the demo gives it an authenticator with a FIXED, PUBLIC key (`DEMO_TOTP_KEY`),
printed by `fabrika demo` as a base32 secret and an otpauth:// URI. It is a demo secret that
anyone can read in this file: never keep it on a system that holds real data.
"""

import hashlib
from binascii import unhexlify
from dataclasses import dataclass

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from fabrika.access.models import Department, Role, User
from fabrika.access.services import (
    department_update,
    otp_device_confirm,
    otp_secret_base32,
    otp_uri,
    user_create,
)
from fabrika.core.errors import DomainError

DEMO_PASSWORD = "fabrika-demo"
DEMO_TOTP_KEY = hashlib.sha1(b"fabrika demo administrator authenticator").hexdigest()  # 20 bytes, hex
DEMO_TOTP_DEVICE_NAME = "Demo authenticator"
EMAIL_DOMAIN = "robofabrika.example"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str  # code of a built-in role
    first_name: str
    last_name: str
    department: str
    position: str
    extension: str  # of the office phone
    language: str = "en"

    @property
    def phone(self) -> str:
        return f"+43 1 2345 67{self.extension}"

    @property
    def email(self) -> str:
        return f"{self.first_name}.{self.last_name}@{EMAIL_DOMAIN}".lower()


# fmt: off
USERS = [
    DemoUser("director", "director", "Thomas", "Gruber", "Management", "Managing director", "01"),
    DemoUser("sales", "sales_manager", "Anna", "Becker", "Sales", "Head of sales", "11"),
    DemoUser("sales2", "sales_manager", "Julien", "Moreau", "Sales", "Sales, France and Benelux", "12", "fr"),
    DemoUser("economist", "economist", "Eva", "Novak", "Management", "Economist", "02"),
    DemoUser("engineer", "engineer", "Lukas", "Hofer", "Engineering", "Lead design engineer", "21"),
    DemoUser("production", "production_manager", "Martin", "Wagner", "Production", "Plant manager", "31"),
    DemoUser("storekeeper", "storekeeper", "Olga", "Ivanova", "Warehouse", "Storekeeper", "41", "ru"),
    DemoUser("purchaser", "purchaser", "Sophie", "Bauer", "Purchasing", "Purchasing manager", "51"),
    DemoUser("support", "support_agent", "David", "Klein", "Support", "Support engineer", "61"),
    DemoUser("admin", "administrator", "Peter", "Lang", "Management", "System administrator", "03"),
]
# fmt: on

DEPARTMENT_HEADS = {
    "Management": "director",
    "Sales": "sales",
    "Engineering": "engineer",
    "Production": "production",
    "Warehouse": "storekeeper",
    "Purchasing": "purchaser",
    "Support": "support",
}


def load(ctx) -> None:
    roles = {role.code: role for role in Role.objects.filter(code__in={u.role for u in USERS})}
    missing = sorted({u.role for u in USERS} - set(roles))
    if missing:
        raise DomainError(f"Built-in roles {', '.join(missing)} are missing: run `fabrika migrate` first.")
    departments = {d.name: d for d in Department.objects.filter(name__in={u.department for u in USERS})}
    existing = set(User.objects.filter(username__in=[u.username for u in USERS]).values_list("username", flat=True))
    for spec in USERS:
        if spec.username in existing:
            continue
        user = user_create(
            username=spec.username,
            password=DEMO_PASSWORD,
            first_name=spec.first_name,
            last_name=spec.last_name,
            email=spec.email,
            phone=spec.phone,
            position=spec.position,
            department=departments[spec.department],
            roles=[roles[spec.role]],
            language=spec.language,
        )
        ctx.count("users")
        if roles[spec.role].requires_second_factor:
            _give_demo_authenticator(user)
            ctx.count("authenticators")
    _set_department_heads(ctx, departments)


def _give_demo_authenticator(user: User) -> TOTPDevice:
    # TODO: use an access service that installs a known key without a code once one exists; the
    # confirmation service wants the current code, which the demo computes from its own key.
    code = TOTP(unhexlify(DEMO_TOTP_KEY), step=30, t0=0, digits=6).token()
    return otp_device_confirm(user=user, key=DEMO_TOTP_KEY, code=f"{code:06d}", name=DEMO_TOTP_DEVICE_NAME)


def _set_department_heads(ctx, departments: dict[str, Department]) -> None:
    """Give each demo department its head, unless someone already chose one."""
    for name, username in DEPARTMENT_HEADS.items():
        department = departments.get(name)
        if department is None or department.head_id is not None:
            continue
        head = User.objects.filter(username=username).first()
        if head is not None:
            department_update(department=department, name=department.name, head=head)
            ctx.count("department heads")


def demo_authenticator(user: User) -> TOTPDevice | None:
    """The user's authenticator if it still has the demo key (not replaced by a real one)."""
    return TOTPDevice.objects.filter(user=user, key=DEMO_TOTP_KEY, confirmed=True).first()


def logins() -> list[dict]:
    """The demo users that exist, for the table printed at the end of `fabrika demo`."""
    found = {u.username: u for u in User.objects.filter(username__in=[s.username for s in USERS])}
    roles = dict(Role.objects.values_list("code", "name"))
    rows = []
    for spec in USERS:
        user = found.get(spec.username)
        if user is None:
            continue
        device = demo_authenticator(user)
        rows.append(
            {
                "username": user.username,
                "role": roles.get(spec.role, spec.role),
                "password": DEMO_PASSWORD,
                "name": user.get_full_name(),
                "language": user.language or "en",
                "totp_secret": otp_secret_base32(DEMO_TOTP_KEY) if device else "",
                "totp_uri": otp_uri(user=user, key=DEMO_TOTP_KEY) if device else "",
            }
        )
    return rows
