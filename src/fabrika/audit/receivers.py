"""Stamps each django-auditlog entry with the actor of the current audit context.

This is audit plumbing, not business logic: it only fills in who made a change.
"""

from auditlog.models import LogEntry
from django.db.models.signals import pre_save

from .context import get_actor, get_remote_addr


def stamp_log_entry(sender, instance, **kwargs):
    if instance.actor_id is None:
        actor = get_actor()
        if actor is not None:
            instance.actor = actor
            instance.actor_email = (getattr(actor, "email", "") or "")[:254] or None
    if not instance.remote_addr:
        instance.remote_addr = get_remote_addr()


def connect():
    pre_save.connect(stamp_log_entry, sender=LogEntry, dispatch_uid="fabrika-audit-stamp")
