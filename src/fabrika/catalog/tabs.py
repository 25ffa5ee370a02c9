"""Tabs other apps add to the product card.

    from fabrika.catalog.tabs import ProductTab, register_product_tab

    register_product_tab(ProductTab(
        key="production",
        label=_("Production"),
        icon="gear",
        template="production/product_tab.html",
        context=production_tab_context,      # (request, product) -> dict for the template
        visible=lambda user, product: can(user, "production", "view") and product.is_stocked,
    ))

Call it from the app's `AppConfig.ready()`. The card shows a registered tab after its own tabs
(before History) to users for whom `visible` says yes; the catalog never imports the other app.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ProductTab:
    key: str
    label: Any
    icon: str
    template: str
    context: Callable[[Any, Any], dict]
    visible: Callable[[Any, Any], bool] = lambda user, product: True


PRODUCT_TABS: dict[str, ProductTab] = {}


def register_product_tab(tab: ProductTab) -> None:
    PRODUCT_TABS[tab.key] = tab


def product_tabs_for(user, product) -> list[ProductTab]:
    return [tab for tab in PRODUCT_TABS.values() if tab.visible(user, product)]
