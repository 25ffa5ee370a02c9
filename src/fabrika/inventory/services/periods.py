"""Closing a month of the ledger: `period_close()`.

Rules (decided here, shown on the periods page):

* Only a month that is over can be closed (its last day has passed in the current time zone).
* Months close in order. Closing a month also closes every earlier month that is still open —
  from the month after the latest closed one (or the month of the first posted move) — each
  with its own snapshot. A month before the latest closed month is closed already.
* A month with draft documents dated in it (or in an earlier month closed with it) is refused:
  a draft dated in a closed month could never be posted. Post, cancel or re-date them first.
* Closing writes a `BalanceSnapshot` per (product, warehouse) at the month's end
  (`period_end` = the month's last instant): quantity and value computed in the database from
  the previous snapshot plus the moves of the month (value = Σ in − Σ out − Σ settlements).
  Pairs at zero quantity and zero value get no row: a report that finds no row reads zero.
* While it closes, the service locks every balance row in primary-key order — the lock posting
  takes before it checks the periods — so a posting running at the same time either finished
  before the snapshot is taken or is refused by the closed period after it.
* There is no reopening: a closed period is final (the ledger's audit trail relies on it).
"""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event
from fabrika.core.errors import IllegalTransition, ValidationFailed

from ..errors import PeriodNotClosable
from ..models import Balance, BalanceSnapshot, Period, StockDocument
from ..queries import (
    ZERO_VALUE,
    Scope,
    first_move_month,
    month_end,
    month_start,
    move_flows,
    next_month,
    start_of_day,
)


def months_to_close(month: date) -> list[date]:
    """The open months that closing `month` closes, oldest first."""
    month = month_start(month)
    latest = Period.objects.filter(closed=True).order_by("-start").values_list("start", flat=True).first()
    if latest is not None:
        start = next_month(latest)
    else:
        first = first_move_month()
        start = min(first, month) if first is not None else month
    months = []
    while start <= month:
        months.append(start)
        start = next_month(start)
    return months


def _write_snapshot(month: date) -> int:
    """Snapshot rows at the end of `month`: the previous snapshot plus the moves of the month."""
    end = month_end(month)
    previous = (
        BalanceSnapshot.objects.filter(period_end__lt=end).order_by("-period_end").values_list("period_end", flat=True)
    ).first()
    position: dict[tuple, list] = {}
    if previous is not None:
        for product_id, warehouse_id, qty, value in BalanceSnapshot.objects.filter(period_end=previous).values_list(
            "product_id", "warehouse_id", "qty", "value"
        ):
            position[(product_id, warehouse_id)] = [qty, value]
    for key, flow in move_flows(Scope(), after=previous, until=end).items():
        row = position.setdefault(key, [0, ZERO_VALUE])
        row[0] += flow.qty
        row[1] += flow.value
    BalanceSnapshot.objects.filter(period_end=end).delete()  # none expected: a month closes once
    rows = [
        BalanceSnapshot(period_end=end, product_id=p, warehouse_id=w, qty=qty, value=value)
        for (p, w), (qty, value) in sorted(position.items())
        if qty != 0 or value != 0
    ]
    BalanceSnapshot.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


@transaction.atomic
def period_close(*, actor, month: date) -> Period:
    """Close `month` (any date in it) and the open months before it; returns the month's Period."""
    month = month_start(month)
    if month_end(month) >= timezone.now():
        raise ValidationFailed(
            {
                "month": [
                    _("%(month)s is not over yet: a month can be closed after its last day.")
                    % {"month": f"{month:%Y-%m}"}
                ]
            }
        )
    months = months_to_close(month)
    if not months:
        period = Period.objects.filter(start__lte=month, closed=True).order_by("-start").first()
        raise IllegalTransition(
            period, "closed", "closed", _("%(month)s is closed already.") % {"month": f"{month:%Y-%m}"}
        )
    # Everyone who posts or reserves waits until the snapshot is written (same lock order as posting).
    list(Balance.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    drafts = StockDocument.objects.filter(
        state=StockDocument.State.DRAFT,
        date__gte=start_of_day(months[0]),
        date__lte=month_end(month),
    ).order_by("date", "id")
    count = drafts.count()
    if count:
        numbers = list(drafts.values_list("number", flat=True)[:10])
        raise PeriodNotClosable(
            _(
                "%(month)s cannot be closed: %(count)d draft document(s) are dated in it (%(numbers)s). "
                "Post, cancel or re-date them first."
            )
            % {"month": f"{month:%Y-%m}", "count": count, "numbers": ", ".join(numbers)},
            month=f"{month:%Y-%m}",
            drafts=numbers,
            count=count,
        )
    now = timezone.now()
    snapshots = 0
    period = None
    for start in months:
        snapshots += _write_snapshot(start)
        period, _created = Period.objects.get_or_create(start=start)
        period.closed = True
        period.closed_at = now
        period.closed_by = actor if getattr(actor, "is_authenticated", False) else None
        period.save()
    record_event(
        "inventory.period_closed",
        period,
        actor=actor,
        month=f"{month:%Y-%m}",
        months=[f"{m:%Y-%m}" for m in months],
        snapshots=snapshots,
    )
    return period


def month_of(value) -> date:
    """A month from "2026-03", a date or a datetime."""
    if isinstance(value, str):
        try:
            year, mon = value.strip()[:7].split("-")
            return date(int(year), int(mon), 1)
        except ValueError:
            raise ValidationFailed({"month": [_("Give the month as YYYY-MM.")]}) from None
    if hasattr(value, "date") and callable(value.date):
        value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return month_start(value)
