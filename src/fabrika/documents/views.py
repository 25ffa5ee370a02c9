"""Upload, download and delete attachments of any card.

Every view needs its documents right *and* a visible target record: a user who cannot open
the card gets 404 for its files, exactly as if they did not exist.
"""

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from fabrika.access.policy import Policy
from fabrika.core.errors import DomainError, ValidationFailed
from fabrika.core.views import PolicyMixin

from . import services
from .forms import AttachmentForm
from .models import Attachment
from .queries import resolve_target, target_visible


def download_response(attachment: Attachment) -> FileResponse:
    """The file as a download, never rendered inline by the browser, whatever it contains."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404(_("The file is missing from the storage."))
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.filename, content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _visible_target_or_404(user, content_type: ContentType, object_id):
    target = resolve_target(content_type, object_id)
    if not target_visible(user, target):
        raise Http404
    return target


def _visible_attachment_or_404(user, pk: int) -> Attachment:
    attachment = get_object_or_404(Attachment.objects.select_related("content_type"), pk=pk)
    _visible_target_or_404(user, attachment.content_type, attachment.object_id)
    return attachment


def _back(request, target=None) -> HttpResponseRedirect:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(nxt)
    url = getattr(target, "get_absolute_url", None)
    if url is not None:
        try:
            return HttpResponseRedirect(url())
        except NoReverseMatch:  # the card page is not built yet
            pass
    return HttpResponseRedirect("/")


class AttachmentAddView(PolicyMixin, View):
    access_policy = Policy("documents", "add")
    http_method_names = ["post"]

    def post(self, request, content_type_id: int, object_id: str):
        content_type = get_object_or_404(ContentType, pk=content_type_id)
        target = _visible_target_or_404(request.user, content_type, object_id)
        form = AttachmentForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
            return _back(request, target)
        try:
            attachment = services.attachment_add(
                actor=request.user,
                target=target,
                uploaded_file=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
            )
        except ValidationFailed as exc:
            messages.error(request, " ".join(m for msgs in exc.errors.values() for m in msgs))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("File %(name)s attached.") % {"name": attachment.filename})
        return _back(request, target)


class AttachmentDownloadView(PolicyMixin, View):
    access_policy = Policy("documents", "view")
    http_method_names = ["get", "head"]

    def get(self, request, pk: int):
        return download_response(_visible_attachment_or_404(request.user, pk))


class AttachmentDeleteView(PolicyMixin, View):
    access_policy = Policy("documents", "delete")
    http_method_names = ["post"]

    def post(self, request, pk: int):
        attachment = _visible_attachment_or_404(request.user, pk)
        target = resolve_target(attachment.content_type, attachment.object_id)
        name = attachment.filename
        try:
            services.attachment_delete(actor=request.user, attachment=attachment)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("File %(name)s deleted.") % {"name": name})
        return _back(request, target)
