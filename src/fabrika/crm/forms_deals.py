"""Forms of the activity, deal, funnel board/report and funnel stage pages.

Forms only check and carry input; `fabrika.crm.services` change the data. Choices that point to
owned records (counterparties, contacts, deals) are limited to what the user may see.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fabrika.access.policy import restrict
from fabrika.core.errors import DomainError, ValidationFailed

from .models import Activity, Contact, Counterparty, Deal, FunnelStage


def add_service_errors(form: forms.BaseForm, exc: DomainError) -> None:
    """Show a service's refusal on the form: field errors beside their fields, the rest on top."""
    if isinstance(exc, ValidationFailed):
        for field, messages in exc.errors.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        form.add_error(None, exc.message)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def active_users(*also):
    """Active users, plus the ones already chosen on a record (so that editing keeps them)."""
    cond = Q(is_active=True)
    ids = [pk for pk in also if pk]
    if ids:
        cond |= Q(pk__in=ids)
    return get_user_model().objects.filter(cond)


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        if self.show_counterparty:
            return f"{obj} — {obj.counterparty}"
        return str(obj)

    show_counterparty = True


def _limit_to_counterparty(form: forms.Form, user, counterparty, *, deals: bool) -> None:
    contacts = restrict(user, "view", Contact.objects.select_related("counterparty"))
    deal_qs = restrict(user, "view", Deal.objects.all())
    if counterparty is not None:
        contacts = contacts.filter(counterparty=counterparty)
        deal_qs = deal_qs.filter(counterparty=counterparty)
        form.fields["contact"].show_counterparty = False
    form.fields["contact"].queryset = contacts
    if deals:
        form.fields["deal"].queryset = deal_qs


# --- activities -------------------------------------------------------------------------------


class ActivityForm(forms.ModelForm):
    """Log a call, meeting, e-mail or note, or set a task. `counterparty` limits contacts and deals."""

    contact = ContactChoiceField(label=_("Contact"), queryset=Contact.objects.none(), required=False)

    class Meta:
        model = Activity
        fields = [
            "kind",
            "subject",
            "counterparty",
            "contact",
            "deal",
            "owner",
            "occurred_at",
            "due_at",
            "remind_at",
            "done",
            "body",
        ]
        widgets = {
            "counterparty": forms.Select(attrs={"data-tom": ""}),
            "occurred_at": DateTimeLocalInput(),
            "due_at": DateTimeLocalInput(),
            "remind_at": DateTimeLocalInput(),
            "body": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user, counterparty=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counterparty"].queryset = restrict(user, "view", Counterparty.objects.order_by("name"))
        _limit_to_counterparty(self, user, counterparty, deals=True)
        self.fields["owner"].queryset = active_users(self.instance.owner_id)
        self.fields["due_at"].help_text = _("Required for a task.")
        self.fields["remind_at"].help_text = _("Shown on “My day” from this time.")


# --- deals ------------------------------------------------------------------------------------


class DealForm(forms.ModelForm):
    """A deal's details. The stage is chosen on creation only; later moves go through the funnel."""

    contact = ContactChoiceField(label=_("Contact"), queryset=Contact.objects.none(), required=False)

    class Meta:
        model = Deal
        fields = [
            "title",
            "counterparty",
            "contact",
            "stage",
            "owner",
            "amount",
            "currency",
            "expected_close",
            "notes",
        ]
        widgets = {
            "counterparty": forms.Select(attrs={"data-tom": ""}),
            "expected_close": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, counterparty=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counterparty"].queryset = restrict(user, "view", Counterparty.objects.order_by("name"))
        _limit_to_counterparty(self, user, counterparty, deals=False)
        self.fields["owner"].queryset = active_users(self.instance.owner_id)
        if self.instance.pk:
            del self.fields["stage"]
        else:
            open_stages = FunnelStage.objects.filter(kind=FunnelStage.Kind.OPEN)
            self.fields["stage"].queryset = open_stages
            first = open_stages.order_by("order", "id").first()
            if first is not None:
                self.fields["stage"].initial = first.pk

    def clean_currency(self):
        code = (self.cleaned_data.get("currency") or "").strip().upper()
        if len(code) != 3 or not code.isalpha():
            raise forms.ValidationError(_("Enter a three-letter currency code."))
        return code


class DealLoseForm(forms.Form):
    lost_reason = forms.CharField(
        label=_("Why was the deal lost?"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


class DealMoveForm(forms.Form):
    """The funnel board's drop (JSON or form-encoded) and the "move to" selects."""

    stage = forms.ModelChoiceField(label=_("Stage"), queryset=FunnelStage.objects.all())
    lost_reason = forms.CharField(label=_("Reason lost"), max_length=300, required=False)


# --- board and report filters -----------------------------------------------------------------


class BoardFilterForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=get_user_model().objects.none(), required=False)
    counterparty = forms.ModelChoiceField(
        label=_("Counterparty"),
        queryset=Counterparty.objects.none(),
        required=False,
        widget=forms.Select(attrs={"data-tom": ""}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = active_users()
        self.fields["counterparty"].queryset = restrict(user, "view", Counterparty.objects.order_by("name"))

    def filter(self, deals):
        """The deals that pass the filter (all of them when the input is invalid)."""
        if not self.is_valid():
            return deals
        if self.cleaned_data.get("owner"):
            deals = deals.filter(owner=self.cleaned_data["owner"])
        if self.cleaned_data.get("counterparty"):
            deals = deals.filter(counterparty=self.cleaned_data["counterparty"])
        return deals


class FunnelFilterForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=get_user_model().objects.none(), required=False)
    created_from = forms.DateField(label=_("Created from"), required=False, widget=DateInput())
    created_to = forms.DateField(label=_("Created to"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = active_users()

    def clean(self):
        data = super().clean()
        start, end = data.get("created_from"), data.get("created_to")
        if start and end and start > end:
            self.add_error("created_to", _("The end date is before the start date."))
        return data

    def filter(self, deals):
        if not self.is_valid():
            return deals
        data = self.cleaned_data
        if data.get("owner"):
            deals = deals.filter(owner=data["owner"])
        if data.get("created_from"):
            deals = deals.filter(created_at__date__gte=data["created_from"])
        if data.get("created_to"):
            deals = deals.filter(created_at__date__lte=data["created_to"])
        return deals


# --- funnel stages ----------------------------------------------------------------------------

COLOR_CHOICES = [
    ("primary", _("Blue (primary)")),
    ("secondary", _("Grey (secondary)")),
    ("success", _("Green (success)")),
    ("danger", _("Red (danger)")),
    ("warning", _("Yellow (warning)")),
    ("info", _("Cyan (info)")),
    ("light", _("Light")),
    ("dark", _("Dark")),
]


class StageForm(forms.ModelForm):
    color = forms.ChoiceField(label=_("colour"), choices=COLOR_CHOICES, initial="secondary")

    class Meta:
        model = FunnelStage
        fields = ["name", "order", "probability", "kind", "color"]
