"""The demo company, loaded as an ordered list of steps.

Each step is a module with a `load(ctx)` function. A step must be idempotent: it finds the rows
it would create by their natural keys (usernames, counterparty names and tax ids, deal titles…)
and skips what exists, so that a second `fabrika demo` writes nothing at all. It changes data
only through the services of the app it fills (DESIGN §3.1).

`run()` opens one audit context for the whole command (kind "cmd", name "demo", so every
business event and field change carries the same request id) and runs each step in its own
transaction: a failing step leaves the database as the steps before it left it.

Later issues append their step (catalog, warehouse, production, orders…) to `STEPS`.
"""

import contextlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from fabrika.audit.context import audit_context

from . import catalog, company, crm, inventory, production, purchasing, sales, users


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    load: Callable[["DemoContext"], None]


STEPS: list[Step] = [
    Step("company", "Company settings and departments", company.load),
    Step("users", "Users and roles", users.load),
    Step("crm", "Customers, suppliers, deals and activities", crm.load),
    Step("catalog", "Catalog: units, product groups, products and price lists", catalog.load),
    Step("inventory", "Warehouses, deliveries in lots, shipments, a transfer and a write-off", inventory.load),
    Step("sales", "Orders in every state, shipments, invoices and payments", sales.load),
    Step("purchasing", "Supplier requests in every state, and requests from an order's shortage", purchasing.load),
    Step("production", "Production: work centres, BOMs, tech cards and orders in every state", production.load),
]


@dataclass
class DemoContext:
    """What the steps share: the moment of the run, counters, the audit request id."""

    now: datetime
    request_id: str = ""
    created: Counter = field(default_factory=Counter)
    log: Callable[[str], None] = lambda message: None
    _users: dict = field(default_factory=dict)

    @property
    def today(self) -> date:
        return timezone.localdate(self.now)

    def count(self, what: str, n: int = 1) -> None:
        """Count a created row (for the summary); steps call it for every row they create."""
        self.created[what] += n

    def user(self, username: str):
        """A user of the demo (created by the users step), cached for the run."""
        if username not in self._users:
            from fabrika.access.models import User

            self._users[username] = User.objects.get(username=username)
        return self._users[username]

    @contextlib.contextmanager
    def acting_as(self, user):
        """Attribute the changes in the block to `user` (same request id as the whole run)."""
        with audit_context(actor=user, request_id=self.request_id, kind="cmd", name="demo"):
            yield


def run(
    *, now: datetime | None = None, log: Callable[[str], None] | None = None, steps: list[Step] | None = None
) -> DemoContext:
    """Load the demo company; returns the context with the counts of created rows."""
    ctx = DemoContext(now=now or timezone.now())
    if log is not None:
        ctx.log = log
    with audit_context(kind="cmd", name="demo") as request_id:
        ctx.request_id = request_id
        for step in steps if steps is not None else STEPS:
            before = Counter(ctx.created)
            with transaction.atomic():
                step.load(ctx)
            made = ctx.created - before
            summary = ", ".join(f"{what}: {n}" for what, n in made.items()) or "already loaded, nothing to do"
            ctx.log(f"{step.label}: {summary}")
    return ctx
