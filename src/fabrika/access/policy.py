"""The one place where access is decided.

Pages, API endpoints and exports all ask the same three questions:

* `can(user, area, action)` — may this user do `action` in `area` at all?
* `require(user, area, action)` — the same, raising PermissionDenied with a readable message;
* `restrict(user, action, queryset)` — which records of the queryset may this user `action`?
  Models with owned records declare `access_area` and `owner_fields` (paths to the owning user);
  the user's record scope (own / team / all) for the area picks the filter.

Every view declares an `access_policy` (see `Policy`); the permission matrix test fails on a
route without one.
"""

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from .areas import ACTIONS, ALL, AREAS, OWN, SCOPE_ORDER, TEAM, area_label


@dataclass(frozen=True)
class Policy:
    """What a view requires. `area=None` means "any signed-in user"; `public` means anyone."""

    area: str | None = None
    action: str = "view"
    public: bool = False

    def allows(self, user) -> bool:
        if self.public:
            return True
        if not user.is_authenticated:
            return False
        return self.area is None or can(user, self.area, self.action)


PUBLIC = Policy(public=True)
SIGNED_IN = Policy()


@dataclass
class Access:
    granted: frozenset
    scopes: dict
    superuser: bool
    second_factor_required: bool


def access_for(user) -> Access:
    """The user's effective rights: the union of their roles (cached on the user object)."""
    cached = getattr(user, "_fabrika_access", None)
    if cached is not None:
        return cached
    if not user.is_authenticated or not user.is_active:
        access = Access(frozenset(), {}, False, False)
    else:
        granted: set[tuple[str, str]] = set()
        scopes: dict[str, str] = {}
        needs_2fa = False
        for role in user.roles.all():
            granted.update(role.granted_pairs())
            needs_2fa = needs_2fa or role.requires_second_factor
            for area in AREAS:
                scope = role.scope_for(area)
                if SCOPE_ORDER.index(scope) > SCOPE_ORDER.index(scopes.get(area, OWN)):
                    scopes[area] = scope
        access = Access(frozenset(granted), scopes, user.is_superuser, needs_2fa)
    user._fabrika_access = access
    return access


def forget(user) -> None:
    """Drop the cached rights (after the user's roles changed)."""
    if hasattr(user, "_fabrika_access"):
        del user._fabrika_access


def can(user, area: str, action: str) -> bool:
    if area not in AREAS or action not in ACTIONS:
        raise ValueError(f"unknown area/action {area}/{action}")
    access = access_for(user)
    return access.superuser or (area, action) in access.granted


def require(user, area: str, action: str) -> None:
    if not can(user, area, action):
        raise PermissionDenied(
            _("You may not %(action)s in %(area)s.") % {"action": ACTIONS[action], "area": area_label(area)}
        )


def scope_of(user, area: str) -> str:
    access = access_for(user)
    if access.superuser:
        return ALL
    return access.scopes.get(area, OWN)


def restrict(user, action: str, queryset: QuerySet) -> QuerySet:
    """The records of `queryset` that `user` may `action`.

    No right in the area gives an empty queryset. A model without `owner_fields` is not
    scoped: the area right is enough.
    """
    model = queryset.model
    area = model.access_area
    if not can(user, area, action):
        return queryset.none()
    owner_fields = getattr(model, "owner_fields", ())
    scope = scope_of(user, area)
    if not owner_fields or scope == ALL:
        return queryset
    if scope == TEAM and user.department_id:
        condition = reduce(or_, (Q(**{f"{f}__department_id": user.department_id}) for f in owner_fields))
    else:
        condition = reduce(or_, (Q(**{f: user}) for f in owner_fields))
    return queryset.filter(condition).distinct() if len(owner_fields) > 1 else queryset.filter(condition)


def restrict_object(user, action: str, obj) -> bool:
    """Whether `user` may `action` this one record."""
    return restrict(user, action, type(obj)._default_manager.filter(pk=obj.pk)).exists()
