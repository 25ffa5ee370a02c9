"""Fixtures of the CRM tests: users with built-in roles, API clients, and "nothing changed" row counts."""

import pytest
from auditlog.models import LogEntry
from django.apps import apps

from fabrika.access import services as access_services
from fabrika.access.tests.factories import make_user, unique_username
from fabrika.audit.models import BusinessEvent
from fabrika.core.models import NumberSequence

__all__ = ["make_user", "row_counts", "session_client", "token_client"]


def row_counts() -> dict[str, int]:
    """Rows of every CRM table and of the audit trail: equal before/after a refused operation."""
    counts = {m._meta.label: m.objects.count() for m in apps.get_app_config("crm").get_models()}
    counts["audit.BusinessEvent"] = BusinessEvent.objects.count()
    counts["auditlog.LogEntry"] = LogEntry.objects.count()
    counts["core.NumberSequence.last"] = sum(NumberSequence.objects.values_list("last_number", flat=True))
    return counts


@pytest.fixture
def manager(db):
    return make_user(unique_username("anna"), "sales_manager", first_name="Anna", last_name="Petit")


@pytest.fixture
def other_manager(db):
    return make_user(unique_username("boris"), "sales_manager", first_name="Boris", last_name="Moreau")


@pytest.fixture
def director(db):
    return make_user(unique_username("dora"), "director", first_name="Dora", last_name="Director")


def token_client(user):
    """An API client authenticated by the user's API token (as scripts and integrations are)."""
    from rest_framework.test import APIClient

    client = APIClient()
    token = access_services.api_token_regenerate(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def session_client(user, *, enforce_csrf: bool = False):
    """An API client signed in with a session cookie (as the pages' JavaScript is)."""
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=enforce_csrf)
    client.force_login(user)
    return client
