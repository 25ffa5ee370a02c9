"""Step "crm": classifiers, tags, counterparties with contacts, the funnel's deals, activities.

Everything goes through `fabrika.crm.services`, acting as the responsible sales manager, so the
cards' history shows who did what. Natural keys: classifier code, (classifier, value), tag name,
counterparty name or tax id, (counterparty, contact name), deal title, (counterparty, subject).
"""

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from fabrika.core.errors import DomainError
from fabrika.crm import services
from fabrika.crm.models import ClassifierKind, ClassifierValue, Contact, Counterparty, Deal, FunnelStage, Tag

from . import crm_data as data


def load(ctx) -> None:
    values = _classifiers(ctx)
    tags = _tags(ctx)
    counterparties = _counterparties(ctx, values, tags)
    deals = _deals(ctx, counterparties)
    _activities(ctx, counterparties, deals)


# --- reference data ---------------------------------------------------------------------------


def _classifiers(ctx) -> dict[tuple[str, str], ClassifierValue]:
    values = {}
    for code, (name, order, names) in data.CLASSIFIERS.items():
        kind = ClassifierKind.objects.filter(code=code).first()
        if kind is None:
            kind = services.classifier_kind_save(actor=None, data={"code": code, "name": name, "order": order})
            ctx.count("classifiers")
        existing = {v.name: v for v in kind.values.all()}
        for value_name in names:
            value = existing.get(value_name)
            if value is None:
                value = services.classifier_value_save(actor=None, data={"kind": kind, "name": value_name})
                ctx.count("classifier values")
            values[(code, value_name)] = value
    return values


def _tags(ctx) -> dict[str, Tag]:
    existing = {t.name: t for t in Tag.objects.filter(name__in=data.TAGS)}
    tags = {}
    for name in data.TAGS:
        if name not in existing:
            existing[name] = services.tag_get_or_create(actor=None, name=name)
            ctx.count("tags")
        tags[name] = existing[name]
    return tags


# --- counterparties and contacts --------------------------------------------------------------

_COUNTERPARTY_FIELDS = (
    "kind",
    "legal_name",
    "is_customer",
    "is_supplier",
    "tax_id",
    "registration_number",
    "phone",
    "email",
    "website",
    "bank_name",
    "bank_account",
    "bank_code",
    "notes",
)


def _counterparties(ctx, values, tags) -> dict[str, Counterparty]:
    found = {}
    for spec in data.COUNTERPARTIES:
        match = Q(name=spec["name"])
        if spec.get("tax_id"):
            match |= Q(tax_id=spec["tax_id"])
        counterparty = Counterparty.objects.filter(match).order_by("pk").first()
        owner = ctx.user(spec["responsible"])
        with ctx.acting_as(owner):
            if counterparty is None:
                fields = {f: spec[f] for f in _COUNTERPARTY_FIELDS if f in spec}
                counterparty = services.counterparty_create(
                    actor=owner,
                    data={
                        "name": spec["name"],
                        **fields,
                        "responsible": owner,
                        "classifiers": [values[c] for c in spec.get("classifiers", [])],
                        "tags": [tags[t] for t in spec.get("tags", [])],
                    },
                    addresses=[{"kind": kind, "text": text} for kind, text in spec.get("addresses", [])],
                )
                ctx.count("counterparties")
                ctx.count("addresses", counterparty.addresses.count())
            _contacts(ctx, counterparty, spec.get("contacts", []), owner)
        found[spec["name"]] = counterparty
    return found


def _contacts(ctx, counterparty: Counterparty, specs: list[dict], actor) -> None:
    existing = set(counterparty.contacts.values_list("first_name", "last_name"))
    for spec in specs:
        if (spec["first_name"], spec["last_name"]) in existing:
            continue
        services.contact_create(actor=actor, counterparty=counterparty, data=spec)
        ctx.count("contacts")


def _contact_named(counterparty: Counterparty, name: str | None) -> Contact | None:
    if not name:
        return None
    first_name, _, last_name = name.partition(" ")
    return counterparty.contacts.filter(first_name=first_name, last_name=last_name).first()


# --- deals ------------------------------------------------------------------------------------


def _deals(ctx, counterparties) -> dict[str, Deal]:
    open_stages = list(FunnelStage.objects.filter(kind=FunnelStage.Kind.OPEN).order_by("order", "id"))
    if not open_stages:
        raise DomainError("The sales funnel has no open stage: add one before loading the demo.")
    existing = {d.title: d for d in Deal.objects.filter(title__in=[s["title"] for s in data.DEALS])}
    for spec in data.DEALS:
        if spec["title"] in existing:
            continue
        counterparty = counterparties[spec["counterparty"]]
        owner = ctx.user(spec["owner"])
        with ctx.acting_as(owner):
            deal = services.deal_create(
                actor=owner,
                data={
                    "title": spec["title"],
                    "counterparty": counterparty,
                    "owner": owner,
                    "amount": spec["amount"],
                    "currency": "EUR",
                    "contact": _contact_named(counterparty, spec["contact"]),
                    "expected_close": ctx.today + timedelta(days=spec["close_in_days"]),
                    "notes": spec["notes"],
                    "stage": open_stages[0],
                },
            )
            _walk(deal, spec, open_stages, owner)
        ctx.count("deals")
        existing[spec["title"]] = deal
    return existing


def _walk(deal: Deal, spec: dict, open_stages: list[FunnelStage], actor) -> None:
    """Move a new deal stage by stage to where the story has it, so that the funnel has history."""
    last = len(open_stages) - 1
    if spec["stage"] == data.WON:
        through = last
    elif spec["stage"] == data.LOST:
        through = min(spec["lost_after"], last)
    else:
        through = min(spec["stage"], last)
    for stage in open_stages[1 : through + 1]:
        deal = services.deal_move(actor=actor, deal=deal, stage=stage)
    if spec["stage"] == data.WON:
        services.deal_win(actor=actor, deal=deal)
    elif spec["stage"] == data.LOST:
        services.deal_lose(actor=actor, deal=deal, reason=spec["lost_reason"])


# --- activities -------------------------------------------------------------------------------


def _activities(ctx, counterparties, deals) -> None:
    for spec in data.ACTIVITIES:
        counterparty = counterparties[spec["counterparty"]]
        if counterparty.activities.filter(subject=spec["subject"]).exists():
            continue
        owner = ctx.user(spec["owner"])
        when = _today_due(ctx.now) if spec["due"] == "today" else _local_at(ctx.now, spec["days"], spec["hour"])
        fields = {
            "kind": spec["kind"],
            "subject": spec["subject"],
            "body": spec["body"],
            "counterparty": counterparty,
            "contact": _contact_named(counterparty, spec["contact"]),
            "deal": deals[spec["deal"]] if spec["deal"] else None,
            "owner": owner,
        }
        if spec["kind"] == "task":
            fields.update(due_at=when, occurred_at=min(when, ctx.now) - timedelta(days=1))
            if spec["done"]:
                fields.update(done=True, done_at=when - timedelta(hours=2))
        else:
            fields["occurred_at"] = when
        with ctx.acting_as(owner):
            services.activity_create(actor=owner, data=fields)
        ctx.count("activities")


def _local_at(now: datetime, days: int, hour: int) -> datetime:
    """`hour` o'clock (local time) `days` days from `now`."""
    day = timezone.localtime(now) + timedelta(days=days)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def _today_due(now: datetime) -> datetime:
    """Later today: 16:00, or an hour from now when that is past, but never after midnight."""
    local = timezone.localtime(now)
    end_of_day = local.replace(hour=23, minute=59, second=59, microsecond=999999)
    target = max(local.replace(hour=16, minute=0, second=0, microsecond=0), local + timedelta(hours=1))
    return min(target, end_of_day)
