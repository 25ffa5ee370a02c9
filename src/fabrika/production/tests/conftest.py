"""Fixtures of the production page and API tests: the robot factory and the two production roles."""

import pytest

from fabrika.access.tests.factories import make_user, sign_in

from .factory import build


@pytest.fixture
def f(db):
    return build()


@pytest.fixture
def engineer(db):
    return make_user("eva", "engineer", first_name="Eva", last_name="Engel")


@pytest.fixture
def manager(db):
    return make_user("max", "production_manager", first_name="Max", last_name="Meister")


@pytest.fixture
def eva(client, engineer):
    """A client signed in as the engineer (BOMs, tech cards; no posting)."""
    return sign_in(client, engineer)


@pytest.fixture
def max_client(client, manager):
    """A client signed in as the production manager (orders: release, report, finish, cancel)."""
    return sign_in(client, manager)
