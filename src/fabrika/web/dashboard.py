"""Widgets of the home page, registered by any app.

An app registers its widgets in its `AppConfig.ready()`:

    from fabrika.access.policy import Policy
    from fabrika.web import dashboard

    dashboard.register(
        "crm.my_tasks",
        title=_("My open tasks"),
        template="crm/widgets/my_tasks.html",
        context=my_open_tasks,            # def my_open_tasks(request) -> dict | None
        policy=Policy("crm", "view"),
        order=10,
        more_url_name="crm:activity-list",
    )

The widget is shown to users whom `policy` allows. `context(request)` returns the template's
context (queries must go through `restrict()` like any page), or None to hide the widget for
this user. The template renders the widget's body only; the card and its title come from
`web/dashboard/widget.html`. A widget that fails is logged and shown as unavailable: one broken
widget never takes the home page down.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from fabrika.access.policy import SIGNED_IN, Policy

logger = logging.getLogger(__name__)

WIDTHS = {"third": "col-xl-4 col-lg-6", "half": "col-lg-6", "full": "col-12"}


@dataclass(frozen=True)
class Widget:
    code: str
    title: object
    template: str
    context: Callable
    policy: Policy = SIGNED_IN
    order: int = 100
    width: str = "half"
    icon: str = "grid"
    more_url_name: str | None = None


@dataclass
class ShownWidget:
    widget: Widget
    html: str
    more_url: str | None
    failed: bool = False

    @property
    def css(self) -> str:
        return WIDTHS.get(self.widget.width, WIDTHS["half"])


REGISTRY: dict[str, Widget] = {}


def register(
    code: str,
    *,
    title,
    template: str,
    context: Callable,
    policy: Policy = SIGNED_IN,
    order: int = 100,
    width: str = "half",
    icon: str = "grid",
    more_url_name: str | None = None,
) -> Widget:
    """Add (or replace) a home-page widget."""
    if not isinstance(policy, Policy):
        raise TypeError("a dashboard widget needs an access Policy")
    if width not in WIDTHS:
        raise ValueError(f"width must be one of {', '.join(WIDTHS)}")
    widget = Widget(
        code=code,
        title=title,
        template=template,
        context=context,
        policy=policy,
        order=order,
        width=width,
        icon=icon,
        more_url_name=more_url_name,
    )
    REGISTRY[code] = widget
    return widget


def unregister(code: str) -> None:
    REGISTRY.pop(code, None)


def widgets_for(request) -> list[ShownWidget]:
    """The widgets this user may see, rendered, in their order."""
    shown = []
    for widget in sorted(REGISTRY.values(), key=lambda w: (w.order, w.code)):
        if not widget.policy.allows(request.user):
            continue
        try:
            context = widget.context(request)
            if context is None:
                continue
            html = render_to_string(widget.template, {**context, "widget": widget}, request=request)
        except Exception:
            logger.exception("dashboard widget %s failed", widget.code)
            shown.append(ShownWidget(widget, "", None, failed=True))
            continue
        more_url = None
        if widget.more_url_name:
            try:
                more_url = reverse(widget.more_url_name)
            except NoReverseMatch:
                more_url = None
        shown.append(ShownWidget(widget, html, more_url))
    return shown


# ---------------------------------------------------------------------------------------------
# built-in widgets


def _my_recent_actions(request):
    from fabrika.audit.models import BusinessEvent

    events = list(BusinessEvent.objects.filter(actor=request.user).order_by("-at", "-id")[:8])
    return {"events": events}


register(
    "web.recent_actions",
    title=_("My recent actions"),
    template="web/dashboard/recent_actions.html",
    context=_my_recent_actions,
    order=900,
    icon="clock-history",
)
