import django_filters
from django.utils.translation import gettext_lazy as _

from .models import Department, Role, User


class UserFilter(django_filters.FilterSet):
    department = django_filters.ModelChoiceFilter(label=_("Department"), queryset=Department.objects.all())
    role = django_filters.ModelChoiceFilter(label=_("Role"), field_name="roles", queryset=Role.objects.all())
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        method="filter_status",
        empty_label=_("All"),
        choices=[("active", _("Active")), ("inactive", _("Deactivated"))],
    )

    class Meta:
        model = User
        fields = ["department", "role", "status"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(is_active=(value == "active"))
