"""Contact pages: the list of every contact the user may see, and create/edit/delete from the card."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from fabrika.access.policy import Policy, restrict
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.views import Column, ListPage, PolicyMixin

from .. import services
from ..filters import ContactFilter
from ..forms import ContactForm, apply_errors
from ..models import Contact, Counterparty
from .counterparties import HtmlColumn, HtmlRowsMixin, NoWrapColumn, crm_rights, safe_next


def _name_html(contact):
    star = (
        format_html('<i class="bi bi-star-fill text-warning" title="{}"></i> ', _("main contact"))
        if contact.is_primary
        else ""
    )
    return format_html('{}<a href="{}">{}</a>', star, reverse("crm:contact-update", args=[contact.pk]), contact)


def _counterparty_html(contact):
    url = reverse("crm:counterparty-detail", args=[contact.counterparty_id]) + "?tab=contacts"
    return format_html('<a href="{}">{}</a>', url, contact.counterparty.name)


def _email_html(contact):
    return format_html('<a href="mailto:{0}">{0}</a>', contact.email) if contact.email else ""


class ScopedContactFilter(ContactFilter):
    """Only the counterparties the user may see are offered (and accepted) as a filter."""

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        self.filters["counterparty"].queryset = restrict(request.user, "view", Counterparty.objects.order_by("name"))


class ContactListView(HtmlRowsMixin, ListPage):
    model = Contact
    access_policy = Policy("crm", "view")
    title = gettext_lazy("Contacts")
    export_name = "contacts"
    filterset_class = ScopedContactFilter
    search_fields = ("first_name", "last_name", "email", "phone", "mobile", "position")
    default_ordering = ("last_name", "first_name", "id")
    columns = [
        HtmlColumn("name", gettext_lazy("Name"), sort="last_name", value=str, html=_name_html),
        HtmlColumn(
            "counterparty",
            gettext_lazy("Counterparty"),
            sort="counterparty__name",
            value=lambda c: c.counterparty.name,
            html=_counterparty_html,
        ),
        Column("position", gettext_lazy("Position"), sort="position"),
        NoWrapColumn("phone", gettext_lazy("Phone")),
        NoWrapColumn("mobile", gettext_lazy("Mobile")),
        HtmlColumn("email", gettext_lazy("E-mail"), sort="email", html=_email_html),
        Column("is_primary", gettext_lazy("Main contact"), sort="is_primary"),
    ]

    def base_queryset(self):
        return self.scoped(Contact.objects.select_related("counterparty"))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if self.filterset is not None:
            self.filterset.form.fields["counterparty"].widget.attrs["data-tom"] = ""
        if crm_rights(self.request.user)["add"]:
            ctx["create_url"] = reverse("crm:contact-create")
        return ctx


class ContactFormView(PolicyMixin, View):
    template_name = "crm/contact_form.html"

    def counterparties(self):
        return restrict(self.request.user, "view", Counterparty.objects.order_by("name"))

    def render_form(self, form, contact=None, counterparty=None):
        target = contact.counterparty if contact else counterparty
        cancel = (
            reverse("crm:counterparty-detail", args=[target.pk]) + "?tab=contacts"
            if target
            else reverse("crm:contact-list")
        )
        title = _("Edit contact %(name)s") % {"name": contact} if contact else _("New contact")
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "title": title,
                "cancel_url": safe_next(self.request, cancel),
                "object": contact,
                "counterparty": target,
            },
        )

    def done(self, contact, message):
        messages.success(self.request, message)
        default = reverse("crm:counterparty-detail", args=[contact.counterparty_id]) + "?tab=contacts"
        return redirect(safe_next(self.request, default))


class ContactCreateView(ContactFormView):
    """`?counterparty=<pk>` fixes the counterparty (from its card)."""

    access_policy = Policy("crm", "add")

    def counterparty(self):
        pk = self.request.GET.get("counterparty", "")
        if not pk:
            return None
        if not pk.isdigit():
            raise Http404
        return get_object_or_404(self.counterparties(), pk=int(pk))

    def get(self, request):
        counterparty = self.counterparty()
        form = ContactForm(
            counterparties=self.counterparties(),
            initial={"counterparty": counterparty.pk if counterparty else None},
        )
        return self.render_form(form, counterparty=counterparty)

    def post(self, request):
        counterparty = self.counterparty()
        form = ContactForm(data=request.POST, counterparties=self.counterparties())
        if form.is_valid():
            target = form.cleaned_data["counterparty"]
            try:
                contact = services.contact_create(actor=request.user, counterparty=target, data=form.service_data())
            except ValidationFailed as exc:
                apply_errors(form, exc)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return self.done(contact, _("Contact %(name)s was added.") % {"name": contact})
        return self.render_form(form, counterparty=counterparty)


class ContactUpdateView(ContactFormView):
    access_policy = Policy("crm", "change")

    def get_object(self, pk):
        return get_object_or_404(
            restrict(self.request.user, "change", Contact.objects.select_related("counterparty")), pk=pk
        )

    def get(self, request, pk):
        contact = self.get_object(pk)
        return self.render_form(ContactForm(instance=contact, counterparties=self.counterparties()), contact)

    def post(self, request, pk):
        contact = self.get_object(pk)
        form = ContactForm(data=request.POST, instance=contact, counterparties=self.counterparties())
        if form.is_valid():
            try:
                contact = services.contact_update(actor=request.user, contact=contact, data=form.service_data())
            except ValidationFailed as exc:
                apply_errors(form, exc)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return self.done(contact, _("Contact %(name)s was saved.") % {"name": contact})
        return self.render_form(form, contact)


class ContactDeleteView(PolicyMixin, View):
    access_policy = Policy("crm", "delete")

    def get_object(self, pk):
        return get_object_or_404(
            restrict(self.request.user, "delete", Contact.objects.select_related("counterparty")), pk=pk
        )

    def get(self, request, pk):
        contact = self.get_object(pk)
        return render(
            request,
            "crm/contact_confirm_delete.html",
            {"object": contact, "title": _("Delete contact %(name)s") % {"name": contact}},
        )

    def post(self, request, pk):
        contact = self.get_object(pk)
        card = reverse("crm:counterparty-detail", args=[contact.counterparty_id]) + "?tab=contacts"
        try:
            services.contact_delete(actor=request.user, contact=contact)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Contact %(name)s was deleted.") % {"name": contact})
        return redirect(safe_next(request, card))


urlpatterns = [
    path("contacts/", ContactListView.as_view(), name="contact-list"),
    path("contacts/new/", ContactCreateView.as_view(), name="contact-create"),
    path("contacts/<int:pk>/edit/", ContactUpdateView.as_view(), name="contact-update"),
    path("contacts/<int:pk>/delete/", ContactDeleteView.as_view(), name="contact-delete"),
]
