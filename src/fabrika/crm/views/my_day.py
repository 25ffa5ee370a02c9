""" "My day": the signed-in user's work for today, as a list of sections.

The CRM contributes the open tasks (overdue, today, the next 7 days, reminders due). Other areas
add their own sections (order-routing tasks, approvals…) from their `AppConfig.ready()`:

    from fabrika.crm.views.my_day import DaySection, register_section

    def routing_tasks(request, *, now):
        tasks = ...  # through restrict(), like any page
        return [DaySection("orders", _("Orders to route"), tasks, icon="signpost",
                           template="sales/my_day_orders.html")]

    register_section("sales.routing", routing_tasks, order=50)

A provider returns DaySection objects (an empty list hides nothing: the section shows its empty
text); it may return None to show nothing for this user. A provider that fails is logged and
skipped, so that one broken section never takes the page down.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from fabrika.access.policy import SIGNED_IN, can
from fabrika.core.views import PolicyMixin

from ..queries import my_day
from .activities import user_rights

logger = logging.getLogger(__name__)


@dataclass
class DaySection:
    key: str
    title: str
    items: list = field(default_factory=list)
    icon: str = "list-check"
    color: str = "secondary"  # a Bootstrap colour name for the header
    template: str = "crm/my_day_activities.html"  # renders the section's items
    empty_text: str = ""

    @property
    def count(self) -> int:
        return len(self.items)


Provider = Callable[..., Iterable[DaySection] | None]
PROVIDERS: dict[str, tuple[int, Provider]] = {}


def register_section(code: str, provider: Provider, *, order: int = 100) -> None:
    """Add (or replace) a provider of "my day" sections: `provider(request, *, now)`."""
    PROVIDERS[code] = (order, provider)


def sections_for(request, *, now=None) -> list[DaySection]:
    now = now or timezone.now()
    sections: list[DaySection] = []
    for code, (_order, provider) in sorted(PROVIDERS.items(), key=lambda item: (item[1][0], item[0])):
        try:
            sections.extend(provider(request, now=now) or ())
        except Exception:
            logger.exception("my day section %s failed", code)
    return sections


def activity_sections(request, *, now) -> list[DaySection]:
    """The user's open tasks from the CRM."""
    day = my_day(request.user, now=now)
    return [
        DaySection(
            "overdue",
            _("Overdue"),
            day["overdue"],
            icon="exclamation-triangle",
            color="danger",
            empty_text=_("Nothing overdue."),
        ),
        DaySection(
            "today",
            _("Today"),
            day["today"],
            icon="calendar-day",
            color="primary",
            empty_text=_("Nothing more for today."),
        ),
        DaySection(
            "upcoming",
            _("Next 7 days"),
            day["upcoming"],
            icon="calendar-week",
            color="secondary",
            empty_text=_("Nothing planned."),
        ),
        DaySection(
            "reminders",
            _("Reminders"),
            day["reminders"],
            icon="bell",
            color="warning",
            empty_text=_("No reminders due."),
        ),
    ]


register_section("crm.activities", activity_sections, order=10)


class MyDayView(PolicyMixin, View):
    access_policy = SIGNED_IN

    def get(self, request):
        here = reverse("crm:my-day")
        sections = sections_for(request)
        ctx = {
            "title": _("My day"),
            "sections": sections,
            "today": timezone.localdate(),
            "next_here": here,
            "new_task_url": (
                reverse("crm:activity-create") + "?" + urlencode({"kind": "task", "next": here})
                if can(request.user, "crm", "add")
                else None
            ),
            **user_rights(request.user),
        }
        return TemplateResponse(request, "crm/my_day.html", ctx)


urlpatterns = [path("my-day/", MyDayView.as_view(), name="my-day")]
