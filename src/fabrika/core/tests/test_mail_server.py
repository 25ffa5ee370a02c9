"""The `smtp_server` fixture: Django's real SMTP backend talking to a real server on 127.0.0.1."""

from django.core.mail import EmailMessage, send_mail


def test_send_mail_arrives(smtp_server):
    sent = send_mail("Quote QT-2026-00001", "Please find the quote.", "sales@fabrika.test", ["buyer@example.com"])

    assert sent == 1
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "Quote QT-2026-00001"
    assert message["From"] == "sales@fabrika.test"
    assert message["To"] == "buyer@example.com"
    assert message.get_content().strip() == "Please find the quote."


def test_attachments_arrive(smtp_server):
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 4
    mail = EmailMessage("Invoice", "Attached.", "billing@fabrika.test", ["a@example.com", "b@example.com"])
    mail.attach("invoice.pdf", pdf, "application/pdf")
    mail.attach("lines.csv", "product;qty\nDoor;2\n", "text/csv")
    mail.send()

    [message] = smtp_server.wait_for(1)
    assert smtp_server.envelopes[0].rcpt_tos == ["a@example.com", "b@example.com"]
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert sorted(attachments) == ["invoice.pdf", "lines.csv"]
    assert attachments["invoice.pdf"].get_content_type() == "application/pdf"
    assert attachments["invoice.pdf"].get_content() == pdf
    # Text travels with canonical CRLF line ends (RFC 5322).
    assert attachments["lines.csv"].get_content() == "product;qty\r\nDoor;2\r\n"
