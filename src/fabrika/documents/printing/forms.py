from django import forms
from django.utils.translation import gettext_lazy as _

from ..models_print import language_choices
from . import registry


def form_choices():
    return [(entry.code, f"{entry.label} ({entry.code})") for entry in registry.entries()]


class PrintTemplateForm(forms.Form):
    """An override of a printed form; the service checks the template itself."""

    code = forms.ChoiceField(label=_("Form"), choices=form_choices)
    language = forms.ChoiceField(label=_("Language"), choices=language_choices, required=False)
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    body = forms.CharField(
        label=_("Template (HTML)"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 28, "class": "font-monospace small", "spellcheck": "false"}),
    )
    css = forms.CharField(
        label=_("Stylesheet (CSS)"),
        required=False,
        strip=False,
        help_text=_("Added after the built-in stylesheet of every document."),
        widget=forms.Textarea(attrs={"rows": 8, "class": "font-monospace small", "spellcheck": "false"}),
    )
