import pytest

from fabrika.access.models import Role, User

from .printing_helpers import stock  # noqa: F401  (fixture of the printing tests)


@pytest.fixture
def make_user(db):
    def make(username: str, *roles: str, **extra) -> User:
        user = User.objects.create_user(username=username, password="pw-Secret-123", **extra)
        for role in roles:
            user.roles.add(Role.objects.get(code=role) if isinstance(role, str) else role)
        return user

    return make


@pytest.fixture
def archivist_role(db) -> Role:
    """All documents rights; CRM records of their own only."""
    return Role.objects.create(
        code="archivist",
        name="Archivist",
        permissions={"documents": ["view", "add", "change", "delete"], "crm": ["view", "add"]},
        scopes={"crm": "own"},
    )


@pytest.fixture
def manager(make_user):
    return make_user("anna", "sales_manager")


@pytest.fixture
def counterparty(manager):
    from fabrika.crm.services import counterparty_create

    return counterparty_create(actor=manager, data={"name": "Acme Robotics"})
