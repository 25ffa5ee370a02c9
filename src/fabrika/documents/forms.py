from django import forms
from django.utils.translation import gettext_lazy as _


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"), allow_empty_file=True)  # the service refuses empty files
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
