""" "My day" section of sales: the confirmed orders someone was asked to look at.

The tasks themselves are CRM activities (they show with the user's other tasks); this section
lists their orders with a link to each order's card.
"""

from django.utils.translation import gettext as _

from fabrika.access.policy import can

from ..models import OrderTask


def new_orders_section(request, *, now):
    from fabrika.crm.views.my_day import DaySection

    user = request.user
    if not can(user, "sales", "view"):
        return None
    tasks = (
        OrderTask.objects.filter(activity__owner=user, activity__done=False)
        .select_related("order", "order__counterparty", "activity")
        .order_by("activity__due_at", "id")[:50]
    )
    return [
        DaySection(
            "sales_orders",
            _("Confirmed orders to look at"),
            list(tasks),
            icon="cart-check",
            color="success",
            template="sales/my_day_orders.html",
            empty_text=_("No new orders for you."),
        )
    ]


def register() -> None:
    from fabrika.crm.views.my_day import register_section

    register_section("sales.new_orders", new_orders_section, order=20)
