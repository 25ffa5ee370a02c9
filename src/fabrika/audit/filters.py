"""Filters of the audit log pages. Both tabs use the same parameter names, so switching tabs keeps them.

Every filter is an indexed lookup: time as a half-open range on the timestamp (never `__date`,
which would hide the index), request id and event name by prefix, user and object type by foreign key.
"""

import datetime

import django_filters
from auditlog.models import LogEntry
from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import BusinessEvent
from .queries import ACTION_LABELS, content_types_with_entries

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class _AuditFilter(django_filters.FilterSet):
    time_field = ""
    request_id_field = ""

    user = django_filters.ModelChoiceFilter(
        label=_("User"),
        field_name="actor",
        queryset=get_user_model().objects.all(),
        null_label=_("System (no user)"),
    )
    date_from = django_filters.DateFilter(label=_("From"), method="filter_date_from", widget=_DATE)
    date_to = django_filters.DateFilter(label=_("To"), method="filter_date_to", widget=_DATE)
    request_id = django_filters.CharFilter(label=_("Request id"), method="filter_request_id")

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(**{f"{self.time_field}__gte": _start_of(value)})

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(**{f"{self.time_field}__lt": _start_of(value + datetime.timedelta(days=1))})

    def filter_request_id(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(**{f"{self.request_id_field}__startswith": value}) if value else queryset


class ChangeFilter(_AuditFilter):
    time_field = "timestamp"
    request_id_field = "cid"

    object_type = django_filters.ChoiceFilter(
        label=_("Object type"),
        field_name="content_type",
        choices=lambda: content_types_with_entries(LogEntry),
    )
    action = django_filters.ChoiceFilter(
        label=_("Action"),
        choices=[
            (a, ACTION_LABELS[a]) for a in (LogEntry.Action.CREATE, LogEntry.Action.UPDATE, LogEntry.Action.DELETE)
        ],
    )

    class Meta:
        model = LogEntry
        fields = ["user", "object_type", "action", "date_from", "date_to", "request_id"]


class EventFilter(_AuditFilter):
    time_field = "at"
    request_id_field = "request_id"

    object_type = django_filters.ChoiceFilter(
        label=_("Object type"),
        field_name="content_type",
        choices=lambda: content_types_with_entries(BusinessEvent),
    )
    event = django_filters.CharFilter(
        label=_("Event"),
        field_name="event",
        lookup_expr="startswith",
        widget=forms.TextInput(attrs={"placeholder": "crm.deal_won"}),
    )

    class Meta:
        model = BusinessEvent
        fields = ["user", "object_type", "event", "date_from", "date_to", "request_id"]
