from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from .policy import access_for


class UserLanguageMiddleware:
    """The signed-in user's own language wins over the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        response = self.get_response(request)
        if user is not None and user.is_authenticated and user.language:
            response.headers.setdefault("Content-Language", user.language)
        return response


class RequireSecondFactorMiddleware:
    """Roles marked `requires_second_factor` must confirm a TOTP code after the password."""

    ALLOWED_PREFIXES = ("/access/otp/", "/access/logout/", "/static/", "/i18n/", "/jsi18n/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and access_for(user).second_factor_required
            and not user.is_verified()
        ):
            if request.path.startswith("/api/"):
                from django.http import JsonResponse

                return JsonResponse({"detail": "Second factor required."}, status=403)
            return redirect(f"{reverse('access:otp')}?next={request.path}")
        return self.get_response(request)
