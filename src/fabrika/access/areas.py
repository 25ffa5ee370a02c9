"""The business areas and the actions a role may be granted in each.

An area is a permission domain (crm, inventory, …). Later issues add their areas here; a role
that has no entry for a new area simply has no rights in it until an administrator grants them.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

VIEW, ADD, CHANGE, DELETE, POST, APPROVE, COST = "view", "add", "change", "delete", "post", "approve", "cost"

ACTIONS = {
    VIEW: _("view"),
    ADD: _("add"),
    CHANGE: _("change"),
    DELETE: _("delete"),
    POST: _("post"),
    APPROVE: _("approve"),
    COST: _("see costs"),
}

# area code -> (label, actions that make sense in it, whether records have an owner scope)
AREAS = {
    "crm": (_("Customers and deals"), [VIEW, ADD, CHANGE, DELETE, APPROVE], True),
    "catalog": (_("Catalog"), [VIEW, ADD, CHANGE, DELETE, COST], False),
    "inventory": (_("Warehouse"), [VIEW, ADD, CHANGE, DELETE, POST, COST], False),
    "production": (_("Production"), [VIEW, ADD, CHANGE, DELETE, POST, APPROVE, COST], False),
    "sales": (_("Sales"), [VIEW, ADD, CHANGE, DELETE, POST, APPROVE, COST], True),
    "purchasing": (_("Purchasing"), [VIEW, ADD, CHANGE, DELETE, POST, APPROVE, COST], False),
    "service": (pgettext_lazy("area", "Service"), [VIEW, ADD, CHANGE, DELETE], True),
    "documents": (_("Documents and files"), [VIEW, ADD, CHANGE, DELETE], False),
    "audit": (_("Audit log"), [VIEW], False),
    "access": (_("Users and roles"), [VIEW, ADD, CHANGE, DELETE], False),
    "settings": (_("Company settings"), [VIEW, CHANGE], False),
}

OWN, TEAM, ALL = "own", "team", "all"
SCOPES = {OWN: _("own records"), TEAM: _("team records"), ALL: _("all records")}
SCOPE_ORDER = [OWN, TEAM, ALL]


def area_label(area: str) -> str:
    return str(AREAS[area][0])
