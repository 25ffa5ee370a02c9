"""The main menu. Later issues add their sections here; an entry is shown only to those who may open it."""

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from fabrika.access.policy import can


@dataclass
class Item:
    label: object
    url_name: str
    area: str | None = None
    action: str = "view"
    icon: str = ""


@dataclass
class Section:
    label: object
    icon: str
    items: list[Item] = field(default_factory=list)


MENU: list[Section] = [
    Section(_("Customers"), "people", [
        Item(_("Counterparties"), "crm:counterparty-list", "crm", icon="building"),
        Item(_("Contacts"), "crm:contact-list", "crm", icon="person-lines-fill"),
        Item(_("Activities"), "crm:activity-list", "crm", icon="telephone"),
        Item(_("Deals"), "crm:deal-list", "crm", icon="briefcase"),
        Item(_("Funnel board"), "crm:deal-board", "crm", icon="kanban"),
        Item(_("Funnel report"), "crm:funnel-report", "crm", icon="funnel"),
        Item(_("Segments"), "crm:segment-list", "crm", icon="bookmark"),
    ]),
    Section(_("Administration"), "gear", [
        Item(_("Users"), "access:user-list", "access", icon="person-gear"),
        Item(_("Roles"), "access:role-list", "access", icon="shield-lock"),
        Item(_("Departments"), "access:department-list", "access", icon="diagram-3"),
        Item(_("Company"), "web:company-settings", "settings", icon="building-gear"),
        Item(_("Document numbers"), "web:numbering", "settings", icon="123"),
        Item(_("Classifiers"), "crm:classifier-list", "crm", "change", icon="tags"),
        Item(_("Funnel stages"), "crm:stage-list", "settings", "change", icon="sliders"),
        Item(_("Audit log"), "audit:log", "audit", icon="clock-history"),
        Item(_("API"), "api:docs", None, icon="braces"),
    ]),
]


def menu_for(user, path: str = "") -> list[dict]:
    sections = []
    for section in MENU:
        items = []
        for item in section.items:
            if item.area and not can(user, item.area, item.action):
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue  # the page is not built yet: never show a dead link
            items.append({"label": item.label, "url": url, "icon": item.icon, "active": path.startswith(url)})
        if items:
            sections.append({"label": section.label, "icon": section.icon, "items": items})
    return sections
