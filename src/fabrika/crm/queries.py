"""Read-side helpers for CRM pages, API and reports."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from fabrika.access.policy import restrict
from fabrika.core.money import money, percent

from .models import Activity, Counterparty, Deal, FunnelStage
from .models.counterparties import normalize_phone


def find_duplicates(*, email: str = "", phone: str = "", tax_id: str = "", exclude=None):
    """Counterparties that look like the same one: same tax id, e-mail or phone."""
    cond = Q(pk__in=[])
    if tax_id and tax_id.strip():
        cond |= Q(tax_id=tax_id.strip())
    if email and email.strip():
        cond |= Q(email__iexact=email.strip())
    digits = normalize_phone(phone)
    if len(digits) >= 6:
        cond |= Q(phone_normalized=digits)
    qs = Counterparty.objects.filter(cond)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return list(qs.order_by("name")[:10])


def my_day(user, *, now=None):
    """The user's open tasks: overdue, due today, and upcoming this week."""
    now = now or timezone.now()
    today_end = timezone.localtime(now).replace(hour=23, minute=59, second=59, microsecond=999999)
    open_tasks = (
        Activity.objects.filter(owner=user, done=False, due_at__isnull=False)
        .select_related("counterparty", "contact", "deal")
        .order_by("due_at", "id")
    )
    return {
        "overdue": list(open_tasks.filter(due_at__lt=now)),
        "today": list(open_tasks.filter(due_at__gte=now, due_at__lte=today_end)),
        "upcoming": list(open_tasks.filter(due_at__gt=today_end, due_at__lte=today_end + timezone.timedelta(days=7))),
        "reminders": list(open_tasks.filter(remind_at__lte=now, due_at__gte=now)),
    }


@dataclass
class FunnelRow:
    stage: FunnelStage
    count: int
    amount: Decimal
    weighted: Decimal
    reached: int  # deals that ever reached this stage (open stages only)
    conversion: Decimal | None  # share of deals that reached this stage and went on to the next, in %


def funnel_report(user, *, deals=None) -> list[FunnelRow]:
    """Count, amount, weighted amount and stage-to-stage conversion, over the deals the user may see."""
    deals = deals if deals is not None else restrict(user, "view", Deal.objects.all())
    zero = Value(Decimal("0.00"), output_field=DecimalField(max_digits=16, decimal_places=2))
    per_stage = {
        row["stage"]: row
        for row in deals.values("stage").annotate(count=Count("id"), amount=Coalesce(Sum("amount"), zero))
    }
    stages = list(FunnelStage.objects.order_by("order", "id"))
    open_stages = [s for s in stages if s.kind == FunnelStage.Kind.OPEN]
    reached = {s.pk: deals.filter(reached_order__gte=s.order).count() for s in open_stages}
    rows = []
    for stage in stages:
        data = per_stage.get(stage.pk, {"count": 0, "amount": Decimal("0.00")})
        amount = money(data["amount"])
        weighted = money(amount * stage.probability / Decimal(100))
        conversion = None
        if stage.kind == FunnelStage.Kind.OPEN:
            idx = open_stages.index(stage)
            if idx + 1 < len(open_stages) and reached[stage.pk]:
                conversion = percent(Decimal(100) * reached[open_stages[idx + 1].pk] / reached[stage.pk])
            elif idx + 1 == len(open_stages) and reached[stage.pk]:
                won = deals.filter(stage__kind=FunnelStage.Kind.WON).count()
                conversion = percent(Decimal(100) * won / reached[stage.pk])
        rows.append(FunnelRow(stage, data["count"], amount, weighted, reached.get(stage.pk, 0), conversion))
    return rows


def board_columns(user, *, deals=None):
    """The funnel board: open stages with their deals, then the closing stages (recent deals only)."""
    deals = deals if deals is not None else restrict(user, "view", Deal.objects.all())
    deals = deals.select_related("counterparty", "owner", "stage").annotate(probability=F("stage__probability"))
    columns = []
    recent = timezone.now() - timezone.timedelta(days=30)
    for stage in FunnelStage.objects.order_by("order", "id"):
        stage_deals = deals.filter(stage=stage)
        if stage.kind != FunnelStage.Kind.OPEN:
            stage_deals = stage_deals.filter(closed_at__gte=recent)
        items = list(stage_deals.order_by("expected_close", "id")[:200])
        columns.append({"stage": stage, "deals": items, "total": sum((d.amount for d in items), Decimal("0.00"))})
    return columns


def segment_counterparties(segment, counterparties):
    """The counterparties of `counterparties` (already scoped to the user) that `segment` selects.

    The saved filters are the counterparty list's (`q` is its search). Filters that no longer
    hold (a deleted tag, say) select nothing rather than being dropped, which would widen the
    segment to everyone.
    """
    from django.http import QueryDict

    from .filters import CounterpartyFilter, counterparty_search

    filters = dict(segment.filters or {})
    text = str(filters.pop("q", "") or "").strip()
    params = QueryDict(mutable=True)
    for key, value in filters.items():
        if isinstance(value, list):
            params.setlist(key, [str(v) for v in value])
        elif value not in ("", None):
            params[key] = str(value)
    filterset = CounterpartyFilter(params, queryset=counterparties)
    if not filterset.is_valid():
        return counterparties.none()
    selected = filterset.qs
    return counterparty_search(selected, text) if text else selected
