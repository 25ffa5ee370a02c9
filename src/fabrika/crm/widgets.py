"""Home-page widgets of the CRM: "my open tasks" and "my open deals" (see `fabrika.web.dashboard`)."""

from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fabrika.access.policy import Policy, can, restrict

from .models import Activity, Deal, FunnelStage

LIMIT = 8


def my_open_tasks(request) -> dict:
    user = request.user
    tasks = restrict(user, "view", Activity.objects.filter(owner=user, done=False, due_at__isnull=False))
    return {
        "activities": list(tasks.select_related("counterparty", "contact", "deal").order_by("due_at", "id")[:LIMIT]),
        "total": tasks.count(),
        "overdue": tasks.filter(due_at__lt=timezone.now()).count(),
        "my_day_url": reverse("crm:my-day"),
        "next_here": reverse("web:home"),
        "can_change": can(user, "crm", "change"),
    }


def my_open_deals(request) -> dict:
    user = request.user
    deals = restrict(user, "view", Deal.objects.filter(owner=user, stage__kind=FunnelStage.Kind.OPEN))
    return {
        "deals": list(
            deals.select_related("counterparty", "stage").order_by(F("expected_close").asc(nulls_last=True), "id")[
                :LIMIT
            ]
        ),
        "total": deals.count(),
        "today": timezone.localdate(),
    }


def register() -> None:
    """Called from CrmConfig.ready(); does nothing while the dashboard registry is missing."""
    try:
        from fabrika.web import dashboard
    except ImportError:
        return
    dashboard.register(
        "crm.my_tasks",
        title=_("My open tasks"),
        template="crm/my_day_widget.html",
        context=my_open_tasks,
        policy=Policy("crm", "view"),
        order=10,
        icon="check2-square",
        more_url_name="crm:my-day",
    )
    dashboard.register(
        "crm.my_deals",
        title=_("My open deals"),
        template="crm/deal_widget.html",
        context=my_open_deals,
        policy=Policy("crm", "view"),
        order=20,
        icon="briefcase",
        more_url_name="crm:deal-board",
    )
