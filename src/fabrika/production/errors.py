"""Production errors carry their data; messages are in the user's language."""

from django.utils.translation import gettext as _

from fabrika.core.errors import DomainError
from fabrika.inventory.errors import _num


class BomCycleRefused(DomainError):
    code = "bom_cycle"

    def __init__(self, path_products):
        self.path = list(path_products)
        super().__init__(
            _("A product cannot contain itself: %(path)s") % {"path": " → ".join(p.code for p in self.path)},
            path=[p.code for p in self.path],
        )


class ComponentsShort(DomainError):
    """Posting an order would take more than the warehouse has: every short component is named."""

    code = "components_short"

    def __init__(self, shortages):
        # shortages: [(product, warehouse, wanted, available)]
        self.shortages = list(shortages)
        parts = [
            _("%(product)s in %(warehouse)s: wanted %(wanted)s, available %(available)s")
            % {"product": p, "warehouse": w, "wanted": _num(want), "available": _num(have)}
            for p, w, want, have in self.shortages
        ]
        super().__init__(
            _("Not enough components: %(list)s") % {"list": "; ".join(parts)},
            shortages=[
                {"product": p.code, "warehouse": str(w), "wanted": str(want), "available": str(have)}
                for p, w, want, have in self.shortages
            ],
        )


class ChildrenOpen(DomainError):
    code = "children_open"

    def __init__(self, order, children):
        self.children = list(children)
        super().__init__(
            _("%(order)s cannot finish before its child orders: %(children)s")
            % {
                "order": order.number,
                "children": ", ".join(f"{c.number} ({c.get_state_display()})" for c in self.children),
            },
            children=[c.number for c in self.children],
        )
