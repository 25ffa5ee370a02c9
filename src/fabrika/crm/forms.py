"""Forms of the counterparty side of the CRM: they validate input, services change state.

The model forms here never validate or save their instance (`ServiceModelForm`): the service
does the model validation and the writing, and its `ValidationFailed` errors are put back on
the form with `apply_errors()`.
"""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Address, ClassifierKind, ClassifierValue, Contact, Counterparty, Segment, Tag


class ServiceModelForm(forms.ModelForm):
    """A ModelForm used for its fields only: no instance validation, no `save()`."""

    def _post_clean(self):
        # Model validation (tax id uniqueness, constraints) belongs to the service.
        pass

    def save(self, commit=True):  # pragma: no cover - a guard, never called
        raise NotImplementedError("Call a service; forms do not save.")

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}


def apply_errors(form: forms.BaseForm, exc) -> None:
    """Put a `ValidationFailed`'s field errors on the form (unknown fields as non-field errors)."""
    for field, messages in exc.errors.items():
        for message in messages:
            if field in form.fields:
                form.add_error(field, message)
            elif field in ("__all__", None, ""):
                form.add_error(None, message)
            else:
                form.add_error(None, f"{_label(form, field)}: {message}")


def _label(form, field: str) -> str:
    model = getattr(getattr(form, "_meta", None), "model", None)
    if model is not None:
        try:
            return str(model._meta.get_field(field).verbose_name).capitalize()
        except Exception:  # noqa: BLE001 - any unknown name is shown as it is
            pass
    return field


def active_users(*keep):
    """Active users, plus the ones already chosen on a record (so that editing it keeps them)."""
    condition = Q(is_active=True)
    if any(keep):
        condition |= Q(pk__in=[pk for pk in keep if pk])
    return get_user_model().objects.filter(condition).order_by("last_name", "first_name", "username")


def grouped_classifier_choices(values=None):
    """Classifier values grouped by their kind, for a select with optgroups."""
    values = values if values is not None else ClassifierValue.objects.select_related("kind")
    groups: dict[ClassifierKind, list] = {}
    for value in values.order_by("kind__order", "kind__name", "name"):
        groups.setdefault(value.kind, []).append((value.pk, value.name))
    return [(kind.name, choices) for kind, choices in groups.items()]


class TagNamesField(forms.MultipleChoiceField):
    """Tags by name: existing ones are offered, new free-text names are accepted (Tom Select `create`)."""

    def valid_value(self, value):
        return bool(str(value).strip())

    def clean(self, value):
        names = super().clean(value)
        seen, result = set(), []
        for name in names:
            name = " ".join(str(name).split())
            if len(name) > 50:
                raise forms.ValidationError(_("A tag is at most 50 characters long: %(tag)s") % {"tag": name})
            if name and name.casefold() not in seen:
                seen.add(name.casefold())
                result.append(name)
        return result


class CounterpartyForm(ServiceModelForm):
    tags = TagNamesField(label=gettext_lazy("Tags"), required=False)
    confirm_duplicates = forms.BooleanField(label=gettext_lazy("Create anyway"), required=False)

    class Meta:
        model = Counterparty
        fields = [
            "kind",
            "name",
            "legal_name",
            "is_customer",
            "is_supplier",
            "tax_id",
            "registration_number",
            "phone",
            "email",
            "website",
            "responsible",
            "classifiers",
            "bank_name",
            "bank_account",
            "bank_code",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = active_users(self.instance.responsible_id)
        self.fields["responsible"].widget.attrs["data-tom"] = ""
        classifiers = self.fields["classifiers"]
        classifiers.queryset = ClassifierValue.objects.select_related("kind")
        classifiers.widget.choices = grouped_classifier_choices()
        classifiers.widget.attrs["data-tom"] = ""
        names = list(Tag.objects.values_list("name", flat=True))
        if self.instance.pk and not self.is_bound:
            self.initial["tags"] = list(self.instance.tags.values_list("name", flat=True))
        if self.is_bound:
            # Keep new, typed tags on the page when the form comes back with errors.
            names += [n for n in self.data.getlist(self.add_prefix("tags")) if n not in names]
        self.fields["tags"].choices = [(n, n) for n in names]
        self.fields["tags"].widget.attrs["data-tom-create"] = ""

    def service_data(self) -> dict:
        data = super().service_data()
        data.pop("tags", None)
        return data


class AddressForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Address.Kind.choices)
    text = forms.CharField(label=gettext_lazy("Address"), required=False, max_length=1000)


AddressFormSet = forms.formset_factory(AddressForm, extra=0, max_num=20, validate_max=True)


def address_formset(*, data=None, counterparty: Counterparty | None = None):
    """The addresses of a counterparty as rows, always with a legal and a delivery row and one blank."""
    initial = []
    if counterparty is not None and counterparty.pk:
        initial = [{"kind": a.kind, "text": a.text} for a in counterparty.addresses.all()]
    for kind in (Address.Kind.LEGAL, Address.Kind.DELIVERY):
        if not any(row["kind"] == kind for row in initial):
            initial.append({"kind": kind, "text": ""})
    return AddressFormSet(data=data, initial=initial, prefix="addr")


def formset_addresses(formset) -> list[dict]:
    return [
        {"kind": f.cleaned_data["kind"], "text": f.cleaned_data["text"].strip()}
        for f in formset.forms
        if f.cleaned_data.get("text", "").strip()
    ]


class ContactForm(ServiceModelForm):
    """The counterparty is chosen on create (restricted to the user's scope) and fixed afterwards."""

    class Meta:
        model = Contact
        fields = [
            "counterparty",
            "first_name",
            "last_name",
            "position",
            "phone",
            "mobile",
            "email",
            "is_primary",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, counterparties, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["counterparty"]
        field.queryset = counterparties
        field.widget.attrs["data-tom"] = ""
        if self.instance.pk:
            # A contact stays with its counterparty.
            field.disabled = True
            field.required = False

    def service_data(self) -> dict:
        data = super().service_data()
        data.pop("counterparty", None)
        return data


class SegmentForm(ServiceModelForm):
    class Meta:
        model = Segment
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class SegmentSaveForm(forms.Form):
    """ "Save as segment" on the counterparty list: a name and the list's query string."""

    name = forms.CharField(label=gettext_lazy("Segment name"), max_length=100, required=False)
    query = forms.CharField(required=False, max_length=4000)
    replace = forms.IntegerField(required=False, min_value=1)

    def clean(self):
        data = super().clean()
        if not data.get("replace") and not (data.get("name") or "").strip():
            self.add_error("name", _("Give the segment a name."))
        return data


class ClassifierKindForm(ServiceModelForm):
    class Meta:
        model = ClassifierKind
        fields = ["name", "code", "order"]


class ClassifierValueForm(ServiceModelForm):
    class Meta:
        model = ClassifierValue
        fields = ["kind", "name"]


class TagForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Tag"), max_length=50)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("XLSX or CSV (UTF-8, separated by ; or ,), first row with column names."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.txt"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.MAX_UPLOAD_MB * 1024 * 1024
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
                % {"size": round(upload.size / 1024 / 1024, 1), "limit": settings.MAX_UPLOAD_MB}
            )
        name = upload.name.lower()
        if not name.endswith((".xlsx", ".csv", ".txt")):
            raise forms.ValidationError(_("Upload an XLSX or a CSV file."))
        return upload
