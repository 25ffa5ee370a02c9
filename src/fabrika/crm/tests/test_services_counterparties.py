"""Counterparties and contacts: the services' rules, and nothing written when they refuse."""

import pytest

from fabrika.audit.models import BusinessEvent
from fabrika.core.errors import ValidationFailed
from fabrika.crm import services
from fabrika.crm.models import Address, Contact, Counterparty
from fabrika.crm.services.classifiers import InUse
from fabrika.crm.services.counterparties import CounterpartyInUse, DuplicateWarning

from .conftest import row_counts

pytestmark = pytest.mark.django_db


def create(actor, **data):
    addresses = data.pop("addresses", None)
    confirm = data.pop("confirm_duplicates", False)
    return services.counterparty_create(actor=actor, data=data, addresses=addresses, confirm_duplicates=confirm)


def test_create_saves_fields_addresses_and_m2m_and_records_the_event(manager):
    kind = services.classifier_kind_save(actor=manager, data={"code": "industry", "name": "Industry"})
    education = services.classifier_value_save(actor=manager, data={"kind": kind, "name": "Education"})
    vip = services.tag_get_or_create(actor=manager, name="VIP")

    acme = create(
        manager,
        name="Acme Robotics",
        tax_id="  FR123  ",
        email="info@acme.test",
        phone="+33 1 23 45 67",
        classifiers=[education],
        tags=[vip],
        addresses=[{"kind": "legal", "text": "1 rue de la Paix, Paris"}, {"kind": "delivery", "text": "  "}],
    )

    acme = Counterparty.objects.get(pk=acme.pk)
    assert acme.name == "Acme Robotics"
    assert acme.tax_id == "FR123"  # trimmed
    assert acme.phone_normalized == "331234567"
    assert acme.responsible == manager  # the creator is responsible by default
    assert acme.created_by == manager
    assert [(a.kind, a.text) for a in acme.addresses.all()] == [("legal", "1 rue de la Paix, Paris")]  # blank skipped
    assert list(acme.classifiers.all()) == [education]
    assert list(acme.tags.all()) == [vip]
    event = BusinessEvent.objects.get(event="crm.counterparty_created")
    assert (event.actor, event.object_id) == (manager, str(acme.pk))


def test_tax_id_clash_is_refused_and_nothing_is_written(manager):
    first = create(manager, name="Acme", tax_id="FR123")
    before = row_counts()

    with pytest.raises(ValidationFailed) as refused:
        create(manager, name="Acme twin", tax_id=" FR123 ", addresses=[{"kind": "legal", "text": "Lyon"}])

    assert list(refused.value.errors) == ["tax_id"]
    assert "FR123" in refused.value.errors["tax_id"][0] and "Acme" in refused.value.errors["tax_id"][0]
    assert row_counts() == before
    assert list(Counterparty.objects.values_list("pk", flat=True)) == [first.pk]


def test_invalid_field_is_refused_with_the_field_named(manager):
    before = row_counts()
    with pytest.raises(ValidationFailed) as refused:
        create(manager, name="", email="not-an-email")
    assert set(refused.value.errors) == {"name", "email"}
    assert row_counts() == before


@pytest.mark.parametrize(
    "data",
    [
        {"email": "SALES@acme.test"},  # e-mail, another case
        {"phone": "+33 (1) 23-45-67"},  # phone, written differently
    ],
)
def test_possible_duplicate_needs_confirmation(manager, data):
    acme = create(manager, name="Acme", email="sales@acme.test", phone="+33 1 23 45 67")
    before = row_counts()

    with pytest.raises(DuplicateWarning) as warned:
        create(manager, name="ACME SAS", **data, addresses=[{"kind": "legal", "text": "Paris"}])

    assert warned.value.duplicates == [acme]
    assert warned.value.data == {"duplicates": [acme.pk]}
    assert "Acme" in warned.value.message
    assert row_counts() == before

    confirmed = create(manager, name="ACME SAS", **data, confirm_duplicates=True)
    assert Counterparty.objects.count() == 2
    assert confirmed.name == "ACME SAS"


def test_short_phone_numbers_are_not_duplicates(manager):
    create(manager, name="One", phone="12-34")
    create(manager, name="Two", phone="1234")  # fewer than 6 digits: too common to mean the same company
    assert Counterparty.objects.count() == 2


def test_update_changes_fields_and_replaces_addresses(manager, other_manager):
    acme = create(manager, name="Acme", addresses=[{"kind": "legal", "text": "Paris"}])

    services.counterparty_update(
        actor=manager,
        counterparty=acme,
        data={"name": "Acme SAS", "responsible": other_manager},
        addresses=[{"kind": "postal", "text": "BP 12, Lyon"}, {"kind": "delivery", "text": "Dock 4, Lyon"}],
    )

    acme.refresh_from_db()
    assert acme.name == "Acme SAS"
    assert acme.responsible == other_manager
    assert sorted(acme.addresses.values_list("kind", "text")) == [
        ("delivery", "Dock 4, Lyon"),
        ("postal", "BP 12, Lyon"),
    ]
    event = BusinessEvent.objects.get(event="crm.counterparty_updated")
    assert event.data["fields"] == ["name", "responsible"]


def test_update_without_addresses_keeps_them(manager):
    acme = create(manager, name="Acme", addresses=[{"kind": "legal", "text": "Paris"}])
    services.counterparty_update(actor=manager, counterparty=acme, data={"notes": "Met at a fair"})
    assert list(Address.objects.values_list("text", flat=True)) == ["Paris"]


def test_update_to_a_used_tax_id_is_refused_and_nothing_changes(manager):
    create(manager, name="Acme", tax_id="FR123")
    beta = create(manager, name="Beta", tax_id="FR999", addresses=[{"kind": "legal", "text": "Nantes"}])
    before = row_counts()

    with pytest.raises(ValidationFailed) as refused:
        services.counterparty_update(
            actor=manager,
            counterparty=beta,
            data={"name": "Beta renamed", "tax_id": "FR123"},
            addresses=[{"kind": "legal", "text": "Brest"}],
        )

    assert list(refused.value.errors) == ["tax_id"]
    assert row_counts() == before
    beta.refresh_from_db()
    assert (beta.name, beta.tax_id) == ("Beta", "FR999")
    assert list(beta.addresses.values_list("text", flat=True)) == ["Nantes"]


def test_a_counterparty_keeps_its_own_tax_id_on_update(manager):
    acme = create(manager, name="Acme", tax_id="FR123")
    services.counterparty_update(actor=manager, counterparty=acme, data={"tax_id": "FR123", "name": "Acme 2"})
    acme.refresh_from_db()
    assert acme.name == "Acme 2"


def test_delete_is_refused_while_the_counterparty_has_deals(manager):
    acme = create(manager, name="Acme")
    services.deal_create(actor=manager, data={"title": "Robots", "counterparty": acme})
    before = row_counts()

    with pytest.raises(CounterpartyInUse) as refused:
        services.counterparty_delete(actor=manager, counterparty=acme)

    assert refused.value.data == {"deals": 1}
    assert "Acme" in refused.value.message
    assert row_counts() == before


def test_delete_without_deals_removes_it_with_contacts_and_addresses(manager):
    acme = create(manager, name="Acme", addresses=[{"kind": "legal", "text": "Paris"}])
    services.contact_create(actor=manager, counterparty=acme, data={"first_name": "Jean"})

    services.counterparty_delete(actor=manager, counterparty=acme)

    assert (Counterparty.objects.count(), Contact.objects.count(), Address.objects.count()) == (0, 0, 0)
    assert BusinessEvent.objects.get(event="crm.counterparty_deleted").data == {"name": "Acme"}


# --- contacts --------------------------------------------------------------------------------


def primary_names(counterparty):
    return sorted(counterparty.contacts.filter(is_primary=True).values_list("first_name", flat=True))


def test_only_one_primary_contact_per_counterparty(manager):
    acme = create(manager, name="Acme")
    beta = create(manager, name="Beta")
    jean = services.contact_create(actor=manager, counterparty=acme, data={"first_name": "Jean", "is_primary": True})
    services.contact_create(actor=manager, counterparty=beta, data={"first_name": "Boris", "is_primary": True})
    assert primary_names(acme) == ["Jean"]

    services.contact_create(actor=manager, counterparty=acme, data={"first_name": "Marie", "is_primary": True})
    assert primary_names(acme) == ["Marie"]

    services.contact_update(actor=manager, contact=jean, data={"is_primary": True})
    assert primary_names(acme) == ["Jean"]
    assert primary_names(beta) == ["Boris"]  # another counterparty's primary contact is left alone


def test_contact_update_cannot_move_it_to_another_counterparty(manager):
    acme = create(manager, name="Acme")
    beta = create(manager, name="Beta")
    jean = services.contact_create(actor=manager, counterparty=acme, data={"first_name": "Jean"})
    services.contact_update(actor=manager, contact=jean, data={"counterparty": beta, "position": "CEO"})
    jean.refresh_from_db()
    assert (jean.counterparty, jean.position) == (acme, "CEO")


def test_invalid_contact_is_refused_and_the_old_primary_stays(manager):
    acme = create(manager, name="Acme")
    services.contact_create(actor=manager, counterparty=acme, data={"first_name": "Jean", "is_primary": True})
    before = row_counts()

    with pytest.raises(ValidationFailed) as refused:
        services.contact_create(
            actor=manager, counterparty=acme, data={"first_name": "", "email": "x", "is_primary": True}
        )

    assert set(refused.value.errors) == {"first_name", "email"}
    assert row_counts() == before
    assert primary_names(acme) == ["Jean"]


def test_classifier_value_in_use_cannot_be_deleted(manager):
    kind = services.classifier_kind_save(actor=manager, data={"code": "region", "name": "Region"})
    north = services.classifier_value_save(actor=manager, data={"kind": kind, "name": "North"})
    create(manager, name="Acme", classifiers=[north])
    before = row_counts()
    with pytest.raises(InUse):
        services.classifier_value_delete(actor=manager, value=north)
    assert row_counts() == before
