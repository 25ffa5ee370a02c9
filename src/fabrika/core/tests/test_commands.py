"""Small management commands of the core."""

import pytest
from django.core.management import call_command

from fabrika.access.models import User


@pytest.mark.django_db
def test_isempty_tells_whether_the_database_has_users():
    with pytest.raises(SystemExit) as empty:
        call_command("isempty")
    assert empty.value.code == 0

    User.objects.create_user("first", password="s3cret-passw0rd")
    with pytest.raises(SystemExit) as used:
        call_command("isempty")
    assert used.value.code == 1
