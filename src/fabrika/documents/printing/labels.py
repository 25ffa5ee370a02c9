"""The words printed documents share, in the document's language.

A template prints `{{ labels.qty }}`, never an English word, so one template serves every
language. Call these inside `translation.override(language)`; each form adds its own labels.
"""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def common_labels() -> dict[str, str]:
    return {
        "number": pgettext("printed document", "No."),
        "date": _("Date"),
        "from_date": pgettext("document number and date", "dated"),
        "position": pgettext("line number", "#"),
        "code": _("Code"),
        "product": _("Product"),
        "unit": _("Unit"),
        "qty": _("Quantity"),
        "price": _("Price"),
        "amount": _("Amount"),
        "total": _("Total"),
        "lot": _("Lot"),
        "lines_count": _("Lines"),
        "tax_id": _("Tax ID"),
        "registration_number": _("Reg. No."),
        "phone": _("Phone"),
        "email": _("E-mail"),
        "bank": _("Bank"),
        "bank_account": _("Bank account"),
        "bank_code": _("BIC"),
        "address": _("Address"),
        "warehouse": _("Warehouse"),
        "reason": _("Reason"),
        "comment": _("Comment"),
        "signature": _("signature"),
        "full_name": _("full name"),
        "page": _("Page"),
        "page_of": pgettext("page 1 of 2", "of"),
        "draft": _("Draft — not posted"),
        "cancelled": _("Cancelled"),
    }
