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
    Section(_("Sales"), "cart", [
        Item(_("Orders"), "sales:order-list", "sales", icon="cart"),
        Item(_("Shipments calendar"), "sales:shipment-calendar", "sales", icon="calendar3"),
        Item(_("Invoices"), "sales:invoice-list", "sales", icon="receipt"),
        Item(_("Payments"), "sales:payment-list", "sales", icon="cash-coin"),
        Item(_("Receivables"), "sales:receivables", "sales", icon="hourglass-split"),
        Item(_("Overdue"), "sales:overdue", "sales", icon="exclamation-triangle"),
    ]),
    Section(_("Catalog"), "box-seam", [
        Item(_("Products"), "catalog:product-list", "catalog", icon="box"),
        Item(_("Product groups"), "catalog:group-list", "catalog", icon="diagram-3"),
        Item(_("Price lists"), "catalog:price-list-list", "catalog", icon="cash-stack"),
        Item(_("Price types"), "catalog:price-type-list", "catalog", icon="tags"),
        Item(_("Units of measure"), "catalog:unit-list", "catalog", icon="rulers"),
    ]),
    Section(_("Warehouse"), "boxes", [
        Item(_("Stock on hand"), "inventory:stock-on-hand", "inventory", icon="box-seam"),
        Item(_("Documents"), "inventory:document-list", "inventory", icon="file-earmark-text"),
        Item(_("Reservations"), "inventory:reservation-list", "inventory", icon="bookmark-check"),
        Item(_("Movement history"), "inventory:product-history", "inventory", icon="clock-history"),
        Item(_("Turnover"), "inventory:turnover", "inventory", icon="arrow-left-right"),
        Item(_("Slow movers"), "inventory:slow-movers", "inventory", icon="hourglass-split"),
        Item(_("Inventory value"), "inventory:stock-value", "inventory", "cost", icon="cash-coin"),
        Item(_("Warehouses"), "inventory:warehouse-list", "inventory", icon="building"),
        Item(_("Periods"), "inventory:period-list", "inventory", icon="calendar-check"),
        Item(_("Ledger check"), "inventory:check-ledger", "inventory", "cost", icon="clipboard-check"),
    ]),
    Section(_("Production"), "gear-wide-connected", [
        Item(_("Production orders"), "production:order-list", "production", icon="list-task"),
        Item(_("Shortages"), "production:shortages", "production", icon="exclamation-diamond"),
        Item(_("Work centres"), "production:workcentre-list", "production", icon="tools"),
        Item(_("Lot genealogy"), "production:genealogy", "production", icon="diagram-2"),
    ]),
    Section(_("Purchasing"), "truck", [
        Item(_("Supplier requests"), "purchasing:request-list", "purchasing", icon="cart-plus"),
    ]),
    Section(_("Administration"), "gear", [
        Item(_("Users"), "access:user-list", "access", icon="person-gear"),
        Item(_("Roles"), "access:role-list", "access", icon="shield-lock"),
        Item(_("Departments"), "access:department-list", "access", icon="diagram-3"),
        Item(_("Company"), "web:company-settings", "settings", icon="building-gear"),
        Item(_("Document numbers"), "web:numbering", "settings", icon="123"),
        Item(_("Classifiers"), "crm:classifier-list", "crm", "change", icon="tags"),
        Item(_("Funnel stages"), "crm:stage-list", "settings", "change", icon="sliders"),
        Item(_("Sales settings"), "sales:settings", "settings", "change", icon="cart-check"),
        Item(_("Print templates"), "documents:print-template-list", "documents", "change", icon="printer"),
        Item(_("E-mail outbox"), "documents:outbox-list", "documents", icon="envelope"),
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
            items.append({"label": item.label, "url": url, "icon": item.icon, "active": False})
        if items:
            sections.append({"label": section.label, "icon": section.icon, "items": items})
    # One current entry: the longest URL the path starts with (the funnel board's /crm/deals/board/
    # lies under the deal list's /crm/deals/, yet only "Funnel board" is lit).
    current = max(
        (item for section in sections for item in section["items"] if path and path.startswith(item["url"])),
        key=lambda item: len(item["url"]),
        default=None,
    )
    if current is not None:
        current["active"] = True
    return sections
