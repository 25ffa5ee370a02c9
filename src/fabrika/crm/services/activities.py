from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event
from fabrika.core.errors import ValidationFailed

from ..models import Activity
from ._common import apply, validate


def _check(activity: Activity) -> None:
    errors: dict[str, list[str]] = {}
    if activity.kind == Activity.Kind.TASK and activity.due_at is None:
        errors["due_at"] = [_("A task needs a due date.")]
    if (
        activity.contact_id
        and activity.counterparty_id
        and activity.contact.counterparty_id != activity.counterparty_id
    ):
        errors["contact"] = [_("This contact belongs to another counterparty.")]
    if activity.deal_id and activity.counterparty_id and activity.deal.counterparty_id != activity.counterparty_id:
        errors["deal"] = [_("This deal belongs to another counterparty.")]
    if activity.remind_at and activity.due_at and activity.remind_at > activity.due_at:
        errors["remind_at"] = [_("The reminder must come before the due date.")]
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def activity_create(*, actor, data: dict) -> Activity:
    activity = Activity(created_by=actor)
    apply(activity, data)
    if activity.owner_id is None:
        activity.owner = actor
    if activity.counterparty_id is None and activity.deal_id:
        activity.counterparty_id = activity.deal.counterparty_id
    if activity.counterparty_id is None and activity.contact_id:
        activity.counterparty_id = activity.contact.counterparty_id
    validate(activity)
    _check(activity)
    if activity.done and activity.done_at is None:
        activity.done_at = timezone.now()
    activity.save()
    record_event(
        "crm.activity_logged", activity, actor=actor, kind=activity.kind, counterparty=activity.counterparty_id
    )
    return activity


@transaction.atomic
def activity_update(*, actor, activity: Activity, data: dict) -> Activity:
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    apply(activity, data)
    validate(activity)
    _check(activity)
    if activity.done and activity.done_at is None:
        activity.done_at = timezone.now()
    if not activity.done:
        activity.done_at = None
    activity.save()
    record_event("crm.activity_updated", activity, actor=actor, fields=sorted(data))
    return activity


@transaction.atomic
def activity_complete(*, actor, activity: Activity, done: bool = True) -> Activity:
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.done != done:
        activity.done = done
        activity.done_at = timezone.now() if done else None
        activity.save(update_fields=["done", "done_at", "updated_at"])
        record_event("crm.activity_completed" if done else "crm.activity_reopened", activity, actor=actor)
    return activity


@transaction.atomic
def activity_delete(*, actor, activity: Activity) -> None:
    record_event("crm.activity_deleted", activity, actor=actor, subject=activity.subject)
    activity.delete()
