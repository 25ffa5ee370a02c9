import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .forms_deals import DateInput
from .models import Activity, ClassifierValue, Contact, Counterparty, Deal, FunnelStage, Tag


class AnyYesNo(forms.NullBooleanSelect):
    """Yes, no, or any ("---------" like the other filters' empty choice, not Django's "Unknown")."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("unknown", "---------"), ("true", _("Yes")), ("false", _("No"))]


class CounterpartyFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(
        label=_("Role"), method="filter_role",
        choices=[("customer", _("Customers")), ("supplier", _("Suppliers"))],
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Counterparty.Kind.choices)
    responsible = django_filters.ModelChoiceFilter(
        label=_("Responsible manager"), queryset=get_user_model().objects.filter(is_active=True)
    )
    classifier = django_filters.ModelMultipleChoiceFilter(
        label=_("Classifiers"), field_name="classifiers", queryset=ClassifierValue.objects.select_related("kind")
    )
    tag = django_filters.ModelMultipleChoiceFilter(label=_("Tags"), field_name="tags", queryset=Tag.objects.all())
    created_after = django_filters.DateFilter(
        label=_("Created from"), field_name="created_at", lookup_expr="date__gte", widget=DateInput()
    )
    created_before = django_filters.DateFilter(
        label=_("Created to"), field_name="created_at", lookup_expr="date__lte", widget=DateInput()
    )

    class Meta:
        model = Counterparty
        fields = ["role", "kind", "responsible", "classifier", "tag", "created_after", "created_before"]

    def filter_role(self, queryset, name, value):
        if value == "customer":
            return queryset.filter(is_customer=True)
        if value == "supplier":
            return queryset.filter(is_supplier=True)
        return queryset

    @property
    def qs(self):
        qs = super().qs
        # Multi-value m2m filters can repeat rows.
        if self.form.cleaned_data.get("classifier") or self.form.cleaned_data.get("tag"):
            qs = qs.distinct()
        return qs


class ContactFilter(django_filters.FilterSet):
    counterparty = django_filters.ModelChoiceFilter(label=_("Counterparty"), queryset=Counterparty.objects.all())

    class Meta:
        model = Contact
        fields = ["counterparty"]


class ActivityFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Activity.Kind.choices)
    owner = django_filters.ModelChoiceFilter(label=_("Assigned to"),
                                             queryset=get_user_model().objects.filter(is_active=True))
    counterparty = django_filters.ModelChoiceFilter(label=_("Counterparty"), queryset=Counterparty.objects.all())
    done = django_filters.BooleanFilter(label=_("Done"), widget=AnyYesNo())
    due_before = django_filters.DateFilter(
        label=_("Due to"), field_name="due_at", lookup_expr="date__lte", widget=DateInput()
    )

    class Meta:
        model = Activity
        fields = ["kind", "owner", "counterparty", "done", "due_before"]


class DealFilter(django_filters.FilterSet):
    stage = django_filters.ModelChoiceFilter(label=_("Stage"), queryset=FunnelStage.objects.all())
    status = django_filters.ChoiceFilter(label=_("Status"), method="filter_status", choices=FunnelStage.Kind.choices)
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=get_user_model().objects.filter(is_active=True))
    counterparty = django_filters.ModelChoiceFilter(label=_("Counterparty"), queryset=Counterparty.objects.all())
    close_after = django_filters.DateFilter(
        label=_("Close from"), field_name="expected_close", lookup_expr="gte", widget=DateInput()
    )
    close_before = django_filters.DateFilter(
        label=_("Close to"), field_name="expected_close", lookup_expr="lte", widget=DateInput()
    )

    class Meta:
        model = Deal
        fields = ["stage", "status", "owner", "counterparty", "close_after", "close_before"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(stage__kind=value)


def counterparty_search(queryset, text: str):
    """Full-text-like search over names, tax id, e-mail, phone and contacts' names."""
    for term in text.split():
        digits = "".join(ch for ch in term if ch.isdigit())
        cond = (
            Q(name__icontains=term) | Q(legal_name__icontains=term) | Q(tax_id__icontains=term)
            | Q(email__icontains=term) | Q(contacts__last_name__icontains=term)
            | Q(contacts__first_name__icontains=term)
        )
        if len(digits) >= 4:
            cond |= Q(phone_normalized__contains=digits)
        queryset = queryset.filter(cond)
    return queryset.distinct()
