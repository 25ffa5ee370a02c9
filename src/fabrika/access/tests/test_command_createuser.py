"""`fabrika createuser`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from fabrika.access.models import Department, User
from fabrika.audit.models import BusinessEvent

pytestmark = pytest.mark.django_db


def test_createuser_with_roles_department_and_language():
    out = StringIO()

    call_command(
        "createuser",
        "dora",
        "--password",
        "Director-Pass-1",
        "--role",
        "director",
        "--role",
        "economist",
        "--department",
        "Management",
        "--email",
        "dora@example.com",
        "--first-name",
        "Dora",
        "--last-name",
        "Durand",
        "--language",
        "fr",
        stdout=out,
    )

    dora = User.objects.get(username="dora")
    assert dora.check_password("Director-Pass-1")
    assert sorted(dora.roles.values_list("code", flat=True)) == ["director", "economist"]
    assert (dora.department.name, dora.email, dora.get_full_name(), dora.language) == (
        "Management",
        "dora@example.com",
        "Dora Durand",
        "fr",
    )
    assert "User 'dora' created (director, economist)." in out.getvalue()
    event = BusinessEvent.objects.get(event="user.created")
    assert event.request_id.startswith("cmd-createuser-")
    assert event.actor is None
    assert BusinessEvent.objects.get(event="department.created").request_id == event.request_id


def test_createuser_unknown_role_creates_nothing():
    with pytest.raises(CommandError, match="Unknown role 'pope'"):
        call_command("createuser", "x", "--password", "Director-Pass-1", "--role", "pope")

    assert not User.objects.filter(username="x").exists()


def test_createuser_weak_password_leaves_no_department_behind():
    with pytest.raises(CommandError, match="password: This password is too short"):
        call_command("createuser", "x", "--password", "abc", "--department", "Ghosts")

    assert not User.objects.filter(username="x").exists()
    assert not Department.objects.filter(name="Ghosts").exists()


def test_createuser_without_a_terminal_needs_a_password_option(monkeypatch):
    monkeypatch.setattr("sys.stdin", StringIO(""))

    with pytest.raises(CommandError, match="--password"):
        call_command("createuser", "x")

    call_command("createuser", "x", "--no-password", stdout=StringIO())
    assert not User.objects.get(username="x").has_usable_password()
