"""Sign-in, profile, second factor, and the administration of users, departments and roles."""

import django_otp
import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView

from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.views import Column, ListPage, PolicyMixin
from fabrika.web.forms import add_service_errors

from . import services
from .areas import ACTIONS, AREAS, SCOPES
from .filters import UserFilter
from .forms import (
    AdminSetPasswordForm,
    DepartmentForm,
    OtpCodeForm,
    ProfileForm,
    RoleForm,
    UserCreateForm,
    UserForm,
)
from .models import Department, Role, User
from .policy import PUBLIC, SIGNED_IN, Policy, access_for, can, forget, restrict, scope_of

# ---------------------------------------------------------------------------------------------
# sign-in, sign-out, password, language


class LoginView(PolicyMixin, auth_views.LoginView):
    access_policy = PUBLIC
    template_name = "access/login.html"
    redirect_authenticated_user = True
    extra_context = {"title": gettext_lazy("Sign in")}


class LogoutView(PolicyMixin, auth_views.LogoutView):
    access_policy = PUBLIC


class PasswordChangeView(PolicyMixin, auth_views.PasswordChangeView):
    access_policy = SIGNED_IN
    template_name = "access/password_change.html"
    success_url = reverse_lazy("access:profile")
    extra_context = {"title": gettext_lazy("Change password")}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["cancel_url"] = reverse("access:profile")
        return ctx

    def form_valid(self, form):
        # The form checked the old password and the new one; the service saves it.
        try:
            services.user_set_password(user=self.request.user, password=form.cleaned_data["new_password1"])
        except DomainError as exc:
            add_service_errors(form, exc, {"password": "new_password2"})
            return self.form_invalid(form)
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("Your password was changed."))
        return HttpResponseRedirect(self.get_success_url())


class LanguageView(PolicyMixin, View):
    """Switch the UI language: saved on the user, so it follows them to every device."""

    access_policy = PUBLIC
    http_method_names = ["post"]

    def post(self, request):
        code = request.POST.get("language", "")
        nxt = _safe_next(request, request.POST.get("next"))
        response = HttpResponseRedirect(nxt)
        if code not in dict(translation.trans_real.get_languages()):
            return response
        if request.user.is_authenticated:
            services.user_set_language(user=request.user, language=code)
        translation.activate(code)
        response.set_cookie("django_language", code, samesite="Lax", httponly=True)
        return response


def _safe_next(request, nxt: str | None, default: str = "/") -> str:
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return nxt
    return default


# ---------------------------------------------------------------------------------------------
# profile and API token


class ProfileView(PolicyMixin, FormView):
    """The signed-in user's own page: details, language, API token, second factor."""

    access_policy = SIGNED_IN
    template_name = "access/profile.html"
    form_class = ProfileForm

    def get_initial(self):
        user = self.request.user
        return {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "phone": user.phone,
            "language": user.language,
        }

    def get_context_data(self, **kwargs):
        user = self.request.user
        ctx = super().get_context_data(**kwargs)
        token = services.api_token_for(user)
        access = access_for(user)
        ctx.update(
            title=_("My profile"),
            token=token,
            has_device=services.has_confirmed_device(user),
            second_factor_required=access.second_factor_required,
            verified=user.is_verified(),
            roles=list(user.roles.all()),
            rights=_rights_summary(user),
            otp_form=OtpCodeForm(),
        )
        return ctx

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.user_update_profile(
                user=self.request.user,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                phone=data["phone"],
                language=data["language"],
            )
        except DomainError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Your profile was saved."))
        response = redirect("access:profile")
        if data["language"]:
            response.set_cookie("django_language", data["language"], samesite="Lax", httponly=True)
        else:
            response.delete_cookie("django_language", samesite="Lax")  # follow the browser again
        return response


def _rights_summary(user) -> list[dict]:
    """The areas the user may open, with the actions granted and the record scope."""
    rows = []
    for area, (label, actions, scoped) in AREAS.items():
        granted = [ACTIONS[a] for a in actions if can(user, area, a)]
        if granted:
            rows.append({"label": label, "actions": granted, "scope": SCOPES[scope_of(user, area)] if scoped else ""})
    return rows


class ApiTokenView(PolicyMixin, View):
    access_policy = SIGNED_IN
    http_method_names = ["post"]

    def post(self, request):
        if request.POST.get("action") == "revoke":
            services.api_token_revoke(user=request.user)
            messages.success(request, _("The API token was revoked."))
        else:
            services.api_token_regenerate(user=request.user)
            messages.success(request, _("A new API token was created; the old one no longer works."))
        return redirect(reverse("access:profile") + "#api-token")


# ---------------------------------------------------------------------------------------------
# second factor

PENDING_KEY = "fabrika_otp_pending_key"


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    svg = image.to_string(encoding="unicode")
    return mark_safe(svg.replace("<svg ", '<svg role="img" aria-label="QR code" style="width:200px;height:200px" ', 1))


class _OtpSetupMixin:
    """A secret kept in the session until the user proves, with a code, that their app has it."""

    def pending_key(self) -> str:
        key = self.request.session.get(PENDING_KEY)
        if not key:
            key = services.otp_new_key()
            self.request.session[PENDING_KEY] = key
        return key

    def setup_context(self) -> dict:
        key = self.pending_key()
        uri = services.otp_uri(user=self.request.user, key=key)
        secret = services.otp_secret_base32(key)
        return {
            "otp_uri": uri,
            "otp_qr": _qr_svg(uri),
            "otp_secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        }

    def confirm(self, form):
        device = services.otp_device_confirm(
            user=self.request.user, key=self.pending_key(), code=form.cleaned_data["code"]
        )
        self.request.session.pop(PENDING_KEY, None)
        django_otp.login(self.request, device)
        return device


class OtpView(_OtpSetupMixin, PolicyMixin, FormView):
    """After the password: confirm a code (or, the first time, set up the authenticator app)."""

    access_policy = SIGNED_IN
    template_name = "access/otp.html"
    form_class = OtpCodeForm

    def next_url(self) -> str:
        return _safe_next(self.request, self.request.POST.get("next") or self.request.GET.get("next"))

    def get(self, request, *args, **kwargs):
        if request.user.is_verified():
            return redirect(self.next_url())
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["next"] = self.next_url()
        ctx["setup"] = not services.has_confirmed_device(self.request.user)
        ctx["title"] = _("Set up the second factor") if ctx["setup"] else _("Confirm it is you")
        if ctx["setup"]:
            ctx.update(self.setup_context())
        return ctx

    def form_valid(self, form):
        try:
            if services.has_confirmed_device(self.request.user):
                device = services.otp_verify(user=self.request.user, code=form.cleaned_data["code"])
                django_otp.login(self.request, device)
            else:
                self.confirm(form)
                messages.success(self.request, _("The authenticator app is set up."))
        except ValidationFailed as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        except DomainError as exc:
            form.add_error("code", exc.message)
            return self.form_invalid(form)
        return redirect(self.next_url())


class OtpSetupView(_OtpSetupMixin, PolicyMixin, FormView):
    """From the profile: set up (or replace) the authenticator app."""

    access_policy = SIGNED_IN
    template_name = "access/otp.html"
    form_class = OtpCodeForm

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and services.has_confirmed_device(user) and not user.is_verified():
            # Replacing an authenticator needs the current one: else a stolen password would do.
            return redirect(f"{reverse('access:otp')}?next={reverse('access:otp-setup')}")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            self.setup_context(),
            setup=True,
            title=_("Set up the second factor"),
            replacing=services.has_confirmed_device(self.request.user),
            cancel_url=reverse("access:profile"),
        )
        return ctx

    def form_valid(self, form):
        try:
            self.confirm(form)
        except DomainError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("The authenticator app is set up."))
        return redirect(reverse("access:profile") + "#second-factor")


class OtpRemoveView(PolicyMixin, View):
    """Remove one's own authenticator; a current code proves it is the owner."""

    access_policy = SIGNED_IN
    http_method_names = ["post"]

    def post(self, request):
        form = OtpCodeForm(request.POST)
        try:
            if not form.is_valid():
                raise DomainError(form.errors["code"][0])
            services.otp_verify(user=request.user, code=form.cleaned_data["code"])
            services.otp_devices_reset(user=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The authenticator app was removed."))
        return redirect(reverse("access:profile") + "#second-factor")


# ---------------------------------------------------------------------------------------------
# administration: shared form handling


class ServiceFormView(PolicyMixin, FormView):
    """A form page whose valid input goes to a service; refusals are shown beside the fields."""

    template_name = "web/form.html"
    title = ""
    success_message = ""
    cancel_url = None
    error_fields: dict[str, str] = {}  # a service's field name -> the form's field name

    def perform(self, form):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            self.object = self.perform(form)
        except DomainError as exc:
            add_service_errors(form, exc, self.error_fields)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message % {"obj": self.object})
        return redirect(self.get_success_url())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = self.title
        ctx["cancel_url"] = self.cancel_url
        return ctx


class ServiceActionView(PolicyMixin, View):
    """A POST button that calls a service on one object and goes back with a message."""

    http_method_names = ["post"]
    model = None

    def act(self, obj) -> str:
        raise NotImplementedError

    def redirect_to(self, obj):
        return redirect(obj.get_absolute_url())

    def post(self, request, pk):
        obj = get_object_or_404(restrict(request.user, self.access_policy.action, self.model.objects.all()), pk=pk)
        try:
            message = self.act(obj)
        except DomainError as exc:
            messages.error(request, exc.message)
            return self.redirect_to(obj)
        messages.success(request, message)
        return self.redirect_to(obj)


ACCESS_VIEW = Policy("access", "view")
ACCESS_ADD = Policy("access", "add")
ACCESS_CHANGE = Policy("access", "change")
ACCESS_DELETE = Policy("access", "delete")


# ---------------------------------------------------------------------------------------------
# users


def _role_names(user) -> str:
    return ", ".join(role.name for role in user.roles.all())


class UserListView(ListPage):
    model = User
    access_policy = ACCESS_VIEW
    title = gettext_lazy("Users")
    filterset_class = UserFilter
    search_fields = ("username", "first_name", "last_name", "email", "phone", "position")
    default_ordering = ("last_name", "first_name", "username")
    export_name = "users"
    columns = [
        Column("username", gettext_lazy("User name"), sort="username", link=True),
        Column("full_name", gettext_lazy("Name"), sort="last_name", value=lambda u: u.get_full_name()),
        Column("email", gettext_lazy("E-mail"), sort="email"),
        Column("phone", gettext_lazy("Phone")),
        Column("position", gettext_lazy("Position"), sort="position"),
        Column("department", gettext_lazy("Department"), sort="department__name"),
        Column("roles", gettext_lazy("Roles"), value=_role_names),
        Column("is_active", gettext_lazy("Active"), sort="is_active"),
        Column("last_login", gettext_lazy("Last sign-in"), sort="last_login"),
    ]

    def base_queryset(self):
        return self.scoped(User.objects.select_related("department").prefetch_related("roles"))

    def get_context_data(self, **kwargs):
        if can(self.request.user, "access", "add"):
            self.create_url = reverse("access:user-create")
        return super().get_context_data(**kwargs)


class UserCreateView(ServiceFormView):
    access_policy = ACCESS_ADD
    form_class = UserCreateForm
    title = gettext_lazy("New user")
    success_message = gettext_lazy("User %(obj)s was created.")
    error_fields = {"password": "password1"}
    cancel_url = reverse_lazy("access:user-list")

    def perform(self, form):
        return services.user_create(**form.changes())

    def get_success_url(self):
        return self.object.get_absolute_url()


class UserEditView(ServiceFormView):
    access_policy = ACCESS_CHANGE
    form_class = UserForm
    template_name = "access/user_form.html"
    success_message = gettext_lazy("User %(obj)s was saved.")
    cancel_url = reverse_lazy("access:user-list")

    @cached_property
    def target(self):
        # Loaded after the policy check (PolicyMixin.dispatch): no right gives 403, not 404.
        return get_object_or_404(restrict(self.request.user, "change", User.objects.all()), pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        # The form validates a copy: the service compares against the stored user.
        kwargs["instance"] = User.objects.get(pk=self.target.pk)
        return kwargs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.target
        ctx.update(
            title=f"{user} ({user.username})" if user.get_full_name() else user.username,
            target=user,
            has_device=services.has_confirmed_device(user),
            has_token=services.api_token_for(user) is not None,
            usages=services.user_references(user),
            can_delete=can(self.request.user, "access", "delete"),
            is_self=user.pk == self.request.user.pk,
        )
        return ctx

    def perform(self, form):
        user = services.user_update(user=self.target, **form.changes())
        if user.pk == self.request.user.pk:
            forget(self.request.user)
        return user

    def get_success_url(self):
        return reverse("access:user-list")


class UserPasswordView(ServiceFormView):
    access_policy = ACCESS_CHANGE
    form_class = AdminSetPasswordForm

    @cached_property
    def target(self):
        return get_object_or_404(restrict(self.request.user, "change", User.objects.all()), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            title=_("Set the password of %(name)s") % {"name": self.target},
            cancel_url=self.target.get_absolute_url(),
        )
        return ctx

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = User.objects.get(pk=self.target.pk)
        return kwargs

    def form_valid(self, form):
        try:
            services.user_set_password(user=self.target, password=form.cleaned_data["new_password1"])
        except DomainError as exc:
            add_service_errors(form, exc, {"password": "new_password2"})
            return self.form_invalid(form)
        if self.target.pk == self.request.user.pk:
            update_session_auth_hash(self.request, self.target)
        messages.success(self.request, _("The password of %(name)s was set.") % {"name": self.target})
        return redirect(self.target.get_absolute_url())


class UserDeactivateView(ServiceActionView):
    access_policy = ACCESS_CHANGE
    model = User

    def act(self, user):
        services.user_deactivate(user=user)
        return _("%(name)s was deactivated: they can no longer sign in.") % {"name": user}


class UserActivateView(ServiceActionView):
    access_policy = ACCESS_CHANGE
    model = User

    def act(self, user):
        services.user_activate(user=user)
        return _("%(name)s was activated.") % {"name": user}


class UserOtpResetView(ServiceActionView):
    access_policy = ACCESS_CHANGE
    model = User

    def act(self, user):
        services.otp_devices_reset(user=user)
        return _("The authenticator of %(name)s was removed.") % {"name": user}


class UserDeleteView(ServiceActionView):
    access_policy = ACCESS_DELETE
    model = User

    def act(self, user):
        name = str(user)
        services.user_delete(user=user)
        return _("User %(name)s was deleted.") % {"name": name}

    def redirect_to(self, obj):
        if obj.pk is None or not User.objects.filter(pk=obj.pk).exists():
            return redirect("access:user-list")
        return redirect(obj.get_absolute_url())


# ---------------------------------------------------------------------------------------------
# departments


class DepartmentListView(ListPage):
    model = Department
    access_policy = ACCESS_VIEW
    title = gettext_lazy("Departments")
    search_fields = ("name",)
    default_ordering = ("name",)
    export_name = "departments"
    columns = [
        Column("name", gettext_lazy("Name"), sort="name", link=True),
        Column("head", gettext_lazy("Head"), sort="head__last_name"),
        Column("members_count", gettext_lazy("People"), sort="members_count"),
    ]

    def base_queryset(self):
        return self.scoped(
            Department.objects.select_related("head").annotate(members_count=Count("members", distinct=True))
        )

    def get_context_data(self, **kwargs):
        if can(self.request.user, "access", "add"):
            self.create_url = reverse("access:department-create")
        return super().get_context_data(**kwargs)


class DepartmentCreateView(ServiceFormView):
    access_policy = ACCESS_ADD
    form_class = DepartmentForm
    title = gettext_lazy("New department")
    success_message = gettext_lazy("Department %(obj)s was created.")
    cancel_url = reverse_lazy("access:department-list")
    success_url = reverse_lazy("access:department-list")

    def perform(self, form):
        return services.department_create(name=form.cleaned_data["name"], head=form.cleaned_data["head"])


class DepartmentEditView(ServiceFormView):
    access_policy = ACCESS_CHANGE
    form_class = DepartmentForm
    template_name = "access/department_form.html"
    success_message = gettext_lazy("Department %(obj)s was saved.")
    cancel_url = reverse_lazy("access:department-list")
    success_url = reverse_lazy("access:department-list")

    @cached_property
    def target(self):
        return get_object_or_404(restrict(self.request.user, "change", Department.objects.all()), pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = Department.objects.get(pk=self.target.pk)
        return kwargs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            title=_("Department: %(name)s") % {"name": self.target},
            target=self.target,
            members=list(self.target.members.filter(is_active=True)),
            can_delete=can(self.request.user, "access", "delete"),
        )
        return ctx

    def perform(self, form):
        return services.department_update(
            department=self.target, name=form.cleaned_data["name"], head=form.cleaned_data["head"]
        )


class DepartmentDeleteView(ServiceActionView):
    access_policy = ACCESS_DELETE
    model = Department

    def act(self, department):
        name = str(department)
        services.department_delete(department=department)
        return _("Department %(name)s was deleted.") % {"name": name}

    def redirect_to(self, obj):
        if obj.pk is None or not Department.objects.filter(pk=obj.pk).exists():
            return redirect("access:department-list")
        return redirect(obj.get_absolute_url())


# ---------------------------------------------------------------------------------------------
# roles


class RoleListView(ListPage):
    model = Role
    access_policy = ACCESS_VIEW
    title = gettext_lazy("Roles")
    search_fields = ("name", "code", "description")
    default_ordering = ("name",)
    export_name = "roles"
    columns = [
        Column("name", gettext_lazy("Name"), sort="name", link=True),
        Column("code", gettext_lazy("Code"), sort="code"),
        Column("users_count", gettext_lazy("Users"), sort="users_count"),
        Column(
            "areas",
            gettext_lazy("Areas"),
            value=lambda r: ", ".join(str(AREAS[a][0]) for a in AREAS if r.permissions.get(a)),
        ),
        Column("requires_second_factor", gettext_lazy("Second factor"), sort="requires_second_factor"),
        Column("builtin", gettext_lazy("Built-in"), sort="builtin"),
    ]

    def base_queryset(self):
        return self.scoped(Role.objects.annotate(users_count=Count("users", distinct=True)))

    def get_context_data(self, **kwargs):
        if can(self.request.user, "access", "add"):
            self.create_url = reverse("access:role-create")
        return super().get_context_data(**kwargs)


class _RoleFormView(ServiceFormView):
    form_class = RoleForm
    template_name = "access/role_form.html"
    cancel_url = reverse_lazy("access:role-list")
    success_url = reverse_lazy("access:role-list")
    role = None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["role"] = self.role
        return kwargs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            role=self.role,
            actions=list(ACTIONS.items()),
            can_delete=self.role is not None and can(self.request.user, "access", "delete"),
            holders=list(self.role.users.all()[:50]) if self.role else [],
        )
        return ctx


class RoleCreateView(_RoleFormView):
    access_policy = ACCESS_ADD
    title = gettext_lazy("New role")
    success_message = gettext_lazy("Role %(obj)s was created.")

    def perform(self, form):
        return services.role_create(**form.changes())


class RoleEditView(_RoleFormView):
    access_policy = ACCESS_CHANGE
    success_message = gettext_lazy("Role %(obj)s was saved; its holders have the new rights now.")

    @cached_property
    def role(self):
        return get_object_or_404(restrict(self.request.user, "change", Role.objects.all()), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = _("Role: %(name)s") % {"name": self.role}
        return ctx

    def perform(self, form):
        changes = form.changes()
        if not changes.get("code"):
            changes.pop("code", None)
        role = services.role_update(role=Role.objects.get(pk=self.role.pk), **changes)
        forget(self.request.user)
        return role


class RoleDeleteView(ServiceActionView):
    access_policy = ACCESS_DELETE
    model = Role

    def act(self, role):
        name = str(role)
        services.role_delete(role=role)
        return _("Role %(name)s was deleted.") % {"name": name}

    def redirect_to(self, obj):
        if obj.pk is None or not Role.objects.filter(pk=obj.pk).exists():
            return redirect("access:role-list")
        return redirect(obj.get_absolute_url())
