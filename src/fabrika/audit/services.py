import json

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder

from .context import get_actor, get_request_id
from .models import BusinessEvent


def record_event(event: str, obj=None, *, actor=None, **data) -> BusinessEvent:
    """Record a business event inside the caller's transaction.

    The actor is the given user, else the user of the current request, job or command context;
    an anonymous user is no actor.
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        actor = get_actor()
    return BusinessEvent.objects.create(
        actor=actor,
        request_id=get_request_id() or "",
        event=event,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:255] if obj is not None else "",
        data=json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
    )
