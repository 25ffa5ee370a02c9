"""Small helpers services use to fill and validate model instances."""

from django.core.exceptions import ValidationError
from django.db import models

from .errors import ValidationFailed


def apply(instance: models.Model, data: dict) -> dict:
    """Set the plain fields of `data` on `instance`; return the many-to-many values to set after saving."""
    m2m = {}
    m2m_names = {f.name for f in instance._meta.many_to_many}
    for name, value in data.items():
        if name in m2m_names:
            m2m[name] = value
        else:
            setattr(instance, name, value)
    return m2m


def validate(instance: models.Model, *, exclude=None) -> None:
    """Model validation as a domain error (field -> messages), nothing written."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ValidationFailed(exc.message_dict) from None


def save_m2m(instance: models.Model, m2m: dict) -> None:
    for name, values in m2m.items():
        getattr(instance, name).set(values)
