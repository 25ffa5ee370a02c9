from django.db import transaction
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event
from fabrika.core.errors import DomainError, ValidationFailed

from ..models import Address, Contact, Counterparty
from ..queries import find_duplicates
from ._common import apply, save_m2m, validate


class DuplicateWarning(DomainError):
    """Counterparties with the same e-mail or phone exist; the user must confirm to go on."""

    code = "possible_duplicate"

    def __init__(self, duplicates):
        self.duplicates = list(duplicates)
        names = ", ".join(str(c) for c in self.duplicates[:5])
        super().__init__(
            _("Possible duplicate: %(names)s has the same e-mail or phone.") % {"names": names},
            duplicates=[c.pk for c in self.duplicates],
        )


def _check_tax_id(counterparty: Counterparty) -> None:
    tax_id = (counterparty.tax_id or "").strip()
    counterparty.tax_id = tax_id
    if not tax_id:
        return
    clash = Counterparty.objects.filter(tax_id=tax_id).exclude(pk=counterparty.pk).first()
    if clash is not None:
        raise ValidationFailed(
            {"tax_id": [_("Tax id %(tax_id)s is already used by %(name)s.") % {"tax_id": tax_id, "name": clash.name}]}
        )


def _save_addresses(counterparty: Counterparty, addresses) -> None:
    if addresses is None:
        return
    counterparty.addresses.all().delete()
    for item in addresses:
        text = (item.get("text") or "").strip()
        if text:
            address = Address(counterparty=counterparty, kind=item.get("kind") or Address.Kind.LEGAL, text=text)
            validate(address, exclude=["counterparty"])
            address.save()


@transaction.atomic
def counterparty_create(
    *, actor, data: dict, addresses: list[dict] | None = None, confirm_duplicates: bool = False
) -> Counterparty:
    """Create a counterparty. Raises ValidationFailed (bad input, tax id taken) or DuplicateWarning."""
    counterparty = Counterparty(created_by=actor)
    m2m = apply(counterparty, data)
    if counterparty.responsible_id is None and actor is not None and actor.is_authenticated:
        counterparty.responsible = actor
    _check_tax_id(counterparty)
    validate(counterparty)
    if not confirm_duplicates:
        duplicates = find_duplicates(email=counterparty.email, phone=counterparty.phone)
        if duplicates:
            raise DuplicateWarning(duplicates)
    counterparty.save()
    save_m2m(counterparty, m2m)
    _save_addresses(counterparty, addresses)
    record_event("crm.counterparty_created", counterparty, actor=actor)
    return counterparty


@transaction.atomic
def counterparty_update(
    *, actor, counterparty: Counterparty, data: dict, addresses: list[dict] | None = None
) -> Counterparty:
    counterparty = Counterparty.objects.select_for_update().get(pk=counterparty.pk)
    m2m = apply(counterparty, data)
    _check_tax_id(counterparty)
    validate(counterparty)
    counterparty.save()
    save_m2m(counterparty, m2m)
    _save_addresses(counterparty, addresses)
    record_event("crm.counterparty_updated", counterparty, actor=actor, fields=sorted(data))
    return counterparty


class CounterpartyInUse(DomainError):
    code = "in_use"


@transaction.atomic
def counterparty_delete(*, actor, counterparty: Counterparty) -> None:
    if counterparty.deals.exists():
        raise CounterpartyInUse(
            _("%(name)s has deals and cannot be deleted.") % {"name": counterparty.name},
            deals=counterparty.deals.count(),
        )
    record_event("crm.counterparty_deleted", counterparty, actor=actor, name=counterparty.name)
    counterparty.delete()


def _clear_primary(counterparty: Counterparty, *, keep) -> None:
    for other in counterparty.contacts.filter(is_primary=True).exclude(pk=keep):
        other.is_primary = False
        other.save(update_fields=["is_primary", "updated_at"])


@transaction.atomic
def contact_create(*, actor, counterparty: Counterparty, data: dict) -> Contact:
    contact = Contact(counterparty=counterparty)
    apply(contact, data)
    validate(contact)
    if contact.is_primary:
        _clear_primary(counterparty, keep=None)
    contact.save()
    record_event("crm.contact_created", contact, actor=actor, counterparty=counterparty.pk)
    return contact


@transaction.atomic
def contact_update(*, actor, contact: Contact, data: dict) -> Contact:
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    data = {k: v for k, v in data.items() if k != "counterparty"}
    apply(contact, data)
    validate(contact)
    if contact.is_primary:
        _clear_primary(contact.counterparty, keep=contact.pk)
    contact.save()
    record_event("crm.contact_updated", contact, actor=actor, fields=sorted(data))
    return contact


@transaction.atomic
def contact_delete(*, actor, contact: Contact) -> None:
    record_event("crm.contact_deleted", contact, actor=actor, counterparty=contact.counterparty_id)
    contact.delete()
