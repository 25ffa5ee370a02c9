"""The only code that changes users, departments, roles, API tokens and second-factor devices.

Every function takes keyword-only arguments, runs in one transaction, raises `ValidationFailed`
(field -> messages) or an `access.errors` domain error, and records a business event. A change
that would leave nobody able to manage users and roles is refused (`LastAdministrator`).
"""

import contextlib
import secrets
from base64 import b32encode
from binascii import unhexlify
from urllib.parse import quote, urlencode

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from fabrika.audit.context import get_actor
from fabrika.audit.services import record_event
from fabrika.core.errors import ValidationFailed

from .areas import AREAS, SCOPE_ORDER, VIEW
from .errors import BuiltinRole, LastAdministrator, SecondFactorRefused, StillInUse
from .models import Department, Role, User
from .policy import forget

# ---------------------------------------------------------------------------------------------
# helpers


def _validation_failed(exc: ValidationError) -> ValidationFailed:
    if hasattr(exc, "error_dict"):
        return ValidationFailed({field: list(messages) for field, messages in exc.message_dict.items()})
    return ValidationFailed({"__all__": exc.messages})


def _full_clean(obj, *, exclude=None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise _validation_failed(exc)


def _administrators_exist() -> bool:
    """Is there an active user who may manage users and roles (access/change)?"""
    admin_roles = [role.pk for role in Role.objects.all() if role.grants("access", "change")]
    return (
        User.objects.filter(is_active=True).filter(Q(is_superuser=True) | Q(roles__in=admin_roles)).exists()
    )


@contextlib.contextmanager
def _keeping_an_administrator():
    """Refuse a change (inside its transaction) that removes the last administrator."""
    had = _administrators_exist()
    yield
    if had and not _administrators_exist():
        raise LastAdministrator()


def _check_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed({"password": exc.messages})


# ---------------------------------------------------------------------------------------------
# users

USER_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "phone",
    "position",
    "department",
    "language",
    "is_active",
)


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    position: str = "",
    department: Department | None = None,
    roles=(),
    language: str = "",
    is_active: bool = True,
) -> User:
    """Create a user with roles. Without a password the user cannot sign in until one is set."""
    user = User(
        username=(username or "").strip(),
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        position=position,
        department=department,
        language=language,
        is_active=is_active,
    )
    _full_clean(user, exclude=["password"])
    if password:
        _check_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    roles = list(roles)
    user.roles.set(roles)
    record_event("user.created", user, username=user.username, roles=sorted(r.code for r in roles))
    return user


@transaction.atomic
def user_update(*, user: User, roles=None, **changes) -> User:
    """Change a user's details (any of `USER_FIELDS`) and, when given, their roles.

    `is_active` is passed on to `user_deactivate` / `user_activate`.
    """
    unknown = set(changes) - set(USER_FIELDS)
    if unknown:
        raise TypeError(f"user_update() got unknown fields: {', '.join(sorted(unknown))}")
    active = changes.pop("is_active", None)
    with _keeping_an_administrator():
        before = {field: _plain(getattr(user, field)) for field in changes}
        for field, value in changes.items():
            setattr(user, field, value)
        if "username" in changes:
            user.username = (user.username or "").strip()
        _full_clean(user, exclude=["password"])
        changed = {
            f: [before[f], _plain(getattr(user, f))] for f in changes if before[f] != _plain(getattr(user, f))
        }
        if changed:
            user.save(update_fields=list(changed))
        if roles is not None:
            old = sorted(user.roles.values_list("code", flat=True))
            new = sorted(r.code for r in roles)
            if old != new:
                user.roles.set(list(roles))
                changed["roles"] = [old, new]
    forget(user)
    if changed:
        record_event("user.changed", user, changes=changed)
    if active is False:
        user_deactivate(user=user)
    elif active is True:
        user_activate(user=user)
    return user


def _plain(value):
    return value.pk if hasattr(value, "_meta") else value


def _refuse_self(user: User, message: str) -> None:
    actor = get_actor()
    if actor is not None and actor.pk == user.pk:
        raise ValidationFailed({"__all__": [message]})


@transaction.atomic
def user_update_profile(
    *, user: User, first_name: str, last_name: str, email: str, phone: str, language: str | None = None
) -> User:
    """What every user may change about themselves."""
    before = {f: getattr(user, f) for f in ("first_name", "last_name", "email", "phone")}
    user.first_name, user.last_name, user.email, user.phone = first_name, last_name, email, phone
    _full_clean(user, exclude=["password"])
    changed = [f for f, v in before.items() if getattr(user, f) != v]
    if changed:
        user.save(update_fields=changed)
        record_event("user.profile_changed", user, fields=changed)
    if language is not None:
        user_set_language(user=user, language=language)
    return user


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
        record_event("user.language_changed", user, language=language)
    return user


@transaction.atomic
def user_set_password(*, user: User, password: str) -> User:
    """Set a new password (the user's own change, or an administrator's reset); checked by the validators."""
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    actor = get_actor()
    record_event("user.password_set", user, by_self=actor is not None and actor.pk == user.pk)
    return user


@transaction.atomic
def user_deactivate(*, user: User) -> User:
    """Deactivate instead of deleting: the user's records, history and audit trail stay theirs."""
    if not user.is_active:
        return user
    _refuse_self(user, _("You cannot deactivate yourself."))
    with _keeping_an_administrator():
        user.is_active = False
        user.save(update_fields=["is_active"])
    Token.objects.filter(user=user).delete()
    forget(user)
    record_event("user.deactivated", user)
    return user


@transaction.atomic
def user_activate(*, user: User) -> User:
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        forget(user)
        record_event("user.activated", user)
    return user


# Rows that belong to the user's account itself and go with it.
_ACCOUNT_APPS = {"authtoken", "otp_totp", "otp_static", "otp_hotp", "otp_email", "django_otp"}


def user_references(user: User) -> dict[str, int]:
    """Records elsewhere that point to this user (owner, author, actor of audit entries …)."""
    usages: dict[str, int] = {}
    for rel in User._meta.get_fields(include_hidden=True):
        if not rel.auto_created or rel.concrete or not rel.is_relation:
            continue  # only reverse relations (other models' foreign keys to users)
        model = rel.related_model
        if model._meta.auto_created or model._meta.app_label in _ACCOUNT_APPS:
            continue  # m2m link rows (the user's roles) and the account's own token/devices
        count = model._base_manager.filter(**{rel.field.name: user}).count()
        if count:
            name = str(model._meta.verbose_name_plural)
            usages[name] = usages.get(name, 0) + count
    return usages


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete a user who never owned or did anything; everyone else is deactivated instead."""
    _refuse_self(user, _("You cannot delete yourself."))
    usages = user_references(user)
    if usages:
        raise StillInUse(
            user,
            usages,
            _("%(user)s has records in Fabrika (%(usages)s): deactivate the user instead.")
            % {"user": user, "usages": ", ".join(f"{k}: {v}" for k, v in usages.items())},
        )
    with _keeping_an_administrator():
        record_event("user.deleted", None, user_id=user.pk, username=user.username)
        user.delete()


# ---------------------------------------------------------------------------------------------
# API tokens


def api_token_for(user: User) -> Token | None:
    return Token.objects.filter(user=user).first()


@transaction.atomic
def api_token_regenerate(*, user: User) -> Token:
    """Create the user's API token, replacing the old one (which stops working at once)."""
    replaced = Token.objects.filter(user=user).delete()[0] > 0
    token = Token.objects.create(user=user)
    record_event("user.api_token_created", user, replaced=replaced)
    return token


@transaction.atomic
def api_token_revoke(*, user: User) -> None:
    if Token.objects.filter(user=user).delete()[0]:
        record_event("user.api_token_revoked", user)


# ---------------------------------------------------------------------------------------------
# second factor (TOTP)

OTP_ISSUER = "Fabrika"


def otp_new_key() -> str:
    """A fresh secret (hex, 20 bytes), kept in the session until the user confirms a code."""
    return secrets.token_hex(20)


def otp_secret_base32(key: str) -> str:
    return b32encode(unhexlify(key)).decode()


def otp_uri(*, user: User, key: str) -> str:
    """The otpauth:// URI authenticator apps read from the QR code."""
    label = quote(f"{OTP_ISSUER}:{user.get_username()}")
    params = urlencode(
        {
            "secret": otp_secret_base32(key),
            "issuer": OTP_ISSUER,
            "algorithm": "SHA1",
            "digits": 6,
            "period": 30,
        }
    )
    return f"otpauth://totp/{label}?{params}"


def _normalize_code(code) -> int | None:
    text = str(code or "").replace(" ", "").strip()
    return int(text) if text.isdigit() and len(text) in (6, 8) else None


def has_confirmed_device(user: User) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


@transaction.atomic
def otp_device_confirm(*, user: User, key: str, code, name: str = "") -> TOTPDevice:
    """Keep the authenticator whose code the user typed; it replaces any earlier one."""
    token = _normalize_code(code)
    totp = TOTP(unhexlify(key), step=30, t0=0, digits=6)
    if token is None or not totp.verify(token, tolerance=1):
        raise ValidationFailed(
            {"code": [_("The code does not match. Check the time on your phone and try again.")]}
        )
    replaced = TOTPDevice.objects.filter(user=user).delete()[0] > 0
    device = TOTPDevice.objects.create(
        user=user,
        name=name or _("Authenticator"),
        key=key,
        confirmed=True,
        last_t=totp.t(),
        drift=totp.drift,
    )
    record_event("user.second_factor_set_up", user, replaced=replaced)
    return device


def otp_verify(*, user: User, code) -> TOTPDevice:
    """Check a code against the user's authenticator.

    Not one atomic block on purpose: the failure counter that throttles guessing must be
    committed even though the attempt is refused, so the refusal is raised after the commit.
    """
    token = _normalize_code(code)
    matched, wait = None, None
    with transaction.atomic():
        devices = list(TOTPDevice.objects.devices_for_user(user, confirmed=True).select_for_update())
        for device in devices:
            allowed, info = device.verify_is_allowed()
            if not allowed:
                locked_until = (info or {}).get("locked_until")
                if locked_until is not None:
                    wait = max(1, int((locked_until - timezone.now()).total_seconds()) + 1)
                continue
            if token is not None and device.verify_token(token):
                matched = device
                break
            if token is None:
                device.throttle_increment(commit=True)
        record_event("user.second_factor_verified" if matched else "user.second_factor_failed", user)
    if matched is not None:
        return matched
    if not devices:
        raise SecondFactorRefused(_("No authenticator is set up for this account."))
    if wait is not None:
        raise SecondFactorRefused(
            _("Too many wrong codes. Try again in %(seconds)s seconds.") % {"seconds": wait},
            wait_seconds=wait,
        )
    raise SecondFactorRefused(_("The code is wrong or was already used."))


@transaction.atomic
def otp_devices_reset(*, user: User) -> None:
    """Remove the user's authenticators (lost phone); a role that requires one asks to set up a new one."""
    if TOTPDevice.objects.filter(user=user).delete()[0]:
        record_event("user.second_factor_reset", user)


# ---------------------------------------------------------------------------------------------
# departments


@transaction.atomic
def department_create(*, name: str, head: User | None = None) -> Department:
    department = Department(name=(name or "").strip(), head=head)
    _full_clean(department)
    department.save()
    record_event("department.created", department, name=department.name)
    return department


@transaction.atomic
def department_update(*, department: Department, name: str, head: User | None = None) -> Department:
    before = {"name": department.name, "head": department.head_id}
    department.name, department.head = (name or "").strip(), head
    _full_clean(department)
    department.save()
    after = {"name": department.name, "head": department.head_id}
    if before != after:
        record_event("department.changed", department, before=before, after=after)
    return department


@transaction.atomic
def department_delete(*, department: Department) -> None:
    members = department.members.count()
    if members:
        raise StillInUse(department, {str(User._meta.verbose_name_plural): members})
    record_event("department.deleted", None, department_id=department.pk, name=department.name)
    department.delete()


# ---------------------------------------------------------------------------------------------
# roles


def clean_permissions(permissions: dict | None, scopes: dict | None) -> tuple[dict, dict]:
    """Normalize a permission matrix; any right in an area includes viewing it.

    Actions are kept in the area's own order; unknown areas, actions and scopes are refused.
    """
    errors: list[str] = []
    clean: dict[str, list[str]] = {}
    for area, actions in (permissions or {}).items():
        if area not in AREAS:
            errors.append(_("Unknown area %(area)s.") % {"area": area})
            continue
        supported = AREAS[area][1]
        if isinstance(actions, str) or not isinstance(actions, (list, tuple, set)):
            errors.append(_("The rights of %(area)s must be a list.") % {"area": area})
            continue
        for action in actions:
            if action not in supported:
                errors.append(
                    _("%(area)s has no action %(action)s.") % {"area": AREAS[area][0], "action": action}
                )
        granted = [a for a in supported if a in actions]
        if granted and VIEW not in granted:
            granted.insert(0, VIEW)
        if granted:
            clean[area] = granted
    clean_scopes: dict[str, str] = {}
    scope_errors: list[str] = []
    for area, scope in (scopes or {}).items():
        if area not in AREAS or not AREAS[area][2]:
            scope_errors.append(_("%(area)s has no record scope.") % {"area": area})
        elif scope not in SCOPE_ORDER:
            scope_errors.append(_("Unknown record scope %(scope)s.") % {"scope": scope})
        else:
            clean_scopes[area] = scope
    failed = {}
    if errors:
        failed["permissions"] = errors
    if scope_errors:
        failed["scopes"] = scope_errors
    if failed:
        raise ValidationFailed(failed)
    return clean, clean_scopes


def _unique_code(name: str) -> str:
    base = slugify(name)[:34] or "role"
    code, n = base, 2
    while Role.objects.filter(code=code).exists():
        code, n = f"{base}-{n}", n + 1
    return code


@transaction.atomic
def role_create(
    *,
    name: str,
    code: str = "",
    description: str = "",
    permissions: dict | None = None,
    scopes: dict | None = None,
    requires_second_factor: bool = False,
) -> Role:
    permissions, scopes = clean_permissions(permissions, scopes)
    role = Role(
        name=(name or "").strip(),
        code=(code or "").strip() or _unique_code(name or ""),
        description=description,
        permissions=permissions,
        scopes=scopes,
        requires_second_factor=requires_second_factor,
        builtin=False,
    )
    _full_clean(role)
    role.save()
    record_event("role.created", role, code=role.code, permissions=permissions, scopes=scopes)
    return role


ROLE_FIELDS = ("name", "code", "description", "permissions", "scopes", "requires_second_factor")


@transaction.atomic
def role_update(*, role: Role, **changes) -> Role:
    """Change a role; the users holding it get the new rights with their next request."""
    unknown = set(changes) - set(ROLE_FIELDS)
    if unknown:
        raise TypeError(f"role_update() got unknown fields: {', '.join(sorted(unknown))}")
    if role.builtin and "code" in changes and changes["code"] != role.code:
        raise ValidationFailed({"code": [_("The code of a built-in role cannot be changed.")]})
    if "permissions" in changes or "scopes" in changes:
        changes["permissions"], changes["scopes"] = clean_permissions(
            changes.get("permissions", role.permissions), changes.get("scopes", role.scopes)
        )
    with _keeping_an_administrator():
        before = {field: getattr(role, field) for field in changes}
        for field, value in changes.items():
            setattr(role, field, value)
        _full_clean(role)
        changed = {f: [before[f], getattr(role, f)] for f in changes if before[f] != getattr(role, f)}
        if changed:
            role.save(update_fields=list(changed))
    if changed:
        record_event("role.changed", role, changes=changed)
    return role


@transaction.atomic
def role_delete(*, role: Role) -> None:
    if role.builtin:
        raise BuiltinRole(role)
    holders = role.users.count()
    if holders:
        raise StillInUse(role, {str(User._meta.verbose_name_plural): holders})
    record_event("role.deleted", None, role_id=role.pk, code=role.code, name=role.name)
    role.delete()
