"""Sending an order's documents by e-mail, to a real SMTP server on 127.0.0.1."""

from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from fabrika.access.tests.factories import sign_in
from fabrika.conftest import attachments_of
from fabrika.core.errors import ValidationFailed
from fabrika.crm import services as crm
from fabrika.documents.models_outbox import OutboxMessage
from fabrika.documents.tests.printing_helpers import pdf_text
from fabrika.sales.services import invoice_create
from fabrika.sales.services.email import order_email_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(shop):
    return crm.contact_create(
        actor=None,
        counterparty=shop.customer,
        data={"first_name": "Maria", "last_name": "Huber", "email": "maria@robokids.example"},
    )


def test_an_invoice_goes_out_as_a_pdf(shop, make_order, contact, smtp_server, django_capture_on_commit_callbacks):
    order = make_order(confirm=True)
    invoice = invoice_create(actor=shop.manager, order=order, amount=D("1000.00"))
    with django_capture_on_commit_callbacks(execute=True):
        message = order_email_document(actor=shop.manager, order=order, code="sales.invoice", contact=contact)
    assert message.related == order
    received = smtp_server.wait_for(1)
    assert len(received) == 1
    mail = received[0]
    assert mail["To"] == "Maria Huber <maria@robokids.example>"
    assert mail["Subject"] == f"Invoice for payment {invoice.number} — My factory"
    assert "Hello Maria," in mail.get_body(("plain",)).get_content()
    [(name, content, kind)] = attachments_of(mail)
    assert (name, kind) == (f"{invoice.number}.pdf", "application/pdf")
    assert "1,000.00" in pdf_text(content)
    assert OutboxMessage.objects.get(pk=message.pk).state == "sent"


def test_refusals(shop, make_order, contact):
    order = make_order(confirm=True)
    with pytest.raises(ValidationFailed) as exc:
        order_email_document(actor=shop.manager, order=order, code="sales.invoice", contact=contact)
    assert exc.value.errors == {"code": ["The order has no such document yet."]}
    silent = crm.contact_create(actor=None, counterparty=shop.customer, data={"first_name": "Otto"})
    with pytest.raises(ValidationFailed) as exc:
        order_email_document(actor=shop.manager, order=order, code="sales.act", contact=silent)
    assert exc.value.errors == {"contact": ["Otto has no e-mail address."]}
    stranger = crm.contact_create(
        actor=None, counterparty=shop.other_customer, data={"first_name": "Eve", "email": "eve@linz.example"}
    )
    with pytest.raises(ValidationFailed):
        order_email_document(actor=shop.manager, order=order, code="sales.act", contact=stranger)
    assert not OutboxMessage.objects.exists()


def test_the_card_sends_and_lists_the_message(shop, make_order, contact, smtp_server):
    order = make_order(confirm=True)
    client = Client()
    sign_in(client, shop.manager)
    page = client.get(reverse("sales:order-email", args=[order.pk])).content.decode()
    assert f'value="sales.act:{order.pk}"' in page
    response = client.post(
        reverse("sales:order-email", args=[order.pk]),
        {"code": f"sales.act:{order.pk}", "contact": contact.pk, "language": "fr"},
    )
    assert response.status_code == 302
    message = OutboxMessage.objects.get()
    with translation.override("fr"):
        french = translation.gettext("Act of completed work")
    assert french != "Act of completed work" and message.subject.startswith(f"{french} {order.number}")
    page = client.get(order.get_absolute_url() + "?tab=documents").content.decode()
    assert message.subject in page


@pytest.mark.parametrize("server", ["failing_smtp_server", "closed_smtp_port"])
def test_a_failing_server_keeps_the_message_for_retry_and_leaves_the_order_alone(
    server, request, shop, make_order, contact, half_and_half, django_capture_on_commit_callbacks
):
    """The invoice is e-mailed from the card while the SMTP server refuses (451) or is down: the
    message stays in the outbox, queued for another attempt, and the order, its invoice and its
    payments are exactly as they were."""
    from fabrika.sales.models import Invoice, Payment

    failing = request.getfixturevalue(server)
    order = make_order(confirm=True, payment_terms=half_and_half)
    invoice = invoice_create(
        actor=shop.manager, order=order, kind="advance", schedule_line=order.schedule.order_by("position").first()
    )
    order.refresh_from_db()

    def state():
        return (
            list(type(order).objects.filter(pk=order.pk).values_list("state", "total", "updated_at")),
            list(Invoice.objects.order_by("pk").values_list("pk", "state", "amount", "paid_amount")),
            Payment.objects.count(),
        )

    before = state()
    client = Client()
    sign_in(client, shop.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("sales:order-email", args=[order.pk]),
            {"code": f"sales.invoice:{invoice.pk}", "contact": contact.pk},
            follow=True,
        )
    assert response.status_code == 200
    assert "The message to Maria Huber &lt;maria@robokids.example&gt; is queued." in response.content.decode()
    message = OutboxMessage.objects.get()
    assert (message.state, message.attempts, message.related) == ("queued", 1, order)
    assert message.next_attempt_at is not None
    if server == "failing_smtp_server":
        assert "451" in message.last_error and len(failing.refused) == 1
    else:
        assert message.last_error.startswith("ConnectionRefusedError")
    assert state() == before
    page = client.get(order.get_absolute_url() + "?tab=documents").content.decode()
    assert message.subject in page
