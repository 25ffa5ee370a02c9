"""The demo's purchasing step: a request in every state and requests from a shortage; idempotent."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import transaction

from fabrika.audit.models import BusinessEvent
from fabrika.demo import loaders
from fabrika.purchasing.models import SupplierRequest, SupplierRequestLine

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="class")
def _loaded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield loaders.run(now=NOW)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(_loaded, db):
    return _loaded


class TestTheDemoPurchasing:
    def test_a_request_in_every_state(self, demo):
        states = dict(SupplierRequest.objects.filter(note__startswith="Demo:").values_list("supplier__name", "state"))
        assert states == {
            "Schraub & Co. Fasteners": "draft",
            "CaseWorks Plastics GmbH": "sent",
            "Nordic Processors AB": "ordered",
            "SenseLab Capteurs SAS": "received",
            "Farben Huber Paints": "cancelled",
        }
        assert all(r.responsible.username == "purchaser" for r in SupplierRequest.objects.all())

    def test_the_shortage_became_one_request_per_supplier(self, demo):
        from_shortage = SupplierRequest.objects.filter(source_label="Demo: shortage for the Robokids order")
        assert sorted(str(r.supplier or "") for r in from_shortage) == [
            "",
            "Servotec Motors GmbH",
            "SmartBoard Systems GmbH",
        ]
        servos = SupplierRequestLine.objects.get(request__in=from_shortage, product__code="SERVO-MG")
        assert servos.qty == Decimal("48")  # two needs of the same date merged

    def test_a_second_run_writes_nothing(self, demo):
        before = (SupplierRequest.objects.count(), BusinessEvent.objects.count())
        again = loaders.run(now=NOW, steps=[s for s in loaders.STEPS if s.name == "purchasing"])
        assert not again.created
        assert (SupplierRequest.objects.count(), BusinessEvent.objects.count()) == before
