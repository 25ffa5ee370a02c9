from django.db import transaction
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event
from fabrika.core.errors import ValidationFailed

from ..filters import CounterpartyFilter
from ..models import Segment
from ._common import validate


def _clean_filters(filters: dict) -> dict:
    """Keep only the counterparty list's known filters; refuse unknown or invalid ones."""
    allowed = set(CounterpartyFilter.base_filters) | {"q"}
    unknown = sorted(set(filters) - allowed)
    if unknown:
        raise ValidationFailed({"filters": [_("Unknown filter: %(names)s.") % {"names": ", ".join(unknown)}]})
    cleaned = {k: v for k, v in filters.items() if v not in ("", None, [])}
    if not cleaned:
        raise ValidationFailed(
            {"filters": [_("Choose at least one filter: without one a segment is every counterparty.")]}
        )
    fs = CounterpartyFilter(_as_querydict(cleaned))
    if not fs.is_valid():
        raise ValidationFailed({"filters": [f"{k}: {' '.join(v)}" for k, v in fs.errors.items()]})
    return cleaned


def _as_querydict(filters: dict):
    from django.http import QueryDict

    qd = QueryDict(mutable=True)
    for key, value in filters.items():
        if isinstance(value, list):
            qd.setlist(key, [str(v) for v in value])
        else:
            qd[key] = str(value)
    return qd


@transaction.atomic
def segment_create(*, actor, name: str, filters: dict, description: str = "") -> Segment:
    segment = Segment(name=name, description=description, filters=_clean_filters(filters), owner=actor)
    validate(segment)
    segment.save()
    record_event("crm.segment_created", segment, actor=actor)
    return segment


@transaction.atomic
def segment_update(*, actor, segment: Segment, name: str, filters: dict, description: str = "") -> Segment:
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    segment.name, segment.description, segment.filters = name, description, _clean_filters(filters)
    validate(segment)
    segment.save()
    record_event("crm.segment_updated", segment, actor=actor)
    return segment


@transaction.atomic
def segment_delete(*, actor, segment: Segment) -> None:
    record_event("crm.segment_deleted", segment, actor=actor, name=segment.name)
    segment.delete()
