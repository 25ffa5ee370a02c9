"""Segments: saved counterparty filters; unknown or invalid filters are refused."""

import pytest

from fabrika.access.policy import restrict
from fabrika.audit.models import BusinessEvent
from fabrika.core.errors import ValidationFailed
from fabrika.crm import services
from fabrika.crm.models import Counterparty, Segment
from fabrika.crm.queries import segment_counterparties

from .conftest import row_counts

pytestmark = pytest.mark.django_db


def test_create_keeps_the_known_filters_without_empty_values(manager):
    segment = services.segment_create(
        actor=manager, name="Suppliers", filters={"role": "supplier", "kind": "", "tag": [], "q": "robot"}
    )
    segment.refresh_from_db()
    assert (segment.owner, segment.filters) == (manager, {"role": "supplier", "q": "robot"})
    assert BusinessEvent.objects.filter(event="crm.segment_created").count() == 1


def test_an_unknown_filter_is_refused_and_nothing_is_written(manager):
    before = row_counts()
    with pytest.raises(ValidationFailed) as refused:
        services.segment_create(actor=manager, name="Red ones", filters={"colour": "red", "role": "customer"})
    assert refused.value.errors == {"filters": ["Unknown filter: colour."]}
    assert row_counts() == before


@pytest.mark.parametrize("filters", [{}, {"role": "", "tag": []}])
def test_a_segment_needs_at_least_one_filter(manager, filters):
    before = row_counts()
    with pytest.raises(ValidationFailed) as refused:
        services.segment_create(actor=manager, name="Everyone", filters=filters)
    assert refused.value.errors == {
        "filters": ["Choose at least one filter: without one a segment is every counterparty."]
    }
    assert row_counts() == before


def test_an_invalid_filter_value_is_refused(manager):
    before = row_counts()
    with pytest.raises(ValidationFailed) as refused:
        services.segment_create(actor=manager, name="Aliens", filters={"role": "alien"})
    assert list(refused.value.errors) == ["filters"]
    assert refused.value.errors["filters"][0].startswith("role: ")
    assert row_counts() == before


def test_update_with_an_unknown_filter_changes_nothing(manager):
    segment = services.segment_create(actor=manager, name="Customers", filters={"role": "customer"})
    before = row_counts()
    with pytest.raises(ValidationFailed):
        services.segment_update(actor=manager, segment=segment, name="Renamed", filters={"size": "big"})
    assert row_counts() == before
    segment.refresh_from_db()
    assert (segment.name, segment.filters) == ("Customers", {"role": "customer"})


def test_segment_counterparties_applies_the_filters_within_the_users_scope(manager, other_manager):
    def make(actor, name, **data):
        return services.counterparty_create(actor=actor, data={"name": name, **data}, confirm_duplicates=True)

    vip = services.tag_get_or_create(actor=manager, name="VIP")
    robots = make(manager, "Robots Supply", is_supplier=True, is_customer=False, tags=[vip])
    make(manager, "Robots School", is_customer=True)  # not a supplier
    make(manager, "Paint Supply", is_supplier=True, tags=[vip])  # no "robot" in the name
    theirs = make(other_manager, "Robots Parts", is_supplier=True, tags=[vip])  # another manager's

    segment = services.segment_create(
        actor=manager, name="VIP robot suppliers", filters={"role": "supplier", "tag": [vip.pk], "q": "robot"}
    )

    mine = segment_counterparties(segment, restrict(manager, "view", Counterparty.objects.all()))
    everyone = segment_counterparties(segment, Counterparty.objects.all())
    assert list(mine) == [robots]
    assert sorted(c.pk for c in everyone) == sorted([robots.pk, theirs.pk])


def test_a_segment_whose_filters_no_longer_hold_selects_nothing(manager):
    vip = services.tag_get_or_create(actor=manager, name="VIP")
    services.counterparty_create(actor=manager, data={"name": "Acme"})
    segment = services.segment_create(actor=manager, name="VIP", filters={"tag": [vip.pk]})
    vip.delete()  # the tag went away (no service deletes tags yet)
    segment = Segment.objects.get(pk=segment.pk)
    assert list(segment_counterparties(segment, Counterparty.objects.all())) == []
