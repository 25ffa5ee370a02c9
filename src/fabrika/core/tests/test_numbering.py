"""Gapless document numbers: format, per type and year, rollback, and concurrent creators."""

import threading
from datetime import date

import pytest
from django.db import connection, transaction

from fabrika.core.models import NumberFormat, NumberSequence
from fabrika.core.numbering import REGISTRY, UnknownDocumentType, next_number, next_numbers, register

JUNE = date(2026, 6, 15)


def take(doc_type: str = "deal", on_date: date = JUNE) -> str:
    with transaction.atomic():
        return next_number(doc_type, on_date=on_date)


@pytest.fixture
def widget_type():
    register("test-widget", prefix="WID", label="Widget", padding=3)
    yield "test-widget"
    REGISTRY.pop("test-widget")


@pytest.mark.django_db
def test_format_and_sequence():
    assert [take() for _ in range(3)] == ["DEAL-2026-00001", "DEAL-2026-00002", "DEAL-2026-00003"]
    assert NumberSequence.objects.get(doc_type="deal", year=2026).last_number == 3


@pytest.mark.django_db
def test_each_type_has_its_own_sequence(widget_type):
    assert take("deal") == "DEAL-2026-00001"
    assert take(widget_type) == "WID-2026-001"
    assert take("deal") == "DEAL-2026-00002"
    assert take(widget_type) == "WID-2026-002"


@pytest.mark.django_db
def test_a_block_of_numbers_continues_the_sequence(widget_type):
    assert take(widget_type) == "WID-2026-001"
    with transaction.atomic():
        block = next_numbers(widget_type, 3, on_date=date(2026, 6, 1))
        assert next_numbers(widget_type, 0) == []
    assert block == ["WID-2026-002", "WID-2026-003", "WID-2026-004"]
    assert take(widget_type) == "WID-2026-005"


@pytest.mark.django_db
def test_administrator_format_wins_over_registered_one():
    NumberFormat.objects.create(doc_type="deal", prefix="D", padding=3)

    assert take() == "D-2026-001"


@pytest.mark.django_db
def test_new_year_starts_at_one():
    assert take(on_date=date(2026, 12, 31)) == "DEAL-2026-00001"
    assert take(on_date=date(2026, 12, 31)) == "DEAL-2026-00002"
    assert take(on_date=date(2027, 1, 1)) == "DEAL-2027-00001"
    # A late document of the old year continues the old year's sequence.
    assert take(on_date=date(2026, 12, 30)) == "DEAL-2026-00003"


@pytest.mark.django_db
def test_rolled_back_transaction_gives_its_number_back():
    assert take() == "DEAL-2026-00001"

    class Refused(Exception):
        pass

    with pytest.raises(Refused), transaction.atomic():
        assert next_number("deal", on_date=JUNE) == "DEAL-2026-00002"
        raise Refused

    assert take() == "DEAL-2026-00002"


@pytest.mark.django_db(transaction=True)  # a plain `django_db` test already runs in a transaction
def test_refuses_outside_a_transaction():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        next_number("deal", on_date=JUNE)


@pytest.mark.django_db
def test_unknown_type_is_refused():
    with pytest.raises(UnknownDocumentType) as err:
        take("no-such-document")
    assert err.value.doc_type == "no-such-document"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creators_get_exactly_one_to_two_hundred():
    """20 threads, each in its own connection, take 10 numbers each, one transaction per number."""
    threads_count, per_thread = 20, 10
    start = threading.Barrier(threads_count)
    taken: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker():
        try:
            start.wait(timeout=30)
            for _ in range(per_thread):
                number = take()
                with lock:
                    taken.append(number)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert errors == []
    assert len(taken) == 200
    assert sorted(taken) == [f"DEAL-2026-{n:05d}" for n in range(1, 201)]
    assert NumberSequence.objects.get(doc_type="deal", year=2026).last_number == 200
