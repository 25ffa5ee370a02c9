"""The base serializers of every area's API, and the one shape of a refused request.

Serializers check the shape of the input only; the services decide the rules. Every error of the
input is answered like a `ValidationFailed` of a service —
`{"detail": …, "code": "invalid", "errors": {field: [messages]}}`, nested fields named with dots
(`addresses.0.text`) — so clients read one error shape.
"""

from rest_framework import serializers

from fabrika.core.errors import ValidationFailed


def flatten_errors(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as {"field": [...], "addresses.0.text": [...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = "__all__" if key in ("non_field_errors", "__all__") and not prefix else str(key)
            flat.update(flatten_errors(value, f"{prefix}{name}."))
        return flat
    if isinstance(errors, list) and any(isinstance(item, (dict, list)) for item in errors):
        for index, item in enumerate(errors):
            if item:
                flat.update(flatten_errors(item, f"{prefix}{index}."))
        return flat
    items = errors if isinstance(errors, list) else [errors]
    flat[prefix.rstrip(".") or "__all__"] = [str(message) for message in items]
    return flat


class ServiceErrorsMixin:
    """`is_valid(raise_exception=True)` raises `ValidationFailed`, the services' own error."""

    def is_valid(self, *, raise_exception=False):
        valid = super().is_valid(raise_exception=False)
        if not valid and raise_exception:
            raise ValidationFailed(flatten_errors(self.errors))
        return valid


class Serializer(ServiceErrorsMixin, serializers.Serializer):
    pass


class ModelSerializer(ServiceErrorsMixin, serializers.ModelSerializer):
    pass


class ErrorSerializer(Serializer):
    """A refused request: 400 (`errors` per field) or 409 (a business rule, with `data`)."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    data = serializers.DictField(required=False)
