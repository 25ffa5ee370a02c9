from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event
from fabrika.core.errors import DomainError

from ..models import ClassifierKind, ClassifierValue, DealStageChange, FunnelStage, Tag
from ._common import apply, validate


class InUse(DomainError):
    code = "in_use"


@transaction.atomic
def classifier_kind_save(*, actor, data: dict, kind: ClassifierKind | None = None) -> ClassifierKind:
    kind = kind or ClassifierKind()
    apply(kind, data)
    validate(kind)
    kind.save()
    record_event("crm.classifier_saved", kind, actor=actor)
    return kind


@transaction.atomic
def classifier_value_save(*, actor, data: dict, value: ClassifierValue | None = None) -> ClassifierValue:
    value = value or ClassifierValue()
    apply(value, data)
    validate(value)
    value.save()
    record_event("crm.classifier_value_saved", value, actor=actor)
    return value


@transaction.atomic
def classifier_value_delete(*, actor, value: ClassifierValue) -> None:
    used = value.counterparty_set.count()
    if used:
        raise InUse(_("%(value)s is used by %(n)d counterparties.") % {"value": value.name, "n": used}, used=used)
    record_event("crm.classifier_value_deleted", value, actor=actor)
    value.delete()


@transaction.atomic
def tag_get_or_create(*, actor, name: str) -> Tag:
    tag, created = Tag.objects.get_or_create(name=name.strip()[:50])
    if created:
        record_event("crm.tag_created", tag, actor=actor)
    return tag


@transaction.atomic
def stage_save(*, actor, data: dict, stage: FunnelStage | None = None) -> FunnelStage:
    stage = stage or FunnelStage()
    apply(stage, data)
    validate(stage)
    stage.save()
    record_event("crm.stage_saved", stage, actor=actor)
    return stage


@transaction.atomic
def stage_delete(*, actor, stage: FunnelStage) -> None:
    used = stage.deals.count()
    if not used and DealStageChange.objects.filter(Q(from_stage=stage) | Q(to_stage=stage)).exists():
        raise InUse(_("%(stage)s has deal history and cannot be deleted.") % {"stage": stage.name}, used=0)
    if used:
        raise InUse(_("%(stage)s holds %(n)d deals; move them first.") % {"stage": stage.name, "n": used}, used=used)
    record_event("crm.stage_deleted", stage, actor=actor)
    stage.delete()
