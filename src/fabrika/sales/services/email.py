"""Sending an order's documents by e-mail: the PDF is rendered and queued in the outbox."""

from email.utils import formataddr

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from fabrika.audit.services import record_event
from fabrika.core.errors import ValidationFailed
from fabrika.core.models import CompanySettings
from fabrika.documents.printing import registry
from fabrika.documents.printing.render import document_language, render_document

from ..models import Invoice, SalesOrder, Shipment

# What the order card may send: print code → how to find the record of the order to print.
EMAIL_CODES = ("sales.invoice", "sales.vat_invoice", "sales.act", "inventory.shipment")


def printable_records(order: SalesOrder, code: str) -> list:
    """The records of `order` that the form `code` prints, newest first."""
    if code in ("sales.invoice", "sales.vat_invoice"):
        return list(order.invoices.exclude(state=Invoice.State.CANCELLED).order_by("-pk"))
    if code == "sales.act":
        return [order]
    if code == "inventory.shipment":
        return [
            s.document
            for s in order.shipments.exclude(state=Shipment.State.CANCELLED).select_related("document").order_by("-pk")
        ]
    return []


@transaction.atomic
def order_email_document(*, actor, order: SalesOrder, code: str, contact, document=None, language: str | None = None):
    """Print a document of the order (an invoice, the act, a delivery note) and queue it by e-mail
    to a contact of the customer. `document` defaults to the newest record of that form; the
    language to the sender's. The message is listed on the order's card."""
    from fabrika.documents.outbox import queue_email

    if code not in EMAIL_CODES:
        raise ValidationFailed({"code": [_("This document cannot be sent from an order.")]})
    records = printable_records(order, code)
    if document is None:
        document = records[0] if records else None
    if document is None or document.pk not in {r.pk for r in records}:
        raise ValidationFailed({"code": [_("The order has no such document yet.")]})
    if contact is None or contact.counterparty_id != order.counterparty_id:
        raise ValidationFailed({"contact": [_("Choose a contact of the customer.")]})
    if not contact.email:
        raise ValidationFailed({"contact": [_("%(contact)s has no e-mail address.") % {"contact": contact}]})
    entry = registry.get(code)
    language = document_language(language or getattr(actor, "language", "") or settings.LANGUAGE_CODE)
    printed = render_document(entry, document, language=language, show_costs=False, user=actor)
    company = CompanySettings.load()
    with translation.override(language):
        title = str(entry.label)
        subject = _("%(document)s %(number)s — %(company)s") % {
            "document": title,
            "number": getattr(document, "number", order.number),
            "company": company.name,
        }
        body = _(
            "Hello %(name)s,\n\nplease find attached %(document)s %(number)s for order %(order)s.\n\n"
            "Kind regards,\n%(sender)s\n%(company)s"
        ) % {
            "name": contact.first_name,
            "document": title.lower(),
            "number": getattr(document, "number", order.number),
            "order": order.number,
            "sender": (actor.get_full_name() or actor.username) if actor is not None else company.name,
            "company": company.name,
        }
    message = queue_email(
        actor=actor,
        to=[formataddr((str(contact), contact.email))],
        subject=subject,
        body=body,
        attachments=[(printed.filename, printed.pdf, "application/pdf")],
        related=order,
        reply_to=getattr(actor, "email", "") or "",
    )
    record_event("sales.document_emailed", order, actor=actor, code=code, document=str(document), to=contact.email)
    return message
