from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from fabrika.core.views import PolicyMixin

from . import services
from .policy import PUBLIC, SIGNED_IN


class LoginView(PolicyMixin, auth_views.LoginView):
    access_policy = PUBLIC
    template_name = "access/login.html"
    redirect_authenticated_user = True


class LogoutView(PolicyMixin, auth_views.LogoutView):
    access_policy = PUBLIC


class PasswordChangeView(PolicyMixin, auth_views.PasswordChangeView):
    access_policy = SIGNED_IN
    template_name = "access/password_change.html"
    success_url = reverse_lazy("access:profile")
    extra_context = {"title": gettext_lazy("Change password")}

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed."))
        return response


class LanguageView(PolicyMixin, View):
    """Switch the UI language: saved on the user, so it follows them to every device."""

    access_policy = PUBLIC
    http_method_names = ["post"]

    def post(self, request):
        code = request.POST.get("language", "")
        nxt = request.POST.get("next") or "/"
        if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
            nxt = "/"
        response = HttpResponseRedirect(nxt)
        if code not in dict(translation.trans_real.get_languages()):
            return response
        if request.user.is_authenticated:
            services.user_set_language(user=request.user, language=code)
        translation.activate(code)
        response.set_cookie("django_language", code, samesite="Lax", httponly=True)
        return response


def home_redirect(request):
    return redirect("web:home")


class ProfileView(PolicyMixin, View):
    """Placeholder: replaced by the profile page (language, token, second factor)."""

    access_policy = SIGNED_IN

    def get(self, request):
        return redirect("web:home")
