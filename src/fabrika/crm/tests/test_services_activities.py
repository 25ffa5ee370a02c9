"""Activities: a task needs a due date, linked records must belong to the same counterparty."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fabrika.audit.models import BusinessEvent
from fabrika.core.errors import ValidationFailed
from fabrika.crm import services
from fabrika.crm.models import Activity

from .conftest import row_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(manager):
    return services.counterparty_create(actor=manager, data={"name": "Acme"})


@pytest.fixture
def beta(manager):
    return services.counterparty_create(actor=manager, data={"name": "Beta"})


def test_a_call_is_logged_for_the_actor(manager, acme):
    call = services.activity_create(actor=manager, data={"kind": "call", "subject": "First call", "counterparty": acme})
    call.refresh_from_db()
    assert (call.owner, call.created_by, call.counterparty, call.done, call.done_at) == (
        manager,
        manager,
        acme,
        False,
        None,
    )
    event = BusinessEvent.objects.get(event="crm.activity_logged")
    assert event.data == {"kind": "call", "counterparty": acme.pk}


def test_a_task_needs_a_due_date(manager, acme):
    before = row_counts()
    with pytest.raises(ValidationFailed) as refused:
        services.activity_create(
            actor=manager, data={"kind": "task", "subject": "Send the quote", "counterparty": acme}
        )
    assert refused.value.errors == {"due_at": ["A task needs a due date."]}
    assert row_counts() == before

    due = timezone.now() + timedelta(days=2)
    task = services.activity_create(
        actor=manager, data={"kind": "task", "subject": "Send the quote", "counterparty": acme, "due_at": due}
    )
    assert task.due_at == due


def test_removing_the_due_date_of_a_task_is_refused(manager, acme):
    task = services.activity_create(
        actor=manager,
        data={"kind": "task", "subject": "Call back", "counterparty": acme, "due_at": timezone.now()},
    )
    before = row_counts()
    with pytest.raises(ValidationFailed) as refused:
        services.activity_update(actor=manager, activity=task, data={"due_at": None, "subject": "Changed"})
    assert list(refused.value.errors) == ["due_at"]
    assert row_counts() == before
    task.refresh_from_db()
    assert task.subject == "Call back" and task.due_at is not None


def test_the_contact_must_belong_to_the_counterparty(manager, acme, beta):
    boris = services.contact_create(actor=manager, counterparty=beta, data={"first_name": "Boris"})
    before = row_counts()

    with pytest.raises(ValidationFailed) as refused:
        services.activity_create(
            actor=manager, data={"kind": "call", "subject": "Call", "counterparty": acme, "contact": boris}
        )

    assert refused.value.errors == {"contact": ["This contact belongs to another counterparty."]}
    assert row_counts() == before


def test_the_deal_must_belong_to_the_counterparty(manager, acme, beta):
    deal = services.deal_create(actor=manager, data={"title": "Robots", "counterparty": beta})
    before = row_counts()
    with pytest.raises(ValidationFailed) as refused:
        services.activity_create(
            actor=manager, data={"kind": "note", "subject": "N", "counterparty": acme, "deal": deal}
        )
    assert list(refused.value.errors) == ["deal"]
    assert row_counts() == before


def test_counterparty_is_taken_from_the_deal_or_the_contact(manager, acme, beta):
    deal = services.deal_create(actor=manager, data={"title": "Robots", "counterparty": acme})
    boris = services.contact_create(actor=manager, counterparty=beta, data={"first_name": "Boris"})

    on_deal = services.activity_create(actor=manager, data={"kind": "note", "subject": "Note", "deal": deal})
    with_contact = services.activity_create(actor=manager, data={"kind": "call", "subject": "Call", "contact": boris})

    assert on_deal.counterparty == acme
    assert with_contact.counterparty == beta


def test_the_reminder_must_come_before_the_due_date(manager, acme):
    due = timezone.now() + timedelta(days=1)
    before = row_counts()
    with pytest.raises(ValidationFailed) as refused:
        services.activity_create(
            actor=manager,
            data={
                "kind": "task",
                "subject": "T",
                "counterparty": acme,
                "due_at": due,
                "remind_at": due + timedelta(hours=1),
            },
        )
    assert list(refused.value.errors) == ["remind_at"]
    assert row_counts() == before


def test_complete_and_reopen(manager, acme):
    task = services.activity_create(
        actor=manager, data={"kind": "task", "subject": "T", "counterparty": acme, "due_at": timezone.now()}
    )

    services.activity_complete(actor=manager, activity=task)
    task.refresh_from_db()
    assert task.done and task.done_at is not None

    events = BusinessEvent.objects.filter(event="crm.activity_completed").count()
    services.activity_complete(actor=manager, activity=task)  # already done: nothing recorded twice
    assert BusinessEvent.objects.filter(event="crm.activity_completed").count() == events

    services.activity_complete(actor=manager, activity=task, done=False)
    task.refresh_from_db()
    assert (task.done, task.done_at) == (False, None)
    assert BusinessEvent.objects.filter(event="crm.activity_reopened").count() == 1


def test_an_activity_logged_as_done_gets_its_done_time(manager, acme):
    meeting = services.activity_create(
        actor=manager, data={"kind": "meeting", "subject": "Visit", "counterparty": acme, "done": True}
    )
    assert meeting.done_at is not None


def test_delete(manager, acme):
    note = services.activity_create(actor=manager, data={"kind": "note", "subject": "N", "counterparty": acme})
    services.activity_delete(actor=manager, activity=note)
    assert not Activity.objects.exists()
    assert BusinessEvent.objects.get(event="crm.activity_deleted").data == {"subject": "N"}
