from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event
from fabrika.core import numbering
from fabrika.core.errors import DomainError, IllegalTransition, ValidationFailed

from ..models import Deal, DealStageChange, FunnelStage
from ._common import apply, validate


class DealClosed(DomainError):
    code = "deal_closed"


def _check(deal: Deal) -> None:
    errors: dict[str, list[str]] = {}
    if deal.amount is not None and deal.amount < 0:
        errors["amount"] = [_("The amount cannot be negative.")]
    if deal.contact_id and deal.contact.counterparty_id != deal.counterparty_id:
        errors["contact"] = [_("This contact belongs to another counterparty.")]
    if errors:
        raise ValidationFailed(errors)


def _enter_stage(deal: Deal, stage: FunnelStage, *, actor, previous: FunnelStage | None) -> None:
    deal.stage = stage
    if stage.kind == FunnelStage.Kind.OPEN:
        deal.reached_order = max(deal.reached_order, stage.order)
        deal.closed_at = None
    else:
        deal.closed_at = timezone.now()
        if stage.kind == FunnelStage.Kind.WON:
            # A won deal went through every open stage of the funnel.
            last_open = FunnelStage.objects.filter(kind=FunnelStage.Kind.OPEN).order_by("-order").first()
            if last_open is not None:
                deal.reached_order = max(deal.reached_order, last_open.order)


@transaction.atomic
def deal_create(*, actor, data: dict) -> Deal:
    deal = Deal()
    apply(deal, data)
    if deal.owner_id is None:
        deal.owner = actor
    if deal.stage_id is None:
        deal.stage = FunnelStage.objects.filter(kind=FunnelStage.Kind.OPEN).order_by("order").first()
    if not data.get("currency"):  # the model's default would hide the company's own currency
        from fabrika.core.models import CompanySettings

        deal.currency = CompanySettings.load().currency
    deal.number = "-"  # placeholder until validation passed, so that no number is taken for bad input
    validate(deal, exclude=["number"])
    _check(deal)
    if deal.stage.kind == FunnelStage.Kind.LOST and not deal.lost_reason.strip():
        raise ValidationFailed({"lost_reason": [_("Say why the deal was lost.")]})
    _enter_stage(deal, deal.stage, actor=actor, previous=None)
    deal.number = numbering.next_number("deal")
    deal.save()
    DealStageChange.objects.create(deal=deal, from_stage=None, to_stage=deal.stage, by=actor)
    record_event("crm.deal_created", deal, actor=actor, stage=deal.stage.name, amount=deal.amount)
    return deal


@transaction.atomic
def deal_update(*, actor, deal: Deal, data: dict) -> Deal:
    """Edit a deal's details. The stage changes only through deal_move / deal_win / deal_lose."""
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    data = {k: v for k, v in data.items() if k not in ("stage", "number", "closed_at", "reached_order")}
    apply(deal, data)
    validate(deal)
    _check(deal)
    deal.save()
    record_event("crm.deal_updated", deal, actor=actor, fields=sorted(data))
    return deal


@transaction.atomic
def deal_move(*, actor, deal: Deal, stage: FunnelStage, lost_reason: str = "") -> Deal:
    """Move a deal to another stage (the funnel board's drag and drop)."""
    deal = Deal.objects.select_for_update().select_related("stage").get(pk=deal.pk)
    previous = deal.stage
    if previous.pk == stage.pk:
        return deal
    if stage.kind == FunnelStage.Kind.LOST:
        lost_reason = (lost_reason or "").strip()
        if not lost_reason:
            raise ValidationFailed({"lost_reason": [_("Say why the deal was lost.")]})
        deal.lost_reason = lost_reason
    elif previous.kind == FunnelStage.Kind.LOST:
        deal.lost_reason = ""
    _enter_stage(deal, stage, actor=actor, previous=previous)
    deal.save()
    DealStageChange.objects.create(deal=deal, from_stage=previous, to_stage=stage, by=actor)
    event = {FunnelStage.Kind.WON: "crm.deal_won", FunnelStage.Kind.LOST: "crm.deal_lost"}.get(
        stage.kind, "crm.deal_moved"
    )
    record_event(event, deal, actor=actor, from_stage=previous.name, to_stage=stage.name,
                 lost_reason=deal.lost_reason)
    return deal


def _closing_stage(kind: str) -> FunnelStage:
    stage = FunnelStage.objects.filter(kind=kind).order_by("order").first()
    if stage is None:
        raise IllegalTransition(None, "", kind, _("The funnel has no %(kind)s stage.") % {"kind": kind})
    return stage


def deal_win(*, actor, deal: Deal) -> Deal:
    return deal_move(actor=actor, deal=deal, stage=_closing_stage(FunnelStage.Kind.WON))


def deal_lose(*, actor, deal: Deal, reason: str) -> Deal:
    return deal_move(actor=actor, deal=deal, stage=_closing_stage(FunnelStage.Kind.LOST), lost_reason=reason)


@transaction.atomic
def deal_delete(*, actor, deal: Deal) -> None:
    record_event("crm.deal_deleted", deal, actor=actor, number=deal.number, title=deal.title)
    deal.delete()
