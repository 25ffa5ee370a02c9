"""Fixtures of the catalog tests: a small robot-factory catalog made through the services."""

from decimal import Decimal as D

import pytest
from auditlog.models import LogEntry
from django.apps import apps

from fabrika.access.tests.factories import make_user, unique_username
from fabrika.audit.models import BusinessEvent
from fabrika.catalog import services


def row_counts() -> dict[str, int]:
    """Rows of every catalog table and of the audit trail: equal before/after a refused operation."""
    counts = {m._meta.label: m.objects.count() for m in apps.get_app_config("catalog").get_models()}
    counts["audit.BusinessEvent"] = BusinessEvent.objects.count()
    counts["auditlog.LogEntry"] = LogEntry.objects.count()
    return counts


@pytest.fixture
def engineer(db):
    """Every catalog right, costs included."""
    return make_user(unique_username("eva"), "engineer", first_name="Eva", last_name="Engel")


@pytest.fixture
def pcs(db):
    return services.unit_save(actor=None, data={"code": "pcs", "name": "pieces", "precision": 0})


@pytest.fixture
def box(db):
    return services.unit_save(actor=None, data={"code": "box", "name": "box", "precision": 0})


@pytest.fixture
def kg(db):
    return services.unit_save(actor=None, data={"code": "kg", "name": "kilogram", "precision": 3})


@pytest.fixture
def tree(db):
    """Components › Electronics › Processors, Components › Cases; Finished robots."""
    g = {}
    g["components"] = services.group_create(actor=None, data={"name": "Components"})
    g["electronics"] = services.group_create(actor=None, data={"name": "Electronics", "parent": g["components"]})
    g["processors"] = services.group_create(actor=None, data={"name": "Processors", "parent": g["electronics"]})
    g["cases"] = services.group_create(actor=None, data={"name": "Cases", "parent": g["components"]})
    g["robots"] = services.group_create(actor=None, data={"name": "Finished robots"})
    return g


@pytest.fixture
def templates(tree):
    """Components: supplier code (text); Electronics: voltage V (number, required);
    Processors: cores (number, required), frequency GHz (number); Cases: size (choice S/M/L, required), colour."""
    save = services.characteristic_save
    chars = {
        "supplier_code": save(actor=None, group=tree["components"], data={"name": "supplier code", "order": 1}),
        "voltage": save(
            actor=None,
            group=tree["electronics"],
            data={"name": "voltage", "kind": "number", "unit": "V", "required": True, "order": 1},
        ),
        "cores": save(actor=None, group=tree["processors"], data={"name": "cores", "kind": "number", "required": True}),
        "frequency": save(
            actor=None,
            group=tree["processors"],
            data={"name": "frequency", "kind": "number", "unit": "GHz", "order": 2},
        ),
        "size": save(
            actor=None,
            group=tree["cases"],
            data={"name": "size", "kind": "choice", "choices": "S\nM\nL", "required": True},
        ),
        "colour": save(actor=None, group=tree["cases"], data={"name": "colour", "order": 2}),
    }
    return chars


@pytest.fixture
def cpu(pcs, tree, templates):
    return services.product_create(
        actor=None,
        data={
            "code": "CPU-4",
            "name": "Processor 4 cores",
            "type": "component",
            "unit": pcs,
            "group": tree["processors"],
        },
        characteristics={"voltage": "5", "cores": 4, "frequency": "1.8"},
    )


@pytest.fixture
def bolt(pcs, box, tree):
    return services.product_create(
        actor=None,
        data={"code": "M3", "name": "M3 bolt", "type": "component", "unit": pcs, "group": tree["components"]},
        conversions=[{"unit": box, "factor": D("100"), "barcode": "4006381333931"}],
    )


@pytest.fixture
def robot(pcs, tree):
    return services.product_create(
        actor=None,
        data={"code": "R1", "name": "Standard robot R1", "type": "finished", "unit": pcs, "group": tree["robots"]},
    )
