"""Sending a document of the order by e-mail from its card."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views import View

from fabrika.access.policy import Policy
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.views import PolicyMixin
from fabrika.documents.printing import registry

from ..forms import EmailForm
from ..services.email import EMAIL_CODES, order_email_document, printable_records
from .common import order_or_404


def email_codes(order, user) -> list[tuple[str, str]]:
    """Choices "code:pk" → "Invoice for payment INV-…" of what the order can send."""
    choices = []
    for code in EMAIL_CODES:
        entry = registry.REGISTRY.get(code)
        if entry is None or not entry.allows(user):
            continue
        for record in printable_records(order, code):
            choices.append((f"{code}:{record.pk}", f"{entry.label} {getattr(record, 'number', '')}".strip()))
    return choices


class OrderEmailView(PolicyMixin, View):
    access_policy = Policy("sales", "change")

    def form(self, request, order, data=None):
        contacts = order.counterparty.contacts.exclude(email="").order_by("-is_primary", "last_name")
        initial = {"contact": order.contact_id} if order.contact_id and order.contact.email else {}
        asked = request.GET.get("code", "")
        if asked:
            initial["code"] = asked
        return EmailForm(
            data,
            codes=email_codes(order, request.user),
            contacts=contacts,
            languages=settings.LANGUAGES,
            initial=initial,
        )

    def render(self, request, order, form):
        ctx = {"title": _("Send %(number)s by e-mail") % {"number": order.number}, "order": order, "form": form}
        return TemplateResponse(request, "sales/order_email.html", ctx)

    def get(self, request, pk):
        order = order_or_404(request.user, pk, "change")
        return self.render(request, order, self.form(request, order))

    def post(self, request, pk):
        order = order_or_404(request.user, pk, "change")
        form = self.form(request, order, request.POST)
        if form.is_valid():
            code, _sep, record_pk = form.cleaned_data["code"].partition(":")
            document = next((r for r in printable_records(order, code) if str(r.pk) == record_pk), None)
            try:
                message = order_email_document(
                    actor=request.user,
                    order=order,
                    code=code,
                    contact=form.cleaned_data["contact"],
                    document=document,
                    language=form.cleaned_data["language"] or None,
                )
            except ValidationFailed as exc:
                for field, msgs in exc.errors.items():
                    for msg in msgs:
                        form.add_error(field if field in form.fields else None, msg)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The message to %(to)s is queued.") % {"to": message.recipients_display})
                return redirect(order.get_absolute_url() + "?tab=documents")
        return self.render(request, order, form)


urlpatterns = [path("orders/<int:pk>/email/", OrderEmailView.as_view(), name="order-email")]
