"""Forms of the web app (company settings, number formats) and a helper every page form uses.

Forms only check and carry input; saving goes through services. When a service refuses the
input, `add_service_errors` puts its messages beside the fields they concern, so the page is
shown again with the user's input and the reasons.
"""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from fabrika.core import services as core_services
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.models import CompanySettings


def add_service_errors(
    form: forms.BaseForm, exc: DomainError, field_map: dict[str, str] | None = None
) -> None:
    """Show a service's refusal on the form: field errors beside their fields, others on top."""
    field_map = field_map or {}
    if isinstance(exc, ValidationFailed):
        for field, messages in exc.errors.items():
            name = field_map.get(field, field)
            target = name if name in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        form.add_error(None, exc.message)


class CompanySettingsForm(forms.ModelForm):
    GROUPS = [
        (_("Company"), ["name", "legal_name", "phone", "email", "website"]),
        (_("Legal details"), ["tax_id", "registration_number", "address"]),
        (_("Bank details"), ["bank_name", "bank_account", "bank_code"]),
        (_("Money and tax"), ["currency", "vat_rate"]),
        (_("Logo"), ["logo"]),
    ]

    class Meta:
        model = CompanySettings
        fields = [
            "name",
            "legal_name",
            "tax_id",
            "registration_number",
            "address",
            "phone",
            "email",
            "website",
            "bank_name",
            "bank_account",
            "bank_code",
            "currency",
            "vat_rate",
            "logo",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "logo": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].help_text = _("Three-letter ISO code, e.g. EUR, USD, RUB.")
        self.fields["vat_rate"].help_text = _("From 0 to 100.")
        self.fields["logo"].help_text = _("PNG, JPEG, GIF or WebP.")

    def clean_currency(self):
        code = self.cleaned_data["currency"].strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise forms.ValidationError(_("Enter a three-letter currency code."))
        return code

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "content_type"):  # a new upload (not the stored file)
            try:
                core_services.validate_logo(logo)
            except ValidationFailed as exc:
                raise forms.ValidationError(exc.errors.get("logo", [exc.message]))
        return logo

    def groups(self):
        return [(title, [self[name] for name in names]) for title, names in self.GROUPS]

    def changes(self) -> dict:
        """Cleaned values for the service: the logo only when replaced (a file) or cleared (False)."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "logo"}
        logo = self.cleaned_data.get("logo")
        if logo is False or hasattr(logo, "content_type"):
            data["logo"] = logo
        return data


class NumberFormatForm(forms.Form):
    doc_type = forms.CharField(widget=forms.HiddenInput)
    prefix = forms.CharField(label=_("Prefix"), max_length=20)
    padding = forms.IntegerField(
        label=_("Digits"), min_value=core_services.MIN_DIGITS, max_value=core_services.MAX_DIGITS
    )

    def clean_prefix(self):
        prefix = self.cleaned_data["prefix"].strip()
        message = core_services.prefix_problem(prefix)
        if message:
            raise forms.ValidationError(message)
        return prefix

    def clean_doc_type(self):
        from fabrika.core.numbering import REGISTRY

        code = self.cleaned_data["doc_type"]
        if code not in REGISTRY:
            raise forms.ValidationError(_("Unknown document type."))
        return code


NumberFormatFormSet = forms.formset_factory(NumberFormatForm, extra=0, can_delete=False)
