"""The only code that changes users, departments and roles."""

from django.db import transaction

from fabrika.audit.services import record_event

from .models import User


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
        record_event("user.language_changed", user, language=language)
    return user
