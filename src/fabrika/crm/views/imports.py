"""Import of counterparties: upload → preview with per-row errors → confirm (all valid rows or nothing).

Between the steps the parsed table (not the file) waits in the session; the preview is computed
again at confirmation, so the rows created are checked against the data of that moment.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from fabrika.access.policy import Policy
from fabrika.core.errors import DomainError
from fabrika.core.views import PolicyMixin

from ..forms import ImportUploadForm
from ..imports import (
    COLUMNS,
    ImportFileError,
    Sheet,
    build_preview,
    import_counterparties,
    read_upload,
    template_workbook,
)

SESSION_KEY = "crm_counterparty_import"
PREVIEW_LIMIT = 1000  # rows shown on the page; every row is checked and imported


def _stored_sheet(request) -> Sheet | None:
    data = request.session.get(SESSION_KEY)
    if not data:
        return None
    try:
        return Sheet.from_json(data)
    except (KeyError, TypeError, ValueError):
        request.session.pop(SESSION_KEY, None)
        return None


class ImportUploadView(PolicyMixin, View):
    access_policy = Policy("crm", "add")

    def render_form(self, form):
        return render(
            self.request,
            "crm/import_upload.html",
            {
                "form": form,
                "title": _("Import counterparties"),
                "pending": _stored_sheet(self.request),
                "columns": COLUMNS,
            },
        )

    def get(self, request):
        return self.render_form(ImportUploadForm())

    def post(self, request):
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                sheet = read_upload(form.cleaned_data["file"])
            except ImportFileError as exc:
                form.add_error("file", exc.message)
            else:
                if not sheet.rows:
                    form.add_error("file", _("The file has column names but no rows."))
                else:
                    request.session[SESSION_KEY] = sheet.to_json()
                    return redirect("crm:counterparty-import-preview")
        return self.render_form(form)


class ImportPreviewView(PolicyMixin, View):
    access_policy = Policy("crm", "add")

    def get(self, request):
        sheet = _stored_sheet(request)
        if sheet is None:
            messages.info(request, _("Upload a file to import first."))
            return redirect("crm:counterparty-import")
        preview = build_preview(sheet)
        only_errors = request.GET.get("only") == "errors"
        rows = [r for r in preview.rows if not r.valid] if only_errors else preview.rows
        mapped = {key for key, _header in preview.columns}
        table = [
            (
                row,
                [
                    (key, row.values.get(key, ""), row.shown.get(key), row.errors.get(key, []))
                    for key, _header in preview.columns
                ],
                [m for key, msgs in row.errors.items() if key not in mapped for m in msgs],
            )
            for row in rows[:PREVIEW_LIMIT]
        ]
        return render(
            request,
            "crm/import_preview.html",
            {
                "title": _("Import counterparties: check the rows"),
                "sheet": sheet,
                "preview": preview,
                "table": table,
                "shown_count": len(table),
                "row_count": len(rows),
                "only_errors": only_errors,
            },
        )


class ImportConfirmView(PolicyMixin, View):
    access_policy = Policy("crm", "add")
    http_method_names = ["post"]

    def post(self, request):
        sheet = _stored_sheet(request)
        if sheet is None:
            messages.info(request, _("Upload a file to import first."))
            return redirect("crm:counterparty-import")
        preview = build_preview(sheet)
        expected = request.POST.get("expected", "")
        if expected != str(preview.valid_count):
            messages.warning(request, _("The data changed since the preview: check the rows again."))
            return redirect("crm:counterparty-import-preview")
        if not preview.valid_count:
            messages.error(request, _("There is no valid row to import."))
            return redirect("crm:counterparty-import-preview")
        try:
            created = import_counterparties(actor=request.user, preview=preview, filename=sheet.filename)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("crm:counterparty-import-preview")
        request.session.pop(SESSION_KEY, None)
        messages.success(request, _("%(n)d counterparties were imported.") % {"n": len(created)})
        return redirect(reverse("crm:counterparty-list") + "?sort=-created_at")


class ImportCancelView(PolicyMixin, View):
    access_policy = Policy("crm", "add")
    http_method_names = ["post"]

    def post(self, request):
        request.session.pop(SESSION_KEY, None)
        return redirect("crm:counterparty-import")


class ImportTemplateView(PolicyMixin, View):
    """An empty XLSX with the column names (in the user's language) and the allowed values."""

    access_policy = Policy("crm", "add")

    def get(self, request):
        workbook = template_workbook()
        response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = (
            f'attachment; filename="counterparties-template-{timezone.localdate().isoformat()}.xlsx"'
        )
        workbook.save(response)
        return response


urlpatterns = [
    path("counterparties/import/", ImportUploadView.as_view(), name="counterparty-import"),
    path("counterparties/import/preview/", ImportPreviewView.as_view(), name="counterparty-import-preview"),
    path("counterparties/import/confirm/", ImportConfirmView.as_view(), name="counterparty-import-confirm"),
    path("counterparties/import/cancel/", ImportCancelView.as_view(), name="counterparty-import-cancel"),
    path(
        "counterparties/import/template.xlsx",
        ImportTemplateView.as_view(),
        name="counterparty-import-template",
    ),
]
