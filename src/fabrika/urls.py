from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

urlpatterns = [
    path("", include("fabrika.web.urls")),
    path("access/", include("fabrika.access.urls")),
    path("audit/", include("fabrika.audit.urls")),
    path("crm/", include("fabrika.crm.urls")),
    path("files/", include("fabrika.documents.urls")),
    path("api/", include("fabrika.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
]

