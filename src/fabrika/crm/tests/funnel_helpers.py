"""Helpers of the activity, deal, board, funnel report and "my day" page tests."""

from fabrika.access.tests.factories import make_user
from fabrika.crm import services
from fabrika.crm.models import FunnelStage


def manager(username: str, first_name: str, last_name: str = "", role: str = "sales_manager"):
    """A user with a built-in role (a sales manager sees only their own records)."""
    return make_user(username, role, first_name=first_name, last_name=last_name)


def company(actor, name: str, **data):
    return services.counterparty_create(actor=actor, data={"name": name, **data})


def person_at(actor, counterparty, first_name: str, **data):
    return services.contact_create(actor=actor, counterparty=counterparty, data={"first_name": first_name, **data})


def new_deal(actor, counterparty, title: str = "Robots", **data):
    return services.deal_create(actor=actor, data={"title": title, "counterparty": counterparty, **data})


def stage(name: str) -> FunnelStage:
    """The default funnel: Lead 1/10 %, Qualified 2/25 %, Proposal sent 3/50 %, Negotiation 4/75 %,
    Won 90/100 % (won), Lost 99/0 % (lost)."""
    return FunnelStage.objects.get(name=name)
