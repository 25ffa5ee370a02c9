import pytest

from fabrika.access.models import Role, User


@pytest.fixture
def make_user(db):
    def make(username: str, *roles, **extra) -> User:
        user = User.objects.create_user(username=username, password="pw-Secret-123", **extra)
        for role in roles:
            user.roles.add(Role.objects.get(code=role) if isinstance(role, str) else role)
        return user

    return make


@pytest.fixture
def manager(make_user):
    return make_user("anna", "sales_manager", first_name="Anna", last_name="Smith", email="anna@example.com")


@pytest.fixture
def director(make_user):
    return make_user("dora", "director")
