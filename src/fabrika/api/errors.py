"""Domain errors become 400/409 responses with the message in the user's language and the data."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from fabrika.core.errors import DomainError, ValidationFailed


def exception_handler(exc, context):
    if isinstance(exc, ValidationFailed):
        return Response(
            {"detail": exc.message, "code": exc.code, "errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, DomainError):
        data = {"detail": exc.message, "code": exc.code}
        if exc.data:
            data["data"] = {
                k: str(v) if not isinstance(v, (int, float, list, dict)) else v for k, v in exc.data.items()
            }
        return Response(data, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(
            {"detail": " ".join(" ".join(v) for v in errors.values()), "errors": errors},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return drf_exception_handler(exc, context)
