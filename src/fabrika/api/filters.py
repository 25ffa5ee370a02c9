from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

# Query parameters the API understands besides a view's own filters.
COMMON_PARAMS = {"limit", "offset", "search", "ordering", "format", "expand"}


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, but an unknown query parameter is an error, not silently ignored."""

    def filter_queryset(self, request, queryset, view):
        if request.method == "GET" and getattr(view, "action", None) == "list":
            allowed = set(COMMON_PARAMS) | set(getattr(view, "extra_query_params", ()))
            filterset_class = self.get_filterset_class(view, queryset)
            if filterset_class is not None:
                allowed |= set(filterset_class.base_filters)
            unknown = sorted(set(request.query_params) - allowed)
            if unknown:
                raise ValidationError(
                    {
                        "detail": _("Unknown filter: %(names)s. Allowed: %(allowed)s.")
                        % {"names": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))}
                    }
                )
        return super().filter_queryset(request, queryset, view)
