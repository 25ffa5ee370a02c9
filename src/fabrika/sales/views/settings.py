"""Sales settings (company settings: settings/change): discount limit, who is told about
confirmed orders, defaults, users' own discount limits, and the payment terms templates."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views import View

from fabrika.access.policy import Policy
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.views import PolicyMixin

from .. import services
from ..forms import (
    DiscountLimitForm,
    PaymentTermsForm,
    SalesSettingsForm,
    apply_errors,
    apply_line_errors,
    terms_formset,
)
from ..models import DiscountLimit, PaymentTerms, SalesSettings

SETTINGS = Policy("settings", "change")


class SettingsView(PolicyMixin, View):
    access_policy = SETTINGS

    def render(self, request, form, limit_form):
        ctx = {
            "title": _("Sales settings"),
            "form": form,
            "limit_form": limit_form,
            "limits": DiscountLimit.objects.select_related("user"),
            "terms": PaymentTerms.objects.prefetch_related("lines"),
        }
        return TemplateResponse(request, "sales/settings.html", ctx)

    def get(self, request):
        return self.render(request, SalesSettingsForm(instance=SalesSettings.load()), DiscountLimitForm())

    def post(self, request):
        settings = SalesSettings.load()
        if request.POST.get("form") == "limit":
            limit_form = DiscountLimitForm(request.POST)
            if limit_form.is_valid():
                try:
                    services.discount_limit_set(
                        actor=request.user,
                        user=limit_form.cleaned_data["user"],
                        max_discount_pct=limit_form.cleaned_data["max_discount_pct"],
                    )
                except ValidationFailed as exc:
                    apply_errors(limit_form, exc.errors)
                else:
                    messages.success(request, _("The discount limit was saved."))
                    return redirect(reverse("sales:settings"))
            return self.render(request, SalesSettingsForm(instance=settings), limit_form)
        form = SalesSettingsForm(request.POST, instance=settings)
        if form.is_valid():
            try:
                services.sales_settings_update(actor=request.user, data=form.service_data())
            except ValidationFailed as exc:
                apply_errors(form, exc.errors)
            else:
                messages.success(request, _("The sales settings were saved."))
                return redirect(reverse("sales:settings"))
        return self.render(request, form, DiscountLimitForm())


class TermsFormView(PolicyMixin, View):
    access_policy = SETTINGS

    def render(self, request, form, formset, terms):
        ctx = {
            "title": _("Payment terms %(name)s") % {"name": terms.name} if terms else _("New payment terms"),
            "form": form,
            "formset": formset,
            "terms": terms,
        }
        return TemplateResponse(request, "sales/terms_form.html", ctx)

    def load(self, pk):
        return get_object_or_404(PaymentTerms, pk=pk) if pk else None

    def get(self, request, pk=None):
        terms = self.load(pk)
        initial = {"name": terms.name, "active": terms.active, "note": terms.note} if terms else {"active": True}
        lines = (
            [{"percent": ln.percent, "trigger": ln.trigger, "days": ln.days} for ln in terms.lines.all()]
            if terms
            else []
        )
        return self.render(request, PaymentTermsForm(initial=initial), terms_formset(initial=lines), terms)

    def post(self, request, pk=None):
        terms = self.load(pk)
        form = PaymentTermsForm(request.POST)
        formset = terms_formset(data=request.POST)
        if form.is_valid() and formset.is_valid():
            line_forms = formset.submitted_forms()
            try:
                services.payment_terms_save(
                    actor=request.user,
                    terms=terms,
                    data=form.cleaned_data,
                    lines=[{**f.cleaned_data, "days": f.cleaned_data.get("days") or 0} for f in line_forms],
                )
            except ValidationFailed as exc:
                apply_errors(form, apply_line_errors(formset, line_forms, exc.errors))
            else:
                messages.success(request, _("The payment terms were saved."))
                return redirect(reverse("sales:settings"))
        return self.render(request, form, formset, terms)


class TermsDeleteView(PolicyMixin, View):
    access_policy = SETTINGS
    http_method_names = ["post"]

    def post(self, request, pk):
        terms = get_object_or_404(PaymentTerms, pk=pk)
        try:
            services.payment_terms_delete(actor=request.user, terms=terms)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The payment terms were deleted."))
        return redirect(reverse("sales:settings"))


urlpatterns = [
    path("settings/", SettingsView.as_view(), name="settings"),
    path("settings/terms/new/", TermsFormView.as_view(), name="terms-create"),
    path("settings/terms/<int:pk>/", TermsFormView.as_view(), name="terms-update"),
    path("settings/terms/<int:pk>/delete/", TermsDeleteView.as_view(), name="terms-delete"),
]
