"""Forms of the access pages. They check input; services save it."""

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from .areas import ACTIONS, AREAS, SCOPE_ORDER, SCOPES
from .models import Department, Role, User

LANGUAGE_CHOICES = [("", _("As the browser says"))] + [
    (code, name) for code, name in User._meta.get_field("language").choices
]


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, required=False)


class OtpCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the authenticator app"),
        max_length=10,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "pattern": "[0-9 ]*",
                "placeholder": "123456",
            }
        ),
    )

    def clean_code(self):
        code = self.cleaned_data["code"].replace(" ", "")
        if not code.isdigit() or len(code) not in (6, 8):
            raise forms.ValidationError(_("Enter the 6-digit code."))
        return code


class UserForm(forms.ModelForm):
    """A user's details and roles (the administrator's form)."""

    class Meta:
        model = User
        fields = [
            "username",
            "first_name",
            "last_name",
            "email",
            "phone",
            "position",
            "department",
            "roles",
            "language",
        ]
        widgets = {
            "roles": forms.SelectMultiple(attrs={"data-tom": ""}),
            "department": forms.Select(attrs={"data-tom": ""}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("User name")
        self.fields["username"].help_text = _("Used to sign in. Letters, digits and @ . + - _ only.")
        self.fields["email"].label = _("E-mail")
        self.fields["roles"].queryset = Role.objects.order_by("name")
        self.fields["roles"].help_text = _("The user's rights are the sum of the rights of their roles.")
        self.fields["language"].choices = LANGUAGE_CHOICES

    def changes(self) -> dict:
        data = dict(self.cleaned_data)
        data["roles"] = list(data["roles"])
        return data


class UserCreateForm(UserForm):
    password1 = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to set it later: until then the user cannot sign in."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return cleaned

    def changes(self) -> dict:
        data = super().changes()
        data["password"] = data.pop("password1") or None
        data.pop("password2", None)
        return data


class AdminSetPasswordForm(auth_forms.SetPasswordForm):
    """An administrator sets a user's password; validated like the user's own change."""


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name", "head"]
        widgets = {"head": forms.Select(attrs={"data-tom": ""})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["head"].queryset = User.objects.filter(is_active=True)


class RoleForm(forms.Form):
    """A role: its name, and the permission matrix (areas × actions) with a record scope per area."""

    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        required=False,
        help_text=_("Short unique name for scripts and the command line; made from the name when empty."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    requires_second_factor = forms.BooleanField(
        label=_("Requires a second factor (TOTP)"),
        required=False,
        help_text=_("Holders confirm a code from an authenticator app after the password."),
    )

    def __init__(self, *args, role: Role | None = None, **kwargs):
        self.role = role
        if role is not None and not kwargs.get("initial"):
            kwargs["initial"] = self.initial_for(role)
        super().__init__(*args, **kwargs)
        if role is not None and role.builtin:
            self.fields["code"].disabled = True
        for area, (_label, actions, scoped) in AREAS.items():
            for action in actions:
                self.fields[self.perm_name(area, action)] = forms.BooleanField(
                    label=f"{AREAS[area][0]}: {ACTIONS[action]}", required=False
                )
            if scoped:
                self.fields[self.scope_name(area)] = forms.ChoiceField(
                    label=_("Record scope"),
                    choices=[(s, SCOPES[s]) for s in SCOPE_ORDER],
                    required=True,
                )

    @staticmethod
    def perm_name(area: str, action: str) -> str:
        return f"perm__{area}__{action}"

    @staticmethod
    def scope_name(area: str) -> str:
        return f"scope__{area}"

    @classmethod
    def initial_for(cls, role: Role) -> dict:
        initial = {
            "name": role.name,
            "code": role.code,
            "description": role.description,
            "requires_second_factor": role.requires_second_factor,
        }
        for area, (_label, actions, scoped) in AREAS.items():
            for action in actions:
                initial[cls.perm_name(area, action)] = role.grants(area, action)
            if scoped:
                initial[cls.scope_name(area)] = role.scope_for(area)
        return initial

    def main_fields(self):
        return [self[name] for name in ("name", "code", "description", "requires_second_factor")]

    def matrix(self):
        """Rows for the template: area label, a cell per action (a field, or None), the scope field."""
        rows = []
        for area, (label, actions, scoped) in AREAS.items():
            cells = [self[self.perm_name(area, a)] if a in actions else None for a in ACTIONS]
            rows.append(
                {
                    "area": area,
                    "label": label,
                    "cells": cells,
                    "scope": self[self.scope_name(area)] if scoped else None,
                }
            )
        return rows

    @staticmethod
    def actions():
        return list(ACTIONS.items())

    def changes(self) -> dict:
        data = self.cleaned_data
        permissions = {}
        scopes = {}
        for area, (_label, actions, scoped) in AREAS.items():
            granted = [a for a in actions if data.get(self.perm_name(area, a))]
            if granted:
                permissions[area] = granted
            if scoped:
                scopes[area] = data[self.scope_name(area)]
        result = {
            "name": data["name"],
            "description": data["description"],
            "permissions": permissions,
            "scopes": scopes,
            "requires_second_factor": data["requires_second_factor"],
        }
        if not (self.role is not None and self.role.builtin):
            result["code"] = data["code"]
        return result


def language_name(code: str) -> str:
    return dict(settings.LANGUAGES).get(code, code)
