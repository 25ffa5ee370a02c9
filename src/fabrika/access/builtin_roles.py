"""The built-in roles a new company starts with (editable afterwards in the UI)."""

from django.utils.translation import gettext_noop as N_

from .areas import ADD, ALL, APPROVE, AREAS, CHANGE, COST, DELETE, OWN, POST, TEAM, VIEW

CRUD = [VIEW, ADD, CHANGE, DELETE]


def everything(area: str) -> list[str]:
    return list(AREAS[area][1])


def _all_view(*, with_cost: bool) -> dict[str, list[str]]:
    perms = {area: [VIEW] for area in AREAS if area not in ("access", "settings")}
    if with_cost:
        for area, (_label, actions, _scoped) in AREAS.items():
            if COST in actions:
                perms[area].append(COST)
    return perms


def _merge(*parts: dict[str, list[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for part in parts:
        for area, actions in part.items():
            merged.setdefault(area, [])
            merged[area].extend(a for a in actions if a not in merged[area])
    return merged


SCOPED_AREAS = [area for area, (_l, _a, scoped) in AREAS.items() if scoped]


def _scopes(scope: str) -> dict[str, str]:
    return {area: scope for area in SCOPED_AREAS}


ROLES = {
    "director": dict(
        name=N_("Director"),
        permissions=_merge(
            _all_view(with_cost=True),
            {"crm": CRUD + [APPROVE], "sales": [APPROVE], "purchasing": [APPROVE], "production": [APPROVE]},
            {"settings": [VIEW, CHANGE], "access": [VIEW]},
        ),
        scopes=_scopes(ALL),
    ),
    "sales_manager": dict(
        name=N_("Sales manager"),
        permissions={
            "crm": [VIEW, ADD, CHANGE, DELETE],
            "sales": [VIEW, ADD, CHANGE, POST],
            "catalog": [VIEW],
            "inventory": [VIEW],
            "service": [VIEW, ADD],
            "documents": [VIEW, ADD],
        },
        scopes=_scopes(OWN),
    ),
    "economist": dict(
        name=N_("Economist"),
        permissions=_merge(_all_view(with_cost=True), {"sales": [APPROVE], "purchasing": [APPROVE]}),
        scopes=_scopes(ALL),
    ),
    "engineer": dict(
        name=N_("Engineer"),
        permissions={
            "catalog": everything("catalog"),
            "production": [VIEW, ADD, CHANGE, COST],
            "inventory": [VIEW],
            "crm": [VIEW],
            "sales": [VIEW],
            "documents": [VIEW, ADD],
        },
        scopes=_scopes(ALL),
    ),
    "production_manager": dict(
        name=N_("Production manager"),
        permissions={
            "production": everything("production"),
            "inventory": [VIEW, ADD, POST],
            "catalog": [VIEW],
            "purchasing": [VIEW, ADD],
            "crm": [VIEW],
            "sales": [VIEW],
            "documents": [VIEW, ADD],
        },
        scopes=_scopes(ALL),
    ),
    "storekeeper": dict(
        name=N_("Storekeeper"),
        permissions={
            "inventory": [VIEW, ADD, CHANGE, POST],
            "catalog": [VIEW],
            "documents": [VIEW, ADD],
        },
        scopes=_scopes(OWN),
    ),
    "purchaser": dict(
        name=N_("Purchaser"),
        permissions={
            "purchasing": everything("purchasing"),
            "catalog": [VIEW, ADD, CHANGE],
            "inventory": [VIEW],
            "crm": [VIEW, ADD, CHANGE],
            "documents": [VIEW, ADD],
        },
        scopes=_scopes(ALL),
    ),
    "support_agent": dict(
        name=N_("Support agent"),
        permissions={
            "service": everything("service"),
            "crm": [VIEW, ADD, CHANGE],
            "catalog": [VIEW],
            "documents": [VIEW, ADD],
        },
        scopes=_scopes(TEAM),
    ),
    "administrator": dict(
        name=N_("Administrator"),
        permissions={area: everything(area) for area in AREAS},
        scopes=_scopes(ALL),
        requires_second_factor=True,
    ),
}


def install(role_model) -> None:
    """Create the built-in roles that are missing; never overwrite an administrator's edits."""
    for code, spec in ROLES.items():
        role_model.objects.get_or_create(
            code=code,
            defaults=dict(
                name=spec["name"],
                permissions=spec["permissions"],
                scopes=spec["scopes"],
                requires_second_factor=spec.get("requires_second_factor", False),
                builtin=True,
            ),
        )
