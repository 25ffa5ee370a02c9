"""Telling people about a confirmed order: a CRM task each, on their day page."""

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from fabrika.crm import services as crm

from ..models import OrderTask, SalesOrder, SalesSettings
from .orders import task_due


def people_to_notify(settings: SalesSettings, *, exclude=None):
    """Active users with one of the roles the settings name (each once)."""
    users = get_user_model().objects.filter(is_active=True, roles__in=settings.notify_roles.all()).distinct()
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return list(users.order_by("pk"))


def notify_confirmed(*, actor, order: SalesOrder) -> list[OrderTask]:
    """A task "look at the order" for every user of the notified roles, in that user's language."""
    settings = SalesSettings.load()
    due = task_due(settings)
    url = reverse("sales:order-detail", args=[order.pk])
    tasks = []
    for user in people_to_notify(settings):
        with translation.override(user.language or None):
            subject = _("Order %(number)s confirmed: %(customer)s") % {
                "number": order.number,
                "customer": order.counterparty.name,
            }
            body = _(
                "%(number)s for %(customer)s, %(total)s %(currency)s, promised for %(promised)s. "
                "Check what it needs from you: %(url)s"
            ) % {
                "number": order.number,
                "customer": order.counterparty.name,
                "total": order.total,
                "currency": order.currency,
                "promised": order.promised_date.isoformat() if order.promised_date else "—",
                "url": url,
            }
        activity = crm.activity_create(
            actor=actor,
            data={
                "kind": "task",
                "subject": subject[:200],
                "body": body,
                "counterparty": order.counterparty,
                "owner": user,
                "due_at": due,
            },
        )
        tasks.append(OrderTask.objects.create(order=order, activity=activity))
    return tasks
