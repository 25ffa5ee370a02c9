"""Domain errors of access: each carries the data that explains it."""

from django.utils.translation import gettext as _

from fabrika.core.errors import DomainError


class LastAdministrator(DomainError):
    """The change would leave nobody who may manage users and roles."""

    code = "last_administrator"

    def __init__(self):
        super().__init__(_("This change would leave no active user who may manage users and roles."))


class StillInUse(DomainError):
    """A role, department or user is referenced and cannot be deleted."""

    code = "in_use"

    def __init__(self, obj, usages: dict[str, int], message: str = ""):
        self.obj = obj
        self.usages = usages
        listed = ", ".join(f"{name}: {count}" for name, count in usages.items())
        super().__init__(
            message or _("%(obj)s is still in use (%(usages)s).") % {"obj": obj, "usages": listed},
            usages=usages,
        )


class BuiltinRole(DomainError):
    code = "builtin_role"

    def __init__(self, role):
        self.role = role
        super().__init__(_("The built-in role %(role)s cannot be deleted.") % {"role": role}, role=role.code)


class SecondFactorRefused(DomainError):
    """A one-time code was wrong, reused, or tried too often."""

    code = "second_factor_refused"

    def __init__(self, message: str, *, wait_seconds: int | None = None):
        self.wait_seconds = wait_seconds
        super().__init__(message, wait_seconds=wait_seconds)
