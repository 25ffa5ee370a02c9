"""Home page, company settings and document number formats."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView

from fabrika.access.policy import SIGNED_IN, Policy, can, require
from fabrika.core import services as core_services
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.models import CompanySettings, NumberFormat, NumberSequence
from fabrika.core.numbering import REGISTRY
from fabrika.core.views import PolicyMixin

from . import dashboard
from .forms import CompanySettingsForm, NumberFormatFormSet, add_service_errors
from .navigation import menu_for


class HomeView(PolicyMixin, TemplateView):
    access_policy = SIGNED_IN
    template_name = "web/home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx.update(
            title=_("Home"),
            sections=menu_for(user),
            widgets=dashboard.widgets_for(self.request),
            company=CompanySettings.load(),
        )
        return ctx


SETTINGS_VIEW = Policy("settings", "view")


class _SettingsPage(PolicyMixin, FormView):
    """Seen with settings/view, saved with settings/change (a read-only form otherwise)."""

    access_policy = SETTINGS_VIEW

    def can_change(self) -> bool:
        return can(self.request.user, "settings", "change")

    def post(self, request, *args, **kwargs):
        require(request.user, "settings", "change")
        return super().post(request, *args, **kwargs)

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if not self.can_change():
            for f in _fields_of(form):
                f.disabled = True
        return form

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_change"] = self.can_change()
        ctx["title"] = self.title
        return ctx


def _fields_of(form):
    if hasattr(form, "forms"):
        return [f for sub in form.forms for f in sub.fields.values()]
    return list(form.fields.values())


class CompanySettingsView(_SettingsPage):
    template_name = "web/company_settings.html"
    form_class = CompanySettingsForm
    title = gettext_lazy("Company")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        # A separate copy: the form validates on it, the service changes the stored row.
        kwargs["instance"] = CompanySettings.load()
        return kwargs

    def form_valid(self, form):
        try:
            core_services.company_settings_update(**form.changes())
        except DomainError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("The company settings were saved."))
        return redirect("web:company-settings")


class NumberingView(_SettingsPage):
    template_name = "web/numbering.html"
    form_class = NumberFormatFormSet
    title = gettext_lazy("Document numbers")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["prefix"] = "fmt"
        if self.request.method != "POST":
            kwargs["initial"] = [
                {"doc_type": r["code"], "prefix": r["prefix"], "padding": r["padding"]}
                for r in number_overview()
            ]
        return kwargs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        overview = {row["code"]: row for row in number_overview()}
        year = timezone.localdate().year
        rows = []
        for form in ctx["form"].forms:
            code = form["doc_type"].value()
            info = overview.get(code)
            if info is None:
                continue
            prefix, padding = (
                form["prefix"].value() or info["prefix"],
                form["padding"].value() or info["padding"],
            )
            try:
                digits = int(padding)
            except (TypeError, ValueError):
                digits = 0
            example = f"{prefix}-{year}-{1:0{digits}d}" if 0 < digits <= 10 else ""
            rows.append({"form": form, "info": info, "example": example})
        ctx.update(rows=rows, year=year)
        return ctx

    def form_valid(self, formset):
        forms_by_type = {form.cleaned_data["doc_type"]: form for form in formset.forms}
        try:
            changed = core_services.number_formats_set(formats=[form.cleaned_data for form in formset.forms])
        except ValidationFailed as exc:
            for key, messages_ in exc.errors.items():
                doc_type, _dot, field = key.rpartition(".")
                form = forms_by_type.get(doc_type)
                target = form if form is not None else formset.forms[0]
                for message in messages_:
                    target.add_error(field if form is not None and field in form.fields else None, message)
            return self.form_invalid(formset)
        except DomainError as exc:
            messages.error(self.request, exc.message)
            return self.form_invalid(formset)
        if changed:
            messages.success(self.request, _("Number formats were saved."))
        else:
            messages.info(self.request, _("Nothing was changed."))
        return redirect("web:numbering")


def number_overview() -> list[dict]:
    """Each registered document type with its current format and the last number of each year."""
    last: dict[str, list[tuple[int, int]]] = {}
    for seq in NumberSequence.objects.order_by("-year"):
        last.setdefault(seq.doc_type, []).append((seq.year, seq.last_number))
    stored = {f.doc_type: f for f in NumberFormat.objects.all()}
    rows = []
    for code, doc_type in sorted(REGISTRY.items(), key=lambda item: str(item[1].label)):
        fmt = stored.get(code)
        prefix, padding = (fmt.prefix, fmt.padding) if fmt else (doc_type.prefix, doc_type.padding)
        rows.append(
            dict(
                code=code,
                label=doc_type.label,
                prefix=prefix,
                padding=padding,
                default=f"{doc_type.prefix}, {doc_type.padding}",
                years=last.get(code, []),
            )
        )
    return rows
